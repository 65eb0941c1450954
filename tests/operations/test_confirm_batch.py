"""Several manual steps confirmed at once: checked together, recorded together, one report."""

from __future__ import annotations

import json

import pytest

from offboard import operations
from offboard.errors import OffboardError

PLAYBOOK = """\
name: test
steps:
  - connector: fake
  - connector: manual
    system: social
    steps:
      - id: x
        title: Remove the member from X delegates
      - id: youtube
        title: Remove the member from the YouTube channel
      - id: instagram
        title: Rotate the Instagram login
        evidence: [date of the change]
"""


@pytest.fixture
def run_id(org, cli) -> str:
    org.write("playbooks/test.yaml", PLAYBOOK)
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    assert code == 3
    return json.loads(out)["run_id"]


def reports(org) -> list[str]:
    return sorted(p.name for p in (org.root / ".offboard" / "reports").glob("*.json"))


def test_three_steps_confirmed_together_issue_one_report(org, run_id):
    before = reports(org)
    request = operations.ConfirmRequest("x", "Dana", reference="2026-11-29", also=("youtube", "instagram"))
    with operations.Session.open(str(org.root / "offboard.toml")) as session:
        done = operations.confirm(session, run_id, request)
    assert [(row.action.id, closed) for row, closed in done.steps] == [
        ("social:x", True), ("social:youtube", True), ("social:instagram", True)]
    assert done.summary.status.value == "complete"
    assert len(reports(org)) == len(before) + 1


def test_one_refused_step_records_none_of_the_batch(org, run_id):
    request = operations.ConfirmRequest("x", "Dana", also=("youtube", "instagram"))  # instagram needs evidence
    with operations.Session.open(str(org.root / "offboard.toml")) as session:
        with pytest.raises(OffboardError, match="step social:instagram needs evidence"):
            operations.confirm(session, run_id, request)
        assert session.journal.confirmations(run_id) == []
    request = operations.ConfirmRequest("x", "Dana", also=("social:x",))
    with (operations.Session.open(str(org.root / "offboard.toml")) as session,
          pytest.raises(OffboardError, match="step social:x is named twice: name each step once")):
        operations.confirm(session, run_id, request)


def test_the_command_takes_several_steps_and_says_so_once(org, cli, run_id):
    before = reports(org)
    code, out, err = cli("confirm", run_id, "x", "youtube", "social:instagram", "--by", "Dana", "--reference", "29 Nov")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:4] == ["Recorded: social:x is closed.", "Recorded: social:youtube is closed.",
                         "Recorded: social:instagram is closed.", f"Run {run_id} is now complete."]
    assert lines[4].startswith("Report: ") and len(lines) == 5
    assert len(reports(org)) == len(before) + 1
