"""expel, suspend, reinstate, apply and resume: each parses, calls one operation, and renders its result."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from offboard import operations
from offboard.cli import documents
from offboard.cli.app import ConfigOption, JsonOption, app, console, err_console, print_json, say, terminal
from offboard.cli.render import put, show_summary
from offboard.errors import ExitCode, OffboardError

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.apply.runs import RunSummary
    from offboard.operations import DueResult, PlanResult


NoNoticeOption = typer.Option(False, "--no-notice", help="Leave the written notice out; the report says so, and who.")
# the options expel, suspend and reinstate share, said once
MembersArgument = typer.Argument(..., metavar="MEMBER...",
                                 help="Member id or email, as in the roster; several are planned and cut together.")
DryRunOption = typer.Option(False, "--dry-run", help="Show what would change, change nothing.")
YesOption = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (review with --dry-run first).")
SavePlanOption = typer.Option(None, "--save-plan", metavar="FILE", help="Save the plan to FILE and stop; apply it later.")
UnsignedOption = typer.Option(False, "--unsigned", help="Go ahead without a signing key; the report says unsigned.")
PartialOption = typer.Option(False, "--partial", help="Cut what can be read now; read the rest later with resume.")


@app.command()
def expel(
    members: list[str] = MembersArgument,
    playbook: str = typer.Option("expel", "--playbook", "-p", metavar="NAME|FILE",
                                 help="A playbook's name, or its .yaml file."),
    dry_run: bool = DryRunOption,
    yes: bool = YesOption,
    save_plan: Path | None = SavePlanOption,
    unsigned: bool = UnsignedOption,
    partial: bool = PartialOption,
    no_notice: bool = NoNoticeOption,
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Revoke a member's access everywhere, following a playbook; several members are cut together.

    Example: offboard expel m042 --dry-run
    """
    request = operations.ExpelRequest(members[0], playbook, dry_run, save_plan, yes, unsigned, partial, no_notice,
                                      tuple(members[1:]))
    with operations.Session.open(config) as session:
        result = operations.expel(session, request, terminal(as_json))
    return show_planned(result, as_json)


@app.command()
def suspend(
    members: list[str] = MembersArgument,
    until: str = typer.Option(..., "--until", metavar="YYYY-MM-DD", help="The suspension's last day (UTC)."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT",
                               help="Why, as the committee decided; the signed report records it."),
    playbook: str = typer.Option("suspend", "--playbook", "-p", metavar="NAME|FILE",
                                 help="A playbook's name, or its .yaml file."),
    dry_run: bool = DryRunOption,
    yes: bool = YesOption,
    save_plan: Path | None = SavePlanOption,
    unsigned: bool = UnsignedOption,
    partial: bool = PartialOption,
    no_notice: bool = NoNoticeOption,
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Suspend a member until a date: end their access, keep what is needed to put it back.

    Example: offboard suspend m042 --until 2026-12-31 --reason "CC, item 4" --dry-run
    """
    request = operations.SuspendRequest(members[0], until, reason, playbook, dry_run, save_plan, yes, unsigned, partial,
                                        no_notice, tuple(members[1:]))
    with operations.Session.open(config) as session:
        result = operations.suspend(session, request, terminal(as_json))
    return show_planned(result, as_json)


@app.command()
def reinstate(
    member: str | None = typer.Argument(None, metavar="MEMBER", help="Member id or email, as in the roster."),
    due: bool = typer.Option(False, "--due", help="Every member whose suspension has ended (for a nightly timer)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would come back, change nothing."),
    yes: bool = YesOption,
    save_plan: Path | None = SavePlanOption,
    unsigned: bool = UnsignedOption,
    no_notice: bool = NoNoticeOption,
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Put a suspended or expelled member back as they were, from the signed record of what was removed.

    Example: offboard reinstate m042 --dry-run
    """
    if due == (member is not None):
        raise OffboardError("give a MEMBER, or --due for every member whose suspension has ended (not both)")
    if due and (dry_run or save_plan):
        raise OffboardError("--due applies; to look first, run `offboard reinstate MEMBER --dry-run` for each member")
    with operations.Session.open(config) as session:
        if due:
            return show_due(operations.reinstate_due(session, yes, unsigned, terminal(as_json)), as_json)
        request = operations.ReinstateRequest(str(member), dry_run, save_plan, yes, unsigned, no_notice)
        result = operations.reinstate(session, request, terminal(as_json))
    return show_planned(result, as_json)


def show_planned(result: PlanResult, as_json: bool) -> int:
    """A plan that was applied (its run), saved, or only shown."""
    if result.others:
        return show_together(result, as_json)
    if result.run is not None:
        return show_run(result.run, as_json)
    if as_json:
        print_json("plan", result.exit_code, documents.plan_fields(result))
        return result.exit_code
    if result.saved_to:
        say(f"Plan saved to {result.saved_to} ({result.plan.digest if result.plan else ''}). "
            f"Apply it with: offboard apply {result.saved_to}")
    else:
        console.print("Dry run: nothing was changed.")
    say_unread([s.system for s in result.unread], "the plan says")
    return result.exit_code


def say_unread(systems: list[str], where: str) -> None:
    """Systems a shown plan could not read: never "nothing to do"; ``where`` names the plan(s) that say why."""
    if systems:
        put(err_console, f"{len(systems)} system(s) could not be read ({', '.join(systems)}): fix what {where}, "
                         "or apply with --partial to cut the others first.")


def show_together(result: PlanResult, as_json: bool) -> int:
    """Members planned together: each one's run (or, in a dry run, the plans shown above)."""
    if as_json:
        print_json("together", result.exit_code, documents.together_fields(result))
        return result.exit_code
    ran = [each.run for each in result.each if each.run is not None]
    for summary in ran:
        show_summary(console, summary)
    if ran:
        total: Counter[str] = Counter()
        for summary in ran:
            total.update(documents.run_counts(summary))
        console.print()
        say(f"Together, {len(ran)} members: {total['changed']} changed, {total['failed']} failed, "
            f"{total['waiting']} waiting on a person.")
    else:
        console.print("Dry run: nothing was changed.")
    if not ran:
        say_unread(sorted({s.system for each in result.each for s in each.unread}), "the plans say")
    return result.exit_code


@app.command("apply")
def apply_plan(
    plan_file: Path = typer.Argument(..., metavar="FILE", help="A plan saved with --save-plan."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    unsigned: bool = typer.Option(False, "--unsigned", help="Go ahead without a signing key."),
    partial: bool = PartialOption,
    emergency: bool = typer.Option(False, "--emergency", help="With one approval, where [approvals] emergency allows it."),
    reason: str | None = typer.Option(None, "--reason", metavar="TEXT",
                                      help="Why this cannot wait for every approval (with --emergency)."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Apply a saved plan exactly, after checking nothing changed since it was made and that it is approved.

    Example: offboard apply plan.json
    """
    if emergency != (reason is not None):
        raise OffboardError("--emergency and --reason TEXT go together: say why the run cannot wait for every approval")
    with operations.Session.open(config) as session:
        summary = operations.apply_saved(session, plan_file, yes, unsigned, terminal(as_json), partial, reason)
    return show_run(summary, as_json)


@app.command()
def resume(
    run_id: str | None = typer.Argument(None, metavar="RUN", help="The run to finish (default: the latest interrupted one)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before applying what systems read only now need."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Finish a run that was interrupted, killed or failed, re-checking what was in flight.

    Example: offboard resume
    """
    with operations.Session.open(config) as session:
        result = operations.resume(session, run_id, terminal(as_json), yes)
    if result.run is not None:
        return show_run(result.run, as_json)
    if as_json:
        print_json("resume", result.exit_code, documents.resume_fields(result))
        return result.exit_code
    if result.not_interrupted is not None:
        run = result.not_interrupted
        say(f"Nothing to resume: run {run.run.id} was not interrupted (it is {run.status}).")
    else:
        console.print("Nothing to resume: no run was interrupted. See the runs with: offboard status")
    for run_id, count in result.closed.items():
        say(f"Run {run_id}: {count} step(s) its systems now show done were closed; see: offboard status {run_id}")
    return result.exit_code


def show_due(result: DueResult, as_json: bool) -> int:
    """Each member whose suspension ended: reinstated (their run), or why not."""
    if as_json:
        print_json("due", result.exit_code, documents.due_fields(result))
        return result.exit_code
    if not result.members:
        console.print("No suspension has ended: nobody to reinstate.")
    for due in result.members:
        if due.result is not None and due.result.run is not None:
            show_summary(console, due.result.run)
        elif due.error:
            put(err_console, f"{due.member_id} (suspended until {due.until}) was not reinstated: {due.error}")
    return result.exit_code


def show_run(summary: RunSummary, as_json: bool) -> ExitCode:
    """A finished run: its summary for people, or one JSON document."""
    if as_json:
        print_json("run", summary.exit_code, documents.run_fields(summary))
    else:
        show_summary(console, summary)
    return summary.exit_code
