"""A run killed with SIGKILL at the worst moments resumes to the same end, each side effect once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from offboard.apply.journal import ActionRow, Journal
from offboard.spi import State
from tests.conftest import environ_for_subprocess

EVERY_EFFECT = ["fake:group:all", "fake:group:board", "fake:group:eng", "fake:session", "fake:suspend"]


def start(org, **environ: str) -> subprocess.Popen:
    """`offboard expel m042 --yes` in a subprocess, as a person would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.drive_cli", "expel", "m042", "--playbook", "test", "--yes", "--unsigned"],
        cwd=org.root, env={**environ_for_subprocess(org.root), **environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def wait_for(proc: subprocess.Popen, condition) -> None:
    for _ in range(400):  # up to 20 s
        if condition():
            return
        try:
            proc.wait(timeout=0.05)
            pytest.fail(f"the run ended before the moment it was waited for: {proc.stderr.read().decode()}")
        except subprocess.TimeoutExpired:
            pass
    pytest.fail("the run never reached the moment it was waited for")


def run_until(org, condition, **environ: str) -> None:
    """Start `offboard expel` in a subprocess and SIGKILL it once ``condition()`` holds."""
    proc = start(org, **environ)
    try:
        wait_for(proc, condition)
    finally:
        proc.kill()
        proc.wait()


def journal_rows(org) -> dict[str, ActionRow]:
    """The latest run's actions, read from the journal the killed process left."""
    path = org.root / ".offboard" / "journal.sqlite3"
    if not path.exists():
        return {}
    journal = Journal(path)
    try:
        runs = journal.runs(limit=1)
        return {r.action.id: r for r in journal.actions(runs[0].id)} if runs else {}
    finally:
        journal.close()


def journal_states(org) -> dict[str, str]:
    return {action_id: row.state for action_id, row in journal_rows(org).items()}


def test_killed_after_the_side_effect_is_rechecked_not_repeated(org, cli):
    org.fake.fault("fake:suspend", "hang-after")
    run_until(org, lambda: "fake:suspend" in org.fake.effects)
    assert journal_states(org)["fake:suspend"] == "intent"

    code, _out, err = cli("resume")
    assert code == 3, err
    assert sorted(org.fake.effects) == EVERY_EFFECT
    suspend = journal_rows(org)["fake:suspend"]
    assert (suspend.state, suspend.detail) == (State.OK, "found done when the run was resumed")


def test_killed_between_intent_and_side_effect_is_applied_once_on_resume(org, cli):
    org.fake.fault("fake:group:eng", "hang-before")
    # killed once the fake took its fault: the intent is journaled before apply is called, so waiting for it alone
    # could kill the run before the fault was taken, and the resume would hang on it instead
    run_until(org, lambda: journal_states(org).get("fake:group:eng") == "intent"
              and not org.fake.load()["faults"].get("fake:group:eng"))
    assert "fake:group:eng" not in org.fake.effects

    code, _, err = cli("resume")
    assert code == 3, err
    assert sorted(org.fake.effects) == EVERY_EFFECT
    assert journal_states(org)["fake:group:eng"] == "changed"


def test_expel_again_offers_to_resume_the_interrupted_run(org, cli):
    org.fake.fault("fake:suspend", "hang-after")
    run_until(org, lambda: "fake:suspend" in org.fake.effects)

    code, _, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert code == 3
    assert err.startswith("Run ") and err.endswith(" for m042 is unfinished (interrupted); finishing it instead of starting again.\n")
    assert sorted(org.fake.effects) == EVERY_EFFECT
    journal = Journal(org.root / ".offboard" / "journal.sqlite3")
    assert len(journal.runs()) == 1  # resumed, not started again
    journal.close()


def test_resume_with_nothing_interrupted_changes_nothing(org, cli):
    assert cli("resume") == (0, "Nothing to resume: no run was interrupted. See the runs with: offboard status\n", "")
    _, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    run_id = json.loads(out)["run_id"]
    assert cli("resume", run_id) == (3, f"Nothing to resume: run {run_id} was not interrupted (it is incomplete).\n", "")
    assert len(list((org.root / ".offboard" / "reports").glob("*.json"))) == 1  # no new report


def test_killed_after_its_last_action_but_before_its_report_is_resumed_to_the_report(org, cli):
    def all_done() -> bool:
        rows = journal_rows(org)
        return len(rows) == 6 and all(isinstance(r.state, State) for r in rows.values())

    run_until(org, all_done, OFFBOARD_TEST_HANG_BEFORE_REPORT="1")
    reports = org.root / ".offboard" / "reports"
    assert not list(reports.glob("*.json"))
    code, out, err = cli("status")
    assert "interrupted" in out
    code, out, err = cli("resume")
    assert (code, err) == (3, "")  # waiting on the bank's manual step, as the run itself would
    assert [p.name for p in reports.glob("*.json")] == ["000001-m042-expel.json"]
    assert sorted(org.fake.effects) == EVERY_EFFECT


def test_a_failed_run_is_finished_by_resume_retrying_what_failed_after_a_look(org, cli):
    org.fake.fault("fake:group:eng", "fatal")
    code, _, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert code == 2
    run_id = Journal(org.root / ".offboard" / "journal.sqlite3").runs()[0].id
    code, out, err = cli("resume", run_id)
    assert (code, err) == (3, "")
    assert "Status: INCOMPLETE." in out
    assert org.fake.effects.count("fake:group:eng") == 1
    assert journal_rows(org)["fake:group:eng"].state is State.CHANGED
