"""What the verified ledger says: who is expelled or suspended and since when, and which manual steps are open.

A member is revoked when the roster says expelled or suspended, or when the ledger's latest
expel/suspend report for them is not followed by a reinstate report; the ledger says when.
The reports come already verified (``offboard.report.trusted.trusted_ledger``), in seq order: an
unsigned or foreign report never reaches this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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

    @property
    def word(self) -> str:
        """``expelled`` or ``suspended``."""
        return REVOKING.get(self.kind, self.kind)

    def describe(self) -> str:
        if self.since:
            return f"{self.word} {self.since[:10]} (report {self.seq or 0:06d})"
        return f"{self.word} (roster; no report in the ledger)"


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
            open_steps[run_id] = _manual_steps(report, run_id, member, since=first[run_id][0])
    for member_id, (kind, run_id) in latest.items():
        if kind in REVOKING:
            since, seq = first[run_id]
            facts.revoked[member_id] = Revocation(member_id, kind, since or None, run_id, seq)
    facts.pending = [step for steps in open_steps.values() for step in steps]
    return facts


def _manual_steps(report: Mapping[str, Any], run_id: str, member: Mapping[str, Any], since: str) -> list[PendingStep]:
    return [
        PendingStep(run_id, member["id"], str(member.get("name") or ""), str(system.get("name") or ""),
                    str(action.get("id") or ""), str(action.get("summary") or ""), since)
        for system in report.get("systems") or []
        for action in system.get("actions") or []
        if action.get("state") == State.MANUAL
    ]


def revocations(members: Iterable[Member], facts: LedgerFacts) -> dict[str, Revocation]:
    """The ledger's revocations, plus members the roster marks expelled or suspended (the ledger says when, if it can)."""
    revoked = dict(facts.revoked)
    for member in members:
        if member.status in ROSTER_REVOKING and member.id not in revoked:
            revoked[member.id] = Revocation(member.id, ROSTER_REVOKING[member.status])
    return revoked
