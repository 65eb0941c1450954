"""audit: every account against the roster and the ledger; --fix what was revoked but is active."""

from __future__ import annotations

import typer

from offboard import operations
from offboard.cli import documents
from offboard.cli.app import ConfigOption, JsonOption, app, console, err_console, print_json, terminal
from offboard.cli.prompts import can_ask
from offboard.cli.render import put, show_summary


@app.command()
def audit(
    fix: bool = typer.Option(False, "--fix", help="Plan and apply the member's playbook where access is still active."),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --fix: show the plans, change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --fix: do not ask for confirmation."),
    playbook: str | None = typer.Option(None, "--playbook", "-p", metavar="NAME|FILE",
                                        help="The playbook --fix follows (default: expel, or suspend for a suspended member)."),
    notify: bool = typer.Option(False, "--notify", help="Post a summary (situations and names only) to [notify] slack_channel."),
    unsigned: bool = typer.Option(False, "--unsigned", help="Go ahead without a signing key; the report says unsigned."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Find access that was missed or granted again: every account against the roster and the ledger.

    Example: offboard audit --fix --dry-run
    """
    request = operations.AuditRequest(fix, dry_run, yes, playbook, notify, unsigned, can_ask())
    with operations.Session.open(config) as session:
        outcome = operations.audit(session, request, terminal(as_json))
    if outcome.notify_error:
        put(err_console, f"Error: {outcome.notify_error}")
    if as_json:
        print_json("audit", outcome.exit_code, documents.audit_fields(outcome, fix))
    elif fix:
        show_fixes(outcome, dry_run)
    return outcome.exit_code


def show_fixes(outcome: operations.AuditOutcome, dry_run: bool) -> None:
    if not outcome.fixes:
        console.print("Nothing to fix: no revoked member has an active account.")
    for fix in outcome.fixes:
        if fix.run is not None:
            show_summary(console, fix.run)
        if fix.error:
            put(err_console, f"Error: could not fix {fix.member_id}: {fix.error}")
    if dry_run and outcome.fixes:
        console.print("Dry run: nothing was changed.")
