"""Reinstatement: put a suspended or expelled member back, exactly as the record says they were.

``reinstate`` plans from the verified ledger and the journal (``offboard.plans.restoring``), shows
what comes back, what is already so and what cannot come back, then saves, stops or applies the
plan like any other (``running``). ``reinstate_due`` does it for every member whose suspension
has ended: the nightly timer beside the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from offboard import clock
from offboard.audit.facts import read_ledger
from offboard.errors import ExitCode, OffboardError
from offboard.operations.interaction import Interaction, Silent
from offboard.operations.planning import plan_reinstatement
from offboard.operations.revoke import PlanResult, decide, no_notice
from offboard.operations.running import refuse_if_interrupted, require_signing
from offboard.operations.session import Session
from offboard.plans.plan import Plan
from offboard.plans.restoring import REINSTATE
from offboard.report.trusted import trusted_ledger


@dataclass(frozen=True)
class ReinstateRequest:
    member: str  # an id or email, as in the roster
    dry_run: bool = False
    save_plan: Path | None = None
    yes: bool = False
    unsigned: bool = False
    no_notice: bool = False  # leave the notice of the reinstatement out (the report says so, and who did)


def reinstate(session: Session, request: ReinstateRequest, ui: Interaction | None = None) -> PlanResult:
    """Plan the member's reinstatement from their suspension or expulsion on record; show it; save, stop or apply."""
    ui = ui or Silent()
    if request.save_plan:
        Plan.check_save_path(request.save_plan)
    person = session.member(request.member)
    return decide(session, REINSTATE, person.id, request,
                  lambda: plan_reinstatement(session, person, no_notice(session, request.no_notice)), ui)


@dataclass
class Due:
    """A member whose suspension has ended, and what reinstating them gave."""

    member_id: str
    until: str
    result: PlanResult | None = None
    error: str | None = None  # why they could not be reinstated now


@dataclass
class DueResult:
    members: list[Due] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        if any(d.error for d in self.members):
            return ExitCode.ERROR
        codes = [d.result.exit_code for d in self.members if d.result]
        return max(codes, default=ExitCode.OK)


def reinstate_due(session: Session, yes: bool = False, unsigned: bool = False,
                  ui: Interaction | None = None) -> DueResult:
    """Reinstate every member whose suspension ``until`` has passed, one after the other; one failure stops none."""
    ui = ui or Silent()
    require_signing(session, unsigned)
    ledger = trusted_ledger(session.config, session.journal)
    result = DueResult()
    today = clock.today()  # looked up here: a test that moves the clock's day moves this one
    ended = {m: r.until for m, r in read_ledger(ledger.reports).revoked.items() if r.kind == "suspend" and r.ended(today)}
    for member_id, until in ended.items():
        due = Due(member_id, str(until))
        result.members.append(due)
        ui.note(f"{member_id}: suspended until {until}; reinstating.")
        try:
            refuse_if_interrupted(session, member_id, "then reinstate again")  # not finished here, unasked
            due.result = reinstate(session, ReinstateRequest(member_id, yes=yes, unsigned=unsigned), ui)
        except OffboardError as exc:
            due.error = str(exc)
            ui.note(f"{member_id} was not reinstated: {exc}")
    return result
