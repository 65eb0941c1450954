"""What the committee decided is what runs: `apply` needs the quorum, a direct run is refused, an emergency is flagged."""

from __future__ import annotations

import json

from offboard.plans.plan import Plan
from tests.approvals.conftest import key_of


def approve(cli, keys, name, *extra, plan="plan.json"):
    return cli("approve", plan, "--key", key_of(keys, name), "--yes", *extra)


def reports(org) -> list[str]:
    folder = org.root / ".offboard" / "reports"
    return sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []


def test_apply_runs_an_approved_plan_and_its_report_records_the_approvals(approving, cli, keys):
    approve(cli, keys, "alice", "--decision", "minutes of 2026-11-28, item 4")
    approve(cli, keys, "bob")
    code, _, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert code == 3, err  # the bank step waits on people
    assert approving.fake.writes > 0
    document = json.loads((approving.root / ".offboard" / "reports" / reports(approving)[0]).read_text())
    approvals = document["approvals"]
    assert approvals["digest"] == Plan.load(approving.root / "plan.json").digest
    assert [(a["principal"], a["fingerprint"]) for a in approvals["approved"]] == [
        ("alice@example.org", keys["alice"].fingerprint), ("bob@example.org", keys["bob"].fingerprint)]
    assert approvals["approved"][0]["decision"] == "minutes of 2026-11-28, item 4"
    assert (approvals["required"], approvals["missing"], "emergency" in approvals) == (2, 0, False)
    markdown = (approving.root / ".offboard" / "reports" / reports(approving)[0].replace(".json", ".md")).read_text()
    assert "2 of 2 required approvals" in markdown and "alice@example.org, key SHA256:" in markdown


def test_apply_short_of_the_quorum_changes_nothing(approving, cli, keys):
    approve(cli, keys, "alice")
    code, out, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: plan.json needs 2 distinct approvers and has 1 (alice@example.org "
                          f"({keys['alice'].fingerprint})): 1 more approval needed, so nothing is applied.")
    assert approving.fake.writes == 0 and reports(approving) == []


def test_an_approved_plan_edited_afterwards_is_not_applied(approving, cli, keys):
    approve(cli, keys, "alice")
    approve(cli, keys, "bob")
    plan = json.loads((approving.root / "plan.json").read_text())
    plan["systems"] = [s for s in plan["systems"] if s["system"] != "bank"]  # leave the bank step out
    (approving.root / "plan.json").write_text(json.dumps(plan))
    code, _, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert code == 1 and "has 0 (nobody yet): 2 more approvals needed" in err and "2 approval files did not count" in err
    assert approving.fake.writes == 0


def test_a_direct_run_is_refused_with_the_commands_to_run_instead(approving, cli):
    code, out, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert (code, out) == (1, "")
    assert err == ("Error: [approvals] requires 2 approvers for an expulsion, so it is not applied directly: save the plan "
                   "with `offboard expel m042 --save-plan m042-expel.json`, have 2 approvers run `offboard approve "
                   "m042-expel.json --key PATH|agent`, then run `offboard apply m042-expel.json`\n")
    assert approving.fake.writes == 0
    code, _, err = cli("suspend", "m042", "--until", "2099-01-31", "--reason", "probation", "--playbook", "test",
                       "--yes", "--unsigned")
    assert code == 1 and "`offboard suspend m042 --until DATE --reason TEXT --save-plan m042-suspend.json`" in err
    assert cli("expel", "m042", "--playbook", "test", "--dry-run")[0] == 0  # looking is always allowed


def test_an_emergency_needs_the_org_to_allow_it(approving, cli, keys):
    approve(cli, keys, "alice")
    code, _, err = cli("apply", "plan.json", "--yes", "--unsigned", "--emergency", "--reason", "threats to members")
    assert (code, err) == (1, "Error: offboard.toml does not allow emergency runs: gather the 2 approvals, or set "
                              "[approvals] emergency = true if the committee agreed to allow them\n")
    code, _, err = cli("apply", "plan.json", "--yes", "--emergency")
    assert (code, err) == (1, "Error: --emergency and --reason TEXT go together: say why the run cannot wait for every "
                              "approval\n")
    assert approving.fake.writes == 0


def allow_emergencies(org) -> None:
    config = org.root / "offboard.toml"
    config.write_text(config.read_text().replace("required = 2\n", "required = 2\nemergency = true\n"))


def test_an_emergency_run_is_flagged_until_its_approvals_are_added(approving, cli, keys):
    allow_emergencies(approving)
    code, _, err = cli("apply", "plan.json", "--yes", "--unsigned", "--emergency", "--reason", "threats to members")
    assert code == 1 and "an emergency run needs 1 approver and has 0 (nobody yet)" in err
    approve(cli, keys, "alice")
    code, out, err = cli("apply", "plan.json", "--yes", "--unsigned", "--emergency", "--reason", "threats to members",
                         "--json")
    assert code == 3, err
    run = json.loads(out)["run_id"]
    document = json.loads((approving.root / ".offboard" / "reports" / reports(approving)[-1]).read_text())
    assert document["approvals"]["emergency"] == {"reason": "threats to members", "by": "carol"}
    assert document["approvals"]["missing"] == 1

    code, out, _ = cli("audit", "--unsigned", "--json")
    flagged = [f for f in json.loads(out)["findings"] if f["situation"] == "emergency-run"]
    assert flagged == [{"situation": "emergency-run", "severity": "high", "system": "ledger", "account": "",
                        "member": "m042", "name": "Bob Example",
                        "detail": f"run {run} (report 000001) was applied in an emergency (threats to members) with 1 "
                                  f"approval(s), 1 short: each missing approver runs `offboard approve --run {run}`"}]

    code, out, err = cli("approve", "--run", run, "--key", key_of(keys, "bob"), "--yes")
    assert code == 0, err
    latest = json.loads((approving.root / ".offboard" / "reports" / reports(approving)[-1]).read_text())
    assert latest["run_id"] == run and latest["approvals"]["missing"] == 0
    code, out, _ = cli("audit", "--unsigned", "--json")
    assert not [f for f in json.loads(out)["findings"] if f["situation"] == "emergency-run"]


def test_approve_run_is_only_for_emergency_runs(approving, cli, keys):
    approve(cli, keys, "alice")
    approve(cli, keys, "bob")
    code, out, _ = cli("apply", "plan.json", "--yes", "--unsigned", "--json")
    run = json.loads(out)["run_id"]
    code, _, err = cli("approve", "--run", run, "--key", key_of(keys, "dana"), "--yes")
    assert (code, err) == (1, f"Error: run {run} was not applied in an emergency, so it needs no approval afterwards: "
                              "approve a saved plan with `offboard approve FILE`\n")
    code, _, err = cli("approve", "plan.json", "--run", run)
    assert (code, err) == (1, "Error: give the plan FILE to approve, or --run RUN_ID for an emergency run (not both)\n")


def test_audit_fix_does_not_act_on_the_roster_alone_where_approvals_are_required(approving, cli):
    roster = (approving.root / "roster.csv").read_text().replace("bob@home.test,active", "bob@home.test,expelled")
    approving.write("roster.csv", roster)
    code, out, err = cli("audit", "--fix", "--yes", "--unsigned", "--playbook", "test")
    assert code == 2  # a member that could not be fixed
    assert "m042 is expelled by the roster only, and [approvals] requires approved plans" in out + err
    assert approving.fake.writes == 0


def test_an_emergency_run_reversed_since_takes_no_late_approval(approving, cli, keys):
    allow_emergencies(approving)
    code, _, err = cli("suspend", "m042", "--until", "2099-01-31", "--reason", "threats", "--playbook", "test",
                       "--save-plan", "suspend.json")
    assert code == 0, err
    approve(cli, keys, "alice", plan="suspend.json")
    code, out, err = cli("apply", "suspend.json", "--yes", "--unsigned", "--emergency", "--reason", "threats", "--json")
    run = json.loads(out)["run_id"]
    assert cli("reinstate", "m042", "--save-plan", "back.json")[0] == 0
    approve(cli, keys, "alice", plan="back.json")
    approve(cli, keys, "bob", plan="back.json")
    assert cli("apply", "back.json", "--yes", "--unsigned")[0] == 0
    code, _, err = cli("approve", "--run", run, "--key", key_of(keys, "bob"), "--yes")
    assert code == 1 and err.startswith(f"Error: run {run} was reversed since by run ")
    assert reports(approving)[-1].endswith("-m042-reinstate.json")


def test_systems_read_only_on_resume_need_a_new_approved_plan(approving, cli, keys):
    with approving.fake.edit() as state:
        state["faults"]["resolve"] = ["auth", "auth"]  # unreadable when the plan is saved and when it is applied
    code, _, err = cli("expel", "m042", "--playbook", "test", "--save-plan", "partial.json")
    approve(cli, keys, "alice", plan="partial.json")
    approve(cli, keys, "bob", plan="partial.json")
    code, out, err = cli("apply", "partial.json", "--yes", "--unsigned", "--partial", "--json")
    assert code == 2, (out, err)
    run = json.loads(out)["run_id"]
    assert approving.fake.writes == 0
    code, _, err = cli("resume", run, "--yes")
    assert code == 1 and "[approvals] requires approved plans: what is found there now was approved by nobody" in err
    assert approving.fake.writes == 0
