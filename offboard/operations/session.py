"""A workspace: the config, roster, journal and connectors one command works with.

Everything is validated before anything runs, and every problem is reported at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from offboard.apply.journal import Journal
from offboard.apply.pacing import Pacer
from offboard.apply.retry import RetryPolicy
from offboard.config import Config, load_config
from offboard.errors import ConfigurationError
from offboard.members.roster import Roster, load_roster
from offboard.plans.plan import Plan
from offboard.plans.playbook import Playbook, find_playbook, load_playbook
from offboard.spi import ConfigError, Connector, ConnectorContext, Member, registry, validate_config

if TYPE_CHECKING:  # cryptography costs 20 ms of start-up: imported when a report is signed
    from offboard.report.signing.keys import Signer


@dataclass
class Workspace:
    config: Config
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def open(cls, config_path: str | None, environ: Mapping[str, str] | None = None,
             retry: RetryPolicy | None = None) -> Workspace:
        env = dict(os.environ if environ is None else environ)
        return cls(load_config(config_path, env), env, retry or RetryPolicy())

    @cached_property
    def roster(self) -> Roster:
        return load_roster(self.config.roster_path)

    @cached_property
    def journal(self) -> Journal:
        return Journal(self.config.journal_path)

    @cached_property
    def signer(self) -> Signer | None:
        """The report signer, loaded once per command (a passphrase is asked once)."""
        from offboard.report.signing.keys import load_signer

        return load_signer(self.config, self.environ)

    @property
    def org(self) -> dict[str, str]:
        return {"name": self.config.org_name, "domain": self.config.org_domain}

    def member(self, query: str) -> Member:
        return self.roster.find(query)

    def playbook(self, name_or_path: str) -> Playbook:
        return load_playbook(find_playbook(name_or_path, self.config.base_dir), registry.available())

    def context(self, connector_cls: type[Connector]) -> ConnectorContext:
        return ConnectorContext(self.config.org_name, self.config.org_domain, self.config.base_dir, self.environ,
                                Pacer(connector_cls.rate_limits))

    def connectors_for(self, playbook: Playbook) -> dict[str, Connector]:
        """One connector per configured system of the playbook; unconfigured ones are left out."""
        return self._connectors((step.system, step.connector) for step in playbook.steps)

    def configured_connectors(self) -> dict[str, Connector]:
        """Every connector with a ``[connectors.NAME]`` table, keyed by its name (what an audit reads)."""
        return self._connectors((name, name) for name in sorted(self.config.connectors))

    def connectors_for_plan(self, plan: Plan) -> dict[str, Connector]:
        """The connectors a recorded run needs, to resume it or re-check its manual steps."""
        return self._connectors((s.system, s.connector) for s in plan.systems)

    def _connectors(self, systems: Iterable[tuple[str, str]]) -> dict[str, Connector]:
        """Build the systems' connectors, after checking every configured table, used here or not."""
        problems: list[str] = []
        classes: dict[str, type[Connector]] = {}
        for name, table in self.config.connectors.items():
            try:
                classes[name] = registry.load(name)
            except ConfigurationError as exc:
                problems.append(f"[connectors.{name}]: {exc}")
                continue
            try:
                validate_config(classes[name], table)
            except ConfigError as exc:  # its message already names the table
                problems.append(str(exc))
        if problems:
            raise ConfigurationError(f"{self.config.path.name}: " + "; ".join(problems))
        built: dict[str, Connector] = {}
        for system, name in systems:
            if name in classes:
                built[system] = classes[name](self.config.connectors[name], self.context(classes[name]))
            elif name == "manual":  # needs no table: a person does the work
                manual = registry.load("manual")
                built[system] = manual({}, self.context(manual))
        return built

    def close(self) -> None:
        if "journal" in self.__dict__:
            self.journal.close()


def operator_name(environ: Mapping[str, str]) -> str:
    """Who is running this: ``--operator``, else ``$OFFBOARD_OPERATOR``, else the login name."""
    import getpass

    return environ.get("OFFBOARD_OPERATOR") or getpass.getuser()


def relative(path: Path) -> str:
    """A path as short as it can be said from here, for messages."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
