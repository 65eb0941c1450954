"""Ctrl-C during a run: nothing new starts, what is in flight finishes and is journaled, resume finishes it."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading

from tests.apply.test_crash_resume import EVERY_EFFECT, journal_rows, start, wait_for

STOPPING = re.compile(r"^Stopping: nothing new is started; (\d+) action\(s\) in flight finish first\. "
                      r"Press Ctrl-C again to quit at once\.$")
INTERRUPTED = re.compile(r"^Interrupted: (quit at once; )?(\d+) done, (\d+) not started\. "
                         r"Finish with: offboard resume (\S+)$")


def stderr_lines(proc: subprocess.Popen) -> queue.Queue[str]:
    """The run's stderr, line by line as it comes, so that a test can wait for one."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for raw in proc.stderr:
            lines.put(raw.decode().rstrip("\n"))
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    return lines


def in_flight(org, action_id: str) -> bool:
    row = journal_rows(org).get(action_id)
    return row is not None and row.state == "intent"


def test_ctrl_c_says_it_is_stopping_lets_what_is_in_flight_finish_then_says_how_to_finish(org, cli):
    org.fake.fault("fake:session", "slow:1.5")
    proc = start(org)
    wait_for(proc, lambda: in_flight(org, "fake:session"))
    lines = stderr_lines(proc)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    said = [lines.get(timeout=5) for _ in range(2)]
    assert proc.returncode == 130
    assert STOPPING.match(said[0]), said
    found = INTERRUPTED.match(said[1])
    assert found and found.group(1) is None, said
    assert "fake:session" in org.fake.effects  # the action in flight finished
    assert journal_rows(org)["fake:session"].state == "changed"
    assert any(r.state == "pending" for r in journal_rows(org).values())  # nothing new was started

    code, _, err = cli("resume", found.group(4))
    assert (code, err) == (3, "")
    assert sorted(org.fake.effects) == EVERY_EFFECT


def test_a_second_ctrl_c_quits_at_once_and_the_journal_still_resumes(org, cli):
    org.fake.fault("fake:suspend", "hang-after")
    proc = start(org)
    wait_for(proc, lambda: "fake:suspend" in org.fake.effects)
    lines = stderr_lines(proc)
    proc.send_signal(signal.SIGINT)
    assert STOPPING.match(lines.get(timeout=10))  # the engine took the first; a person presses again
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    found = INTERRUPTED.match(lines.get(timeout=5))
    assert proc.returncode == 130
    assert found and found.group(1) == "quit at once; "
    assert journal_rows(org)["fake:suspend"].state == "intent"

    code, _, err = cli("resume")
    assert (code, err) == (3, "")
    assert sorted(org.fake.effects) == EVERY_EFFECT
    assert journal_rows(org)["fake:suspend"].detail == "found done when the run was resumed"
