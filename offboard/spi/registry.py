"""Finding connectors: the entry-point group ``offboard.connectors``.

Built-in connectors register through the same door as third-party ones. A plugin that
fails to load or breaks the contract is reported by name, not with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from offboard.errors import ConfigurationError
from offboard.spi import Connector

if TYPE_CHECKING:  # importlib.metadata costs 10 ms of start-up: imported when connectors are looked up
    from importlib.metadata import EntryPoint

GROUP = "offboard.connectors"


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    entry_point: EntryPoint
    distribution: str


def available() -> dict[str, ConnectorInfo]:
    """Installed connectors by name, without importing them (keeps the CLI fast)."""
    from importlib.metadata import entry_points

    found = {}
    for ep in entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist else "?"
        found.setdefault(ep.name, ConnectorInfo(ep.name, ep, dist))
    return found


def load(name: str) -> type[Connector]:
    """Import a connector class and check it keeps the contract."""
    info = available().get(name)
    if info is None:
        known = ", ".join(sorted(available())) or "none"
        raise ConfigurationError(f"no connector named '{name}' is installed (installed: {known})")
    try:
        cls = info.entry_point.load()
    except Exception as exc:  # a broken plugin must not take the tool down
        raise ConfigurationError(f"connector '{name}' ({info.entry_point.value}) failed to load: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConfigurationError(f"connector '{name}' ({info.entry_point.value}) is not an offboard Connector class")
    if getattr(cls, "name", None) != name:
        raise ConfigurationError(
            f"connector '{name}' ({info.entry_point.value}) declares name {getattr(cls, 'name', None)!r}; "
            "the entry point and the class must agree"
        )
    return cls
