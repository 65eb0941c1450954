"""What is installed and whether it can reach its system: ``connectors`` and ``doctor``."""

from __future__ import annotations

from dataclasses import dataclass, field

from offboard.config import Config
from offboard.errors import ConfigurationError, ExitCode
from offboard.operations.session import Session
from offboard.spi import Capability, registry


@dataclass(frozen=True)
class InstalledConnector:
    name: str
    distribution: str
    title: str = ""
    version: str = ""
    capabilities: tuple[Capability, ...] = ()
    error: str | None = None  # it failed to load or breaks the contract


def installed_connectors() -> list[InstalledConnector]:
    """Every connector registered under the ``offboard.connectors`` entry points, loaded and checked."""
    rows = []
    for name, info in sorted(registry.available().items()):
        try:
            cls = registry.load(name)
        except ConfigurationError as exc:
            rows.append(InstalledConnector(name, info.distribution, error=str(exc)))
            continue
        rows.append(InstalledConnector(name, info.distribution, cls.title, cls.version,
                                       tuple(sorted(cls.capabilities))))
    return rows


@dataclass
class Checkup:
    config: Config
    members: int
    problems: dict[str, list[str]] = field(default_factory=dict)  # per configured connector

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.ERROR if any(self.problems.values()) else ExitCode.OK


def doctor(session: Session) -> Checkup:
    """Load the roster and ask each configured connector what is wrong with its credentials and permissions."""
    checkup = Checkup(session.config, len(session.roster.members))
    for name in sorted(session.config.connectors):
        try:
            connector = session.configured_connectors()[name]
            checkup.problems[name] = connector.test_connection()
        except Exception as exc:  # doctor reports, it does not crash
            checkup.problems[name] = [f"{type(exc).__name__}: {exc}"]
    return checkup
