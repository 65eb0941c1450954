"""``offboard approve`` and ``offboard approvals``: sign a saved plan as an approver, and see who did."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from offboard import operations
from offboard.cli import documents
from offboard.cli.app import ConfigOption, JsonOption, app, print_json, say, terminal
from offboard.errors import ExitCode, OffboardError

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.approvals import Quorum


@app.command()
def approve(
    plan_file: Path | None = typer.Argument(None, metavar="FILE", help="A plan saved with --save-plan."),
    run: str | None = typer.Option(None, "--run", metavar="RUN",
                                   help="An emergency run: approve the plan it applied, afterwards."),
    key: str | None = typer.Option(
        None, "--key", metavar="PATH|agent",
        help='Your own SSH private key file, or "agent" (default: $OFFBOARD_APPROVER_KEY).'),
    as_principal: str | None = typer.Option(
        None, "--as", metavar="PRINCIPAL", help="Your principal in the approvers file (default: the one listed for your key)."),
    decision: str | None = typer.Option(
        None, "--decision", metavar="TEXT",
        help='The decision you approve under, e.g. "minutes of 2026-11-28, item 4"; it is signed.'),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask to type the member id."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Approve a saved plan: sign its digest with your key, beside the plan in FILE.approvals/.

    Example: offboard approve plan.json --key ~/.ssh/id_ed25519
    """
    if (plan_file is None) == (run is None):
        raise OffboardError("give the plan FILE to approve, or --run RUN_ID for an emergency run (not both)")
    request = operations.ApproveRequest(plan_file or Path(), key, as_principal, decision, yes)
    with operations.Session.open(config) as session:
        if run is not None:
            result = operations.approve_run(session, run, request, terminal(as_json))
        else:
            result = operations.approve(session, request, terminal(as_json))
    plan_file = result.statement.parent.parent / result.statement.parent.name.removesuffix(".approvals")
    if as_json:
        print_json("approve", result.exit_code, documents.approve_fields(result, plan_file))
        return result.exit_code
    again = " (your earlier approval was replaced)" if result.replaced else ""
    say(f"Approved {plan_file} ({result.digest}) as {result.principal} with key {result.fingerprint}{again}.")
    if result.decision:
        say(f"Decision: {result.decision}")
    say(f"Written: {result.statement} and {result.signature.name}; share both with whoever applies the plan.")
    show_quorum(result.quorum, plan_file, heading=False)
    return result.exit_code


@app.command()
def approvals(
    plan_file: Path = typer.Argument(..., metavar="FILE", help="A plan saved with --save-plan."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Who approved a saved plan, with their key fingerprints, and how many approvals are still needed.

    Example: offboard approvals plan.json
    """
    with operations.Session.open(config) as session:
        quorum = operations.approvals(session, plan_file)
    if as_json:
        print_json("approvals", ExitCode.OK, documents.approvals_fields(quorum, plan_file))
    else:
        show_quorum(quorum, plan_file)
    return ExitCode.OK


def show_quorum(quorum: Quorum, plan_file: Path, heading: bool = True) -> None:
    """Who approved, what did not count and why, and the quorum: for people."""
    if heading:
        say(f"Plan {plan_file}: {quorum.digest}")
        if quorum.approved:
            say("Approved by:")
        for approval in quorum.approved:
            decided = f", decision: {approval.decision}" if approval.decision else ""
            say(f"  {approval.principal} (key {approval.fingerprint}) at {approval.at}{decided}")
        if not quorum.approved:
            say("Nobody has approved it yet.")
    if quorum.rejected:
        say("Not counted:")
    for rejected in quorum.rejected:
        say(f"  {rejected.file}: {rejected.reason}")
    count = len(quorum.approved)
    if quorum.required == 0:
        say(f"Approvals are off ([approvals] required = 0): {count} approval(s) recorded.")
    elif quorum.met:
        say(f"Quorum met ({count} of {quorum.required}).")
    else:
        many = "s" if quorum.missing != 1 else ""
        say(f"{quorum.missing} more approval{many} needed ({count} of {quorum.required}). "
            f"Each approver runs: offboard approve {plan_file} --key PATH|agent")
