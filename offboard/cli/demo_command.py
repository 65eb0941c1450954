"""``offboard demo``: the whole job on the built-in sandbox, nothing real touched."""

from __future__ import annotations

import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from offboard.cli.app import app, console, say
from offboard.cli.prompts import TerminalInteraction
from offboard.cli.render import show_summary

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.plans.plan import Plan

if TYPE_CHECKING:
    from offboard.operations.demo import DemoResult


@app.command("demo")
def run_demo(
    keep: Path | None = typer.Option(None, "--keep", help="Write the sample org to DIR and keep it (default: a temp dir)."),
) -> int:
    """Expel, suspend and reinstate members of a sample org on the built-in sandbox: no credentials, no network."""
    from offboard.operations.demo import demo  # emulators and key generation: only for this command

    holder = nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="offboard-demo-")
    with holder as folder:  # shown before a temporary sandbox is removed: the notices are read from it
        result = demo(Path(folder), Narration(console, console), lambda run: show_summary(console, run))
        show_proof(result, kept=keep is not None)
    return result.exit_code


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
