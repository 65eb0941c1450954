"""Situations and severities are enums in the code and strings in documents; findings sort most severe first."""

from __future__ import annotations

import json

from offboard.audit.result import AuditResult, AuditStatus, SystemAudit
from offboard.audit.settings import AccountException
from offboard.audit.situations import ExceptionHit, Finding, Severity, Situation


def test_situations_are_listed_most_severe_first():
    assert [(s.value, s.severity.value) for s in Situation] == [
        ("revoked-but-active", "critical"), ("leftover-access", "critical"), ("unconfirmed-manual", "high"),
        ("emergency-run", "high"), ("disputed", "high"), ("suspension-ended", "medium"),
        ("stale", "medium"), ("orphan", "medium"),
        ("roster-outdated", "low"), ("exception-unused", "low")]
    assert [s.rank for s in Situation] == list(range(len(Situation)))


def test_findings_sort_by_situation_then_system_account_and_member():
    findings = [Finding(Situation.ORPHAN, "a", "x", None, "", ""), Finding(Situation.STALE, "b", "y", "m2", "", ""),
                Finding(Situation.STALE, "b", "y", "m1", "", ""), Finding(Situation.REVOKED_BUT_ACTIVE, "z", "z", "m9", "", "")]
    assert [(f.situation, f.member) for f in sorted(findings, key=Finding.sort_key)] == [
        (Situation.REVOKED_BUT_ACTIVE, "m9"), (Situation.STALE, "m1"), (Situation.STALE, "m2"), (Situation.ORPHAN, None)]


def test_documents_hold_plain_strings():
    finding = Finding(Situation.DISPUTED, "google", "desk@x.org", "m1, m2", "A, B", "matches m1 (A), m2 (B)")
    assert finding.severity is Severity.HIGH
    hit = ExceptionHit(AccountException("slack", "U0BOT", "bot", "deploys"), "U0BOT", "@deploybot", None)
    result = AuditResult("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", [SystemAudit("google", "Google", accounts=3)],
                         [finding], [hit], audit_id="audit-1")
    document = result.to_document({"name": "Org", "domain": "x.org"}, "carol")
    assert document["status"] == "complete" and type(document["status"]) is str
    assert document["findings"] == [{"situation": "disputed", "severity": "high", "system": "google",
                                     "account": "desk@x.org", "member": "m1, m2", "name": "A, B",
                                     "detail": "matches m1 (A), m2 (B)"}]
    assert all(type(value) is str for value in (*document["findings"][0].values(), *document["summary"]["situations"]))
    assert document["summary"] == {"accounts": 3, "linked": 0, "findings": 1, "exceptions": 1, "situations": {"disputed": 1}}
    assert json.loads(json.dumps(document)) == document


def test_the_status_is_failed_when_a_system_could_not_be_read():
    clean = AuditResult("s", "f", [SystemAudit("google", "Google")], [], [])
    assert (clean.status, clean.exit_code) == (AuditStatus.COMPLETE, 0)
    failed = AuditResult("s", "f", [SystemAudit("google", "Google", errors=["boom"])], [], [])
    assert (failed.status, failed.exit_code) == (AuditStatus.FAILED, 1)
