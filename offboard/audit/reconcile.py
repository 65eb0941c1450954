"""The audit: every configured system's accounts against the roster and the ledger.

Each account is put in one situation (midPoint's reconciliation, plus ours):

- ``linked``: one active member's account. Fine, only counted.
- ``revoked-but-active`` (critical): the member is expelled or suspended, the account still works.
- ``leftover-access`` (critical): the member is revoked and the account deactivated, but
  ``discover`` still finds access it would remove (groups, channels, tokens...), e.g. someone
  added them back to a group after the expulsion.
- ``disputed`` (high): the account matches several members.
- ``stale`` (medium): a former member's account still works.
- ``orphan`` (medium): an active account that matches no member.
- declared exceptions (bots, service accounts, accepted cases): shown with their reason, never
  findings; an exception that matches no account is a (low) ``exception-unused`` finding.

From the ledger alone: ``unconfirmed-manual`` (high), a manual step of an expulsion or
suspension that nobody confirmed. Deactivated accounts are not findings unless their member is
revoked and access is left.

A member is revoked when the roster says expelled or suspended, or when the ledger's latest
expel/suspend report for them is not followed by a reinstate report; the ledger says when.

Inventories are streamed: one account at a time, page by page as the connector reads them.
What stays in memory is the roster, the findings and the few deactivated accounts of revoked
members, never a whole inventory. Reconciliation (``reconcile``) is pure; ``run_audit`` wires it
to connectors, with the engine's retries.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from offboard.apply import retry as retry_module
from offboard.apply.journal import utc_now
from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.audit.settings import AccountException
from offboard.spi import Account, Action, Capability, Connector, ConnectorError, Member, Phase, RetriableError

FORMAT = "offboard-report/1"
SEVERITY = {
    "revoked-but-active": "critical",
    "leftover-access": "critical",
    "unconfirmed-manual": "high",
    "disputed": "high",
    "stale": "medium",
    "orphan": "medium",
    "exception-unused": "low",
}
SITUATIONS = tuple(SEVERITY)  # most severe first
REVOKING = {"expel": "expelled", "suspend": "suspended"}
REINSTATE = "reinstate"
NAMED = ("revoked-but-active", "leftover-access", "unconfirmed-manual", "stale")  # a notification may name the member
COMPLETE, FAILED = "complete", "failed"


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Finding:
    situation: str
    system: str
    account: str  # the account's label (email, @handle); empty for a manual step
    member: str | None  # member id; several ids for a disputed account ("m043, m044")
    name: str  # member name(s), for people
    detail: str

    @property
    def severity(self) -> str:
        return SEVERITY[self.situation]

    def sort_key(self) -> tuple[int, str, str, str]:
        return SITUATIONS.index(self.situation), self.system, self.account, self.member or ""

    def to_dict(self) -> dict[str, Any]:
        return {"situation": self.situation, "severity": self.severity, "system": self.system, "account": self.account,
                "member": self.member, "name": self.name, "detail": self.detail}


@dataclass(frozen=True)
class ExceptionHit:
    """A declared exception and the account it matched."""

    rule: AccountException
    account_id: str
    label: str
    member: str | None  # the member the account would otherwise link to, if one

    def to_dict(self) -> dict[str, Any]:
        return {"system": self.rule.system, "account": self.label, "account_id": self.account_id,
                "kind": self.rule.kind, "reason": self.rule.reason, "member": self.member}


@dataclass(frozen=True)
class Revocation:
    member_id: str
    kind: str  # expel or suspend
    since: str | None = None  # when the first report of that run was finished; None: only the roster says so
    run_id: str | None = None
    seq: int | None = None

    def describe(self) -> str:
        word = REVOKING.get(self.kind, self.kind)
        if self.since:
            return f"{word} {self.since[:10]} (report {self.seq or 0:06d})"
        return f"{word} (roster; no report in the ledger)"


@dataclass(frozen=True)
class PendingStep:
    """A manual step of an expulsion or suspension still waiting on a person, as the run's latest report says."""

    run_id: str
    member_id: str
    member_name: str
    system: str
    action_id: str
    summary: str
    since: str


@dataclass
class LedgerFacts:
    revoked: dict[str, Revocation] = field(default_factory=dict)  # member id -> the revocation in force
    pending: list[PendingStep] = field(default_factory=list)
    reports: int = 0


@dataclass
class SystemAudit:
    name: str
    title: str
    accounts: int = 0
    active: int = 0
    linked: int = 0
    discovered: int = 0  # deactivated accounts of revoked members, read with discover
    note: str | None = None  # why it was not audited (no inventory)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "accounts": self.accounts, "active": self.active,
                "linked": self.linked, "discovered": self.discovered, "note": self.note, "errors": list(self.errors)}


@dataclass
class AuditResult:
    started: str
    finished: str
    systems: list[SystemAudit]
    findings: list[Finding]
    exceptions: list[ExceptionHit]
    reports_read: int = 0
    audit_id: str = ""
    revoked: dict[str, Revocation] = field(default_factory=dict)  # member id -> revocation in force

    @property
    def status(self) -> str:
        """``failed`` when a system could not be read in full: the audit then vouches for nothing there."""
        return FAILED if any(s.errors for s in self.systems) else COMPLETE

    @property
    def exit_code(self) -> int:
        """0 clean (exceptions alone are clean), 2 findings, 1 a system could not be read."""
        if self.status == FAILED:
            return 1
        return 2 if self.findings else 0

    def counts(self) -> dict[str, int]:
        found = Counter(f.situation for f in self.findings)
        return {s: found[s] for s in SITUATIONS if found[s]}

    def revoked_but_active(self) -> list[Finding]:
        return [f for f in self.findings if f.situation == "revoked-but-active"]

    def summary(self) -> dict[str, Any]:
        return {"accounts": sum(s.accounts for s in self.systems), "linked": sum(s.linked for s in self.systems),
                "findings": len(self.findings), "exceptions": len(self.exceptions), "situations": self.counts()}

    def to_document(self, org: Mapping[str, str], operator: str) -> dict[str, Any]:
        """The signed report's document (the ledger adds seq, prev_sha256 and signed)."""
        return {
            "format": FORMAT, "kind": "audit", "run_id": self.audit_id, "org": dict(org), "member": None,
            "operator": operator, "started": self.started, "finished": self.finished, "status": self.status,
            "summary": self.summary(), "systems": [s.to_dict() for s in self.systems],
            "findings": [f.to_dict() for f in self.findings], "exceptions": [e.to_dict() for e in self.exceptions],
        }


def new_audit_id() -> str:
    return f"audit-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


# ---------------------------------------------------------------- the ledger


def read_ledger(reports: Iterable[Mapping[str, Any]]) -> LedgerFacts:
    """Who is expelled or suspended and since when, and the manual steps still open, from reports in seq order.

    A run's "when" is its first report (later reports of the same run only record confirmations), and
    a revocation lasts from its first run until a reinstatement (``audit --fix`` runs do not move it);
    a run's open manual steps are those of its latest report.
    """
    facts = LedgerFacts()
    first: dict[str, tuple[str, int]] = {}  # run id -> (finished, seq) of its first report
    latest: dict[str, tuple[str, str]] = {}  # member id -> (kind, run id) of their latest revocation or reinstatement
    open_steps: dict[str, list[PendingStep]] = {}  # run id -> manual steps in its latest report
    for report in reports:
        facts.reports += 1
        kind = report.get("kind")
        member = report.get("member") or {}
        if kind not in (*REVOKING, REINSTATE) or not member.get("id"):
            continue
        run_id = str(report.get("run_id") or f"seq-{report.get('seq')}")
        first.setdefault(run_id, (str(report.get("finished") or ""), int(report.get("seq") or 0)))
        previous = latest.get(member["id"])
        if previous is None or previous[0] != kind:  # a second expulsion (an audit's fix) keeps the first date
            latest[member["id"]] = (kind, run_id)
        if kind in REVOKING:
            since = first[run_id][0]
            open_steps[run_id] = [
                PendingStep(run_id, member["id"], str(member.get("name") or ""), str(system.get("name") or ""),
                            str(action.get("id") or ""), str(action.get("summary") or ""), since)
                for system in report.get("systems") or []
                for action in system.get("actions") or []
                if action.get("state") == "manual"
            ]
    for member_id, (kind, run_id) in latest.items():
        if kind in REVOKING:
            since, seq = first[run_id]
            facts.revoked[member_id] = Revocation(member_id, kind, since or None, run_id, seq)
    facts.pending = [step for steps in open_steps.values() for step in steps]
    return facts


def revocations(members: Iterable[Member], facts: LedgerFacts) -> dict[str, Revocation]:
    """The ledger's revocations, plus members the roster marks expelled or suspended (the ledger says when, if it can)."""
    revoked = dict(facts.revoked)
    for member in members:
        if member.status in ("expelled", "suspended") and member.id not in revoked:
            revoked[member.id] = Revocation(member.id, "expel" if member.status == "expelled" else "suspend")
    return revoked


def pending_findings(facts: LedgerFacts, revoked: Mapping[str, Revocation]) -> list[Finding]:
    """One finding per manual step not confirmed since an expulsion or suspension still in force."""
    found = []
    for step in facts.pending:
        if step.member_id not in revoked:
            continue  # reinstated since: the step no longer matters
        word = REVOKING.get(revoked[step.member_id].kind, "revoked")
        found.append(Finding(
            "unconfirmed-manual", step.system, "", step.member_id, step.member_name,
            f"{step.summary}: not confirmed since {word} {step.since[:10]}; "
            f"offboard confirm {step.run_id} {step.action_id} --by NAME"))
    return found


# ---------------------------------------------------------------- matching


class Matcher:
    """Accounts of one system to roster members.

    The roster's identity override for the system (its column) matches the account's id or
    label; failing that, the member's org or personal email matches the account's label or
    its ``email`` attribute. Case does not matter.
    """

    def __init__(self, members: Iterable[Member], system: str) -> None:
        self.by_identity: dict[str, list[Member]] = {}
        self.by_email: dict[str, list[Member]] = {}
        for member in members:
            if identity := member.identities.get(system, "").strip().lower():
                self.by_identity.setdefault(identity, []).append(member)
            for email in {member.email.strip().lower(), member.personal_email.strip().lower()} - {""}:
                self.by_email.setdefault(email, []).append(member)

    def match(self, account: Account) -> list[Member]:
        found = self._lookup(self.by_identity, {account.id.lower(), account.label.lower()})
        if found:
            return found
        email = str(account.attributes.get("email") or "")
        return self._lookup(self.by_email, {account.label.lower(), email.lower()} - {""})

    @staticmethod
    def _lookup(index: Mapping[str, list[Member]], keys: set[str]) -> list[Member]:
        found: dict[str, Member] = {}
        for key in sorted(keys):
            for member in index.get(key, ()):
                found.setdefault(member.id, member)
        return list(found.values())


# ---------------------------------------------------------------- reconciliation


Discover = Callable[[Account], list[Action]]


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
            findings.append(Finding("orphan", system, account.label, None, "", "active, matches no member of the roster"))
        elif len(members) > 1:
            ids, names = _names(members)
            detail = "matches " + ", ".join(f"{m.id} ({m.name})" for m in members)
            findings.append(Finding("disputed", system, account.label, ids, names, detail))
        elif members[0].id in revoked:
            member = members[0]
            findings.append(Finding("revoked-but-active", system, account.label, member.id, member.name,
                                    f"{revoked[member.id].describe()}; the account is still active"))
        elif members[0].status == "former":
            member = members[0]
            findings.append(Finding("stale", system, account.label, member.id, member.name,
                                    "former member; the account is still active"))
        else:
            tally.linked += 1
    for account, member in deactivated if discover is not None else ():
        tally.discovered += 1
        try:
            left = [a for a in discover(account) if a.phase is not Phase.MANUAL]
        except ConnectorError as exc:
            tally.errors.append(f"reading what {account.label} can still reach: {exc}")
            continue
        if left:
            findings.append(Finding(
                "leftover-access", system, account.label, member.id, member.name,
                f"{revoked[member.id].describe()}; the account is deactivated but still: {_leftover_text(left)}"))
    return findings, hits


def unused_exceptions(exceptions: Sequence[AccountException], hits: Sequence[ExceptionHit],
                      audited: set[str]) -> list[Finding]:
    """Declared exceptions that matched no account of a system read in full: clean them up."""
    used = {id(h.rule) for h in hits}
    return [
        Finding("exception-unused", rule.system, rule.account, None, "",
                f"declared as {rule.kind} ({rule.reason}) but no such account: remove it from [[audit.exceptions]]")
        for rule in exceptions if id(rule) not in used and rule.system in audited
    ]


# ---------------------------------------------------------------- running it


def stream_inventory(connector: Connector, policy: RetryPolicy) -> Iterator[Account]:
    """The connector's inventory, retried from the start when a page is throttled.

    One API call per page as long as no page fails. After a retriable error the inventory is
    read again and the accounts already delivered are skipped (lists are read in a stable order).
    """
    delivered = 0
    attempt = 0
    while True:
        skip = delivered
        try:
            for account in connector.inventory():
                if skip:
                    skip -= 1
                    continue
                delivered += 1
                yield account
            return
        except RetriableError as exc:
            attempt += 1
            if attempt >= policy.max_attempts:
                raise
            wait = min(policy.max_wait, policy.initial_wait * 2 ** (attempt - 1))
            (policy.sleep or retry_module.real_sleep)(max(wait, exc.retry_after or 0.0))


def _discoverer(connector: Connector, policy: RetryPolicy) -> Discover:
    def discover(account: Account) -> list[Action]:
        found = call_with_retries(lambda: connector.discover(account), policy)
        if found.error is not None:
            if isinstance(found.error, ConnectorError):
                raise found.error
            raise ConnectorError(f"internal error {type(found.error).__name__}: {found.error}")
        return list(found.value)  # type: ignore[call-overload]

    return discover


def audit_system(name: str, connector: Connector, matcher: Matcher, revoked: Mapping[str, Revocation],
                 exceptions: Sequence[AccountException], policy: RetryPolicy) -> tuple[SystemAudit, list[Finding],
                                                                                       list[ExceptionHit]]:
    tally = SystemAudit(name, type(connector).title)
    if Capability.INVENTORY not in type(connector).capabilities:
        tally.note = "no inventory: not audited"
        return tally, [], []
    try:
        findings, hits = reconcile(name, stream_inventory(connector, policy), matcher, revoked, exceptions,
                                   _discoverer(connector, policy), tally)
    except ConnectorError as exc:
        tally.errors.append(f"reading the accounts: {exc}")
        return tally, [], []
    except NotImplementedError as exc:
        tally.errors.append(f"reading the accounts: {exc}")
        return tally, [], []
    return tally, findings, hits


def run_audit(members: Sequence[Member], reports: Iterable[Mapping[str, Any]], connectors: Mapping[str, Connector],
              exceptions: Sequence[AccountException] = (), policy: RetryPolicy | None = None) -> AuditResult:
    """Audit every connector at once (they are independent) and the ledger's open manual steps."""
    policy = policy or RetryPolicy()
    started = utc_now()
    facts = read_ledger(reports)
    revoked = revocations(members, facts)
    names = sorted(connectors)
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        results = list(pool.map(
            lambda n: audit_system(n, connectors[n], Matcher(members, n), revoked, exceptions, policy), names))
    systems = [r[0] for r in results]
    findings = [f for r in results for f in r[1]] + pending_findings(facts, revoked)
    hits = [h for r in results for h in r[2]]
    audited = {s.name for s in systems if not s.errors and s.note is None}
    findings += unused_exceptions(exceptions, hits, audited)
    findings.sort(key=Finding.sort_key)
    hits.sort(key=lambda h: (h.rule.system, h.label))
    return AuditResult(started, utc_now(), systems, findings, hits, facts.reports, new_audit_id(), revoked)


# ---------------------------------------------------------------- the notification


def notification(result: AuditResult, org_name: str, seq: int | None) -> str:
    """A short summary for a chat channel: situations, counts and member names, nothing more personal.

    No email addresses, account names or details: orphans and disputed accounts are counted per system.
    """
    where = f" (report {seq:06d})" if seq else ""
    count = len(result.findings)
    exceptions = f", {len(result.exceptions)} exception(s)" if result.exceptions else ""
    head = f"{count} finding(s){exceptions}" if count else f"clean{exceptions}"
    lines = [f"offboard audit of {org_name}: {head}{where}."]
    for situation in SITUATIONS:
        found = [f for f in result.findings if f.situation == situation]
        if not found:
            continue
        if situation in NAMED:
            systems: dict[str, list[str]] = {}
            for f in found:
                systems.setdefault(f.name or f.member or "?", [])
                if f.system not in systems[f.name or f.member or "?"]:
                    systems[f.name or f.member or "?"].append(f.system)
            who = "; ".join(f"{name} ({', '.join(s)})" for name, s in systems.items())
        else:
            per = Counter(f.system for f in found)
            who = f"{len(found)} account(s) (" + ", ".join(f"{s} {n}" for s, n in sorted(per.items())) + ")"
        lines.append(f"{situation} ({SEVERITY[situation]}): {who}")
    failed = [s.name for s in result.systems if s.errors]
    if failed:
        lines.append(f"could not be read: {', '.join(failed)}")
    return "\n".join(lines)
