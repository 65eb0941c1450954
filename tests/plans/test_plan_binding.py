"""A saved plan is bound to what was reviewed: edits of any kind are refused, and the fresh plan is what runs."""

from __future__ import annotations

import json
import shutil
import stat

import pytest
import rfc8785

from offboard.plans.plan import Plan

REPLAN = "Plan again with: offboard expel m042 --save-plan plan.json\n"


def save(org, cli) -> dict:
    code, _, err = cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    assert (code, err) == (0, "")
    return json.loads((org.root / "plan.json").read_text())


def rewrite(org, document: dict) -> None:
    (org.root / "plan.json").write_text(json.dumps(document))


def action(document: dict, action_id: str) -> dict:
    return next(a for s in document["systems"] for a in s["actions"] if a["id"] == action_id)


def apply(cli) -> tuple[int, str, str]:
    return cli("apply", "plan.json", "--yes", "--unsigned")


def test_an_action_retargeted_at_another_account_is_refused_and_nobody_is_touched(org, cli):
    plan = save(org, cli)
    action(plan, "fake:suspend")["account"]["id"] = "alice@example.org"
    rewrite(org, plan)
    code, out, err = apply(cli)
    assert (code, out) == (1, "")
    assert err == ("Error: the plan in plan.json is not what the systems show now, nothing was applied: fake: Suspend the "
                   "account: account differ from a fresh plan. " + REPLAN)
    assert org.fake.writes == 0


def test_a_changed_param_is_refused(org, cli):
    plan = save(org, cli)
    action(plan, "fake:group:eng")["params"]["item"] = "group:all"
    rewrite(org, plan)
    code, _, err = apply(cli)
    assert code == 1 and "fake: Remove from eng: params differ from a fresh plan" in err
    assert org.fake.writes == 0


def test_a_second_entry_for_a_system_is_refused(org, cli):
    plan = save(org, cli)
    extra = json.loads(json.dumps(plan["systems"][0]))
    extra["actions"] = [action(plan, "fake:suspend")]
    plan["systems"].append(extra)
    rewrite(org, plan)
    code, _, err = apply(cli)
    assert (code, err) == (1, "Error: plan file plan.json was not written by offboard (system fake appears 2 times): "
                              "nothing was applied; plan again with --save-plan\n")
    assert org.fake.writes == 0


def test_a_duplicate_action_id_is_refused(org, cli):
    plan = save(org, cli)
    plan["systems"][0]["actions"].append(action(plan, "fake:suspend"))
    rewrite(org, plan)
    code, _, err = apply(cli)
    assert code == 1 and "(action fake:suspend appears 2 times in fake)" in err
    assert org.fake.writes == 0


def test_a_kind_apply_does_not_take_is_refused(org, cli):
    plan = save(org, cli)
    plan["kind"] = "audit"
    rewrite(org, plan)
    code, _, err = apply(cli)
    assert (code, err) == (1, "Error: plan.json is a plan of kind 'audit'; `offboard apply` applies expel, suspend "
                              "and reinstate plans: nothing was applied\n")
    assert org.fake.writes == 0


def test_an_expulsion_turned_into_a_suspension_is_refused(org, cli):
    plan = save(org, cli)
    plan["kind"] = "suspend"
    rewrite(org, plan)
    code, _, err = apply(cli)
    assert code == 1 and err.startswith("Error: plan.json is a suspension whose terms do not hold (until '' is not a "
                                        "date: give the suspension's last day as YYYY-MM-DD")
    assert org.fake.writes == 0


def test_an_expulsion_turned_into_a_reinstatement_is_refused(org, cli):
    plan = save(org, cli)
    plan["kind"] = "reinstate"
    rewrite(org, plan)
    code, _, err = apply(cli)
    assert (code, err) == (1, "Error: m042 has no suspension or expulsion in the ledger, so there is nothing to "
                              "reinstate: check the member id (offboard status MEMBER lists their runs)\n")
    assert org.fake.writes == 0


def test_a_roster_entry_changed_since_the_plan_is_refused(org, cli):
    save(org, cli)
    roster = (org.root / "roster.csv").read_text().replace("Bob Example,bob@example.org", "Bob Renamed,bob@example.org")
    org.write("roster.csv", roster)
    code, _, err = apply(cli)
    assert code == 1 and "the roster entry of m042 is not the one in the plan (name differ)" in err
    assert org.fake.writes == 0


def test_a_playbook_edited_since_the_plan_is_refused(org, cli):
    save(org, cli)
    org.write("playbooks/test.yaml", (org.root / "playbooks" / "test.yaml").read_text() + "# edited\n")
    code, _, err = apply(cli)
    assert code == 1 and "the playbook test is not the one the plan was made with (sha256 differ)" in err
    assert org.fake.writes == 0


def test_the_refusal_names_the_differences_of_a_small_plan_all(org, cli):
    plan = save(org, cli)
    for item in plan["systems"][0]["actions"]:
        item["summary"] = "edited"
    rewrite(org, plan)
    _, _, err = apply(cli)
    assert err.count("differ from a fresh plan") == 5 and "more" not in err  # at most five, then "and N more"


def test_a_plan_saved_on_one_clone_applies_on_another(org, cli, tmp_path, monkeypatch):
    save(org, cli)
    text = (org.root / "plan.json").read_text()
    assert str(org.root) not in text  # no path of this machine in the plan
    other = tmp_path.parent / (tmp_path.name + "-clone")
    shutil.copytree(org.root, other, ignore=shutil.ignore_patterns(".offboard"))
    monkeypatch.chdir(other)
    code, out, err = cli("apply", "plan.json", "--yes", "--unsigned", "--config", str(other / "offboard.toml"))
    assert (code, err) == (3, "")
    assert "Plan: expel m042 Bob Example <bob@example.org>" in out


def test_the_plan_file_is_private_and_its_digest_is_sha256_of_its_rfc8785_bytes(org, cli):
    save(org, cli)
    path = org.root / "plan.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    import hashlib

    expected = "sha256:" + hashlib.sha256(rfc8785.dumps(json.loads(path.read_text()))).hexdigest()
    assert Plan.load(path).digest == expected


@pytest.mark.parametrize("field", ["org", "member"])
def test_edited_org_or_member_fields_are_refused(org, cli, field):
    plan = save(org, cli)
    plan[field]["name"] = "Someone Else"
    rewrite(org, plan)
    code, _, err = apply(cli)
    assert code == 1 and "differ)" in err and org.fake.writes == 0


def test_a_saved_plan_is_recorded_in_the_journal_by_its_digest(org, cli):
    save(org, cli)
    plan = Plan.load(org.root / "plan.json")
    from offboard.apply.journal import Journal

    journal = Journal(org.root / ".offboard" / "journal.sqlite3")
    assert journal.saved_plans(plan.digest) == [plan.to_dict()]
    journal.close()
