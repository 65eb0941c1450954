"""A terminal for the CLI's tests: its consoles as a person's screen would see them, colour and live lines."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest
from rich.console import Console


class Screen:
    """What a terminal showed on stdout and stderr, escape codes included."""

    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()

    def consoles(self) -> tuple[Console, Console]:
        """Made now, so that NO_COLOR set before is honoured, as a real console made at start would."""
        def made(file: io.StringIO) -> Console:
            return Console(file=file, force_terminal=True, width=100, highlight=False, soft_wrap=True, emoji=False)

        return made(self.out), made(self.err)


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Screen]:
    """``screen()``: from now on the CLI writes to a terminal (both consoles of every ``offboard.cli`` module)."""
    import offboard.cli  # noqa: F401  (every command module imported)

    def attach() -> Screen:
        shown = Screen()
        out, err = shown.consoles()
        for name, module in list(sys.modules.items()):
            if name.startswith("offboard.cli"):
                if isinstance(getattr(module, "console", None), Console):
                    monkeypatch.setattr(module, "console", out)
                if isinstance(getattr(module, "err_console", None), Console):
                    monkeypatch.setattr(module, "err_console", err)
        return shown

    return attach


@pytest.fixture
def ticking(monkeypatch: pytest.MonkeyPatch) -> Callable[[float, float], None]:
    """``ticking(start, step)``: the live display's clock reads start, start + step, ... (nothing sleeps)."""
    from offboard.cli import live

    def start(at: float, step: float) -> None:
        moments = iter(at + i * step for i in range(10_000))
        monkeypatch.setattr(live, "clock", lambda: next(moments))

    return start
