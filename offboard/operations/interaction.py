"""How an operation talks to the person running it, without knowing whether it is a terminal.

An operation shows a plan before it asks, asks before it changes anything, and reports
progress while it applies. The CLI answers these at a terminal; the library default,
``Silent``, shows nothing and says no to every question, so nothing is applied unless the
caller passed ``yes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.apply.engine import Listener
    from offboard.audit import AuditResult
    from offboard.plans.plan import Plan, SystemPlan
    from offboard.report.ledger import ReportFiles


class Interaction(Protocol):
    def show_plan(self, plan: Plan) -> None:
        """The plan, before anything is asked or applied."""

    def show_plans(self, plans: Sequence[Plan]) -> None:
        """Members' plans made together: each, then (when there are several) what they come to together."""

    def show_audit(self, result: AuditResult, files: ReportFiles | None) -> None:
        """An audit's findings, before ``--fix`` plans anything; ``files`` None: a dry run wrote no report."""

    def note(self, text: str) -> None:
        """Something worth knowing that is not the result (an earlier run waiting, a step of the demo)."""

    def confirm_apply(self, member_ids: Sequence[str], count: int) -> bool:
        """May the plan of ``count`` actions be applied to these members (one, or several planned together)?"""

    def confirm_resume(self, run_id: str, member_id: str) -> bool:
        """An interrupted run of this member is unfinished: finish it instead of starting again?"""

    def progress(self, totals: Mapping[str, int]) -> AbstractContextManager[Listener | None]:
        """A listener for the engine while a run applies (``totals``: actions per system). It may also have
        ``cut_done()``: the engine calls it when the last ``cut`` action has finished (the access is ended)."""

    def reading(self, system: str) -> None:
        """Discovery starts reading this system (from a worker thread; through ``plans.discovery.watcher``)."""

    def read(self, found: SystemPlan) -> None:
        """Discovery has read this system (from a worker thread): what it found, or why it could not."""

    @property
    def can_reveal(self) -> bool:
        """Is someone there to see a secret (a terminal, not a log file)? Else no action that makes one runs."""

    def reveal(self, label: str, secret: str) -> None:
        """Show a secret once (a reinstated member's new password): never logged, stored or shown again."""


class Silent:
    """Shows nothing and answers no: for scripts, benchmarks and tests that pass ``yes``.

    A secret a run makes is kept in ``revealed`` (label, secret), in memory only, for the caller.
    """

    can_reveal = True  # to the library caller, in memory

    def __init__(self) -> None:
        self.revealed: list[tuple[str, str]] = []

    def show_plan(self, plan: Plan) -> None:
        pass

    def show_plans(self, plans: Sequence[Plan]) -> None:
        pass

    def show_audit(self, result: AuditResult, files: ReportFiles | None) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def confirm_apply(self, member_ids: Sequence[str], count: int) -> bool:
        return False

    def confirm_resume(self, run_id: str, member_id: str) -> bool:
        return False

    def progress(self, totals: Mapping[str, int]) -> AbstractContextManager[Listener | None]:
        return no_progress()

    def reading(self, system: str) -> None:
        pass

    def read(self, found: SystemPlan) -> None:
        pass

    def reveal(self, label: str, secret: str) -> None:
        self.revealed.append((label, secret))


@contextmanager
def no_progress() -> Iterator[Listener | None]:
    """No display: the engine's own quiet listener is used."""
    yield None
