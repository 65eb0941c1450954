"""The CLI's main paths, with exact output where a person reads it."""

from __future__ import annotations

import json

from tests.conftest import sha256_of

PLAN = """\
Plan: expel m042 Bob Example <bob@example.org>
Playbook: test, sha256 {sha}

fake - Fake System (bob@example.org)
  cut
    - Sign out every session: signed in → signed out [cannot be undone]
    - Suspend the account: active → suspended [can be undone]
  clean
    - Remove from eng [can be undone]
    - Remove from board [can be undone]
    - Remove from all [can be undone]

bank - Bank account (Bob Example)
  manual
    - Remove the member as signer (needs: bank confirmation; a second confirmer)

Plan: 5 changes (1 cannot be undone), 1 step for a person.
"""


def test_dry_run_prints_the_plan_and_sends_no_write(org, cli):
    code, out, err = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert (code, err) == (0, "")
    assert out == PLAN.format(sha=sha256_of(org.root / "playbooks" / "test.yaml")[:12]) + "Dry run: nothing was changed.\n"
    assert org.fake.writes == 0
    assert cli("status")[1] == "No runs yet. Start one with: offboard expel MEMBER --dry-run\n"


def test_expel_applies_everything_once_and_waits_on_the_manual_step(org, cli):
    code, out, err = cli("expel", "bob@example.org", "--playbook", "test", "--yes", "--unsigned")
    assert code == 3, err
    assert sorted(org.fake.effects) == ["fake:group:all", "fake:group:board", "fake:group:eng", "fake:session", "fake:suspend"]
    assert "  fake         5 changed\n  bank         1 manual\n" in out
    assert "  bank:remove-signer: Remove the member as signer (needs confirmation by two people)\n" in out
    assert "Status: INCOMPLETE. The run is complete once every manual step is confirmed.\n" in out
    assert out.endswith(f"Report: {org.root}/.offboard/reports/000001-m042-expel.json\n"
                        "Done: 5 changed, 0 failed, 1 waiting on a person.\n")


def test_with_one_slot_cut_runs_before_clean_and_suspend_after_sign_out(org, cli, monkeypatch):
    from tests.fakes import FakeConnector

    monkeypatch.setattr(FakeConnector, "max_concurrency", 1)
    cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    effects = org.fake.effects
    assert effects.index("fake:session") < effects.index("fake:suspend")
    assert max(effects.index("fake:session"), effects.index("fake:suspend")) < min(
        effects.index(e) for e in effects if e.startswith("fake:group:"))


def test_json_output_is_one_document(org, cli):
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    document = json.loads(out)
    assert code == 3
    assert document["status"] == "incomplete"
    assert document["systems"]["fake"]["counts"] == {"changed": 5}
    assert document["manual"] == [{"system": "bank", "step": "bank:remove-signer", "title": "Remove the member as signer",
                                   "needs": "confirmation by two people"}]


def test_a_system_that_is_not_configured_is_shown_not_dropped(org, cli):
    org.write("playbooks/test.yaml", "name: t\nsteps:\n  - connector: fake\n  - connector: manual\n    steps:\n"
              "      - {id: x, title: Do X}\n")
    org.write("offboard.toml", "[org]\nname='E'\ndomain='example.org'\n[roster]\npath='roster.csv'\n")
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert code == 0
    assert "fake - Fake System: not configured: skipped\n" in out


def test_without_a_terminal_it_refuses_to_guess(org, cli):
    code, _out, err = cli("expel", "m042", "--playbook", "test", "--unsigned")
    assert code == 1
    assert err == ("Error: confirmation needed but there is no terminal: review the plan with --dry-run, "
                   "then pass --yes\n")
    assert org.fake.writes == 0


def test_typing_the_wrong_member_id_cancels(org, cli, typed):
    typed("m043")
    code, _, err = cli("expel", "m042", "--playbook", "test", "--unsigned")
    assert (code, err) == (1, "Aborted: nothing was changed.\n")
    assert org.fake.writes == 0


def test_typing_the_member_id_applies(org, cli, typed):
    asked = typed("m042")
    code, _, _ = cli("expel", "m042", "--playbook", "test", "--unsigned")
    assert code == 3
    assert asked == ["Type the member id (m042) to apply these 6 actions, or press Enter to cancel"]
    assert org.fake.writes == 5


def test_real_run_without_signing_key_is_refused(org, cli):
    code, _, err = cli("expel", "m042", "--playbook", "test", "--yes")
    assert code == 1
    assert err == ("Error: no signing key is configured, so the report could not be signed: run `offboard keygen` and add "
                   "the [signing] table it prints to the config, or pass --unsigned to go ahead with an unsigned report\n")
    assert org.fake.writes == 0


def test_connectors_lists_installed_ones(org, cli):
    _code, out, _ = cli("connectors")
    assert "fake       9.9.9    Fake System            inventory, restore, revoke\n" in out
    assert "manual     0.1.0    Manual checklist       restore, revoke\n" in out
