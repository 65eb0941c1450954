"""The one path from a plan to a signed report, shared by expel, apply, resume and audit --fix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from offboard.apply.handover import carry_over, supersede
from offboard.apply.runs import (
    RunSummary,
    execute_runs,
    get_run,
    refresh_run,
    start_run,
    summarize,
    unfinished_run,
)
from offboard.apply.states import RunStatus
from offboard.errors import Aborted, OffboardError, RunLocked
from offboard.operations.interaction import Interaction
from offboard.operations.session import Session
from offboard.plans.plan import Plan
from offboard.report.document import attachments_of, build_document
from offboard.report.ledger import Ledger, ReportFiles
from offboard.spi import Connector


def require_signing(session: Session, unsigned: bool) -> None:
    """Refuse a real run without a signing key, unless the operator said ``--unsigned``.

    Checked before anything is revoked: a missing key or a wrong passphrase found after the
    cut would leave a run with no signed proof.
    """
    if session.signer is None and not unsigned:
        raise OffboardError(
            "no signing key is configured, so the report could not be signed: run `offboard keygen` and add the "
            "[signing] table it prints to the config, or pass --unsigned to go ahead with an unsigned report"
        )


def refuse_if_interrupted(session: Session, member_id: str, then: str) -> None:
    """A new run never starts beside an interrupted one of the same member: it is finished first."""
    interrupted = unfinished_run(session.journal, member_id)
    if interrupted is not None:
        raise OffboardError(f"run {interrupted.id} for {member_id} is unfinished: finish it first with "
                            f"`offboard resume {interrupted.id}`; {then}")


def issue_report(session: Session, run_id: str) -> ReportFiles:
    """Append the run's report to the ledger (next seq) and remember where it is."""
    document = build_document(session.journal, session.org, run_id)
    files = Ledger(session.config.reports_dir).append(document, session.signer, attachments_of(session.journal, run_id))
    session.journal.add_report(run_id, files.seq, files.json_path, files.sha256)
    return files


def apply_new_plan(session: Session, plan: Plan, connectors: Mapping[str, Connector], yes: bool,
                   ui: Interaction, approvals: dict[str, Any] | None = None) -> RunSummary:
    """Ask (unless ``yes``), journal the plan as a new run (with the approvals it is applied under), apply it
    and sign its report."""
    return apply_new_plans(session, [plan], connectors, yes, ui, [approvals])[0]


def apply_new_plans(session: Session, plans: Sequence[Plan], connectors: Mapping[str, Connector], yes: bool,
                    ui: Interaction, approvals: Sequence[dict[str, Any] | None] | None = None) -> list[RunSummary]:
    """``apply_new_plan`` for members planned together (one each): asked once, a run and a report each, the
    runs executed as one (in each system, every member's cut before any member's clean-up). The caller holds
    every member's lock."""
    members = [str(plan.member["id"]) for plan in plans]
    if not yes and not ui.confirm_apply(members, sum(len(plan.actions) for plan in plans)):
        raise Aborted("nothing was changed")
    run_ids = []
    for plan, approved in zip(plans, approvals or [None] * len(plans), strict=True):
        run_id = start_run(session.journal, plan, session.operator, approved)
        earlier = carry_over(session.journal, run_id)  # their waiting steps moved here: their reports say so
        earlier += supersede(session.journal, run_id)  # the other direction's open work is no longer wanted
        for changed in sorted(set(earlier)):
            issue_report(session, changed)
        run_ids.append(run_id)
    return runs_to_report(session, run_ids, connectors, ui, fresh=True)


def run_to_report(session: Session, run_id: str, connectors: Mapping[str, Connector], ui: Interaction,
                  fresh: bool = False) -> RunSummary:
    """Execute a run (or what is left of it), issue its report, and summarize it.

    ``fresh``: the run was planned (observed) just now, not resumed from the journal.
    """
    return runs_to_report(session, [run_id], connectors, ui, fresh)[0]


def runs_to_report(session: Session, run_ids: Sequence[str], connectors: Mapping[str, Connector], ui: Interaction,
                   fresh: bool = False) -> list[RunSummary]:
    """``run_to_report`` for runs executed together: one live display, a report each."""
    totals: Counter[str] = Counter()
    for run_id in run_ids:
        totals.update(session.journal.action_counts(run_id))
    if ui.can_reveal:  # a new password a reinstatement sets is shown to this person, once; else it is not set
        session.show_secrets_to(ui.reveal)
    with ui.progress(totals) as listener:
        execute_runs(session.journal, run_ids, connectors, session.retry, listener, fresh=fresh,
                     on_ctrl_c=lambda in_flight: ui.note(f"Stopping: nothing new is started; {in_flight} action(s) in "
                                                         "flight finish first. Press Ctrl-C again to quit at once."))
    for run_id in run_ids:
        issue_report(session, run_id)
    return [summarize(session.journal, run_id) for run_id in run_ids]


def refresh_waiting_runs(session: Session) -> dict[str, int]:
    """Look again at the steps waiting runs' systems close themselves (Slack deactivated by hand); a run
    with steps closed gets its next report. Returns how many were closed, per run. A member whose run is
    going on right now (its lock is held) is left for later, not waited for."""
    closed: dict[str, int] = {}
    for run in session.journal.runs(limit=1000):
        if run.status is not RunStatus.INCOMPLETE:
            continue
        try:
            with session.member_lock(run.member_id):
                count = _refresh(session, run.id)
        except RunLocked:
            continue
        if count:
            closed[run.id] = count
    return closed


def refresh_one_run(session: Session, run_id: str) -> int:
    """Close the run's self-closing steps its systems show done, under its member's lock; its report follows."""
    with session.member_lock(get_run(session.journal, run_id).member_id):
        return _refresh(session, run_id)


def _refresh(session: Session, run_id: str) -> int:
    connectors = session.connectors_for_plan(Plan.from_dict(get_run(session.journal, run_id).plan))
    count = refresh_run(session.journal, run_id, connectors, session.retry)
    if count:
        issue_report(session, run_id)
    return count
