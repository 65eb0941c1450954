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


def run_until(org, condition) -> None:
    """Start `offboard expel` in a subprocess and SIGKILL it once ``condition()`` holds."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.drive_cli", "expel", "m042", "--playbook", "test", "--yes", "--unsigned"],
        cwd=org.root, env=environ_for_subprocess(org.root), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        for _ in range(400):  # up to 20 s
            if condition():
                break
            try:
                proc.wait(timeout=0.05)
                pytest.fail(f"the run ended before it could be killed: {proc.stderr.read().decode()}")
            except subprocess.TimeoutExpired:
                pass
        else:
            pytest.fail("the run never reached the point to kill it at")
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
    run_until(org, lambda: journal_states(org).get("fake:group:eng") == "intent")
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
    assert err.startswith("An interrupted run ") and err.endswith(" for m042 is unfinished; resuming it.\n")
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
