"""Where runs stand, and the steps people do: status and confirm."""

from __future__ import annotations

from dataclasses import dataclass

from offboard.apply.confirm import ConfirmRequest, confirm_step
from offboard.apply.journal import ActionRow, RunRow
from offboard.apply.runs import RunSummary, find_run, refresh_run, summarize
from offboard.errors import ExitCode
from offboard.operations.running import issue_report
from offboard.operations.session import Session
from offboard.plans.plan import Plan

RECENT = 20


@dataclass
class RunList:
    runs: list[RunRow]
    exit_code: ExitCode = ExitCode.OK


@dataclass
class RunDetail:
    summary: RunSummary
    actions: list[ActionRow]

    @property
    def exit_code(self) -> ExitCode:
        return self.summary.exit_code


def status(session: Session, run_id: str | None = None) -> RunList | RunDetail:
    """The recent runs; or one run, after closing the manual steps its systems now show done."""
    if run_id is None:
        return RunList(session.journal.runs(limit=RECENT))
    run = find_run(session.journal, run_id)
    connectors = session.connectors_for_plan(Plan.from_dict(run.plan))
    if refresh_run(session.journal, run.id, connectors, session.retry):
        issue_report(session, run.id)
    return RunDetail(summarize(session.journal, run.id), session.journal.actions(run.id))


@dataclass
class ConfirmResult:
    step: ActionRow
    by: str
    closed: bool  # False: it waits for a second confirmer
    summary: RunSummary

    @property
    def exit_code(self) -> ExitCode:
        return self.summary.exit_code if self.closed else ExitCode.WAITING


def confirm(session: Session, run_id: str, request: ConfirmRequest) -> ConfirmResult:
    """Record a person's confirmation of a manual step; a closed step issues the run's next report."""
    run = find_run(session.journal, run_id)
    step, closed = confirm_step(session.journal, run.id, request)
    if closed:
        issue_report(session, run.id)
    return ConfirmResult(step, request.by.strip(), closed, summarize(session.journal, run.id))
