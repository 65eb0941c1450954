"""The pytest plugin of ``offboard[testing]``: fixtures a connector's tests need, and no sleeping for real.

Registered through the ``pytest11`` entry point, so any project that installs
``offboard[testing]`` has these fixtures without importing anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from offboard.apply import retry
from offboard.spi import ConnectorContext
from offboard.testing.emulation import Emulator

E = TypeVar("E", bound=Emulator)


@pytest.fixture
def recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the engine's retries ask for, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(retry, "real_sleep", waited.append)
    return waited


@pytest.fixture
def connector_context(tmp_path: Path) -> Callable[..., ConnectorContext]:
    """``connector_context(environ={...})``: what the engine hands a connector, for an org in ``tmp_path``."""

    def make(environ: dict[str, str] | None = None, org_name: str = "Example Org",
             domain: str = "example.org") -> ConnectorContext:
        return ConnectorContext(org_name, domain, tmp_path, dict(environ or {}))

    return make


@pytest.fixture(scope="session")
def _emulator_stoppers() -> Iterator[list[threading.Thread]]:
    """Emulators stop in the background (``Emulator.stop`` waits out serve_forever's poll); joined at the end."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join()


@pytest.fixture
def start_emulator(_emulator_stoppers: list[threading.Thread]) -> Iterator[Callable[[E], E]]:
    """``start_emulator(SomeEmulator(...))``: started on 127.0.0.1 now, stopped after the test without waiting."""
    started: list[Emulator] = []

    def start(emulator: E) -> E:
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        stopper = threading.Thread(target=emulator.stop, name=f"stop-{emulator.url}")
        stopper.start()
        _emulator_stoppers.append(stopper)
