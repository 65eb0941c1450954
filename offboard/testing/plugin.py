"""The pytest plugin of ``offboard[testing]``: fixtures a connector's tests need, and no sleeping for real.

Registered through the ``pytest11`` entry point, so any project that installs
``offboard[testing]`` has these fixtures without importing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from offboard.apply import retry
from offboard.spi import ConnectorContext


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
