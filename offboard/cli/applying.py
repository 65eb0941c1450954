"""What expel, apply, resume and audit --fix share: the typed confirmation, and applying a run."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import typer

from offboard.apply import runs
from offboard.cli.app import console, print_json
from offboard.cli.render import LiveProgress, show_summary
from offboard.errors import OffboardError
from offboard.operations.session import Workspace
from offboard.report.document import issue_report
from offboard.spi import Connector


def ask(question: str) -> str:
    """Ask at the terminal; refuse to guess when nobody is there to answer."""
    if not sys.stdin.isatty():
        raise OffboardError("confirmation needed but there is no terminal: review the plan with --dry-run, then pass --yes")
    return typer.prompt(question, default="", show_default=False, err=True)


def confirm_apply(member_id: str, count: int) -> None:
    answer = ask(f"Type the member id ({member_id}) to apply these {count} actions, or press Enter to cancel")
    if answer.strip() != member_id:
        raise typer.Abort()


def apply_and_report(ws: Workspace, run_id: str, connectors: dict[str, Connector], as_json: bool, fresh: bool = False) -> int:
    """Execute a run with a live display, issue its report, print the summary; returns the exit code.

    ``fresh``: the run was planned (observed) just now, not resumed from the journal.
    """
    totals = {s: 0 for s in connectors}
    for row in ws.journal.actions(run_id):
        totals[row.system] = totals.get(row.system, 0) + 1
    live = LiveProgress(console, totals) if console.is_terminal and not as_json else nullcontext()
    with live as listener:
        runs.execute_run(ws, run_id, connectors, listener, fresh=fresh)
    issue_report(ws, run_id)
    summary = runs.summarize(ws, run_id)
    if as_json:
        print_json(summary.to_dict())
    else:
        show_summary(console, summary)
    return summary.exit_code
