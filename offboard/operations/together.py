"""Several members at once (``offboard expel A B C``, ``audit --fix``): planned together, shown as one, cut first.

Each member keeps what one member gets: their own plan, run, lock and signed report. What is shared
is the time: their systems are read at once (discovery's round trips overlap), one confirmation
covers them all, and their runs are executed as one: in each system, every member's cut comes before
any member's clean-up, so several members take about the time of one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from contextvars import copy_context
from typing import TypeVar

from offboard.errors import OffboardError
from offboard.operations.session import Session
from offboard.plans.plan import Plan
from offboard.spi import Connector, Member

T = TypeVar("T")
Planned = tuple[Plan, Mapping[str, Connector]]


def distinct_members(session: Session, given: Sequence[str]) -> list[Member]:
    """The members named, each once, as the roster knows them; one named twice (by id and email) is an error."""
    people: dict[str, Member] = {}
    for name in given:
        person = session.member(name)
        if person.id in people:
            raise OffboardError(f"{name} names {person.id}, who is already in the list: give each member once")
        people[person.id] = person
    return list(people.values())


@contextmanager
def member_locks(session: Session, member_ids: Sequence[str]) -> Iterator[None]:
    """Every member's lock, taken in id order; one that another run holds refuses the whole command (``RunLocked``),
    and the locks taken are let go."""
    with ExitStack() as locks:
        refused = lock_each(locks, session, member_ids)
        if refused:
            raise next(iter(refused.values()))
        yield


def lock_each(locks: ExitStack, session: Session, member_ids: Sequence[str]) -> dict[str, OffboardError]:
    """Each member's lock, taken in id order and held by ``locks``; returns the members whose lock another run
    holds (id -> the error), so that the caller can refuse them all or go on with the others (``audit --fix``)."""
    refused: dict[str, OffboardError] = {}
    for member_id in sorted(set(member_ids)):
        try:
            locks.enter_context(session.member_lock(member_id))
        except OffboardError as exc:
            refused[member_id] = exc
    return refused


def at_once(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run each member's planning at the same time, in the caller's context (the live line's watcher); results
    in the jobs' order. The first error is raised once every job has ended: nothing is left reading."""
    if len(jobs) <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="offboard-plan") as pool:
        futures = [pool.submit(copy_context().run, job) for job in jobs]
    return [future.result() for future in futures]


def all_connectors(planned: Sequence[Planned]) -> dict[str, Connector]:
    """The connectors every plan needs (the session builds each once, so the same system is the same one)."""
    merged: dict[str, Connector] = {}
    for _, connectors in planned:
        merged.update(connectors)
    return merged
