"""The audit: every configured system's accounts against the roster and the ledger.

Each account is put in one situation (``situations``): an active member's account is
``linked`` and only counted; a revoked member's still active account is ``revoked-but-active``;
a revoked member's deactivated account that ``discover`` finds access left on (groups,
channels, tokens...) is ``leftover-access``; ``disputed``, ``stale`` and ``orphan`` as their
names say. Declared exceptions (bots, service accounts, accepted cases) are shown with their
reason, never findings; an exception that matches no account is an ``exception-unused``
finding. From the ledger alone (``facts``): ``unconfirmed-manual``, and ``suspension-ended`` (a
suspension past its ``until``, not reinstated); from the ledger and the roster: ``roster-outdated``
(reinstated in the ledger, still expelled or suspended in the roster: access is legitimate, the
roster is wrong). Deactivated accounts are not findings unless their member is revoked and access is left.

Inventories are streamed (``inventory``): one account at a time, page by page as the connector
reads them. What stays in memory is the roster, the findings and the few deactivated accounts
of revoked members, never a whole inventory. ``reconcile`` is pure; ``run_audit`` wires it to
connectors, with the engine's retries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from offboard import clock
from offboard.apply.journal import utc_now
from offboard.apply.retry import RetryPolicy
from offboard.audit.facts import LedgerFacts, Revocation, outdated_roster, read_ledger, revocations
from offboard.audit.inventory import Discover, discoverer, stream_inventory
from offboard.audit.matching import Matcher
from offboard.audit.result import AuditResult, SystemAudit, new_audit_id
from offboard.audit.settings import AccountException
from offboard.audit.situations import ExceptionHit, Finding, Situation
from offboard.spi import Account, Action, Capability, Connector, ConnectorError, Member, Phase


def _names(members: Sequence[Member]) -> tuple[str, str]:
    return ", ".join(m.id for m in members), ", ".join(m.name for m in members)


def _leftover_text(actions: Sequence[Action], limit: int = 3) -> str:
    shown = "; ".join(a.summary for a in actions[:limit])
    return shown + (f"; and {len(actions) - limit} more" if len(actions) > limit else "")


def reconcile(system: str, accounts: Iterable[Account], matcher: Matcher, revoked: Mapping[str, Revocation],
              exceptions: Sequence[AccountException], discover: Discover | None,
              tally: SystemAudit) -> tuple[list[Finding], list[ExceptionHit]]:
    """Put each account of one system in its situation, one account at a time.

    ``discover`` reads, for a revoked member's deactivated account, what access is left; its
    errors (``ConnectorError``) are recorded in ``tally.errors``. Counts go to ``tally``.
    """
    findings: list[Finding] = []
    hits: list[ExceptionHit] = []
    deactivated: list[tuple[Account, Member]] = []  # revoked members only: a handful, never the inventory
    rules = [r for r in exceptions if r.system == system]
    for account in accounts:
        tally.accounts += 1
        tally.active += account.active
        members = matcher.match(account)
        rule = next((r for r in rules if r.matches(system, account.id, account.label)), None)
        if rule is not None:
            hits.append(ExceptionHit(rule, account.id, account.label, _names(members)[0] or None))
            continue
        if not account.active:
            if len(members) == 1 and members[0].id in revoked:
                deactivated.append((account, members[0]))
            continue
        if not members:
            findings.append(Finding(Situation.ORPHAN, system, account.label, None, "",
                                    "active, matches no member of the roster"))
        elif len(members) > 1:
            ids, names = _names(members)
            detail = "matches " + ", ".join(f"{m.id} ({m.name})" for m in members)
            findings.append(Finding(Situation.DISPUTED, system, account.label, ids, names, detail))
        elif members[0].id in revoked:
            member = members[0]
            findings.append(Finding(Situation.REVOKED_BUT_ACTIVE, system, account.label, member.id, member.name,
                                    f"{revoked[member.id].describe()}; the account is still active"))
        elif members[0].status == "former":
            member = members[0]
            findings.append(Finding(Situation.STALE, system, account.label, member.id, member.name,
                                    "former member; the account is still active"))
        else:
            tally.linked += 1
    if discover is None:
        return findings, hits
    for account, member in deactivated:
        tally.discovered += 1
        try:
            left = [a for a in discover(account) if a.phase is not Phase.MANUAL]
        except ConnectorError as exc:
            tally.errors.append(f"reading what {account.label} can still reach: {exc}")
            continue
        if left:
            findings.append(Finding(
                Situation.LEFTOVER_ACCESS, system, account.label, member.id, member.name,
                f"{revoked[member.id].describe()}; the account is deactivated but still: {_leftover_text(left)}"))
    return findings, hits


def unused_exceptions(exceptions: Sequence[AccountException], hits: Sequence[ExceptionHit],
                      audited: set[str]) -> list[Finding]:
    """Declared exceptions that matched no account of a system read in full: clean them up."""
    used = {id(h.rule) for h in hits}
    return [
        Finding(Situation.EXCEPTION_UNUSED, rule.system, rule.account, None, "",
                f"declared as {rule.kind} ({rule.reason}) but no such account: remove it from [[audit.exceptions]]")
        for rule in exceptions if id(rule) not in used and rule.system in audited
    ]


def pending_findings(facts: LedgerFacts, revoked: Mapping[str, Revocation]) -> list[Finding]:
    """One finding per manual step not confirmed since an expulsion or suspension still in force."""
    return [
        Finding(Situation.UNCONFIRMED_MANUAL, step.system, "", step.member_id, step.member_name,
                f"{step.summary}: not confirmed since {revoked[step.member_id].word} {step.since[:10]}; "
                f"offboard confirm {step.run_id} {step.action_id} --by NAME")
        for step in facts.pending
        if step.member_id in revoked  # else reinstated since: the step no longer matters
    ]


def ended_suspensions(revoked: Mapping[str, Revocation], members: Sequence[Member], today: date) -> list[Finding]:
    """One finding per member whose suspension's last day is before ``today`` (UTC) and who was not reinstated."""
    names = {m.id: m.name for m in members}
    return [
        Finding(Situation.SUSPENSION_ENDED, "ledger", "", member_id, names.get(member_id, ""),
                f"{revocation.describe()}; the suspension has ended: reinstate with `offboard reinstate {member_id}`, "
                "or extend it with a new `offboard suspend`")
        for member_id, revocation in revoked.items() if revocation.kind == "suspend" and revocation.ended(today)
    ]


def emergency_findings(facts: LedgerFacts) -> list[Finding]:
    """One finding per emergency run whose missing approvals were not added afterwards."""
    return [
        Finding(Situation.EMERGENCY_RUN, "ledger", "", e.member_id, e.member_name,
                f"run {e.run_id} (report {e.seq:06d}) was applied in an emergency ({e.reason}) with {e.approved} "
                f"approval(s), {e.missing} short: each missing approver runs `offboard approve --run {e.run_id}`")
        for e in facts.emergencies
    ]


def outdated_roster_findings(members: Sequence[Member], facts: LedgerFacts) -> list[Finding]:
    """Members the ledger records reinstated whom the roster still marks expelled or suspended (not revoked)."""
    findings = []
    for member in members:
        reinstated = outdated_roster(member, facts)
        if reinstated is not None:
            findings.append(Finding(
                Situation.ROSTER_OUTDATED, "roster", "", member.id, member.name,
                f"the ledger records {member.id} {reinstated.describe()}, but the roster says {member.status}: "
                "set their status to active"))
    return findings


def audit_system(name: str, connector: Connector, matcher: Matcher, revoked: Mapping[str, Revocation],
                 exceptions: Sequence[AccountException],
                 policy: RetryPolicy) -> tuple[SystemAudit, list[Finding], list[ExceptionHit]]:
    """One system, read in full or not at all: a system that cannot be read has errors and no findings."""
    tally = SystemAudit(name, type(connector).title)
    if Capability.INVENTORY not in type(connector).capabilities:
        tally.note = "no inventory: not audited"
        return tally, [], []
    try:
        findings, hits = reconcile(name, stream_inventory(connector, policy), matcher, revoked, exceptions,
                                   discoverer(connector, policy), tally)
    except (ConnectorError, NotImplementedError) as exc:
        tally.errors.append(f"reading the accounts: {exc}")
        return tally, [], []
    return tally, findings, hits


def run_audit(members: Sequence[Member], reports: Iterable[Mapping[str, Any]], connectors: Mapping[str, Connector],
              exceptions: Sequence[AccountException] = (), policy: RetryPolicy | None = None,
              today: date | None = None) -> AuditResult:
    """Audit every connector at once (they are independent), the ledger's open manual steps and ended suspensions.

    ``reports`` are the ledger's verified reports in seq order (``Ledger.reports()``); ``policy``
    is the engine's (its ``sleep`` is what tests replace); ``today`` (UTC) defaults to ``clock.today()``
    (looked up at each call, so that a test that sets the clock's day sets the audit's).
    """
    policy = policy or RetryPolicy()
    today = today or clock.today()
    started = utc_now()
    facts = read_ledger(reports)
    revoked = revocations(members, facts)
    names = sorted(connectors)
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        results = list(pool.map(
            lambda n: audit_system(n, connectors[n], Matcher(members, n), revoked, exceptions, policy), names))
    systems = [r[0] for r in results]
    findings = [f for r in results for f in r[1]] + pending_findings(facts, revoked)
    findings += ended_suspensions(revoked, members, today) + outdated_roster_findings(members, facts)
    findings += emergency_findings(facts)
    hits = [h for r in results for h in r[2]]
    findings += unused_exceptions(exceptions, hits, {s.name for s in systems if s.audited})
    findings.sort(key=Finding.sort_key)
    hits.sort(key=lambda h: (h.rule.system, h.label))
    return AuditResult(started, utc_now(), systems, findings, hits, facts.reports, new_audit_id(), revoked)
