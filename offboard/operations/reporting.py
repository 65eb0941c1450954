"""``offboard report``: one run's report for the committee, as Markdown or as an HTML page for the minutes.

The report is read from the verified ledger only (``trusted_ledger``: pinned to the configured signer
and namespace, cross-checked with this machine's journal), so what is rendered is a fact: an unsigned,
foreign or edited report stops it with an error, never a page. Nothing is written until the report has
verified and the output's folder is known to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offboard.errors import OffboardError
from offboard.files import write_atomic
from offboard.operations.session import Session
from offboard.report.finding import find_report
from offboard.report.html import render_html
from offboard.report.markdown import render
from offboard.report.trusted import trusted_ledger


@dataclass(frozen=True)
class ReportRequest:
    target: str  # a run id (or its start), a report number, or a report file of the ledger
    html: bool = False  # an HTML page instead of Markdown
    output: Path | None = None  # where to write it; default: Markdown is printed, HTML goes beside the report


@dataclass(frozen=True)
class ShownReport:
    report: Path  # the signed .json it renders
    document: dict[str, Any]
    text: str  # the Markdown or the HTML
    written: Path | None  # where ``text`` was written; None: it is for the terminal
    warning: str | None = None  # an unsigned ledger says so


def show_report(session: Session, request: ReportRequest) -> ShownReport:
    """Verify the ledger, find the report, render it, and write it where asked (HTML: beside the report)."""
    output = _checked_output(request.output)
    config = session.config
    journal = session.journal if config.journal_path.is_file() else None  # a clone of the ledger may have none
    ledger = trusted_ledger(config, journal)
    found = find_report(ledger, request.target, config.reports_dir)
    checked = " or ".join(ledger.signers) if ledger.signed else None
    text = render_html(found.document, checked) if request.html else render(found.document, checked)
    destination = None
    if request.html or output is not None:
        destination = output or found.path.with_suffix(".html")
        if destination.is_dir():
            destination = destination / found.path.with_suffix(".html" if request.html else ".md").name
        _write(destination, text, found.path)
    return ShownReport(found.path, found.document, text, destination, ledger.warning)


def _checked_output(output: Path | None) -> Path | None:
    """``--output``: a file in a folder that exists, or a folder that does; refused before anything is read."""
    if output is None or output.is_dir():
        return output
    folder = output.parent
    if not folder.is_dir():
        raise OffboardError(f"cannot write {output}: the folder {folder} does not exist; create it, or pass "
                            "--output FILE in a folder that does")
    return output


def _write(destination: Path, text: str, report: Path) -> None:
    """Write the rendering, never over the signed report, its signature or the ``.md`` that verify compares."""
    own = {report, report.with_name(report.name + ".sig"), report.with_suffix(".md")}
    if destination.resolve() in {path.resolve() for path in own}:
        raise OffboardError(f"{destination} is part of the ledger (the signed report and its .md), which `offboard "
                            "report` never overwrites: pass --output FILE elsewhere")
    try:
        write_atomic(destination, text.encode())
    except OSError as exc:
        raise OffboardError(f"cannot write {destination} ({exc.strerror}): pass --output FILE where you can write") \
            from None
