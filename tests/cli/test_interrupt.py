"""Ctrl-C during a run: nothing new starts, what is in flight finishes and is journaled, resume finishes it."""

from __future__ import annotations

import re
import signal
import time

from tests.apply.test_crash_resume import EVERY_EFFECT, journal_rows, start, wait_for

INTERRUPTED = re.compile(r"^Interrupted: (quit at once; )?(\d+) done, (\d+) not started\. "
                         r"Finish with: offboard resume (\S+)\n$")


def test_ctrl_c_lets_what_is_in_flight_finish_then_says_how_to_finish(org, cli):
    org.fake.fault("fake:session", "slow:1.5")
    proc = start(org)
    wait_for(proc, lambda: journal_rows(org).get("fake:session") is not None
             and journal_rows(org)["fake:session"].state == "intent")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    found = INTERRUPTED.match(err.decode())
    assert found and found.group(1) is None, err
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
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the first Ctrl-C is taken by the engine before the second comes (a real person is slower still)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    found = INTERRUPTED.match(err.decode())
    assert found and found.group(1) == "quit at once; ", err
    assert journal_rows(org)["fake:suspend"].state == "intent"

    code, _, err = cli("resume")
    assert (code, err) == (3, "")
    assert sorted(org.fake.effects) == EVERY_EFFECT
    assert journal_rows(org)["fake:suspend"].detail == "found done when the run was resumed"
