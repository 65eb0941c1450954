"""`offboard expel A B`: several members planned together, shown as one plan, confirmed once, everyone cut first,
a run and a signed report each; refused as a whole, before anything is read or changed, when it cannot be."""

from __future__ import annotations

import json
import re

from offboard.apply.journal import Journal


def runs(org) -> list:
    journal = Journal(org.root / ".offboard" / "journal.sqlite3")
    try:
        return [(run, journal.actions(run.id), journal.reports(run.id)) for run in journal.runs(limit=10)]
    finally:
        journal.close()


def test_two_members_are_shown_as_one_plan_and_confirmed_once(org, cli, typed):
    asked = typed("m001 m042")
    code, out, err = cli("expel", "m042", "m001", "--playbook", "test", "--unsigned")
    assert asked == ["Type the 2 member ids (m042 m001) to apply these 10 actions to all of them, or press Enter to "
                     "cancel"]
    assert code == 3, err  # both wait on the bank's manual step
    assert out.index("Plan: expel m042 Bob Example") < out.index("Plan: expel m001 Alice Admin")
    assert "\nTogether, 2 members: 8 changes (2 cannot be undone), 2 steps for a person.\n" in out
    assert out.endswith("\nTogether, 2 members: 8 changed, 0 failed, 2 waiting on a person.\n")
    assert {(run.member_id, run.kind) for run, _, _ in runs(org)} == {("m042", "expel"), ("m001", "expel")}
    assert all(len(reports) == 1 for _, _, reports in runs(org))  # a signed report each
    assert org.fake.load()["users"]["alice@example.org"]["access"] == []
    assert org.fake.load()["users"]["bob@example.org"]["access"] == []


def test_everyones_cut_goes_before_anyones_clean_up(org, cli, monkeypatch):
    """One request at a time, so that the order sent is the order chosen: both members' sign-out and suspension,
    then the groups. (One member after the other, Alice's sign-out would wait behind Bob's three groups.)"""
    from tests.fakes import FakeConnector

    monkeypatch.setattr(FakeConnector, "max_concurrency", 1)
    code, _, err = cli("expel", "m042", "m001", "--playbook", "test", "--unsigned", "--yes")
    assert code == 3, err
    assert sorted(org.fake.applied[:4]) == ["fake:session", "fake:session", "fake:suspend", "fake:suspend"]
    assert sorted(org.fake.applied[4:]) == ["fake:group:all", "fake:group:all", "fake:group:board", "fake:group:eng"]


def test_a_wrong_answer_changes_nothing_for_anyone(org, cli, typed):
    typed("m042")  # one of the two
    code, _, err = cli("expel", "m042", "m001", "--playbook", "test", "--unsigned")
    assert (code, err.splitlines()[-1]) == (1, "Aborted: nothing was changed.")
    assert org.fake.writes == 0 and runs(org) == []


def test_refusals_come_before_anything_is_read_or_written(org, cli):
    for args, error in [
        (("m042", "m001", "--save-plan", "p.json"),
         "Error: --save-plan saves one member's plan: save each member's with its own command (offboard expel MEMBER "
         "--save-plan FILE), or leave it out to apply them together"),
        (("m042", "bob@example.org", "--yes", "--unsigned"),
         "Error: bob@example.org names m042, who is already in the list: give each member once"),
        (("m042", "m999", "--yes", "--unsigned"), None),
    ]:
        code, out, err = cli("expel", *args, "--playbook", "test")
        assert code == 1 and err.startswith("Error: ") and len(err.splitlines()) == 1, (args, err)
        assert error is None or err.strip() == error
        assert out == ""
    assert org.fake.writes == 0 and org.fake.applied == [] and runs(org) == []
    assert not (org.root / "p.json").exists()


def test_an_unfinished_run_of_one_member_stops_them_all(org, cli):
    from offboard.apply.runs import start_run
    from offboard.operations import Session
    from offboard.plans.discovery import build_plan

    with Session.open(str(org.root / "offboard.toml")) as session:  # a run journaled, never executed: as if killed
        book = session.playbook("test")
        plan = build_plan("expel", session.org, session.member("m001"), book, session.connectors_for(book),
                          session.retry)
        unfinished = start_run(session.journal, plan, "carol")
    code, out, err = cli("expel", "m042", "m001", "--playbook", "test", "--yes", "--unsigned")
    assert (code, out, err) == (1, "", f"Error: run {unfinished} for m001 is unfinished: finish it first with `offboard "
                                       f"resume {unfinished}`; nothing was changed\n")
    assert org.fake.writes == 0


def test_a_dry_run_of_several_is_one_json_document(org, cli):
    code, out, _ = cli("expel", "m042", "m001", "--playbook", "test", "--dry-run", "--json")
    document = json.loads(out)
    assert (code, document["kind"], document["runs"]) == (0, "together", [])
    assert [p["plan"]["member"]["id"] for p in document["plans"]] == ["m042", "m001"]
    assert org.fake.writes == 0


def test_applied_the_json_document_holds_each_run(org, cli):
    code, out, _ = cli("expel", "m042", "m001", "--playbook", "test", "--yes", "--unsigned", "--json")
    document = json.loads(out)
    assert (code, document["kind"], document["exit_code"]) == (3, "together", 3)
    assert [(r["member"]["id"], r["status"]) for r in document["runs"]] == [("m042", "incomplete"),
                                                                          ("m001", "incomplete")]


def test_several_members_are_suspended_on_the_same_terms(org, cli):
    code, out, err = cli("suspend", "m042", "m001", "--until", "2099-01-31", "--reason", "CC, item 4", "--playbook",
                         "test", "--yes", "--unsigned", "--json")
    document = json.loads(out)
    assert code == 3, err
    assert {r["run_kind"] for r in document["runs"]} == {"suspend"}
    assert [p["plan"]["suspension"] for p in document["plans"]] == [{"until": "2099-01-31", "reason": "CC, item 4"}] * 2


def test_killed_while_applying_several_members_each_run_resumes_to_its_end(org, cli):
    """SIGKILL after one member's suspension took effect: both runs are left interrupted, and the error names
    each; resuming each re-checks what was in flight and sends nothing twice."""
    import subprocess
    import sys

    from tests.apply.test_crash_resume import wait_for
    from tests.conftest import environ_for_subprocess

    org.fake.fault("fake:suspend", "hang-after")  # the first member's suspension hangs once done
    proc = subprocess.Popen([sys.executable, "-m", "tests.drive_cli", "expel", "m042", "m001", "--playbook", "test",
                             "--yes", "--unsigned"], cwd=org.root, env=environ_for_subprocess(org.root),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(proc, lambda: "fake:suspend" in org.fake.effects)
    finally:
        proc.kill()
        proc.wait()
    code, _, err = cli("expel", "m042", "m001", "--playbook", "test", "--yes", "--unsigned")
    assert code == 1 and "is unfinished: finish it first with `offboard resume " in err
    killed = [run for run, _, _ in runs(org)]
    assert len(killed) == 2
    for run in killed:
        code, _, err = cli("resume", run.id)
        assert code == 3, err  # each waits on the bank's step only
    bob = ["fake:session", "fake:suspend", "fake:group:eng", "fake:group:board", "fake:group:all"]
    alice = ["fake:session", "fake:suspend", "fake:group:all"]
    assert sorted(org.fake.effects) == sorted(bob + alice)  # each once
    assert all(len(reports) == 1 for _, _, reports in runs(org))


def test_a_system_one_member_could_not_be_read_for_stops_them_all_and_says_whose(org, cli):
    org.fake.fault("resolve", "auth")  # the first member read finds the token missing
    code, out, err = cli("expel", "m042", "m001", "--playbook", "test", "--yes", "--unsigned")
    assert code == 1 and len(err.splitlines()) == 1 and "could not be read" in out  # shown in the plans above
    assert re.match(r"Error: m0(42|01): fake could not be read: .*FAKE_TOKEN.*, so nothing was changed", err)
    assert org.fake.writes == 0 and runs(org) == []
