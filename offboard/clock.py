"""Time and ids: one place, so that every record of a run agrees on how they look."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime


def utc_now() -> str:
    """Now, as stored in journals and reports: ISO 8601 in UTC with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id(member_id: str) -> str:
    """Sortable by time, readable (the member is in it), and unique within the second."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{member_id}-{secrets.token_hex(2)}"


def today() -> date:
    """Today's date in UTC: a suspension's ``until`` is a UTC date (its last day)."""
    return datetime.now(UTC).date()
