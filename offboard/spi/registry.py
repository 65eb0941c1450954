"""Finding connectors: the entry-point group ``offboard.connectors``.

Built-in connectors register through the same door as third-party ones. A plugin that
fails to load or breaks the contract is reported by name, not with a traceback.
``register`` adds one in-process, next to the entry points (tests, a script's own connector).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from offboard.errors import ConfigurationError
from offboard.spi import Connector

if TYPE_CHECKING:  # importlib.metadata costs 10 ms of start-up: imported when connectors are looked up
    from importlib.metadata import EntryPoint

GROUP = "offboard.connectors"
#: connectors registered in this process: name -> "module:Class", as an entry point's value
REGISTERED: dict[str, str] = {}


def register(name: str, target: str) -> None:
    """Make ``target`` ("module:Class") the connector ``name`` in this process, as an entry point would."""
    REGISTERED[name] = target


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    entry_point: EntryPoint
    distribution: str


def available() -> dict[str, ConnectorInfo]:
    """Installed connectors by name, without importing them (keeps the CLI fast)."""
    from importlib.metadata import EntryPoint

    found = dict(_installed())
    for name, target in REGISTERED.items():
        found[name] = ConnectorInfo(name, EntryPoint(name=name, value=target, group=GROUP), "registered in this process")
    return found


@cache
def _installed() -> tuple[tuple[str, ConnectorInfo], ...]:
    """The entry points, read once per process: a command looks connectors up several times, and each
    look reads every installed distribution's entry points and parses the metadata of each one's owner."""
    from importlib.metadata import entry_points

    found: dict[str, ConnectorInfo] = {}
    names: dict[int, str] = {}  # a distribution's name, parsed once for all its entry points
    for ep in entry_points(group=GROUP):
        if ep.name in found:
            continue
        if ep.dist is not None and id(ep.dist) not in names:
            names[id(ep.dist)] = ep.dist.name
        found[ep.name] = ConnectorInfo(ep.name, ep, names[id(ep.dist)] if ep.dist is not None else "?")
    return tuple(found.items())


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
