"""Domain errors and every exit code. The CLI turns an error into one ``Error: ...`` line, never a traceback."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence


class ExitCode(enum.IntEnum):
    """What a command's exit status means, for scripts and timers."""

    OK = 0  # all done (an audit: clean)
    ERROR = 1  # bad input, config, auth, or a refusal: nothing was applied after it
    FAILED = 2  # finished with failed actions (an audit: findings)
    WAITING = 3  # finished, waiting on manual steps
    INTERRUPTED = 130  # Ctrl-C


def worst(codes: Iterable[ExitCode]) -> ExitCode:
    """One exit status for several members' results: a failure first, then an error, then waiting, else OK
    (an interruption stops them all, so it is the first of all)."""
    ranked = (ExitCode.INTERRUPTED, ExitCode.FAILED, ExitCode.ERROR, ExitCode.WAITING)
    found = set(codes)
    return next((code for code in ranked if code in found), ExitCode.OK)


class OffboardError(Exception):
    """A problem the user can fix. The message says what is wrong and what to do next."""

    exit_code = ExitCode.ERROR


class ConfigurationError(OffboardError):
    """The config file, roster or playbook is wrong."""


class MemberNotFound(OffboardError):
    """The member id or email matches no one, or more than one person."""


class LedgerError(OffboardError):
    """The ledger does not verify (an unsigned, foreign, edited or missing report): nothing in it is believed."""


class StalePlanError(OffboardError):
    """A saved plan no longer matches what the systems show."""


class RunLocked(OffboardError):
    """Another run holds the lock for this member (or another audit is running)."""


class Aborted(OffboardError):
    """The person at the terminal said no: nothing was changed."""


class RunInterrupted(OffboardError):
    """Ctrl-C during a run: in-flight actions were let finish and journaled, nothing new was started."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, run_ids: Sequence[str], done: int, not_started: int, at_once: bool = False) -> None:
        how = "quit at once; " if at_once else ""
        finish = "; ".join(f"offboard resume {run_id}" for run_id in run_ids)
        super().__init__(f"Interrupted: {how}{done} done, {not_started} not started. Finish with: {finish}")
        self.run_ids = list(run_ids)
        self.at_once = at_once  # a second Ctrl-C: actions in flight were not waited for
