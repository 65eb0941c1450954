"""status and confirm: where runs stand, and the manual steps people record."""

from __future__ import annotations

from pathlib import Path

import typer

from offboard import operations
from offboard.cli import documents
from offboard.cli.app import ConfigOption, JsonOption, app, console, print_json, say
from offboard.cli.render import show_run_detail, show_run_list, show_waiting


@app.command()
def status(
    target: str | None = typer.Argument(None, metavar="RUN|MEMBER",
                                        help="A run id (or its start), or a member; without it, every run."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Show what waits on a person across runs, the recent runs, or one run's outcomes.

    Example: offboard status m042
    """
    with operations.Session.open(config, retry=operations.QUICK_LOOK) as session:
        shown = operations.status(session, target)
    if isinstance(shown, operations.RunDetail):
        if as_json:
            print_json("run", shown.exit_code, documents.run_detail_fields(shown.summary, shown.actions))
        else:
            show_run_detail(console, shown.summary, shown.actions)
    elif as_json:
        print_json("status", shown.exit_code, documents.status_fields(shown))
    else:
        show_waiting(console, shown.waiting, shown.closed)
        show_run_list(console, shown.runs)
    return shown.exit_code


@app.command()
def confirm(
    run_id: str = typer.Argument(..., metavar="RUN", help="The run (id or its start)."),
    step_ids: list[str] = typer.Argument(..., metavar="STEP...",
                                         help="The manual step, e.g. bank:remove-signer (or remove-signer); several "
                                              "steps done by the same person are recorded at once, with one report."),
    by: str | None = typer.Option(None, "--by", metavar="NAME", help="Who did it (your name). With --key: shown as "
                                                                     "given, the principal signing by default."),
    evidence: list[Path] = typer.Option([], "--evidence", metavar="FILE",
                                        help="A file proving it (hashed, not copied). Repeatable."),
    reference: str | None = typer.Option(None, "--reference", metavar="TEXT", help="A case number or other reference."),
    note: str | None = typer.Option(None, "--note", metavar="TEXT", help="Anything worth keeping."),
    not_applicable: bool = typer.Option(False, "--not-applicable", help="The step does not apply to this member."),
    reason: str | None = typer.Option(None, "--reason", metavar="TEXT", help="Why it does not apply (with --not-applicable)."),
    key: str | None = typer.Option(None, "--key", metavar="PATH|agent",
                                   help="Sign the confirmation with your own SSH key (a private key file, or 'agent'), "
                                        "as listed in [approvals] approvers. Default: $OFFBOARD_APPROVER_KEY."),
    as_principal: str | None = typer.Option(None, "--as", metavar="PRINCIPAL",
                                            help="Sign as this approver (for a key listed for several)."),
    config: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Record manual steps as done, with evidence (or as not applicable, with a reason).

    Example: offboard confirm RUN bank:remove-signer --by "Ann Lee" --evidence letter.pdf
    """
    request = operations.ConfirmRequest(step_ids[0], by or "", tuple(evidence), reference, note, not_applicable, reason,
                                        key, as_principal, also=tuple(step_ids[1:]))
    with operations.Session.open(config) as session:
        done = operations.confirm(session, run_id, request)
    if as_json:
        print_json("confirm", done.exit_code, documents.confirm_fields(done))
        return done.exit_code
    run_id = done.summary.run.id
    signed = f" Signed as {done.principal} with key {done.fingerprint}." if done.principal else ""
    other = "--key PATH|agent" if done.keyed else "--by OTHER-NAME"
    one = len(done.steps) == 1
    for row, closed in done.steps:
        step = row.action.id
        if not closed:
            say(f"Recorded: {step} confirmed by {done.by}.{signed} It needs a second confirmer: "
                f"offboard confirm {run_id} {step} {other}")
        elif one:
            say(f"Recorded: {step} is closed. Run {run_id} is now {done.summary.status}.{signed}")
        else:
            say(f"Recorded: {step} is closed.")
    if not any(closed for _, closed in done.steps):
        return done.exit_code
    if not one:
        say(f"Run {run_id} is now {done.summary.status}.{signed}")
    if done.summary.manual:
        say(f"{len(done.summary.manual)} step(s) still wait on a person: offboard status {run_id}")
    for path in done.summary.reports[-1:]:
        say(f"Report: {path}")
    return done.exit_code
