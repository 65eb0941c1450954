"""``offboard demo``: the whole job on the built-in sandbox, through the very operations the CLI runs.

Not imported by ``offboard.operations`` itself: it starts emulators and makes keys, which
only this command needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from offboard import operations
from offboard.errors import ExitCode, OffboardError
from offboard.operations.interaction import Interaction
from offboard.operations.revoke import ExpelRequest, ExpelResult
from offboard.operations.session import Session
from offboard.report.ledger import report_namespace
from offboard.report.verify import Verification, verify_ledger
from offboard.testing import sandbox


@dataclass
class DemoResult:
    root: Path
    run: ExpelResult
    verified: Verification
    signer: str = sandbox.SIGNER  # who signs the sample org's reports, and in which namespace
    namespace: str = report_namespace(sandbox.DOMAIN)

    @property
    def exit_code(self) -> ExitCode:
        finished = self.run.run is not None and self.run.run.exit_code in (ExitCode.OK, ExitCode.WAITING)
        return ExitCode.OK if self.verified.ok and finished else ExitCode.ERROR


def demo(folder: Path, ui: Interaction) -> DemoResult:
    """Write the sample org into ``folder``, start its emulators, then dry-run, expel and verify.

    The dry run and the expulsion are ``operations.expel`` with the requests of
    ``offboard expel MEMBER --dry-run`` and ``offboard expel MEMBER --yes``.
    """
    if folder.exists() and any(folder.iterdir()):
        raise OffboardError(f"{folder} is not empty: give --keep a new or empty directory")
    with sandbox.demo_org(folder) as org:
        ui.note(f"Sandbox: a sample org in {org.root}, with emulated " + ", ".join(sorted(org.sandboxes)) + ".")
        for name, why in org.skipped.items():
            ui.note(f"  ({name} is left out: {why})")
        environ = {**os.environ, **org.environ, "OFFBOARD_OPERATOR": "demo"}
        with Session.open(str(org.config_path), environ) as session:
            member = sandbox.EXPELLED
            ui.note(f"\nStep 1 - the dry run: what `offboard expel {member} --dry-run` shows before anything changes.\n")
            operations.expel(session, ExpelRequest(member, dry_run=True), ui)
            ui.note(f"\nStep 2 - the run: `offboard expel {member} --yes` applies the plan above.")
            result = operations.expel(session, ExpelRequest(member, yes=True), ui)
            signers = (org.root / "keys" / "allowed_signers").read_text()
            return DemoResult(org.root, result, verify_ledger(session.config.reports_dir, signers))
