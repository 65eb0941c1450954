"""expel, apply, resume, status and confirm."""

from __future__ import annotations

from pathlib import Path

import typer

from offboard.apply import runs
from offboard.apply.locking import hold
from offboard.cli.app import ConfigOption, app, console, err_console, print_json
from offboard.cli.applying import apply_and_report, ask, confirm_apply
from offboard.cli.render import show_manual, show_plan
from offboard.operations.session import Workspace, operator_name
from offboard.plans.plan import Plan, build_plan, refuse_if_stale
from offboard.report.document import issue_report, require_signing


def _mention_waiting_run(ws: Workspace, member_id: str) -> None:
    """A new run is fine, but the operator should know an earlier one still waits on people."""
    latest = ws.journal.runs(member_id, limit=1)
    if latest and latest[0].status == runs.INCOMPLETE:
        waiting = len(runs.summarize(ws, latest[0].id).manual)
        err_console.print(f"Note: run {latest[0].id} for {member_id} still waits on {waiting} manual step(s): "
                          f"offboard status {latest[0].id}", markup=False)


@app.command()
def expel(
    member: str = typer.Argument(..., help="Member id or email, as in the roster."),
    playbook: str = typer.Option("expel", "--playbook", "-p", help="Playbook name or path to a .yaml file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change, change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (review with --dry-run first)."),
    save_plan: Path | None = typer.Option(None, "--save-plan", help="Save the plan to FILE and stop; apply it later."),
    unsigned: bool = typer.Option(False, "--unsigned", help="Go ahead without a signing key; the report says unsigned."),
    config: str | None = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document for scripts."),
) -> int:
    """Revoke a member's access everywhere, following a playbook."""
    ws = Workspace.open(config)
    person = ws.member(member)
    book = ws.playbook(playbook)
    connectors = ws.connectors_for(book)
    if not (dry_run or save_plan):
        require_signing(ws, unsigned)
    with hold(ws.config.state_dir, f"member-{person.id}", f"a run for {person.id}"):
        interrupted = runs.unfinished_run(ws, person.id) if not (dry_run or save_plan) else None
        if interrupted is not None:
            err_console.print(f"An interrupted run {interrupted.id} for {person.id} is unfinished; resuming it.")
            if not yes and ask("Resume it instead of starting again? [y/N]").strip().lower() not in {"y", "yes"}:
                raise typer.Abort()
            return apply_and_report(ws, interrupted.id, ws.connectors_for(book), as_json)
        _mention_waiting_run(ws, person.id)
        plan = build_plan("expel", ws.org, person, book, connectors, ws.retry)
        if as_json and (dry_run or save_plan):
            print_json(plan.to_dict())
        elif not as_json:
            show_plan(console, plan)
        if save_plan:
            plan.save(save_plan)
            if not as_json:
                console.print(f"Plan saved to {save_plan}. Apply it with: offboard apply {save_plan}")
            return 0
        if dry_run:
            if not as_json:
                console.print("Dry run: nothing was changed.")
            return 0
        if not yes:
            confirm_apply(person.id, len(plan.actions))
        run_id = runs.start_run(ws, plan, operator_name(ws.environ))
        return apply_and_report(ws, run_id, connectors, as_json, fresh=True)


@app.command("apply")
def apply_plan(
    plan_file: Path = typer.Argument(..., help="A plan saved with --save-plan."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    unsigned: bool = typer.Option(False, "--unsigned", help="Go ahead without a signing key."),
    config: str | None = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document for scripts."),
) -> int:
    """Apply a saved plan exactly, after checking nothing changed since it was made."""
    saved = Plan.load(plan_file)
    ws = Workspace.open(config)
    require_signing(ws, unsigned)
    person = ws.member(saved.member["id"])
    book = ws.playbook(saved.playbook["path"])
    connectors = ws.connectors_for(book)
    with hold(ws.config.state_dir, f"member-{person.id}", f"a run for {person.id}"):
        fresh = build_plan(saved.kind, ws.org, person, book, connectors, ws.retry)
        refuse_if_stale(saved, fresh, plan_file)
        if not as_json:
            show_plan(console, saved)
        if not yes:
            confirm_apply(person.id, len(saved.actions))
        run_id = runs.start_run(ws, saved, operator_name(ws.environ))
        return apply_and_report(ws, run_id, connectors, as_json, fresh=True)


@app.command()
def resume(
    run_id: str | None = typer.Argument(None, help="The run to finish (default: the latest interrupted one)."),
    config: str | None = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document for scripts."),
) -> int:
    """Finish an interrupted run from the journal, re-checking what was in flight."""
    ws = Workspace.open(config)
    run = runs.find_run(ws, run_id) if run_id else runs.unfinished_run(ws)
    if run is None:
        console.print("Nothing to resume: no run was interrupted. See the runs with: offboard status")
        return 0
    with hold(ws.config.state_dir, f"member-{run.member_id}", f"a run for {run.member_id}"):
        if not runs.is_interrupted(ws, run.id):
            summary = runs.summarize(ws, run.id)
            console.print(f"Nothing to resume: run {run.id} was not interrupted (it is {summary.status}).")
            return summary.exit_code
        connectors = ws.connectors_for_plan(Plan.from_dict(run.plan))
        return apply_and_report(ws, run.id, connectors, as_json)


@app.command()
def status(
    run_id: str | None = typer.Argument(None, help="A run id (or its start); without it, the recent runs."),
    config: str | None = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document for scripts."),
) -> int:
    """Show runs, and a run's outcomes with the steps waiting on a person first."""
    ws = Workspace.open(config)
    if run_id is None:
        recent = ws.journal.runs(limit=20)
        if as_json:
            print_json([{"run_id": r.id, "kind": r.kind, "member": r.member_id, "status": r.status,
                         "started": r.started} for r in recent])
            return 0
        if not recent:
            console.print("No runs yet. Start one with: offboard expel MEMBER --dry-run")
        for r in recent:
            console.print(f"{r.id}  {r.kind:<8} {r.member_id:<10} {r.status:<11} {r.started[:19].replace('T', ' ')} UTC",
                          markup=False)
        return 0
    run = runs.find_run(ws, run_id)
    if runs.refresh_run(ws, run.id, ws.connectors_for_plan(Plan.from_dict(run.plan)), ):
        issue_report(ws, run.id)
    summary = runs.summarize(ws, run.id)
    if as_json:
        document = summary.to_dict()
        document["actions"] = [{"system": r.system, "id": r.action.id, "summary": r.action.summary, "state": r.state,
                                "attempts": r.attempts, "detail": r.detail, "last_error": r.last_error}
                               for r in ws.journal.actions(run.id)]
        print_json(document)
        return summary.exit_code
    if summary.manual:
        show_manual(console, run.id, summary.manual)
        console.print()
    console.print(f"Run {run.id}: {run.kind} {run.member_id} {run.member_name}, by {run.operator}, status {summary.status}")
    for row in ws.journal.actions(run.id):
        error = f" - {row.last_error}" if row.last_error else ""
        detail = f" ({row.detail})" if row.detail and not error else ""
        console.print(f"  {row.state:<8} {row.system:<12} {row.action.summary}{detail}{error}", markup=False)
    for path in summary.reports[-1:]:
        console.print(f"Report: {path}")
    return summary.exit_code


@app.command()
def confirm(
    run_id: str = typer.Argument(..., help="The run (id or its start)."),
    step_id: str = typer.Argument(..., help="The manual step, e.g. bank:remove-signer (or remove-signer)."),
    by: str = typer.Option(..., "--by", help="Who did it (your name)."),
    evidence: list[Path] = typer.Option([], "--evidence", help="A file proving it (hashed, not copied). Repeatable."),
    reference: str | None = typer.Option(None, "--reference", help="A case number or other reference."),
    note: str | None = typer.Option(None, "--note", help="Anything worth keeping."),
    not_applicable: bool = typer.Option(False, "--not-applicable", help="The step does not apply to this member."),
    reason: str | None = typer.Option(None, "--reason", help="Why it does not apply (with --not-applicable)."),
    config: str | None = ConfigOption,
) -> int:
    """Record a manual step as done, with evidence (or as not applicable, with a reason)."""
    ws = Workspace.open(config)
    run = runs.find_run(ws, run_id)
    request = runs.ConfirmRequest(step_id, by, tuple(evidence), reference, note, not_applicable, reason)
    row, closed = runs.confirm_step(ws, run.id, request)
    if not closed:
        console.print(f"Recorded: {row.action.id} confirmed by {by}. It needs a second confirmer: "
                      f"offboard confirm {run.id} {row.action.id} --by OTHER-NAME")
        return 3
    issue_report(ws, run.id)
    summary = runs.summarize(ws, run.id)
    console.print(f"Recorded: {row.action.id} is closed. Run {run.id} is now {summary.status}.")
    if summary.manual:
        console.print(f"{len(summary.manual)} step(s) still wait on a person: offboard status {run.id}")
    if summary.reports:
        console.print(f"Report: {summary.reports[-1]}")
    return summary.exit_code
