"""audit: reconcile every system's accounts with the roster and the ledger; --fix what was revoked but is active."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import typer
from rich.console import Console

from offboard.apply import runs
from offboard.apply.locking import hold
from offboard.apply.retry import call_with_retries
from offboard.audit.reconcile import AuditResult, notification, run_audit
from offboard.audit.settings import audit_settings, notify_settings
from offboard.cli.app import ConfigOption, app, console, err_console, print_json
from offboard.cli.applying import apply_and_report, confirm_apply
from offboard.cli.render import show_plan
from offboard.errors import ConfigurationError, OffboardError
from offboard.operations.session import Workspace, operator_name
from offboard.plans.plan import build_plan
from offboard.report.document import issue_report, require_signing
from offboard.report.ledger import Ledger, ReportFiles
from offboard.spi import Capability, Connector

COLUMNS = ("SITUATION", "SYSTEM", "ACCOUNT", "MEMBER", "DETAIL")


@app.command()
def audit(
    fix: bool = typer.Option(False, "--fix", help="Plan and apply the expel playbook for revoked-but-active accounts."),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --fix: show the plans, change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --fix: do not ask for confirmation."),
    playbook: str = typer.Option("expel", "--playbook", "-p", help="The playbook --fix follows."),
    notify: bool = typer.Option(False, "--notify", help="Post a summary (situations and names only) to [notify] slack_channel."),
    unsigned: bool = typer.Option(False, "--unsigned", help="Go ahead without a signing key; the report says unsigned."),
    config: str | None = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document for scripts."),
) -> int:
    """Find access that was missed or granted again: every account against the roster and the ledger."""
    ws = Workspace.open(config)
    settings = audit_settings(ws.config)
    channel = notify_settings(ws.config).slack_channel
    if dry_run and not fix:
        raise OffboardError("--dry-run previews the plans of --fix (the audit itself changes nothing): add --fix")
    if fix and not (yes or dry_run) and not sys.stdin.isatty():
        raise OffboardError("--fix asks before applying, but there is no terminal: review with --fix --dry-run, "
                            "then pass --yes")
    if notify and not channel:
        raise ConfigurationError('--notify needs a channel: add [notify] slack_channel = "#channel" to the config')
    require_signing(ws, unsigned)
    connectors = ws.configured_connectors()
    try:
        unknown = sorted({r.system for r in settings.exceptions} - set(connectors))
        if unknown:
            raise ConfigurationError(f"{ws.config.path.name}: [[audit.exceptions]] name system(s) {', '.join(unknown)}, "
                                     f"which have no [connectors.NAME] table (configured: {', '.join(connectors) or 'none'})")
        if not any(Capability.INVENTORY in type(c).capabilities for c in connectors.values()):
            raise ConfigurationError(f"{ws.config.path.name}: nothing to audit: no configured connector lists its accounts "
                                     f"(configured: {', '.join(connectors) or 'none'}); add a [connectors.NAME] table")
        notifier = _notifier(connectors) if notify else None
        with hold(ws.config.state_dir, "audit", "an audit"):
            result = run_audit(list(ws.roster), Ledger(ws.config.reports_dir).reports(), connectors,
                               settings.exceptions, ws.retry)
            files = Ledger(ws.config.reports_dir).append(result.to_document(ws.org, operator_name(ws.environ)),
                                                         ws.signer)
            document: dict[str, Any] = {**result.to_document(ws.org, operator_name(ws.environ)),
                                        "seq": files.seq, "report": str(files.json_path), "exit_code": result.exit_code}
            if not as_json:
                show_audit(console, result, files)
            code = result.exit_code
            if notifier is not None:
                code = _notify(notifier, channel, notification(result, ws.config.org_name, files.seq), ws, code)
            if fix:
                document["fix"] = _fix(ws, result, playbook, dry_run, yes, as_json)
        if as_json:
            print_json(document)
        return code
    finally:
        for connector in connectors.values():
            connector.close()


def _notifier(connectors: dict[str, Connector]) -> Connector:
    slack = connectors.get("slack")
    if slack is None:
        raise ConfigurationError("--notify posts to Slack, but no [connectors.slack] is configured: add it, or drop --notify")
    if Capability.NOTIFY not in type(slack).capabilities:
        raise ConfigurationError(f"the installed slack connector ({type(slack).__module__}) cannot post notifications")
    return slack


def _notify(connector: Connector, channel: str, text: str, ws: Workspace, code: int) -> int:
    posted = call_with_retries(lambda: connector.notify(channel, text), ws.retry)
    if posted.error is not None:
        err_console.print(f"Error: could not post the summary to {channel}: {posted.error}", markup=False)
        return 1
    return code


# ---------------------------------------------------------------- output for people


def _member(finding_member: str | None, name: str) -> str:
    if not finding_member:
        return "-"
    return finding_member if "," in finding_member else f"{finding_member} {name}".strip()  # disputed: the ids


def show_audit(out: Console, result: AuditResult, files: ReportFiles) -> None:
    summary = result.summary()
    read = ", ".join(f"{s.name} {s.accounts}" for s in result.systems if s.note is None)
    out.print(f"Audit: {summary['accounts']} accounts ({read or 'no system'}), {summary['linked']} linked to active "
              f"members, {summary['findings']} findings, {summary['exceptions']} exceptions.", markup=False)
    for system in result.systems:
        if system.note:
            out.print(f"  {system.name}: {system.note}", markup=False)
        for error in system.errors:
            out.print(f"  {system.name} could not be read: {error}", markup=False)
    if result.findings:
        rows = [(f.situation, f.system, f.account or "-", _member(f.member, f.name), f.detail) for f in result.findings]
        widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(4)]
        out.print()
        for row in [COLUMNS, *rows]:
            out.print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4], markup=False)
    if result.exceptions:
        out.print()
        out.print("Exceptions (declared in [[audit.exceptions]], not findings):", markup=False)
        for hit in result.exceptions:
            out.print(f"  {hit.rule.system} {hit.label}: {hit.rule.kind}, {hit.rule.reason}", markup=False)
    out.print()
    counts = ", ".join(f"{n} {s}" for s, n in result.counts().items())
    if result.status == "failed":
        out.print(f"Incomplete: not every system could be read{'; findings: ' + counts if counts else ''}.", markup=False)
    elif result.findings:
        hint = " Apply the expel playbook to revoked-but-active accounts with: offboard audit --fix" \
            if result.revoked_but_active() else ""
        out.print(f"Findings: {counts}.{hint}", markup=False)
    else:
        out.print("Clean: every active account belongs to an active member or is a declared exception.", markup=False)
    out.print(f"Report: {files.json_path}", markup=False)


# ---------------------------------------------------------------- --fix


def _fix(ws: Workspace, result: AuditResult, playbook: str, dry_run: bool, yes: bool, as_json: bool) -> list[dict[str, Any]]:
    """The expel playbook, limited to the systems where each revoked member's account is still active.

    The same rules as ``expel``: a preview, the member id typed to go ahead (or ``--yes``), the
    member's lock, a journaled run and its signed report.
    """
    systems: dict[str, list[str]] = {}
    for finding in result.revoked_but_active():
        systems.setdefault(finding.member or "", []).append(finding.system)
    if not systems:
        if not as_json:
            console.print("Nothing to fix: no revoked member has an active account.")
        return []
    book = ws.playbook(playbook)
    done: list[dict[str, Any]] = []
    for member_id, names in systems.items():
        person = ws.member(member_id)
        steps = tuple(step for step in book.steps if step.system in names)
        if not steps:
            raise OffboardError(f"the playbook {book.name} has no step for {', '.join(names)}: --fix cannot end "
                                f"{person.id}'s access there")
        limited = replace(book, steps=steps)
        connectors = ws.connectors_for(limited)
        kind = result.revoked[person.id].kind
        with hold(ws.config.state_dir, f"member-{person.id}", f"a run for {person.id}"):
            interrupted = runs.unfinished_run(ws, person.id)
            if interrupted is not None:
                raise OffboardError(f"an interrupted run {interrupted.id} for {person.id} is unfinished: finish it "
                                    f"with `offboard resume {interrupted.id}`, then audit again")
            plan = build_plan(kind, ws.org, person, limited, connectors, ws.retry)
            if not as_json:
                console.print()
                show_plan(console, plan)
            if dry_run:
                done.append({"member": person.id, "plan": plan.to_dict()})
                continue
            if not yes:
                confirm_apply(person.id, len(plan.actions))
            run_id = runs.start_run(ws, plan, operator_name(ws.environ))
            if as_json:
                runs.execute_run(ws, run_id, connectors, fresh=True)  # planned just now, as expel does
                issue_report(ws, run_id)
                done.append({"member": person.id, "run": runs.summarize(ws, run_id).to_dict()})
            else:
                apply_and_report(ws, run_id, connectors, False, fresh=True)
                done.append({"member": person.id, "run_id": run_id})
    if dry_run and not as_json:
        console.print("Dry run: nothing was changed.")
    return done
