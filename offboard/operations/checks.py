"""What is installed and whether it can reach its system: ``connectors`` and ``doctor``."""

from __future__ import annotations

from dataclasses import dataclass, field

from offboard.config import Config
from offboard.errors import ConfigurationError, ExitCode
from offboard.files import check_private_dir
from offboard.operations.session import Session
from offboard.spi import Capability, registry
from offboard.spi.endpoints import endpoint_note
from offboard.spi.errors import describe


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


@dataclass(frozen=True)
class Endpoint:
    """An endpoint override a connector uses (``base_url``...), as ``doctor`` states it."""

    name: str
    url: str
    note: str = ""  # "insecure, loopback emulator" for plain http


@dataclass
class Checkup:
    config: Config
    members: int
    problems: dict[str, list[str]] = field(default_factory=dict)  # per configured connector
    endpoints: dict[str, list[Endpoint]] = field(default_factory=dict)  # per configured connector: its overrides
    state_problems: list[str] = field(default_factory=list)  # the state folder, locks/, reports/
    roster_columns: list[tuple[str, str]] = field(default_factory=list)  # header -> field, where they differ

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.ERROR if self.state_problems or any(self.problems.values()) else ExitCode.OK


def doctor(session: Session) -> Checkup:
    """Load the roster and ask each configured connector what is wrong with its credentials and permissions.

    A table a connector refuses (an unknown key, a plain-http endpoint) is an error, as in every
    command; what the systems answer is reported per connector, with the endpoints it overrides.
    """
    roster = session.roster
    checkup = Checkup(session.config, len(roster.members), roster_columns=roster.columns.renamed)
    for folder in session.config.state_folders:
        try:
            check_private_dir(folder)
        except ConfigurationError as exc:
            checkup.state_problems.append(str(exc))
    connectors = session.configured_connectors()
    for name in sorted(session.config.connectors):
        try:
            connector = connectors[name]
            checkup.endpoints[name] = [Endpoint(key, url, endpoint_note(url)) for key, url in connector.endpoints().items()]
            checkup.problems[name] = connector.test_connection()
        except Exception as exc:  # doctor reports, it does not crash
            checkup.problems[name] = [f"could not be checked: {describe(exc)}"]
    if session.config.notice:  # [notice]: how the written notice is sent, and whether it can be
        notice = session.connector("notice")
        if notice is not None:
            checkup.problems["notice"] = notice.test_connection()
    return checkup
