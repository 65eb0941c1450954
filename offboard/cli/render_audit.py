"""How an audit looks at a terminal: the table of findings, critical first, and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

from offboard.cli.render import put
from offboard.text import for_terminal

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.audit import AuditResult
    from offboard.report.ledger import ReportFiles

COLUMNS = ("SITUATION", "SYSTEM", "ACCOUNT", "MEMBER", "DETAIL")



def _member(finding_member: str | None, name: str) -> str:
    if not finding_member:
        return "-"
    return finding_member if "," in finding_member else f"{finding_member} {name}".strip()  # disputed: the ids


def show_audit(out: Console, result: AuditResult, files: ReportFiles | None) -> None:
    summary = result.summary()
    read = ", ".join(f"{s.name} {s.accounts}" for s in result.systems if s.note is None)
    put(out, f"Audit: {summary['accounts']} accounts ({read or 'no system'}), {summary['linked']} linked to active "
             f"members, {summary['findings']} findings, {summary['exceptions']} exceptions.")
    for system in result.systems:
        if system.note:
            put(out, f"  {system.name}: {system.note}")
        for error in system.errors:
            put(out, f"  {system.name} could not be read: {error}")
    if result.findings:
        rows = [tuple(for_terminal(cell) for cell in (f.situation, f.system, f.account or "-", _member(f.member, f.name),
                                                      f.detail)) for f in result.findings]
        widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(4)]
        out.print()
        for row in [COLUMNS, *rows]:
            put(out, "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    if result.exceptions:
        out.print()
        put(out, "Exceptions (declared in [[audit.exceptions]], not findings):")
        for hit in result.exceptions:
            put(out, f"  {hit.rule.system} {hit.label}: {hit.rule.kind}, {hit.rule.reason}")
    out.print()
    counts = ", ".join(f"{n} {s}" for s, n in result.counts().items())
    if result.status == "failed":
        put(out, f"Incomplete: not every system could be read{'; findings: ' + counts if counts else ''}.")
    elif result.findings:
        hint = " Apply the expel playbook to revoked-but-active accounts with: offboard audit --fix" \
            if result.revoked_but_active() else ""
        put(out, f"Findings: {counts}.{hint}")
    else:
        put(out, "Clean: every active account belongs to an active member or is a declared exception.")
    put(out, f"Report: {files.json_path}" if files is not None else "Report: none written (a dry run)")


