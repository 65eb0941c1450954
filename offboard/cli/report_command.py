"""``offboard report``: a run's verified report for the committee, printed as Markdown or written as HTML."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from offboard import operations
from offboard.cli import documents
from offboard.cli.app import ConfigOption, JsonOption, app, err_console, print_json, say
from offboard.cli.render import put
from offboard.errors import ExitCode


@app.command()
def report(
    target: str = typer.Argument(..., metavar="RUN|REPORT|NUMBER",
                                 help="A run id (or its start: its latest report), a report file, or a report number."),
    html: bool = typer.Option(False, "--html", help="Write an HTML page for the minutes (default: beside the report)."),
    output: Path | None = typer.Option(None, "--output", "-o", metavar="FILE|DIR",
                                       help="Write it to FILE, or into the folder DIR, instead."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Show a run's signed report in plain words, after verifying it: Markdown, or an HTML page to attach to minutes.

    Example: offboard report 000003 --html
    """
    from offboard.operations.reporting import ReportRequest, show_report  # on use: `offboard --help` stays quick

    with operations.Session.open(config) as session:
        shown = show_report(session, ReportRequest(target, html, output))
    if shown.warning:
        put(err_console, f"Warning: {shown.warning}")
    if as_json:
        print_json("report", ExitCode.OK, documents.report_fields(shown))
    elif shown.written is None:
        sys.stdout.write(shown.text)
    else:
        say(f"Wrote {shown.written}")
    return ExitCode.OK
