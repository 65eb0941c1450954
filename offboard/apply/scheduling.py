"""Which waiting actions start now: cut first, then clean, then manual; dependencies and closing steps wait.

The engine's policy, apart from its loop (see ``offboard.apply.engine`` for the rules in words).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from offboard.apply.journal import ActionRow
from offboard.spi import Phase

# While a system's cut is under way, its clean-up runs at most this many actions at once: each request costs
# processor time (building it, reading its answer) that the cut's own requests are waiting for.
CLEAN_BESIDE_CUT = 4
Key = tuple[str, str, str]  # (run, system, action id): ActionRow.key


def next_actions(waiting: Sequence[ActionRow], running: Sequence[ActionRow], finished: Collection[Key],
                 in_run: Collection[Key], slots: Mapping[str, int], after: Collection[Key],
                 closing: Collection[str] = ()) -> list[ActionRow]:
    """The actions to start now, in plan order within each phase, cut first.

    The rows may be of several runs (members planned together): their cut actions come before any clean
    one, system by system, and ``slots`` are shared. ``after``: the rows that wait for a manual step (left
    out of the manual rule); ``closing``: the systems whose actions start only once no cut action of any
    system of their run is waiting or running.
    """
    cutting = {r.run_id for r in (*waiting, *running) if r.action.phase is Phase.CUT}
    by_system: dict[str, list[ActionRow]] = {}
    for r in waiting:
        by_system.setdefault(r.system, []).append(r)
    busy_in: dict[str, list[ActionRow]] = {}
    for r in running:
        busy_in.setdefault(r.system, []).append(r)
    chosen: list[ActionRow] = []
    for system, mine in by_system.items():
        if system not in slots:  # not configured: each is recorded as failed at once
            chosen += mine
            continue
        if system in closing:
            mine = [r for r in mine if r.run_id not in cutting]
        busy = busy_in.get(system, [])
        free = slots[system] - len(busy)
        if free <= 0:
            continue
        phases: dict[Phase, list[ActionRow]] = {Phase.CUT: [], Phase.CLEAN: [], Phase.MANUAL: []}
        cut_waiting = 0
        for r in mine:
            if r.action.phase is Phase.CUT:
                cut_waiting += 1
            if _deps_done(r, finished, in_run):
                phases[r.action.phase].append(r)
        cut = phases[Phase.CUT][:free]
        chosen += cut
        free -= len(cut)
        # Slots a cut action still waiting on a running one will need when it becomes ready.
        blocked_cut = cut_waiting - len(cut)
        cutting_here = bool(cut) or any(r.action.phase is Phase.CUT for r in busy)
        if cutting_here:
            free -= blocked_cut
        if cutting_here or cut_waiting:  # the cut is under way: clean-up takes a few slots, not the processor
            free = min(free, CLEAN_BESIDE_CUT - sum(1 for r in busy if r.action.phase is Phase.CLEAN))
        if free > 0:
            clean = phases[Phase.CLEAN][:free]
            chosen += clean
            free -= len(clean)
        if free > 0 and phases[Phase.MANUAL]:
            unfinished = [r for r in (*mine, *busy) if r.key not in after]  # not what waits for a manual step
            if not any(r.action.phase.rank < Phase.MANUAL.rank for r in unfinished):
                chosen += phases[Phase.MANUAL][:free]
    return chosen


def _deps_done(row: ActionRow, finished: Collection[Key], in_run: Collection[Key]) -> bool:
    if not row.action.depends_on:
        return True
    keys = [(row.run_id, row.system, dep) for dep in row.action.depends_on]
    return all(key in finished or key not in in_run for key in keys)


def closing_refused(waiting: Sequence[ActionRow], running: Sequence[ActionRow], closing: Collection[str],
                    failed_cut: Collection[Key]) -> list[ActionRow]:
    """A closing step (the notice) is not taken while access is not ended everywhere: once no cut action of
    its run is left to run and one failed, it fails too, and is sent when a resumed run has ended the access."""
    if not failed_cut:
        return []
    cut_failed = {run for run, _, _ in failed_cut}
    cutting = {r.run_id for r in (*waiting, *running) if r.action.phase is Phase.CUT}
    return [r for r in waiting if r.system in closing and r.run_id in cut_failed - cutting]


def cut_left(waiting: Sequence[ActionRow], running: Iterable[ActionRow]) -> bool:
    """Is a cut action still to finish? (While there is one, a plan's cut rows come first: it is found soon.)"""
    return any(r.action.phase is Phase.CUT for r in running) or any(r.action.phase is Phase.CUT for r in waiting)
