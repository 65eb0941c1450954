"""Revoking access: expel a member by playbook, apply a saved plan, resume an interrupted run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from offboard.apply.runs import RunSummary, get_run, is_interrupted, summarize, unfinished_run
from offboard.apply.runs import find_run as find_run_row
from offboard.apply.states import RunStatus
from offboard.errors import Aborted, ExitCode
from offboard.operations.interaction import Interaction, Silent
from offboard.operations.running import apply_new_plan, require_signing, run_to_report
from offboard.operations.session import Session
from offboard.plans.discovery import build_plan
from offboard.plans.plan import Plan
from offboard.plans.stale import refuse_if_stale


@dataclass(frozen=True)
class ExpelRequest:
    member: str  # an id or email, as in the roster
    playbook: str = "expel"  # a name or a path
    dry_run: bool = False
    save_plan: Path | None = None
    yes: bool = False  # do not ask before applying
    unsigned: bool = False  # go ahead without a signing key


@dataclass
class ExpelResult:
    plan: Plan | None  # None when an interrupted run was finished instead
    saved_to: Path | None = None
    run: RunSummary | None = None  # when something was applied

    @property
    def exit_code(self) -> ExitCode:
        return self.run.exit_code if self.run else ExitCode.OK


def expel(session: Session, request: ExpelRequest, ui: Interaction | None = None) -> ExpelResult:
    """Plan the member's expulsion by playbook; show it; then save it, stop (dry run), or apply it."""
    ui = ui or Silent()
    if request.save_plan:
        Plan.check_save_path(request.save_plan)  # before anything is read or written
    person = session.member(request.member)
    book = session.playbook(request.playbook)
    connectors = session.connectors_for(book)
    applying = not (request.dry_run or request.save_plan)
    if applying:
        require_signing(session, request.unsigned)
    with session.member_lock(person.id):
        interrupted = unfinished_run(session.journal, person.id) if applying else None
        if interrupted is not None:
            ui.note(f"An interrupted run {interrupted.id} for {person.id} is unfinished; resuming it.")
            if not request.yes and not ui.confirm_resume(interrupted.id, person.id):
                raise Aborted("nothing was changed")
            recorded = session.connectors_for_plan(Plan.from_dict(interrupted.plan))
            return ExpelResult(None, run=run_to_report(session, interrupted.id, recorded, ui))
        _mention_waiting_run(session, person.id, ui)
        plan = build_plan("expel", session.org, person, book, connectors, session.retry)
        ui.show_plan(plan)
        if request.save_plan:
            plan.save(request.save_plan)
            return ExpelResult(plan, saved_to=request.save_plan)
        if request.dry_run:
            return ExpelResult(plan)
        return ExpelResult(plan, run=apply_new_plan(session, plan, connectors, request.yes, ui))


def apply_saved(session: Session, plan_file: Path, yes: bool = False, unsigned: bool = False,
                ui: Interaction | None = None) -> RunSummary:
    """Apply a saved plan exactly, after re-observing: a plan the systems no longer match is refused."""
    ui = ui or Silent()
    saved = Plan.load(plan_file)
    require_signing(session, unsigned)
    person = session.member(saved.member["id"])
    book = session.playbook(saved.playbook["path"])
    connectors = session.connectors_for(book)
    with session.member_lock(person.id):
        fresh = build_plan(saved.kind, session.org, person, book, connectors, session.retry)
        refuse_if_stale(saved, fresh, plan_file)
        ui.show_plan(saved)
        return apply_new_plan(session, saved, connectors, yes, ui)


@dataclass
class ResumeResult:
    run: RunSummary | None  # the finished run; None when there was nothing to resume
    not_interrupted: RunSummary | None = None  # the run named, when it was not interrupted

    @property
    def exit_code(self) -> ExitCode:
        if self.run:
            return self.run.exit_code
        return self.not_interrupted.exit_code if self.not_interrupted else ExitCode.OK


def resume(session: Session, run_id: str | None = None, ui: Interaction | None = None) -> ResumeResult:
    """Finish an interrupted run from its recorded plan, re-checking what was in flight."""
    ui = ui or Silent()
    run = find_run_row(session.journal, run_id) if run_id else unfinished_run(session.journal)
    if run is None:
        return ResumeResult(None)
    with session.member_lock(run.member_id):
        if not is_interrupted(session.journal, run.id):
            return ResumeResult(None, not_interrupted=summarize(session.journal, run.id))
        connectors = session.connectors_for_plan(Plan.from_dict(get_run(session.journal, run.id).plan))
        return ResumeResult(run_to_report(session, run.id, connectors, ui))


def _mention_waiting_run(session: Session, member_id: str, ui: Interaction) -> None:
    """A new run is fine, but the operator should know an earlier one still waits on people."""
    latest = session.journal.runs(member_id, limit=1)
    if latest and latest[0].status is RunStatus.INCOMPLETE:
        waiting = len(summarize(session.journal, latest[0].id).manual)
        ui.note(f"Note: run {latest[0].id} for {member_id} still waits on {waiting} manual step(s): "
                f"offboard status {latest[0].id}")
