"""Which waiting actions start now: cut first, then clean, then manual; dependencies and closing steps wait.

The engine's policy, apart from its loop (see ``offboard.apply.engine`` for the rules in words).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from offboard.apply.journal import ActionRow
from offboard.spi import Phase

Key = tuple[str, str]  # (system, action id)


def next_actions(waiting: Sequence[ActionRow], running: Sequence[ActionRow], finished: Collection[Key],
                 in_run: Collection[Key], slots: Mapping[str, int], after: Collection[Key],
                 closing: Collection[str] = ()) -> list[ActionRow]:
    """The actions to start now, in plan order within each phase, cut first.

    ``after``: the rows that wait for a manual step (left out of the manual rule); ``closing``: the systems
    whose actions start only once no cut action of any system is waiting or running.
    """
    cut_left = any(r.action.phase is Phase.CUT for r in (*waiting, *running))
    chosen: list[ActionRow] = []
    for system in dict.fromkeys(r.system for r in waiting):
        mine = [r for r in waiting if r.system == system]
        if system not in slots:  # not configured: each is recorded as failed at once
            chosen += mine
            continue
        if system in closing and cut_left:
            continue
        busy = [r for r in running if r.system == system]
        free = slots[system] - len(busy)
        if free <= 0:
            continue
        ready = [r for r in mine if _deps_done(r, finished, in_run)]
        cut = [r for r in ready if r.action.phase is Phase.CUT][:free]
        chosen += cut
        free -= len(cut)
        # Slots a cut action still waiting on a running one will need when it becomes ready.
        blocked_cut = sum(1 for r in mine if r.action.phase is Phase.CUT) - len(cut)
        if any(r.action.phase is Phase.CUT for r in busy) or cut:
            free -= blocked_cut
        if free > 0:
            clean = [r for r in ready if r.action.phase is Phase.CLEAN][:free]
            chosen += clean
            free -= len(clean)
        unfinished = [r for r in (*mine, *busy) if r.key not in after]  # not what waits for a manual step
        if free > 0 and not any(r.action.phase.rank < Phase.MANUAL.rank for r in unfinished):
            chosen += [r for r in ready if r.action.phase is Phase.MANUAL][:free]
    return chosen


def _deps_done(row: ActionRow, finished: Collection[Key], in_run: Collection[Key]) -> bool:
    return all((row.system, dep) in finished or (row.system, dep) not in in_run for dep in row.action.depends_on)
