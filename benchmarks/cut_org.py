"""The org that ``time_to_cut`` expels members of: emulated Google, the README's sample config, and the runs.

Each size (groups per member) gets its own Google emulator, in a process of its own
(``emulator_process``), seeded with identical heavy members, one per run: an untimed warm-up,
the measured runs, and the cut-first script of separate admin commands (``gam_style``).
Every run is a new process, started and timed from here: ``offboard expel MEMBER --yes`` (the
CLI entry point, with a signing key: the report is signed), or ``gam_style.py``. The times of
each outcome come from the run's journal (each action's ``finished``, recorded by the engine).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulator_process import EmulatorProcess, Logged

DOMAIN = "example.org"
TOKEN_PATH = "/token"
PRODUCT, SKU = "Google-Apps", "1010020027"  # the README's sample licence
SEED = {"tokens": 8, "asps": 3, "delegates": 2}
PLAYBOOK = "name: bench\ndescription: Google alone, as the README's sample config sets it\nsteps:\n  - connector: google\n"
BIN = Path(sys.executable).parent


def member_email(i: int) -> str:
    return f"member{i:02d}@{DOMAIN}"


def build_google(workdir: str, latency: float, groups: int, members: int) -> tuple[dict[str, Any], dict[str, str]]:
    """In the emulators' process: Google with an admin, the archive account and ``members`` heavy members."""
    from offboard.connectors.google_workspace.emulator import GoogleEmulator

    from offboard.testing.emulation import Faults

    google = GoogleEmulator(DOMAIN, faults=Faults(latency=latency))
    google.add_user(f"admin@{DOMAIN}", given_name="Workspace", family_name="Admin", admin=True)
    google.add_user(f"archive@{DOMAIN}", given_name="Archive", family_name="Account")
    for i in range(members):
        google.seed_member(member_email(i), groups=groups, forwarding=f"member{i:02d}@home.test", **SEED)
        google.workspace.assign_license(member_email(i), PRODUCT, SKU)
    google.start()
    google.write_key_file(Path(workdir) / "sa.json")
    return {"google": google}, {"google": google.url}


@dataclass
class Run:
    """One measured process: wall-clock times, in seconds from its start, and what it sent."""

    first_request: float  # the first request the emulator answered (a token grant)
    plan: float  # the run recorded in the journal: discovery done, the plan made
    cut: float  # the last cut action's outcome recorded
    done: float  # the last outcome recorded, the transfer apart
    transfer: float | None  # the transfer's outcome (Google completes it asynchronously)
    exit: float  # the process ended: the signed report written
    log: list[Logged]
    actions: list[dict[str, Any]] = field(default_factory=list)  # each with "finished" in seconds
    account: dict[str, Any] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)


class Org:
    """A config, roster, playbook and signing key on disk, pointing at a seeded Google emulator."""

    def __init__(self, root: Path, latency: float, groups: int, members: int) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root, self.members, self.used = root, members, 0
        self.emulators = EmulatorProcess(build_google, root, latency=latency, groups=groups, members=members)
        url = self.emulators.info["google"]
        rows = "".join(f"m{i:02d},Member {i},{member_email(i)},m{i}@home.test,active\n" for i in range(members))
        (root / "roster.csv").write_text("id,name,email,personal_email,status\n" + rows)
        (root / "bench.yaml").write_text(PLAYBOOK)
        (root / "offboard.toml").write_text(
            f'[org]\nname = "Bench"\ndomain = "{DOMAIN}"\n\n[roster]\npath = "roster.csv"\n\n[state]\ndir = "state"\n\n'
            '[signing]\nkey = "keys/offboard_ed25519"\nsigner = "cc@example.org"\n'
            'allowed_signers = "keys/allowed_signers"\n\n'
            f'[connectors.google]\nservice_account_file = "sa.json"\nadmin = "admin@{DOMAIN}"\n'
            f'transfer_to = "archive@{DOMAIN}"\norg_unit = "/Former members"\n'
            f'license_product = "{PRODUCT}"\nlicense_sku = "{SKU}"\n'
            f'api_endpoint = "{url}"\ninsecure_endpoint = true\n')
        self.config = root / "offboard.toml"
        self.environ = {**os.environ, "OFFBOARD_OPERATOR": "bench", "OFFBOARD_CONFIG": str(self.config)}
        # PYTHONDONTWRITEBYTECODE (set on some build machines) would compile every module on every run; a user's
        # Python keeps them compiled after the first run, as the untimed warm-up does here.
        for var in ("OFFBOARD_STATE_DIR", "SSH_AUTH_SOCK", "PYTHONDONTWRITEBYTECODE"):
            self.environ.pop(var, None)
        subprocess.run([str(BIN / "offboard"), "keygen"], cwd=root, env=self.environ, check=True,
                       stdout=subprocess.DEVNULL)
        self.url = url

    def next_member(self) -> int:
        self.used += 1
        assert self.used <= self.members, "seed more members"
        return self.used - 1

    def _timed(self, command: list[str]) -> tuple[float, float, str]:
        self.emulators.clear()
        start = time.time()
        done = subprocess.run(command, cwd=self.root, env=self.environ, capture_output=True, text=True)
        end = time.time()
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return start, end, done.stdout

    def expel(self, together: int = 1) -> Run:
        """``offboard expel mNN [mNN ...] --yes``, timed from the process start: ``together`` members at once (their
        times are the last member's: the cut is the moment everyone's access has ended)."""
        members = [f"m{self.next_member():02d}" for _ in range(together)]
        start, end, _ = self._timed([str(BIN / "offboard"), "expel", *members, "--yes", "-p", "bench.yaml"])
        log = self.emulators.log()
        actions: list[dict[str, Any]] = []
        with sqlite3.connect(self.root / "state" / "journal.sqlite3") as db:
            for member in members:
                run_id, started, plan = db.execute("SELECT id, started, plan FROM runs WHERE member_id = ?",
                                                   (member,)).fetchone()
                rows = db.execute("SELECT action, state, finished FROM actions WHERE run_id = ?", (run_id,)).fetchall()
                actions += [{**json.loads(a), "state": s, "finished": _seconds(f) - start} for a, s, f in rows]
        cut = [a["finished"] for a in actions if a["phase"] == "cut"]
        rest = [a["finished"] for a in actions if a["kind"] != "transfer"]
        transfer = [a["finished"] for a in actions if a["kind"] == "transfer"]
        states: dict[str, int] = {}
        for a in actions:
            states[a["state"]] = states.get(a["state"], 0) + 1
        account = json.loads(plan)["systems"][0]["account"]
        return Run(log[0].at - start, _seconds(started) - start, max(cut), max(rest),
                   max(transfer) if transfer else None, end - start, log, actions, account, states)

    def gam_style(self) -> Run:
        """The cut-first script of separate admin commands, one call at a time, timed from its process start."""
        i = self.next_member()
        here = Path(__file__).resolve().parent
        start, end, out = self._timed([sys.executable, str(here / "gam_style.py"), str(self.root / "sa.json"),
                                       self.url, member_email(i), f"archive@{DOMAIN}"])
        marks = json.loads(out)
        log = self.emulators.log()
        return Run(log[0].at - start, 0.0, marks["cut"] - start, marks["done"] - start, None, end - start, log)

    def stop(self) -> None:
        self.emulators.stop()


def _seconds(stamp: str) -> float:
    """A journal time (ISO 8601 UTC with microseconds) as seconds since the epoch."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
