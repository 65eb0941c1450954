"""Suspensions in the audit, as people and scripts see it: one that has ended, and access after a reinstatement.

The reports are written to the ledger as ``offboard suspend`` and ``offboard reinstate`` write them
(unsigned here); the day is set through ``offboard.clock.today``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from offboard import clock
from offboard.report.ledger import FORMAT, Ledger
from tests.audit.conftest import UNSIGNED

ENDED = """\
Audit: 2 accounts (fake 2), 1 linked to active members, 1 findings, 0 exceptions.

SITUATION         SYSTEM  ACCOUNT  MEMBER            DETAIL
suspension-ended  ledger  -        m042 Bob Example  suspended 2026-10-01 until 2026-12-31 (report 000001); the suspension has ended: reinstate with `offboard reinstate m042`, or extend it with a new `offboard suspend`

Findings: 1 suspension-ended.
Report: {root}/.offboard/reports/000002-org-audit.json
"""

OUTDATED = """\
Audit: 2 accounts (fake 2), 2 linked to active members, 1 findings, 0 exceptions.

SITUATION        SYSTEM  ACCOUNT  MEMBER            DETAIL
roster-outdated  roster  -        m042 Bob Example  the ledger records m042 reinstated on 2027-01-06 (report 000003), but the roster says suspended: set their status to active

Findings: 1 roster-outdated.
Report: {root}/.offboard/reports/000004-org-audit.json
"""


def run_report(kind: str, run_id: str, finished: str, **terms: Any) -> dict[str, Any]:
    """Bob's report of a run, as ``build_document`` writes it (no system touched, for brevity)."""
    return {"format": FORMAT, "kind": kind, "run_id": run_id, "org": {"name": "Example Org", "domain": "example.org"},
            "member": {"id": "m042", "name": "Bob Example"}, "playbook": {"name": kind, "sha256": "0" * 64},
            "operator": "carol", "started": finished, "finished": finished, "status": "complete",
            "summary": {"changed": 0}, "systems": [], "confirmations": [], **terms}


def append(org, document: dict[str, Any]) -> int:
    return Ledger(org.root / ".offboard" / "reports").append(document, None).seq


def suspend_bob(org, until: str, run_id: str = "run-s1", finished: str = "2026-10-01T10:00:00.000000Z") -> int:
    """Bob suspended in the ledger and the roster, his account deactivated."""
    roster = (org.root / "roster.csv").read_text()
    org.write("roster.csv", roster.replace("bob@home.test,active", "bob@home.test,suspended"))
    org.fake.add_user("bob@example.org", [])
    return append(org, run_report("suspend", run_id, finished,
                                  suspension={"until": until, "reason": "code of conduct, second warning"}))


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day: str) -> None:
        monkeypatch.setattr(clock, "today", lambda: date.fromisoformat(day))

    return set_day


def test_a_suspension_past_its_until_and_not_reinstated_is_found(org, cli, on_day):
    suspend_bob(org, "2026-12-31")
    on_day("2026-12-31")  # its last day: still suspended
    code, out, err = cli("audit", "--unsigned")
    assert (code, err) == (0, UNSIGNED) and "suspension-ended" not in out
    on_day("2027-01-01")
    assert cli("audit", "--unsigned") == (2, ENDED.format(root=org.root).replace("000002-org", "000003-org"), UNSIGNED)


def test_json_holds_the_ended_suspension_like_any_finding(org, cli, on_day):
    suspend_bob(org, "2026-12-31")
    on_day("2027-01-01")
    code, out, _ = cli("audit", "--unsigned", "--json")
    document = json.loads(out)
    assert code == 2 and document["summary"]["situations"] == {"suspension-ended": 1}
    assert document["findings"] == [{
        "situation": "suspension-ended", "severity": "medium", "system": "ledger", "account": "", "member": "m042",
        "name": "Bob Example",
        "detail": "suspended 2026-10-01 until 2026-12-31 (report 000001); the suspension has ended: reinstate with "
                  "`offboard reinstate m042`, or extend it with a new `offboard suspend`"}]
    markdown = (org.root / ".offboard" / "reports" / "000002-org-audit.md").read_text()
    assert "**1 finding(s): 1 suspension-ended.**" in markdown


def test_an_extended_suspension_has_not_ended(org, cli, on_day):
    suspend_bob(org, "2026-12-31")
    append(org, run_report("suspend", "run-s2", "2026-12-20T10:00:00.000000Z",
                           suspension={"until": "2027-03-31", "reason": "extended"}))
    on_day("2027-01-01")
    assert cli("audit", "--unsigned")[0] == 0
    on_day("2027-04-01")
    code, out, _ = cli("audit", "--unsigned")
    assert code == 2
    assert ("suspension-ended  ledger  -        m042 Bob Example  suspended 2026-10-01 (report 000001) until 2027-03-31 "
            "(report 000002); the suspension has ended") in out


def test_access_after_a_reinstatement_is_legitimate_and_an_outdated_roster_is_said(org, cli, on_day):
    seq = suspend_bob(org, "2026-12-31")
    on_day("2027-01-06")
    assert cli("audit", "--unsigned")[0] == 2  # 000002: the suspension has ended
    append(org, run_report("reinstate", "run-r1", "2027-01-06T09:00:00.000000Z",
                           reverses={"seq": seq, "sha256": "ab" * 32, "run_id": "run-s1", "kind": "suspend"}))
    org.fake.add_user("bob@example.org", ["session", "active", "group:eng"])  # his account works again
    assert cli("audit", "--unsigned") == (2, OUTDATED.format(root=org.root), UNSIGNED)  # not revoked-but-active

    roster = (org.root / "roster.csv").read_text()
    org.write("roster.csv", roster.replace("bob@home.test,suspended", "bob@home.test,active"))
    code, out, _ = cli("audit", "--unsigned")
    assert code == 0 and "Clean: " in out
