"""Accounts to situations, one system at a time, and ``run_audit`` over every connector and the ledger."""

from __future__ import annotations

from datetime import date

from offboard.apply.retry import RetryPolicy
from offboard.audit.facts import LedgerFacts, PendingStep, Revocation
from offboard.audit.matching import Matcher
from offboard.audit.reconcile import ended_suspensions, pending_findings, reconcile, run_audit, unused_exceptions
from offboard.audit.result import AuditStatus, SystemAudit
from offboard.audit.settings import AccountException
from offboard.audit.situations import ExceptionHit, Situation
from offboard.spi import Account, AuthError, Member, Phase, RetriableError
from tests.audit.listed import Listed, Unlisted, action

MEMBERS = [
    Member("m1", "Ann", "ann@x.org", status="expelled"),
    Member("m2", "Ben", "ben@x.org"),
    Member("m3", "Cy", "cy@x.org", status="former"),
    Member("m4", "Di", "di@x.org", "shared@home.test"),
    Member("m5", "Ed", "ed@x.org", "shared@home.test"),
]
EXPELLED = {"m1": Revocation("m1", "expel")}


def situations(findings) -> list[tuple[str, str]]:
    return [(f.situation, f.account) for f in findings]


def test_exceptions_are_matched_first_and_deactivated_strangers_are_not_findings():
    members = [Member("m1", "Ann", "ann@x.org", status="expelled")]
    accounts = [Account("s", "U1", "ann@x.org"), Account("s", "U2", "@bot"), Account("s", "U3", "old@x.org", {"active": False})]
    rules = [AccountException("s", "u2", "bot", "posts builds"), AccountException("other", "U1", "bot", "elsewhere")]
    tally = SystemAudit("s", "S")
    findings, hits = reconcile("s", iter(accounts), Matcher(members, "s"), EXPELLED, rules, None, tally)
    assert situations(findings) == [(Situation.REVOKED_BUT_ACTIVE, "ann@x.org")]
    assert [(h.label, h.rule.reason) for h in hits] == [("@bot", "posts builds")]
    assert (tally.accounts, tally.active, tally.linked) == (3, 2, 0)


def test_every_account_situation():
    accounts = [Account("s", "U1", "ann@x.org"), Account("s", "U2", "ben@x.org"), Account("s", "U3", "cy@x.org"),
                Account("s", "U4", "shared@home.test"), Account("s", "U5", "ghost@x.org")]
    tally = SystemAudit("s", "S")
    findings, hits = reconcile("s", accounts, Matcher(MEMBERS, "s"), EXPELLED, [], None, tally)
    assert situations(findings) == [(Situation.REVOKED_BUT_ACTIVE, "ann@x.org"), (Situation.STALE, "cy@x.org"),
                                    (Situation.DISPUTED, "shared@home.test"), (Situation.ORPHAN, "ghost@x.org")]
    disputed = findings[2]
    assert (disputed.member, disputed.name, disputed.detail) == ("m4, m5", "Di, Ed", "matches m4 (Di), m5 (Ed)")
    assert findings[0].detail == "expelled (roster; no report in the ledger); the account is still active"
    assert (hits, tally.linked) == ([], 1)


def test_a_deactivated_account_of_a_revoked_member_with_access_left_is_leftover_access():
    ann = Account("s", "U1", "ann@x.org", {"active": False})
    left = [action(ann, f"group{i}") for i in range(5)] + [action(ann, "bank", Phase.MANUAL)]
    tally = SystemAudit("s", "S")
    findings, _ = reconcile("s", [ann], Matcher(MEMBERS, "s"), EXPELLED, [], Listed(access={"U1": left}).discover, tally)
    assert situations(findings) == [(Situation.LEFTOVER_ACCESS, "ann@x.org")]
    assert findings[0].detail == ("expelled (roster; no report in the ledger); the account is deactivated but still: "
                                  "Remove from group0; Remove from group1; Remove from group2; and 2 more")
    assert tally.discovered == 1
    only_manual = Listed(access={"U1": left[-1:]}).discover
    assert reconcile("s", [ann], Matcher(MEMBERS, "s"), EXPELLED, [], only_manual, SystemAudit("s", "S"))[0] == []


def test_what_discover_cannot_read_is_an_error_of_the_system():
    ann = Account("s", "U1", "ann@x.org", {"active": False})
    tally = SystemAudit("s", "S")
    discover = Listed(access={"U1": AuthError("token revoked")}).discover
    assert reconcile("s", [ann], Matcher(MEMBERS, "s"), EXPELLED, [], discover, tally) == ([], [])
    assert tally.errors == ["reading what ann@x.org can still reach: token revoked"]


def test_manual_steps_are_findings_while_the_revocation_holds():
    facts = LedgerFacts(pending=[PendingStep("r1", "m1", "Ann", "bank", "bank:sign", "Remove the signer", "2026-01-05T10:00Z"),
                                 PendingStep("r2", "m2", "Ben", "bank", "bank:sign", "Remove the signer", "2026-01-06T10:00Z")])
    revoked = {"m1": Revocation("m1", "suspend", "2026-01-05T10:00Z", "r1", 1)}
    [finding] = pending_findings(facts, revoked)  # Ben was reinstated since
    assert (finding.situation, finding.system, finding.account, finding.member) == (Situation.UNCONFIRMED_MANUAL, "bank", "", "m1")
    assert finding.detail == ("Remove the signer: not confirmed since suspended 2026-01-05; "
                              "offboard confirm r1 bank:sign --by NAME")


def test_an_unused_exception_is_a_finding_only_where_the_system_was_read_in_full():
    used, unused, elsewhere = (AccountException("s", "U1", "bot", "a"), AccountException("s", "U9", "service", "b"),
                               AccountException("t", "U1", "bot", "c"))
    hits = [ExceptionHit(used, "U1", "@bot", None)]
    [finding] = unused_exceptions([used, unused, elsewhere], hits, {"s"})
    assert (finding.situation, finding.system, finding.account) == (Situation.EXCEPTION_UNUSED, "s", "U9")
    assert finding.detail == "declared as service (b) but no such account: remove it from [[audit.exceptions]]"


def test_run_audit_reads_every_system_and_sorts_findings_most_severe_first(sleeps):
    listed = Listed([Account("listed", "U5", "ghost@x.org"), Account("listed", "U1", "ann@x.org"),
                     Account("listed", "U2", "ben@x.org")], faults={2: RetriableError("429", retry_after=4)})
    rules = [AccountException("unlisted", "U1", "bot", "not audited: never unused")]
    result = run_audit(MEMBERS, [], {"listed": listed, "unlisted": Unlisted()}, rules, RetryPolicy())
    assert [(f.situation, f.system) for f in result.findings] == [(Situation.REVOKED_BUT_ACTIVE, "listed"),
                                                                  (Situation.ORPHAN, "listed")]
    assert [(s.name, s.accounts, s.linked, s.note) for s in result.systems] == [
        ("listed", 3, 1, None), ("unlisted", 0, 0, "no inventory: not audited")]
    assert (result.status, result.exit_code, sleeps) == (AuditStatus.COMPLETE, 2, [4])
    assert result.revoked == EXPELLED and result.audit_id.startswith("audit-")


def test_a_system_that_cannot_be_read_has_errors_and_no_findings(sleeps):
    broken = Listed([Account("listed", "U1", "ann@x.org")] * 3, faults={2: AuthError("token revoked")})
    rules = [AccountException("listed", "U9", "bot", "cannot tell: not unused")]
    result = run_audit(MEMBERS, [], {"listed": broken}, rules, RetryPolicy())
    assert result.systems[0].errors == ["reading the accounts: token revoked"]
    assert (result.findings, result.status, result.exit_code) == ([], AuditStatus.FAILED, 1)


def test_an_ended_suspension_is_one_finding_per_member_until_a_reinstatement():
    revoked = {"m1": Revocation("m1", "suspend", "2026-10-01T10:00Z", "r1", 4, "2026-12-31", 4),
               "m2": Revocation("m2", "suspend", "2026-10-01T10:00Z", "r2", 5, "2027-06-30", 5),
               "m3": Revocation("m3", "expel", "2026-10-01T10:00Z", "r3", 6),
               "m9": Revocation("m9", "suspend", "2026-10-01T10:00Z", "r4", 7, "2026-11-30", 7)}  # not in the roster
    findings = ended_suspensions(revoked, MEMBERS, date(2027, 1, 1))
    assert [(f.situation, f.system, f.account, f.member, f.name) for f in findings] == [
        (Situation.SUSPENSION_ENDED, "ledger", "", "m1", "Ann"), (Situation.SUSPENSION_ENDED, "ledger", "", "m9", "")]
    assert findings[0].detail == (
        "suspended 2026-10-01 until 2026-12-31 (report 000004); the suspension has ended: "
        "reinstate with `offboard reinstate m1`, or extend it with a new `offboard suspend`")
    assert ended_suspensions(revoked, MEMBERS, date(2026, 11, 30)) == []  # its last day: still suspended


def test_access_after_a_reinstatement_is_linked_and_an_outdated_roster_is_a_low_finding(sleeps):
    members = [Member("m1", "Ann", "ann@x.org", status="suspended"), Member("m2", "Ben", "ben@x.org"),
               Member("m3", "Cy", "cy@x.org")]
    ledger = [
        {"seq": 1, "kind": "suspend", "member": {"id": "m1", "name": "Ann"}, "run_id": "r1",
         "finished": "2026-10-01T10:00:00Z", "suspension": {"until": "2026-12-31", "reason": "r"}},
        {"seq": 2, "kind": "suspend", "member": {"id": "m2", "name": "Ben"}, "run_id": "r2",
         "finished": "2026-10-02T10:00:00Z", "suspension": {"until": "2026-12-31", "reason": "r"}},
        {"seq": 3, "kind": "reinstate", "member": {"id": "m1", "name": "Ann"}, "run_id": "r3",
         "finished": "2027-01-02T09:00:00Z", "reverses": {"seq": 1, "sha256": "ab", "run_id": "r1", "kind": "suspend"}},
    ]
    listed = Listed([Account("listed", "U1", "ann@x.org"), Account("listed", "U2", "ben@x.org", {"active": False}),
                     Account("listed", "U3", "cy@x.org")])
    result = run_audit(members, ledger, {"listed": listed}, (), RetryPolicy(), today=date(2027, 1, 5))
    assert [(f.situation, f.system, f.member) for f in result.findings] == [
        (Situation.SUSPENSION_ENDED, "ledger", "m2"), (Situation.ROSTER_OUTDATED, "roster", "m1")]
    assert result.findings[1].detail == ("the ledger records m1 reinstated on 2027-01-02 (report 000003), "
                                         "but the roster says suspended: set their status to active")
    assert (result.systems[0].linked, set(result.revoked)) == (2, {"m2"})  # Ann's account is hers again


def test_the_audit_asks_the_clock_for_today(sleeps, monkeypatch):
    from offboard import clock

    ledger = [{"seq": 1, "kind": "suspend", "member": {"id": "m2", "name": "Ben"}, "run_id": "r1",
               "finished": "2026-10-01T10:00:00Z", "suspension": {"until": "2026-12-31", "reason": "r"}}]
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 31))
    assert run_audit(MEMBERS, ledger, {"listed": Listed()}, (), RetryPolicy()).findings == []
    monkeypatch.setattr(clock, "today", lambda: date(2027, 1, 1))
    assert [f.situation for f in run_audit(MEMBERS, ledger, {"listed": Listed()}, (), RetryPolicy()).findings] == [
        Situation.SUSPENSION_ENDED]
