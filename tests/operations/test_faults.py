"""A whole expel against emulators that fail one request in five: the member still ends cut.

Both emulators answer 20 % of their requests (token grants included) with 429, 503 or a
reset connection. Discovery reads 20 lists and more: it survives only because each read is
retried on its own (``ConnectorContext.read``); the run survives because the engine retries
each action and the Drive transfer finds its own transfer again instead of starting another.
The engine's waits are recorded, not slept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from offboard import operations
from offboard.apply.retry import RetryPolicy
from offboard.apply.states import RunStatus
from offboard.operations import ExpelRequest, Session
from offboard.testing.emulation import Emulator, Faults
from offboard.testing.sandbox import DOMAIN, EXPELLED, demo_org

EXPELLED_EMAIL = f"bob@{DOMAIN}"
# With the default budget (6 attempts) a request fails for good at 0.2**6, once in 15,600,
# so a run of some 60 requests leaves one action failed (or one system unread) about once in
# 300: 499 of 500 runs finished with the default, and the member was cut in all 500. The tests
# give each request 8 attempts, so that they do not flake.
BUDGET = RetryPolicy(max_attempts=8)


def twenty_percent(seed: int) -> Faults:
    """One request in five fails: throttled, a server error or a reset connection (nothing applied)."""
    return Faults(rate_429=0.07, rate_5xx=0.07, rate_reset=0.06, seed=seed)


def lost_answers(seed: int) -> Faults:
    """One write in five is applied, then its answer lost (the connection closes without one)."""
    return Faults(rate_drop=0.2, seed=seed)


def expel_under_faults(root: Path, seed: int, faults: Callable[[int], Faults] = twenty_percent,
                       retry: RetryPolicy | None = None) -> dict[str, object]:
    """One ``offboard expel m042 --yes`` on the demo org with ``faults`` on both emulators: what it left."""
    with demo_org(root) as org:
        google, slack = org.sandboxes["google"].emulator, org.sandboxes["slack"].emulator
        slack.enforce_rate_limits = False  # the run is not paced (paced=False): no per-minute windows either
        google.faults, slack.faults = faults(2 * seed), faults(2 * seed + 1)
        environ = {**org.environ, "OFFBOARD_OPERATOR": "test"}
        with Session.open(str(org.config_path), environ, retry, paced=False) as session:
            result = operations.expel(session, ExpelRequest(EXPELLED, yes=True, unsigned=True))
        with google.lock, slack.lock:
            found = slack.workspace.by_email(EXPELLED_EMAIL)
            return {
                "status": result.run.status if result.run else None,
                "failures": [f.error for f in result.run.failures] if result.run else [],
                "google_suspended": google.user(EXPELLED_EMAIL)["suspended"],
                "slack_deactivated": bool(found and found["deleted"]),
                "transfers": len(google.workspace.transfers),
                "faults": _faults(google) + _faults(slack),
                "dropped": sum(1 for r in google.log + slack.log if r.dropped),
            }


def _faults(emulator: Emulator) -> int:
    return sum(1 for r in emulator.log if r.status in (0, 429, 503) or r.dropped)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_expel_at_twenty_percent_faults_ends_with_the_member_cut(tmp_path: Path, sleeps: list[float],
                                                                     seed: int) -> None:
    left = expel_under_faults(tmp_path / "org", seed, retry=BUDGET)
    assert left["failures"] == []
    assert left["status"] in (RunStatus.COMPLETE, RunStatus.INCOMPLETE)  # INCOMPLETE: the manual steps wait
    assert (left["google_suspended"], left["slack_deactivated"]) == (True, True)
    assert left["transfers"] == 1
    assert left["faults"] >= 10 and sleeps  # the faults were there, and the engine waited them out


def test_writes_whose_answers_are_lost_are_looked_at_again_never_repeated_blindly(tmp_path: Path,
                                                                                  sleeps: list[float]) -> None:
    left = expel_under_faults(tmp_path / "org", seed=7, faults=lost_answers, retry=BUDGET)
    assert left["failures"] == []
    assert (left["google_suspended"], left["slack_deactivated"], left["transfers"]) == (True, True, 1)
    assert left["dropped"] >= 3
