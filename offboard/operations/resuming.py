"""Finishing a run that stopped: interrupted, killed or failed, taken to its end and its signed report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from offboard.apply.runs import RunSummary, get_run, is_interrupted, summarize, unfinished_run
from offboard.apply.runs import find_run as find_run_row
from offboard.apply.states import RunStatus
from offboard.errors import Aborted, ExitCode, OffboardError, StalePlanError
from offboard.operations.interaction import Interaction, Silent
from offboard.operations.running import refresh_waiting_runs, run_to_report
from offboard.operations.session import Session
from offboard.plans.discovery import discover_system, member_entry
from offboard.plans.plan import Plan


@dataclass
class ResumeResult:
    run: RunSummary | None  # the finished run; None when there was nothing to resume
    not_interrupted: RunSummary | None = None  # the run named, when it had nothing left to do
    closed: dict[str, int] = field(default_factory=dict)  # without a run: self-closing steps closed, per run

    @property
    def exit_code(self) -> ExitCode:
        if self.run:
            return self.run.exit_code
        return self.not_interrupted.exit_code if self.not_interrupted else ExitCode.OK


def resume(session: Session, run_id: str | None = None, ui: Interaction | None = None, yes: bool = False) -> ResumeResult:
    """Finish a run from its recorded plan: what was in flight is re-checked, failed actions are re-checked
    and tried again, and its report is signed. Without a run and with none interrupted, the steps that
    waiting runs' systems close themselves are looked at again."""
    ui = ui or Silent()
    run = find_run_row(session.journal, run_id) if run_id else unfinished_run(session.journal)
    if run is None:
        return ResumeResult(None, closed=refresh_waiting_runs(session))
    with session.member_lock(run.member_id):
        summary = summarize(session.journal, run.id)
        if summary.status is not RunStatus.FAILED and not is_interrupted(session.journal, run.id):
            return ResumeResult(None, not_interrupted=summary)
        return ResumeResult(finish_run(session, run.id, ui, yes))


def finish_run(session: Session, run_id: str, ui: Interaction, yes: bool = False) -> RunSummary:
    """Take a stopped or failed run to its end and its report, with the connectors its recorded plan names:
    systems that could not be read are read now (their actions join the run), failed actions are tried again."""
    if summarize(session.journal, run_id).status is RunStatus.FAILED:
        _read_unread_systems(session, run_id, ui, yes)
        session.journal.retry_failed(run_id)
    connectors = session.connectors_for_plan(Plan.from_dict(get_run(session.journal, run_id).plan))
    return run_to_report(session, run_id, connectors, ui)


def _read_unread_systems(session: Session, run_id: str, ui: Interaction, yes: bool) -> None:
    """The run's "read SYSTEM" steps (a run applied with --partial): discover each again, with today's
    credentials, for the member and playbook the run was planned with; show what was found and ask."""
    run = get_run(session.journal, run_id)
    plan = Plan.from_dict(run.plan)
    if not any(s.error for s in plan.systems):
        return
    if session.config.approvals.required:  # what is read now was in no plan anyone approved
        raise OffboardError(f"run {run_id} could not read {', '.join(s.system for s in plan.systems if s.error)}, and "
                            f"[approvals] requires approved plans: what is found there now was approved by nobody; "
                            f"save a new plan with `offboard {run.kind} {run.member_id} --save-plan FILE` and have "
                            "it approved")
    person = session.member(run.member_id)
    book = session.saved_playbook(str(plan.playbook.get("ref") or plan.playbook.get("name")))
    changed = [what for what, now, then in (("the roster entry", member_entry(person), plan.member),
                                             ("the playbook", book.sha256, plan.playbook.get("sha256"))) if now != then]
    if changed:
        raise StalePlanError(f"{' and '.join(changed)} of run {run_id} changed since it was planned, so the systems it "
                             f"could not read are not read for it: plan again with: offboard {run.kind} {run.member_id}")
    steps = {step.system: step for step in book.steps}
    connectors = session.connectors_for(book)
    read = replace(plan, systems=[discover_system(steps[s.system], connectors.get(s.system), person, session.retry)
                                  for s in plan.systems if s.error and s.system in steps])
    ui.show_plan(read)
    if read.actions and not yes and not ui.confirm_apply([run.member_id], len(read.actions)):
        raise Aborted("nothing was changed")
    fresh = {s.system: s for s in read.systems}
    plan.systems = [fresh.get(s.system, s) for s in plan.systems]
    session.journal.add_actions(run_id, plan.to_dict(), read.actions)
