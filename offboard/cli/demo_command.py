"""``offboard demo``: the whole job on the built-in sandbox, nothing real touched."""

from __future__ import annotations

import os
import tempfile
from contextlib import nullcontext
from pathlib import Path

import typer

from offboard.apply import runs
from offboard.cli.app import app, console
from offboard.cli.render import show_plan, show_summary
from offboard.operations.session import Workspace
from offboard.plans.plan import build_plan
from offboard.report.document import issue_report


@app.command("demo")
def run_demo(
    keep: Path | None = typer.Option(None, "--keep", help="Write the sample org to DIR and keep it (default: a temp dir)."),
) -> int:
    """Expel a member of a sample org on the built-in sandbox: no credentials, no network."""
    if keep is not None and keep.exists() and any(keep.iterdir()):
        from offboard.errors import OffboardError

        raise OffboardError(f"{keep} is not empty: give --keep a new or empty directory")
    from offboard.report.verify import verify_ledger
    from offboard.testing.contract import sandbox as demo  # the emulators (http.server) and key generation: only for this command

    holder = nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="offboard-demo-")
    with holder as folder, demo.demo_org(Path(folder)) as org:
        console.print(f"Sandbox: a sample org in {org.root}, with emulated " + ", ".join(sorted(org.sandboxes)) + ".")
        for name, why in org.skipped.items():
            console.print(f"  ({name} is left out: {why})")
        ws = Workspace.open(str(org.config_path), {**os.environ, **org.environ, "OFFBOARD_OPERATOR": "demo"})
        person = ws.member(demo.EXPELLED)
        book = ws.playbook("expel")
        connectors = ws.connectors_for(book)
        console.print()
        console.print(f"Step 1 - the dry run: what `offboard expel {person.id} --dry-run` shows before anything changes.")
        console.print()
        plan = build_plan("expel", ws.org, person, book, connectors, ws.retry)
        show_plan(console, plan)
        console.print()
        console.print(f"Step 2 - the run: `offboard expel {person.id} --yes` applies the plan.")
        run_id = runs.start_run(ws, plan, "demo")
        runs.execute_run(ws, run_id, connectors)
        issue_report(ws, run_id)
        summary = runs.summarize(ws, run_id)
        show_summary(console, summary)
        console.print()
        console.print("Step 3 - the proof: the signed report chain, checked as `offboard verify` does.")
        result = verify_ledger(ws.config.reports_dir, (org.root / "keys" / "allowed_signers").read_text())
        console.print(f"  {result.reports} report(s) verified: " + ("signatures good, chain intact." if result.ok else
                      "; ".join(str(p) for p in result.problems)))
        console.print(f"  With stock OpenSSH: ssh-keygen -Y verify -f keys/allowed_signers -I {demo.SIGNER} "
                      f"-n offboard-report@{demo.DOMAIN} -s REPORT.json.sig < REPORT.json")
        console.print()
        if keep:
            console.print(f"The sample org is kept in {org.root}: offboard.toml, roster.csv, keys/, .offboard/reports/.")
            console.print("Its emulators stopped with the demo; read the reports, or copy the config as a start for yours.")
        else:
            console.print("The sandbox is removed. Keep it to look around with: offboard demo --keep DIR")
        ws.close()
        return 0 if result.ok and summary.status in ("complete", "incomplete") else 1
