"""Kills survived: `offboard expel --yes` SIGKILLed at a random moment, then `offboard resume`, N times.

Each round writes a sample org (the fake system of the tests, whose writes take a few tens of
milliseconds so that kills land mid-run), starts the real CLI in a subprocess, kills it with
SIGKILL a random moment after its journal appears (0 to 0.35 s: discovery, intents, writes,
the report), and finishes with `offboard resume` (or a fresh `expel` when the
kill came before the run was journaled). A round is right when every side effect happened exactly
once and the run ended with its report.

    .venv/bin/python benchmarks/kill_resume.py [--rounds 30] [--seed 1]

It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CONFIG, PLAYBOOK, ROSTER, environ_for_subprocess  # noqa: E402
from tests.fakes import FakeSystem  # noqa: E402

EFFECTS = ["fake:group:all", "fake:group:board", "fake:group:eng", "fake:session", "fake:suspend"]


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.drive_cli", *args], cwd=root, env=environ_for_subprocess(root),
                          capture_output=True, text=True, timeout=120)


def one_round(root: Path, delay: float) -> tuple[bool, str]:
    root.mkdir(parents=True)
    (root / "offboard.toml").write_text(CONFIG)
    (root / "roster.csv").write_text(ROSTER)
    (root / "playbooks").mkdir()
    (root / "playbooks" / "test.yaml").write_text(PLAYBOOK)
    system = FakeSystem(root / "fake.json")
    system.add_user("bob@example.org", ["session", "active", "group:eng", "group:board", "group:all"])
    for action in EFFECTS:
        system.fault(action, "slow:0.05")
    proc = subprocess.Popen([sys.executable, "-m", "tests.drive_cli", "expel", "m042", "--playbook", "test", "--yes",
                             "--unsigned"], cwd=root, env=environ_for_subprocess(root),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = root / ".offboard" / "journal.sqlite3"
    for _ in range(400):
        if journal.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(delay)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if not killed:
        moment = "after the end"
    elif not (root / ".offboard" / "journal.sqlite3").exists():
        moment = "before the journal"
    else:
        moment = "mid-run"
    finish = cli(root, "resume")
    if "Nothing to resume" in finish.stdout and not list((root / ".offboard" / "reports").glob("*.json")):
        finish = cli(root, "expel", "m042", "--playbook", "test", "--yes", "--unsigned")  # killed before any run
    effects = Counter(system.effects)
    status = json.loads(cli(root, "status", "--json").stdout or '{"runs": []}')["runs"]
    reports = list((root / ".offboard" / "reports").glob("*.json"))
    right = (sorted(effects) == EFFECTS and set(effects.values()) == {1} and len(status) == 1
             and status[0]["status"] == "incomplete" and len(reports) >= 1)
    return right, moment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    chance = random.Random(args.seed)
    moments: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="offboard-kills-") as tmp:
        for n in range(args.rounds):
            right, moment = one_round(Path(tmp) / f"round{n}", chance.uniform(0.0, 0.35))
            moments[moment] += 1
            wrong[moment] += not right
    print(f"kill -9 at a random moment of `offboard expel --yes`, then `offboard resume`: {args.rounds} rounds")
    for moment, count in moments.most_common():
        print(f"  killed {moment}: {count} rounds, {count - wrong[moment]} ended right")
    print(f"ended right (each side effect exactly once, the run finished with its report): "
          f"{args.rounds - sum(wrong.values())} of {args.rounds}")


if __name__ == "__main__":
    main()
