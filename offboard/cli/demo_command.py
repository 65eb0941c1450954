"""``offboard demo``: the whole job on the built-in sandbox, nothing real touched."""

from __future__ import annotations

import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from offboard.cli import documents
from offboard.cli.app import JsonOption, app, console, err_console, print_json, say
from offboard.cli.prompts import TerminalInteraction
from offboard.cli.render import show_summary
from offboard.errors import OffboardError

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.plans.plan import Plan

if TYPE_CHECKING:
    from offboard.operations.demo import DemoResult, ServedOrg


@app.command("demo")
def run_demo(
    keep: Path | None = typer.Option(None, "--keep", metavar="DIR",
                                     help="Write the sample org to DIR and keep it (default: a temp dir)."),
    serve: Path | None = typer.Option(None, "--serve", metavar="DIR",
                                      help="Write a fresh sample org to DIR and keep its emulators running until "
                                           "Ctrl-C, to try every command on it."),
    as_json: bool = JsonOption,
) -> int:
    """Expel, suspend and reinstate members of a sample org on the built-in sandbox: no credentials, no network.

    Example: offboard demo --serve ~/offboard-sandbox
    """
    from offboard.operations.demo import demo  # emulators and key generation: only for this command
    from offboard.operations.demo import serve as serve_org

    if keep and serve:
        raise OffboardError("give --keep DIR to look at a finished demo, or --serve DIR to try the commands (not both)")
    if serve and as_json:
        raise OffboardError("--serve keeps the emulators running for a person: leave out --json")
    if serve:
        serve_org(serve, _until_interrupted)
        say("Emulators stopped. The sample org's files stay in " + str(serve) + ".")
        return 0

    holder = nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="offboard-demo-")
    with holder as folder:  # shown before a temporary sandbox is removed: the notices are read from it
        where = err_console if as_json else console  # with --json, stdout holds the one document
        result = demo(Path(folder), Narration(where, where), lambda run: None if as_json else show_summary(console, run))
        if as_json:
            print_json("demo", result.exit_code, documents.demo_fields(result, kept=keep is not None))
        else:
            show_proof(result, kept=keep is not None)
    return result.exit_code


def _until_interrupted(org: ServedOrg) -> None:
    """Say how to use the served org, then wait for Ctrl-C."""
    import threading

    say(f"The sample org is in {org.root}; emulated: {', '.join(org.systems)}.")
    for name, why in org.skipped.items():
        say(f"  ({name} is left out: {why})")
    say("In another terminal, point offboard at it (the sandbox's credentials are in the file, not shown here):")
    say(f"  . {org.env_file}")
    say("Then try, for instance:")
    for command in ("offboard doctor", "offboard expel m042 --dry-run", "offboard expel m042",
                    "offboard status", "offboard suspend m007 --until 2099-01-01 --reason \"probation\"",
                    "offboard reinstate m007", "offboard audit", "offboard verify"):
        say(f"  {command}")
    say("Press Ctrl-C here to stop the emulators.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print()


class Narration(TerminalInteraction):
    """The demo's notes are its output (stdout). Each plan is shown once: the expulsion's at its dry run, then
    the suspension's and the reinstatement's; each run's summary follows it."""

    def __init__(self, out: Console, err: Console) -> None:
        super().__init__(out, err)
        self.shown: set[tuple[str, str]] = set()

    def show_plan(self, plan: Plan) -> None:
        key = (plan.kind, plan.member["id"])
        if key not in self.shown:
            super().show_plan(plan)
        self.shown.add(key)


def show_proof(result: DemoResult, kept: bool) -> None:
    checked = result.verified
    console.print()
    notices = list({path.read_bytes(): path for path in sorted((result.root / ".offboard" / "reports")
                                                                .glob("*-notice.eml"), reverse=True)}.values())[::-1]
    if notices:  # each report keeps its run's notice beside it: the first of each is shown
        say("The written notices, as the sandbox's Gmail sent them to the members' personal addresses, are kept "
            "beside their reports" + (":" if kept else " (keep them with --keep DIR):"))
        for path in notices:
            say(f"  {path.relative_to(result.root)}")
        console.print()
    say("Step 5 - the proof: the signed report chain, checked as `offboard verify` does.")
    say(f"  {checked.reports} report(s) verified: " + ("signatures good, chain intact." if checked.ok else
        "; ".join(str(p) for p in checked.problems)))
    say(f"  With stock OpenSSH: ssh-keygen -Y verify -f keys/allowed_signers -I {result.signer} "
        f"-n {result.namespace} -s REPORT.json.sig < REPORT.json")
    console.print()
    if kept:
        say(f"The sample org is kept in {result.root}: offboard.toml, roster.csv, keys/, .offboard/reports/.")
        say("Its emulators stopped with the demo; read the reports, or copy the config as a start for yours.")
    else:
        say("The sandbox is removed. Keep it to look around with: offboard demo --keep DIR")
