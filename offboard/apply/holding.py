"""Actions held for a manual step: an action that depends on a step waiting on a person is not sent until
the step is closed (Slack's channel invites wait for the account a person reactivates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from offboard.apply.journal import ActionRow
from offboard.apply.states import Progress
from offboard.spi import Phase, State

Key = tuple[str, str, str]  # (run, system, action id): ActionRow.key


def holds(rows: Sequence[ActionRow], open_steps: Mapping[Key, str]) -> dict[Key, str]:
    """Of ``rows``, those that depend on an open step (``open_steps``: key -> its summary), directly or through
    other rows of ``rows`` (within their system): key -> the summary of the step each waits for."""
    blocked = dict(open_steps)
    held: dict[Key, str] = {}
    changed = True
    while changed:
        changed = False
        for row in (r for r in rows if r.key not in held):
            step = next((blocked[key] for d in row.action.depends_on
                         if (key := (row.run_id, row.system, d)) in blocked), None)
            if step is not None:
                held[row.key] = blocked[row.key] = step
                changed = True
    return held


def hold(waiting: list[ActionRow], blocked: dict[Key, str]) -> list[tuple[ActionRow, str]]:
    """Take out of ``waiting`` the rows an open step holds, directly or through rows held before (``blocked``: the
    open steps and the held rows, each to the summary of the step; updated). Returns the rows to record ``held``,
    with their detail: those the journal does not show so yet."""
    held = holds(waiting, blocked)
    blocked.update(held)
    taken = [(r, f"waits for: {held[r.key]}") for r in waiting if r.key in held]
    waiting[:] = [r for r in waiting if r.key not in held]
    return [(r, detail) for r, detail in taken if (r.state, r.detail) != (Progress.HELD, detail)]


def after_manual(rows: Sequence[ActionRow]) -> set[Key]:
    """The rows that depend on a manual action of their system, directly or through other rows."""
    return set(holds(rows, {r.key: "" for r in rows if r.action.phase is Phase.MANUAL}))


def still_held(rows: Sequence[ActionRow]) -> dict[Key, str]:
    """The ``held`` rows of a run that a step still open (``manual``) holds: key -> the step's summary."""
    open_steps = {r.key: r.action.summary for r in rows if r.state is State.MANUAL}
    return holds([r for r in rows if r.state is Progress.HELD], open_steps)


def released(rows: Sequence[ActionRow]) -> list[ActionRow]:
    """The ``held`` rows of a run whose step is closed now: they run when the run is executed again."""
    still = still_held(rows)
    return [r for r in rows if r.state is Progress.HELD and r.key not in still]
