"""Domain errors. The CLI turns them into one ``Error: ...`` line and exit 1, never a traceback."""

from __future__ import annotations


class OffboardError(Exception):
    """A problem the user can fix. The message says what is wrong and what to do next."""

    exit_code = 1


class ConfigurationError(OffboardError):
    """The config file, roster or playbook is wrong."""


class MemberNotFound(OffboardError):
    """The member id or email matches no one, or more than one person."""


class StalePlanError(OffboardError):
    """A saved plan no longer matches what the systems show."""


class RunLocked(OffboardError):
    """Another run holds the lock for this member (or another audit is running)."""
