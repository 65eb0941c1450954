"""Domain errors and every exit code. The CLI turns an error into one ``Error: ...`` line, never a traceback."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What a command's exit status means, for scripts and timers."""

    OK = 0  # all done (an audit: clean)
    ERROR = 1  # bad input, config, auth, or a refusal: nothing was applied after it
    FAILED = 2  # finished with failed actions (an audit: findings)
    WAITING = 3  # finished, waiting on manual steps
    INTERRUPTED = 130  # Ctrl-C


class OffboardError(Exception):
    """A problem the user can fix. The message says what is wrong and what to do next."""

    exit_code = ExitCode.ERROR


class ConfigurationError(OffboardError):
    """The config file, roster or playbook is wrong."""


class MemberNotFound(OffboardError):
    """The member id or email matches no one, or more than one person."""


class StalePlanError(OffboardError):
    """A saved plan no longer matches what the systems show."""


class RunLocked(OffboardError):
    """Another run holds the lock for this member (or another audit is running)."""


class Aborted(OffboardError):
    """The person at the terminal said no: nothing was changed."""
