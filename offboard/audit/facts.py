"""What the verified ledger says: who is expelled or suspended, since when and until when, who was reinstated,
and which manual steps are open.

A member is revoked when the ledger's latest expel/suspend report for them is not followed by a
reinstate report, or when the roster says expelled or suspended (the ledger says when, if it can),
unless the ledger records that very revocation reinstated: then the roster is out of date.
The reports come already verified (``offboard.report.trusted.trusted_ledger``), in seq order: an
unsigned or foreign report never reaches this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from offboard.spi import Member, State

REVOKING = {"expel": "expelled", "suspend": "suspended"}  # run kind -> what it makes of the member
REINSTATE = "reinstate"
ROSTER_REVOKING = {"expelled": "expel", "suspended": "suspend"}  # roster status -> run kind


@dataclass(frozen=True)
class Revocation:
    member_id: str
    kind: str  # expel or suspend
    since: str | None = None  # when the first report of that run was finished; None: only the roster says so
    run_id: str | None = None
    seq: int | None = None
    until: str | None = None  # a suspension's last day (YYYY-MM-DD, UTC), from its latest suspend report
    until_seq: int | None = None  # the report that set ``until`` (a later suspension extends the first)

    @property
    def word(self) -> str:
        """``expelled`` or ``suspended``."""
        return REVOKING.get(self.kind, self.kind)

    def describe(self) -> str:
        if not self.since:
            return f"{self.word} (roster; no report in the ledger)"
        if not self.until:
            return f"{self.word} {self.since[:10]} (report {self.seq or 0:06d})"
        if self.until_seq in (None, self.seq):
            return f"{self.word} {self.since[:10]} until {self.until} (report {self.seq or 0:06d})"
        return f"{self.word} {self.since[:10]} (report {self.seq or 0:06d}) until {self.until} (report {self.until_seq:06d})"

    def ended(self, today: date) -> bool:
        """A suspension whose last day (UTC) is before ``today``: it ends at the end of that day."""
        return self.until is not None and date.fromisoformat(self.until) < today


@dataclass(frozen=True)
class Reinstatement:
    """The ledger's reinstatement in force: the member's latest expel/suspend run was reversed."""

    member_id: str
    since: str  # when the first report of the reinstate run was finished
    seq: int
    reverses: str  # the kind of revocation it ended: expel or suspend

    def describe(self) -> str:
        return f"reinstated on {self.since[:10]} (report {self.seq:06d})"


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


@dataclass(frozen=True)
class Emergency:
    """A run applied in an emergency with fewer approvals than required, as its latest report says."""

    run_id: str
    member_id: str
    member_name: str
    seq: int
    reason: str
    missing: int
    approved: int


@dataclass
class LedgerFacts:
    revoked: dict[str, Revocation] = field(default_factory=dict)  # member id -> the revocation in force
    reinstated: dict[str, Reinstatement] = field(default_factory=dict)  # member id -> the reinstatement in force
    pending: list[PendingStep] = field(default_factory=list)
    emergencies: list[Emergency] = field(default_factory=list)  # emergency runs still short of their approvals
    reports: int = 0


def _until(report: Mapping[str, Any]) -> str | None:
    """A suspend report's ``suspension.until`` when it is a date (YYYY-MM-DD); older reports have none."""
    suspension = report.get("suspension")
    until = suspension.get("until") if isinstance(suspension, Mapping) else None
    try:
        return date.fromisoformat(until).isoformat() if isinstance(until, str) and len(until) == 10 else None
    except ValueError:
        return None


def read_ledger(reports: Iterable[Mapping[str, Any]]) -> LedgerFacts:
    """Who is expelled or suspended since when (and until when), who was reinstated, and the manual steps
    still open, from reports in seq order.

    A run's "when" is its first report (later reports of the same run only record confirmations), and
    a revocation lasts from its first run until a reinstatement (``audit --fix`` runs do not move it);
    a suspension lasts until the ``until`` of its latest suspend report that has one (a new
    ``offboard suspend`` extends it); a run's open manual steps are those of its latest report.
    """
    facts = LedgerFacts()
    first: dict[str, tuple[str, int]] = {}  # run id -> (finished, seq) of its first report
    latest: dict[str, tuple[str, str]] = {}  # member id -> (kind, run id) of their latest revocation or reinstatement
    until: dict[str, tuple[str, int]] = {}  # member id -> (until, seq) of the suspension in force
    reverses: dict[str, str] = {}  # reinstate run id -> the kind of revocation it ended
    open_steps: dict[str, list[PendingStep]] = {}  # run id -> manual steps in its latest report
    emergencies: dict[str, Emergency | None] = {}  # run id -> its latest report's emergency short of approvals
    for report in reports:
        facts.reports += 1
        kind = report.get("kind")
        member = report.get("member") or {}
        if kind not in (*REVOKING, REINSTATE) or not member.get("id"):
            continue
        run_id = str(report.get("run_id") or f"seq-{report.get('seq')}")
        seq = int(report.get("seq") or 0)
        first.setdefault(run_id, (str(report.get("finished") or ""), seq))
        previous = latest.get(member["id"])
        if previous is None or previous[0] != kind:  # a second expulsion (an audit's fix) keeps the first date
            latest[member["id"]] = (kind, run_id)
            if kind == REINSTATE:
                named = report.get("reverses")  # {seq, sha256, run_id, kind}: for a revocation the ledger lacks
                named_kind = named.get("kind") if isinstance(named, Mapping) else None
                reverses[run_id] = previous[0] if previous else str(named_kind or "")
        last_day = _until(report) if kind == "suspend" else None
        if kind != "suspend":
            until.pop(member["id"], None)  # reinstated, or expelled: no suspension in force
        elif last_day and until.get(member["id"], ("",))[0] != last_day:  # a new suspend report moves it
            until[member["id"]] = (last_day, seq)
        if kind in REVOKING:
            open_steps[run_id] = _manual_steps(report, run_id, member, since=first[run_id][0])
        emergencies[run_id] = _emergency(report, run_id, member, seq)
    for member_id, (kind, run_id) in latest.items():
        since, seq = first[run_id]
        if kind in REVOKING:
            last_day, until_seq = until.get(member_id, (None, None))
            facts.revoked[member_id] = Revocation(member_id, kind, since or None, run_id, seq, last_day, until_seq)
        else:
            facts.reinstated[member_id] = Reinstatement(member_id, since, seq, reverses.get(run_id, ""))
    facts.pending = [step for steps in open_steps.values() for step in steps]
    facts.emergencies = [e for e in emergencies.values() if e is not None]
    return facts


def _emergency(report: Mapping[str, Any], run_id: str, member: Mapping[str, Any], seq: int) -> Emergency | None:
    approvals = report.get("approvals")
    if not isinstance(approvals, Mapping) or not isinstance(approvals.get("emergency"), Mapping):
        return None
    missing = int(approvals.get("missing") or 0)
    if missing <= 0:
        return None
    return Emergency(run_id, str(member["id"]), str(member.get("name") or ""), seq,
                     str(approvals["emergency"].get("reason") or ""), missing, len(approvals.get("approved") or []))


def _manual_steps(report: Mapping[str, Any], run_id: str, member: Mapping[str, Any], since: str) -> list[PendingStep]:
    return [
        PendingStep(run_id, member["id"], str(member.get("name") or ""), str(system.get("name") or ""),
                    str(action.get("id") or ""), str(action.get("summary") or ""), since)
        for system in report.get("systems") or []
        for action in system.get("actions") or []
        if action.get("state") == State.MANUAL
    ]


def outdated_roster(member: Member, facts: LedgerFacts) -> Reinstatement | None:
    """The ledger's reinstatement of a member the roster still marks expelled or suspended, if it ended that very
    revocation (a roster that says expelled after a reinstated suspension records a newer decision: it holds)."""
    reinstated = facts.reinstated.get(member.id)
    if member.id in facts.revoked or reinstated is None or ROSTER_REVOKING.get(member.status) != reinstated.reverses:
        return None
    return reinstated


def revocations(members: Iterable[Member], facts: LedgerFacts) -> dict[str, Revocation]:
    """The ledger's revocations, plus members the roster marks expelled or suspended (the ledger says when, if it can),
    except those the ledger records reinstated since (``outdated_roster``): their access is legitimate."""
    revoked = dict(facts.revoked)
    for member in members:
        if member.status in ROSTER_REVOKING and member.id not in revoked and outdated_roster(member, facts) is None:
            revoked[member.id] = Revocation(member.id, ROSTER_REVOKING[member.status])
    return revoked
