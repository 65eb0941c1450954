"""``offboard demo``: the whole job on the built-in sandbox, through the very operations the CLI runs.

Not imported by ``offboard.operations`` itself: it starts emulators and makes keys, which
only this command needs.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from offboard import operations
from offboard.apply.runs import RunSummary
from offboard.clock import today
from offboard.errors import ExitCode, OffboardError
from offboard.files import write_atomic
from offboard.operations.interaction import Interaction
from offboard.operations.reinstating import ReinstateRequest
from offboard.operations.revoke import ExpelRequest, PlanResult, SuspendRequest
from offboard.operations.session import Session
from offboard.report.ledger import report_namespace
from offboard.report.verify import Verification, verify_ledger
from offboard.testing import sandbox

SUSPENSION_DAYS = 90
SUSPENSION_REASON = "Probation decided by the coordinating committee (sample)"


@dataclass
class DemoResult:
    root: Path
    run: PlanResult  # the expulsion
    verified: Verification
    suspension: PlanResult | None = None
    reinstatement: PlanResult | None = None
    signer: str = sandbox.SIGNER  # who signs the sample org's reports, and in which namespace
    namespace: str = report_namespace(sandbox.DOMAIN)

    @property
    def exit_code(self) -> ExitCode:
        runs = [self.run, self.suspension, self.reinstatement]
        finished = all(r is not None and r.run is not None and r.run.exit_code in (ExitCode.OK, ExitCode.WAITING)
                       for r in runs)
        return ExitCode.OK if self.verified.ok and finished else ExitCode.ERROR


def demo(folder: Path, ui: Interaction, show_run: Callable[[RunSummary], None] = lambda run: None) -> DemoResult:
    """Write the sample org into ``folder``, start its emulators, then dry-run, expel, suspend, reinstate, verify.

    Each step is the operation its command runs, with its request: ``offboard expel MEMBER --dry-run``
    and ``--yes``, ``offboard suspend OTHER --until ... --reason ... --yes``, ``offboard reinstate OTHER --yes``.
    """
    _require_empty(folder, "--keep")
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
            _shown(result, show_run)
            other, until = sandbox.SUSPENDED, (today() + timedelta(days=SUSPENSION_DAYS)).isoformat()
            ui.note(f"\nStep 3 - a suspension: `offboard suspend {other} --until {until} --reason \"...\" --yes` "
                    "ends their access by the suspend playbook, keeping what puts it back.")
            suspension = operations.suspend(session, SuspendRequest(other, until, SUSPENSION_REASON, yes=True), ui)
            _shown(suspension, show_run)
            ui.note(f"\nStep 4 - the reinstatement: `offboard reinstate {other} --yes` puts back what the "
                    "suspension's signed report records.")
            reinstatement = operations.reinstate(session, ReinstateRequest(other, yes=True), ui)
            _shown(reinstatement, show_run)
            signers = (org.root / "keys" / "allowed_signers").read_text()
            return DemoResult(org.root, result, verify_ledger(session.config.reports_dir, signers), suspension,
                              reinstatement)


@dataclass(frozen=True)
class ServedOrg:
    """The sample org while its emulators run: where it is and how a shell points ``offboard`` at it."""

    root: Path
    config_path: Path
    env_file: Path  # `. FILE` in a shell: OFFBOARD_CONFIG and the sandbox's credentials
    systems: tuple[str, ...]
    skipped: dict[str, str]


def serve(folder: Path, ready: Callable[[ServedOrg], None]) -> ServedOrg:
    """Write the sample org into ``folder``, start its emulators and keep them up while ``ready`` runs.

    Nothing is expelled: the org is fresh, for a person to try every command on (``ready`` returns when
    they press Ctrl-C). The credentials go to a 0600 file beside the config, never to the screen.
    """
    _require_empty(folder, "--serve")
    with sandbox.demo_org(folder) as org:
        environ = {"OFFBOARD_CONFIG": str(org.config_path.resolve()), "OFFBOARD_OPERATOR": "demo", **org.environ}
        env_file = org.root / "sandbox.env"
        write_atomic(env_file, "".join(f"export {k}={shlex.quote(v)}\n" for k, v in environ.items()).encode())
        served = ServedOrg(org.root, org.config_path, env_file, tuple(sorted(org.sandboxes)), dict(org.skipped))
        ready(served)
    return served


def _require_empty(folder: Path, option: str) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OffboardError(f"{folder} is not empty: give {option} a new or empty directory")


def _shown(result: PlanResult, show_run: Callable[[RunSummary], None]) -> None:
    if result.run is not None:
        show_run(result.run)
