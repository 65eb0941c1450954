"""A session: the config, roster, journal, signer and connectors one command works with.

Everything is opened on first use and once only; ``close`` (or leaving the ``with`` block)
closes every connector that was built and the journal. Every configured connector table is
validated before the first connector is built, and every problem is reported at once.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING

from offboard.apply.journal import Journal
from offboard.apply.locking import hold
from offboard.apply.pacing import Pacer
from offboard.apply.retry import RetryPolicy, retried_read
from offboard.config import Config, load_config
from offboard.errors import ConfigurationError
from offboard.files import check_private_dir
from offboard.members.roster import Roster, load_roster
from offboard.plans.locating import find_by_reference, find_playbook, reference
from offboard.plans.plan import Plan
from offboard.spi import ConfigError, Connector, ConnectorContext, Member, registry, validate_config

if TYPE_CHECKING:  # cryptography costs 20 ms of start-up: imported when a report is signed
    from offboard.plans.playbook import Playbook  # with YAML (25 ms): imported when a playbook is read
    from offboard.report.signing.keys import Signer


class Session:
    def __init__(self, config: Config, environ: Mapping[str, str] | None = None, retry: RetryPolicy | None = None,
                 paced: bool = True) -> None:
        self.config = config
        self.environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        self.retry = retry or RetryPolicy()
        self.paced = paced  # False only against emulators that do not meter (a benchmark of the tool's own work)
        self._built: dict[tuple[str, str], Connector] = {}
        self._classes: dict[str, type[Connector]] | None = None
        self._contexts: list[ConnectorContext] = []
        self._reveal: Callable[[str, str], None] | None = None

    @classmethod
    def open(cls, config_path: str | None, environ: Mapping[str, str] | None = None,
             retry: RetryPolicy | None = None, paced: bool = True) -> Session:
        env = dict(os.environ if environ is None else environ)
        return cls(load_config(config_path, env), env, retry, paced)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- what a command reads

    @cached_property
    def roster(self) -> Roster:
        return load_roster(self.config.roster_path, self.config.roster_columns)

    @cached_property
    def journal(self) -> Journal:
        self.check_state_folders()
        return Journal(self.config.journal_path)

    def check_state_folders(self) -> None:
        """The state folder, its locks/ and reports/, where they exist, are the user's alone; checked before
        anything is written there (the ledger creates reports/, the journal and locks the others)."""
        for folder in self.config.state_folders:
            check_private_dir(folder)

    @cached_property
    def signer(self) -> Signer | None:
        """The report signer, loaded once per command (a passphrase is asked once)."""
        from offboard.report.signing.keys import load_signer

        return load_signer(self.config, self.environ)

    @property
    def org(self) -> dict[str, str]:
        return {"name": self.config.org_name, "domain": self.config.org_domain}

    @property
    def operator(self) -> str:
        """Who is running this: ``$OFFBOARD_OPERATOR``, else the login name."""
        return self.environ.get("OFFBOARD_OPERATOR") or getpass.getuser()

    def member(self, query: str) -> Member:
        return self.roster.find(query)

    def playbook(self, name_or_path: str) -> Playbook:
        """A playbook by name or path, with the reference a saved plan finds it by on another clone."""
        from offboard.plans.playbook import load_playbook

        path = find_playbook(name_or_path, self.config.base_dir)
        book = load_playbook(path, registry.available())
        return replace(book, ref=reference(path, self.config.base_dir) or "")

    def saved_playbook(self, ref: str) -> Playbook:
        """The playbook a saved plan names."""
        return self.playbook(str(find_by_reference(ref, self.config.base_dir)))

    def member_lock(self, member_id: str) -> AbstractContextManager[None]:
        """One run per member at a time, across processes and machines sharing the state folder."""
        return self.lock(f"member-{member_id}", f"a run for {member_id}")

    def lock(self, name: str, what: str) -> AbstractContextManager[None]:
        """The state folder's lock ``name``; ``what`` says in an error what holds it."""
        self.check_state_folders()
        return hold(self.config.state_dir, name, what)

    # -- connectors, each built once

    def connectors_for(self, playbook: Playbook) -> dict[str, Connector]:
        """One connector per configured system of the playbook; unconfigured ones are left out."""
        return self._connectors((step.system, step.connector) for step in playbook.steps)

    def connectors_for_plan(self, plan: Plan) -> dict[str, Connector]:
        """The connectors a recorded run needs, to resume it or re-check its manual steps."""
        return self._connectors((s.system, s.connector) for s in plan.systems)

    def configured_connectors(self) -> dict[str, Connector]:
        """Every connector with a ``[connectors.NAME]`` table, keyed by its name (what an audit reads)."""
        return self._connectors((name, name) for name in sorted(self.config.connectors))

    def connector_class(self, name: str) -> type[Connector]:
        return self._checked_classes().get(name) or registry.load(name)

    def context(self, connector_cls: type[Connector]) -> ConnectorContext:
        """What a connector gets: the org, secrets, its pacing buckets and the engine's retry of one read."""
        policy = self.retry
        context = ConnectorContext(self.config.org_name, self.config.org_domain, self.config.base_dir, self.environ,
                                   self._pacer(connector_cls),
                                   retrying=lambda read: retried_read(read, policy), revealing=self._reveal,
                                   peers=self.connector)
        self._contexts.append(context)
        return context

    def _pacer(self, connector_cls: type[Connector]) -> Pacer:
        """The process's one pacer of this API and account (several members' runs share its limit); none unpaced."""
        if not self.paced:
            return Pacer()
        table = self.config.connectors.get(connector_cls.name, {})
        key = (connector_cls.name, repr(sorted((k, repr(v)) for k, v in table.items())))
        return Pacer.shared(key, connector_cls.rate_limits)

    def connector(self, system: str) -> Connector | None:
        """The connector of a system named after it (``google``, ``notice``): built once; None when not configured.

        What ``ConnectorContext.peer`` answers (the notice sends through Google's mailbox)."""
        return self._connectors([(system, system)]).get(system)

    def show_secrets_to(self, reveal: Callable[[str, str], None]) -> None:
        """Where a secret a connector makes (a reinstated member's new password) is shown, once: the operator."""
        self._reveal = reveal
        for context in self._contexts:
            context.revealing = reveal

    def _connectors(self, systems: Iterable[tuple[str, str]]) -> dict[str, Connector]:
        classes = self._checked_classes()
        built: dict[str, Connector] = {}
        for system, name in systems:
            if (system, name) not in self._built:
                cls = classes.get(name)
                if cls is None and name in registry.available() and not registry.load(name).needs_config:
                    cls = registry.load(name)  # a person does the work: nothing to configure
                if cls is None:
                    continue
                table = (getattr(self.config, cls.config_table, None) if cls.config_table
                         else self.config.connectors.get(name))
                self._built[(system, name)] = self._build(cls, table or {})
            built[system] = self._built[(system, name)]
        return built

    def _build(self, cls: type[Connector], table: Mapping[str, object]) -> Connector:
        try:
            return cls(table, self.context(cls))
        except ConfigError as exc:  # a value the table's types allow but the connector does not
            raise ConfigurationError(f"{self.config.path.name}: {exc}") from None

    def _checked_classes(self) -> dict[str, type[Connector]]:
        """Load and validate every configured table, used by this command or not."""
        if self._classes is not None:
            return self._classes
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
        self._classes = classes
        return classes

    def close(self) -> None:
        """Close every connector built in this session, then the journal."""
        for connector in self._built.values():
            connector.close()
        self._built.clear()
        if "journal" in self.__dict__:
            self.journal.close()
            del self.__dict__["journal"]
