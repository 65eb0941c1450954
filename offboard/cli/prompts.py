"""The terminal side of ``Interaction``: the plan shown, the member id typed, a live line while it works."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from offboard.cli import live
from offboard.cli.render import put
from offboard.cli.render_plan import plans_count, show_plan
from offboard.errors import OffboardError
from offboard.operations.interaction import no_progress
from offboard.text import for_terminal

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.apply.engine import Listener
    from offboard.audit import AuditResult
    from offboard.plans.plan import Plan, SystemPlan
    from offboard.report.ledger import ReportFiles


class Keyboard:
    """The person at the terminal: the one place input is read (tests put scripted answers here)."""

    def present(self) -> bool:
        return sys.stdin.isatty()

    def answer(self, question: str) -> str:
        return str(typer.prompt(question, default="", show_default=False, err=True))


keyboard = Keyboard()


def can_ask() -> bool:
    return keyboard.present()


def ask(question: str) -> str:
    """Ask at the terminal; refuse to guess when nobody is there to answer."""
    if not keyboard.present():
        raise OffboardError("confirmation needed but there is no terminal: review the plan with --dry-run, then pass --yes")
    return keyboard.answer(question)


class TerminalInteraction:
    """Shows plans and audits on ``out`` (nothing with ``--json``), notes on ``err``, asks at the terminal; a
    live line on ``err`` while systems are read and a run applies, only when it is a terminal (not a log)."""

    def __init__(self, out: Console, err: Console, as_json: bool = False) -> None:
        self.out, self.err, self.as_json = out, err, as_json
        self._shown_before = False  # a plan after an audit's table is set apart by a blank line
        self._line = live.LiveLine(err) if err.is_terminal and not as_json else None
        self._reading = live.Reading(self._line) if self._line else None
        self._confirmed_at: float | None = None  # when the person typed the member id: the cut is timed from it

    def show_plan(self, plan: Plan) -> None:
        if not self.as_json:
            if self._shown_before:
                self.out.print()
            show_plan(self.out, plan)

    def show_plans(self, plans: Sequence[Plan]) -> None:
        for plan in plans:
            self.show_plan(plan)
            self._shown_before = True
        if len(plans) > 1 and not self.as_json:
            self.out.print()
            put(self.out, plans_count(plans))

    def show_audit(self, result: AuditResult, files: ReportFiles | None) -> None:
        if not self.as_json:
            from offboard.cli.render_audit import show_audit  # the audit's table: only when an audit ran

            show_audit(self.out, result, files)
            self._shown_before = True

    def note(self, text: str) -> None:
        """A note may name a member: shown as text (no markup, controls escaped); its own line breaks kept."""
        self.err.print(Text(for_terminal(text, keep_newlines=True)))

    def confirm_apply(self, member_ids: Sequence[str], count: int) -> bool:
        """The member's id typed; for members planned together, every id (in any order, spaces between)."""
        if len(member_ids) == 1:
            question = f"Type the member id ({for_terminal(member_ids[0])}) to apply these {count} actions"
        else:
            question = (f"Type the {len(member_ids)} member ids ({for_terminal(' '.join(member_ids))}) to apply these "
                        f"{count} actions to all of them")
        answer = ask(f"{question}, or press Enter to cancel")
        self._confirmed_at = live.clock()
        if len(member_ids) == 1:
            return answer.strip() == member_ids[0]
        return sorted(answer.split()) == sorted(member_ids)

    def confirm_resume(self, run_id: str, member_id: str) -> bool:
        return ask("Resume it instead of starting again? [y/N]").strip().lower() in {"y", "yes"}

    @property
    def can_reveal(self) -> bool:
        """Only to a person at a terminal: a timer's output goes to a log."""
        return self.err.is_terminal

    def reveal(self, label: str, secret: str) -> None:
        """On the terminal (stderr, so that --json stays one document), once; nothing else keeps it."""
        self.err.print(Text(f"{for_terminal(label)}: ", style="bold") + Text(secret, style="bold reverse"))
        self.err.print(Text("Shown once, never stored: hand it to the member in person or by a trusted channel; "
                            "they must change it when they first sign in."))

    def progress(self, totals: Mapping[str, int]) -> AbstractContextManager[Listener | None]:
        if self._line is None:
            return no_progress()
        since = (self._confirmed_at, "you confirmed") if self._confirmed_at else (live.clock(), "the run started")
        return live.Applying(self._line, sum(totals.values()), since)

    def reading(self, system: str) -> None:
        if self._reading:
            self._reading.started(system)

    def read(self, found: SystemPlan) -> None:
        if self._reading:
            self._reading.finished(found)
