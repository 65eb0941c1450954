"""What a person at a terminal sees while offboard works: one live line on stderr (never with ``--json``,
never in a log), and the moment the member's access ended.

Reading: "reading google, slack… (1 of 3 systems read)". Applying: "applying: 7 of 12 done (google: Remove
from eng)". Then, as the last ``cut`` action finishes: "Access cut at 14:03:12 (1.2 s after you confirmed)."
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from offboard.cli.render import DONE, FAILED
from offboard.spi import Action, Phase, State
from offboard.text import for_terminal, plural

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from rich.status import Status

    from offboard.plans.plan import SystemPlan

clock: Callable[[], float] = time.time  # seconds since the epoch; tests replace it, nothing sleeps
_showing: set[LiveLine] = set()  # the lines on screen now: a command that ends by an error clears them (clear_all)


def clear_all() -> None:
    """Take every live line off the screen (and give the cursor back): the command is over, however it ended."""
    for line in list(_showing):
        line.clear()


class LiveLine:
    """One line that rewrites itself (rich's ``Status``: a spinner and the text), gone when cleared; lines
    printed meanwhile go above it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None
        self._lock = threading.Lock()

    def show(self, text: str) -> None:
        with self._lock:
            if self._status is None:
                from rich.status import Status

                self._status = Status(Text(for_terminal(text)), console=self.console)
                self._status.start()
                _showing.add(self)
            else:
                self._status.update(Text(for_terminal(text)))

    def clear(self) -> None:
        with self._lock:
            if self._status is not None:
                self._status.stop()
                self._status = None
            _showing.discard(self)


class Reading:
    """Discovery on the live line: the systems being read, and how many are read."""

    def __init__(self, line: LiveLine) -> None:
        self.line = line
        self.busy: list[str] = []
        self.read = self.total = 0
        self._lock = threading.Lock()

    def started(self, system: str) -> None:
        with self._lock:
            self.busy.append(system)
            self.total += 1
            self._show()

    def finished(self, found: SystemPlan) -> None:
        with self._lock:
            if found.system in self.busy:
                self.busy.remove(found.system)
            self.read += 1
            if self.busy:
                self._show()
            else:  # this round is read; a closing step (the notice) may start another
                self.read = self.total = 0
                self.line.clear()

    def _show(self) -> None:
        self.line.show(f"reading {', '.join(self.busy)}… ({self.read} of {plural(self.total, 'system')} read)")


def elapsed(seconds: float) -> str:
    """A short duration: "1.2 s", "2 min 5 s"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


class Applying:
    """The engine's listener at a terminal: n of N done on the live line, and the moment access was cut,
    measured from ``since`` (when the person confirmed, or the run started)."""

    def __init__(self, line: LiveLine, total: int, since: tuple[float, str]) -> None:
        self.line, self.total, self.since = line, total, since
        self.done = 0
        self.cut_failed = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Applying:
        self.line.show(f"applying: 0 of {self.total} done")
        return self

    def __exit__(self, *exc: object) -> None:
        self.line.clear()

    def started(self, system: str, action: Action) -> None:
        pass

    def finished(self, system: str, action: Action, state: State) -> None:
        with self._lock:
            self.done += 1
            if action.phase is Phase.CUT and state in (State.FAILED, State.SKIPPED):
                self.cut_failed += 1
            self.line.show(f"applying: {self.done} of {self.total} done ({system}: {action.summary[:40]})")

    def cut_done(self) -> None:
        """Called by the engine as the last cut action finishes."""
        now = clock()
        if self.cut_failed:
            text = Text(f"Access not cut everywhere: {plural(self.cut_failed, 'cut action')} did not succeed "
                        "(see the run below).", style=FAILED)
        else:
            at, what = self.since
            text = Text(f"Access cut at {time.strftime('%H:%M:%S', time.localtime(now))} "
                        f"({elapsed(max(0.0, now - at))} after {what}).", style=DONE)
        self.line.console.print(text)
