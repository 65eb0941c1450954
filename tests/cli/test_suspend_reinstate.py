"""`offboard suspend` and `offboard reinstate`: a suspension on record is put back exactly, from the verified ledger."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

import offboard.clock
from offboard.apply.journal import Journal

BOB = ["session", "active", "group:eng", "group:board", "group:all"]
LATER = (date.today() + timedelta(days=30)).isoformat()
REASON = "CC decision 2026-11-28: probation"


def reports(org) -> list[str]:
    return sorted(p.name for p in (org.root / ".offboard" / "reports").glob("*.json"))


def report(org, name: str) -> dict:
    return json.loads((org.root / ".offboard" / "reports" / name).read_text())


def access(org, email: str = "bob@example.org") -> list[str]:
    return org.fake.load()["users"][email]["access"]


def suspend(cli, *extra: str) -> tuple[int, str, str]:
    return cli("suspend", "m042", "--until", LATER, "--reason", REASON, "--playbook", "test", "--unsigned", *extra)


@pytest.fixture
def suspended(org, cli) -> dict:
    code, out, err = suspend(cli, "--yes", "--json")
    assert code == 3, err  # the bank step waits on people
    assert sorted(access(org)) == []
    return json.loads(out)


def test_a_suspension_report_carries_its_terms(org, cli, suspended):
    assert reports(org) == ["000001-m042-suspend.json"]
    document = report(org, "000001-m042-suspend.json")
    assert document["kind"] == "suspend"
    assert document["suspension"] == {"until": LATER, "reason": REASON}
    markdown = (org.root / ".offboard" / "reports" / "000001-m042-suspend.md").read_text()
    assert f"Suspended until {LATER}" in markdown and "probation" in markdown


def test_the_reinstatement_puts_back_what_the_suspension_removed(org, cli, suspended):
    code, out, err = cli("reinstate", "m042", "--yes", "--unsigned", "--json")
    assert code == 0, (out, err)
    assert sorted(access(org)) == sorted(set(BOB) - {"session"})  # an ended session does not come back
    assert reports(org)[-1] == "000003-m042-reinstate.json"  # 000002: the suspension's bank step, no longer needed
    document = report(org, "000003-m042-reinstate.json")
    first = org.root / ".offboard" / "reports" / "000001-m042-suspend.json"
    assert document["reverses"]["seq"] == 1 and document["reverses"]["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert document["reverses"]["kind"] == "suspend"
    fake = next(s for s in document["systems"] if s["name"] == "fake")
    assert fake["lost"] == [{"action_id": "fake:session", "reason": "an ended session does not come back"}]
    assert {a["state"] for a in fake["actions"]} == {"changed"}


def test_the_dry_run_shows_what_comes_back_and_what_does_not_and_changes_nothing(org, cli, suspended):
    writes = org.fake.load()["writes"]
    code, out, err = cli("reinstate", "m042", "--dry-run")
    assert code == 0, err
    assert "Plan: reinstate m042" in out
    assert "Reverses: report 000001 (suspend" in out
    assert "Give back group:eng" in out
    assert "does not come back" in out and "an ended session does not come back" in out
    assert "Plan: 4 changes to put back, 0 steps for a person, 1 cannot come back." in out
    assert org.fake.load()["writes"] == writes and reports(org) == ["000001-m042-suspend.json"]


def test_access_given_back_by_hand_is_already_so_and_not_touched(org, cli, suspended):
    org.fake.add_user("bob@example.org", ["group:eng"])  # an admin put one group back in the meantime
    code, out, _ = cli("reinstate", "m042", "--dry-run")
    assert code == 0
    assert "already as it was" in out and "    - Remove from eng" in out
    assert "Give back group:eng" not in out


def test_a_manual_step_done_comes_back_as_its_reverse(org, cli, suspended):
    run = suspended["run_id"]
    assert cli("confirm", run, "remove-signer", "--by", "Carol", "--reference", "case 1")[0] == 3
    assert cli("confirm", run, "remove-signer", "--by", "Dan")[0] == 0
    code, out, _ = cli("reinstate", "m042", "--dry-run")
    assert code == 0
    assert "Undo: Remove the member as signer" in out


def test_a_playbook_reinstate_block_names_the_reverse(org, cli):
    org.write("playbooks/test.yaml", """\
        name: test
        steps:
          - connector: manual
            system: bank
            steps:
              - id: remove-signer
                title: Remove the member as signer
                reinstate:
                  title: Re-add the member as bank signer
                  evidence: [bank confirmation]
        """)
    code, out, err = suspend(cli, "--yes", "--json")
    run = json.loads(out)["run_id"]
    assert cli("confirm", run, "remove-signer", "--by", "Carol")[0] == 0
    code, out, err = cli("reinstate", "m042", "--yes", "--unsigned", "--json")
    assert code == 3, err  # the reverse waits on a person, as the step did
    waiting = json.loads(out)["manual"]
    assert waiting == [{"system": "bank", "step": "bank:undo:remove-signer", "title": "Re-add the member as bank signer",
                        "needs": "confirmation"}]


@pytest.mark.parametrize(("args", "message"), [
    (["--until", "2026-13-01"], "Error: --until '2026-13-01' is not a date: give the suspension's last day as "
                                "YYYY-MM-DD, e.g. "),
    (["--until", "2020-01-31"], "Error: --until 2020-01-31 has passed: give the suspension's last day, today ("),
    (["--until", LATER, "--reason", "  "], "Error: --reason is empty: say why the member is suspended, as the "
                                           "committee decided (the signed report records it)"),
])
def test_bad_terms_are_refused_before_anything_is_read(org, cli, args, message):
    full = [*args, "--reason", REASON] if "--reason" not in args else args
    code, _, err = cli("suspend", "m042", *full, "--playbook", "test", "--yes", "--unsigned")
    assert code != 0 and err.startswith(message) and err.count("\n") == 1, err
    assert "Traceback" not in err and org.fake.load()["writes"] == 0
    assert not (org.root / ".offboard" / "reports").exists() or reports(org) == []


def test_nothing_to_reinstate_without_a_suspension_on_record(org, cli):
    code, _, err = cli("reinstate", "m042", "--dry-run")
    assert code != 0
    assert err == ("Error: m042 has no suspension or expulsion in the ledger, so there is nothing to reinstate: check "
                   "the member id (offboard status MEMBER lists their runs)\n")


def test_a_reinstated_member_is_not_reinstated_twice(org, cli, suspended):
    assert cli("reinstate", "m042", "--yes", "--unsigned")[0] == 0
    code, _, err = cli("reinstate", "m042", "--yes", "--unsigned")
    assert code != 0
    assert err == ("Error: m042 was reinstated by report 000003 and has not been suspended or expelled since: there is "
                   "nothing to reinstate\n")


def test_a_ledger_that_does_not_verify_is_refused(org, cli, suspended):
    path = org.root / ".offboard" / "reports" / "000001-m042-suspend.json"
    path.write_text(path.read_text().replace(REASON, "nothing happened"))
    writes = org.fake.load()["writes"]
    code, _, err = cli("reinstate", "m042", "--yes", "--unsigned")
    assert code != 0 and err.startswith("Error: the ledger cannot be trusted, so nothing was read from it: ")
    assert org.fake.load()["writes"] == writes


def test_a_journal_that_does_not_match_the_signed_report_is_refused(org, cli, suspended):
    journal = Journal(org.root / ".offboard" / "journal.sqlite3")
    with journal._write() as db:  # someone edits the journal: a change the report does not record
        db.execute("UPDATE actions SET state = 'ok' WHERE action_id = 'fake:group:eng'")
    journal.close()
    code, _, err = cli("reinstate", "m042", "--dry-run")
    assert code != 0
    assert f"the journal's record of run {suspended['run_id']} does not match its signed report 000001" in err


def test_a_saved_reinstatement_is_applied_only_as_saved(org, cli, suspended, tmp_path):
    plan = tmp_path / "reinstate.json"
    assert cli("reinstate", "m042", "--save-plan", str(plan))[0] == 0
    assert json.loads(plan.read_text())["reverses"]["seq"] == 1
    edited = tmp_path / "edited.json"
    document = json.loads(plan.read_text())
    document["reverses"]["seq"] = 7
    edited.write_text(json.dumps(document))
    code, _, err = cli("apply", str(edited), "--yes", "--unsigned")
    assert code != 0 and "the plan's reverses is not the fresh plan's" in err
    assert sorted(access(org)) == []
    code, _, err = cli("apply", str(plan), "--yes", "--unsigned")
    assert code == 0, err
    assert sorted(access(org)) == sorted(set(BOB) - {"session"})


def test_reinstate_due_puts_back_the_members_whose_suspension_has_ended(org, cli, monkeypatch):
    today = date.today()
    code, _, err = cli("suspend", "m042", "--until", today.isoformat(), "--reason", REASON, "--playbook", "test",
                       "--yes", "--unsigned")
    assert code == 3, err
    code, out, _ = cli("reinstate", "--due", "--yes", "--unsigned")
    assert (code, out.strip()) == (0, "No suspension has ended: nobody to reinstate.")
    monkeypatch.setattr(offboard.clock, "today", lambda: today + timedelta(days=1))
    code, out, err = cli("reinstate", "--due", "--yes", "--unsigned")
    assert code == 0, err
    assert "Run " in out and "reinstate m042" in out
    assert sorted(access(org)) == sorted(set(BOB) - {"session"})
    assert cli("reinstate", "--due", "--yes", "--unsigned")[1].strip() == "No suspension has ended: nobody to reinstate."


@pytest.mark.parametrize(("args", "message"), [
    ([], "Error: give a MEMBER, or --due for every member whose suspension has ended (not both)\n"),
    (["m042", "--due"], "Error: give a MEMBER, or --due for every member whose suspension has ended (not both)\n"),
])
def test_reinstate_needs_a_member_or_due(org, cli, args, message):
    code, _, err = cli("reinstate", *args)
    assert (code != 0, err) == (True, message)


def test_the_steps_a_suspension_still_waits_on_are_closed_by_the_reinstatement(org, cli, suspended):
    run = suspended["run_id"]
    code, out, _ = cli("reinstate", "m042", "--yes", "--unsigned", "--json")
    assert code == 0
    reinstated = json.loads(out)["run_id"]
    _, detail, _ = cli("status", run, "--json")
    states = {a["id"]: (a["state"], a["detail"]) for a in json.loads(detail)["actions"]}
    assert states["bank:remove-signer"] == ("skipped", f"no longer needed: the member was reinstated by run {reinstated}")
    assert json.loads(detail)["status"] == "complete"
    assert reports(org) == ["000001-m042-suspend.json", "000002-m042-suspend.json", "000003-m042-reinstate.json"]


def test_a_step_done_before_a_reinstatement_is_asked_again_at_the_next_suspension(org, cli, suspended):
    run = suspended["run_id"]
    cli("confirm", run, "remove-signer", "--by", "Carol", "--reference", "case 1")
    assert cli("confirm", run, "remove-signer", "--by", "Dan")[0] == 0
    code, out, _ = cli("reinstate", "m042", "--yes", "--unsigned", "--json")
    assert code == 3  # the signer is re-added by people
    undo = json.loads(out)["run_id"]
    cli("confirm", undo, "undo:remove-signer", "--by", "Carol")
    cli("confirm", undo, "undo:remove-signer", "--by", "Dan")
    code, out, err = suspend(cli, "--yes", "--json")
    assert code == 3, err
    assert [m["step"] for m in json.loads(out)["manual"]] == ["bank:remove-signer"]  # not closed by the first one


def test_a_failed_suspension_reversed_by_a_reinstatement_is_not_resumed_into_a_new_suspension(org, cli):
    with org.fake.edit() as state:
        state["faults"]["fake:group:eng"] = ["fatal"]
    code, out, _ = suspend(cli, "--yes", "--json")
    assert code == 2
    run = json.loads(out)["run_id"]
    assert cli("reinstate", "m042", "--yes", "--unsigned")[0] == 0
    writes = org.fake.load()["writes"]
    code, out, _ = cli("resume", run)
    assert code == 0 and "Nothing to resume" in out
    assert org.fake.load()["writes"] == writes
    _, detail, _ = cli("status", run, "--json")
    assert {a["id"]: a["state"] for a in json.loads(detail)["actions"]}["fake:group:eng"] == "skipped"
    assert reports(org)[-1].endswith("-m042-reinstate.json")  # nothing after the reinstatement reads as a suspension


def test_a_new_suspension_closes_what_the_reinstatement_still_waited_on(org, cli, suspended):
    run = suspended["run_id"]
    cli("confirm", run, "remove-signer", "--by", "Carol", "--reference", "case 1")
    cli("confirm", run, "remove-signer", "--by", "Dan")
    code, out, _ = cli("reinstate", "m042", "--yes", "--unsigned", "--json")
    undo = json.loads(out)["run_id"]
    assert code == 3  # "Undo: Remove the member as signer" waits on people
    assert suspend(cli, "--yes")[0] == 3
    _, detail, _ = cli("status", undo, "--json")
    states = {a["id"]: (a["state"], a["detail"]) for a in json.loads(detail)["actions"]}
    assert states["bank:undo:remove-signer"][0] == "skipped"
    assert states["bank:undo:remove-signer"][1].startswith("no longer needed: the member was revoked again by run ")


def test_a_step_under_the_same_id_but_another_text_is_asked_again(org, cli, suspended):
    run = suspended["run_id"]
    cli("confirm", run, "remove-signer", "--by", "Carol", "--reference", "case 1")
    cli("confirm", run, "remove-signer", "--by", "Dan")
    org.write("playbooks/other.yaml", PLAYBOOK_OTHER)
    code, out, _ = cli("expel", "m042", "--playbook", "other", "--yes", "--unsigned", "--json")
    assert code == 3  # the expulsion's step asks for more than the suspension's did: not closed by it
    assert [m["step"] for m in json.loads(out)["manual"]] == ["bank:remove-signer"]


PLAYBOOK_OTHER = """\
name: other
steps:
  - connector: fake
  - connector: manual
    system: bank
    steps:
      - id: remove-signer
        title: Remove the member as signer and close their cards
"""


def test_reinstate_due_leaves_an_unfinished_run_to_a_person(org, cli, monkeypatch):
    today = date.today()
    assert cli("suspend", "m042", "--until", today.isoformat(), "--reason", REASON, "--playbook", "test", "--yes",
               "--unsigned")[0] == 3
    journal = Journal(org.root / ".offboard" / "journal.sqlite3")
    run = journal.runs(limit=1)[0].id
    journal.mark_intent(run, "fake", "fake:group:eng")  # as if a later resume of it had been killed
    journal.close()
    monkeypatch.setattr(offboard.clock, "today", lambda: today + timedelta(days=1))
    writes = org.fake.load()["writes"]
    code, _, err = cli("reinstate", "--due", "--yes", "--unsigned")
    assert code == 1
    assert f"m042 (suspended until {today.isoformat()}) was not reinstated: run {run} for m042 is unfinished: " in err
    assert org.fake.load()["writes"] == writes
