"""The connector contract: what a connector declares and what the engine executes.

A connector observes and changes one system. It never retries, sleeps or journals:
the engine owns concurrency, retries, rate limits and durability. A connector's job
is to describe (``discover``), to act idempotently (``apply``), to re-observe
(``check``) and to classify its errors into the small taxonomy below.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from offboard.pacing import Pacer, RateLimit


class Phase(enum.StrEnum):
    """When an action runs: ``cut`` ends access, ``clean`` tidies up, ``manual`` needs a person."""

    CUT = "cut"
    CLEAN = "clean"
    MANUAL = "manual"


class State(enum.StrEnum):
    """The closed set of outcomes an action can end in."""

    CHANGED = "changed"  # the system was changed
    OK = "ok"  # it already was as wanted; nothing sent
    FAILED = "failed"
    SKIPPED = "skipped"  # not attempted, with a reason
    MANUAL = "manual"  # waiting for a person


class Capability(enum.StrEnum):
    REVOKE = "revoke"
    SUSPEND = "suspend"
    RESTORE = "restore"
    INVENTORY = "inventory"
    NOTIFY = "notify"


# ---------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base of the error taxonomy. ``str(err)`` must never contain a secret."""

    kind: ClassVar[str] = "fatal"


class RetriableError(ConnectorError):
    """Throttling, 5xx, timeouts, resets: the engine retries, honouring ``retry_after``."""

    kind = "retriable"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """Bad or insufficient credentials. Never retried; the message says what to grant."""

    kind = "auth"


class NotFoundError(ConnectorError):
    """The object is not there. Connectors turn "already gone" into ``ok`` themselves."""

    kind = "not-found"


class FatalError(ConnectorError):
    """Anything else the system refused. Never retried."""

    kind = "fatal"


class ConfigError(Exception):
    """A connector's configuration is wrong; raised at load time, before anything runs."""


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Member:
    """A person on the roster, with their identity overrides per system."""

    id: str
    name: str
    email: str
    personal_email: str = ""
    status: str = "active"  # active, suspended, expelled, former
    identities: Mapping[str, str] = field(default_factory=dict)

    def identity_for(self, system: str) -> str:
        """The member's identity in ``system``: the roster override, else the org email."""
        return self.identities.get(system) or self.email


ACTIVE = "active"  # the attribute saying whether an account can still be used (see ``Account.active``)


@dataclass(frozen=True)
class Account:
    """One account in one system, as the connector sees it.

    ``attributes`` holds JSON-able facts. One key is shared by every connector, so that an
    audit need not know any system's flags: ``attributes["active"]`` (``ACTIVE``) is ``True``
    when the account can still sign in or be used (Google: neither suspended nor archived;
    Slack: not deactivated) and ``False`` when it cannot. ``inventory()`` should set it on
    every account; an account without it is taken as active, so that access is never missed.
    """

    system: str
    id: str  # the system's stable id (user id, email...); ``discover`` accepts it as ``resolve`` gives it
    label: str  # what a person recognises: email, @handle
    attributes: Mapping[str, Any] = field(default_factory=dict)  # JSON-able facts

    @property
    def active(self) -> bool:
        """``attributes["active"]``; ``True`` when the connector does not say."""
        return bool(self.attributes.get(ACTIVE, True))

    def to_dict(self) -> dict[str, Any]:
        return {"system": self.system, "id": self.id, "label": self.label, "attributes": dict(self.attributes)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Account:
        return cls(data["system"], data["id"], data["label"], dict(data.get("attributes") or {}))


@dataclass(frozen=True)
class Action:
    """One change a connector proposes. Plain data: it is saved in plans and journals.

    ``id`` is stable for the same change on the same account (``"google:group:eng@x.org"``),
    so that a re-observation can be compared with a saved plan. ``params`` carries what
    ``apply`` needs and must be JSON-able; ``depends_on`` names action ids of the same
    connector that must finish first.
    """

    id: str
    connector: str
    kind: str
    summary: str  # a sentence for people: "Remove from group eng@example.org (role MEMBER)"
    phase: Phase
    reversible: bool
    before: Any = None
    after: Any = None
    account: Account | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    manual: Mapping[str, Any] | None = None  # for manual steps: instructions, evidence, second_confirmer

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connector": self.connector,
            "kind": self.kind,
            "summary": self.summary,
            "phase": self.phase.value,
            "reversible": self.reversible,
            "before": self.before,
            "after": self.after,
            "account": self.account.to_dict() if self.account else None,
            "params": dict(self.params),
            "depends_on": list(self.depends_on),
            "manual": dict(self.manual) if self.manual is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        return cls(
            id=data["id"],
            connector=data["connector"],
            kind=data["kind"],
            summary=data["summary"],
            phase=Phase(data["phase"]),
            reversible=bool(data["reversible"]),
            before=data.get("before"),
            after=data.get("after"),
            account=Account.from_dict(data["account"]) if data.get("account") else None,
            params=dict(data.get("params") or {}),
            depends_on=tuple(data.get("depends_on") or ()),
            manual=dict(data["manual"]) if data.get("manual") is not None else None,
        )


@dataclass(frozen=True)
class Outcome:
    """What ``apply`` (or ``check``) found or did."""

    state: State
    detail: str = ""  # a sentence for people, no secrets
    observed: Any = None  # the state seen afterwards, JSON-able

    @classmethod
    def changed(cls, detail: str = "", observed: Any = None) -> Outcome:
        return cls(State.CHANGED, detail, observed)

    @classmethod
    def ok(cls, detail: str = "already done", observed: Any = None) -> Outcome:
        return cls(State.OK, detail, observed)

    @classmethod
    def manual(cls, detail: str = "waiting for a person") -> Outcome:
        return cls(State.MANUAL, detail)

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls(State.SKIPPED, reason)


@dataclass(frozen=True)
class ConfigField:
    """One key of a connector's ``[connectors.NAME]`` table."""

    name: str
    description: str
    required: bool = False
    default: Any = None
    secret: bool = False  # the value names a secret source (``*_env`` / ``*_file``), never the secret
    type: type = str


@dataclass
class ConnectorContext:
    """What the engine hands a connector: where it lives and how to read secrets."""

    org_name: str
    org_domain: str
    base_dir: Path  # directory of the config file; relative paths resolve against it
    environ: Mapping[str, str]
    pacer: Pacer = field(default_factory=Pacer)

    def pace(self, bucket: str) -> None:
        """Wait, if need be, before a request counted against ``bucket`` (see ``rate_limits``)."""
        self.pacer.pace(bucket)

    def path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def secret_from_env(self, var: str) -> str:
        """Read a secret from the environment variable the config names."""
        value = self.environ.get(var, "")
        if not value:
            raise AuthError(f"environment variable {var} is not set: export it with the credential")
        return value


# ---------------------------------------------------------------- the connector


class Connector(ABC):
    """Base class of every connector. Subclasses set the class attributes and the methods.

    ``__init__`` validates the config table and raises ``ConfigError`` (message names the
    key) but does not touch the network: construction must be cheap and offline.
    """

    name: ClassVar[str]
    title: ClassVar[str]  # "Google Workspace"
    version: ClassVar[str] = "0.1.0"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.REVOKE})
    config_fields: ClassVar[tuple[ConfigField, ...]] = ()
    permissions: ClassVar[tuple[str, ...]] = ()  # API scopes / admin rights it needs
    max_concurrency: ClassVar[int] = 4  # actions applied at once against this system (threads)
    rate_limits: ClassVar[Mapping[str, RateLimit]] = {}  # pacing buckets, used via context.pace()

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        self.config = validate_config(self, config)
        self.context = context

    # -- required

    @abstractmethod
    def resolve(self, member: Member) -> Account | None:
        """Find the member's account, read-only. ``None`` when they have none here."""

    @abstractmethod
    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Observe current access read-only and return what must change. No writes, ever."""

    @abstractmethod
    def apply(self, action: Action) -> Outcome:
        """Make one change. Idempotent: re-check first and answer ``ok`` if already done."""

    # -- optional

    def apply_planned(self, action: Action) -> Outcome:
        """``apply`` for an action observed moments ago by ``discover`` and never attempted.

        The engine calls it instead of ``apply`` when it executes a run right after planning
        it. A connector may skip its re-read where the write itself is idempotent and its
        "already done" answer is recognisable (a delete that answers 404 is ``ok``), halving
        the round trips; where a write could be refused because the state moved on, it looks
        then. A resumed action always goes through ``check`` and ``apply``. Default: ``apply``.
        """
        return self.apply(action)

    def check(self, action: Action) -> bool | None:
        """Is the action's wanted state already in place? ``None`` when it cannot tell.

        The engine calls it to resume an action interrupted between intent and outcome,
        to close manual steps that the system itself can confirm, and to verify a run.
        """
        return None

    def snapshot(self, account: Account) -> dict[str, Any]:
        raise NotImplementedError(f"{self.name} cannot snapshot accounts")

    def restore(self, snapshot: Mapping[str, Any]) -> list[Action]:
        raise NotImplementedError(f"{self.name} cannot restore accounts")

    def inventory(self) -> Iterator[Account]:
        """Every account in the system, streamed page by page (for audits)."""
        raise NotImplementedError(f"{self.name} has no inventory")

    def notify(self, target: str, text: str) -> None:
        """Post ``text`` to ``target`` (a channel...) for people to read; ``Capability.NOTIFY``.

        Used by ``offboard audit --notify``. One attempt: the engine owns retries.
        """
        raise NotImplementedError(f"{self.name} cannot post notifications")

    def test_connection(self) -> list[str]:
        """Problems with credentials or permissions, as sentences; empty when all is well."""
        return []

    def close(self) -> None:
        """Release clients and sockets."""


def validate_config(connector: Connector | type[Connector], config: Mapping[str, Any]) -> dict[str, Any]:
    """Check a connector's table against its declared fields; return it with defaults filled."""
    fields = {f.name: f for f in connector.config_fields}
    problems = []
    for key in config:
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            problems.append(f"unknown key '{key}' (known: {known})")
    result: dict[str, Any] = {}
    for f in fields.values():
        if f.name in config:
            value = config[f.name]
            if not isinstance(value, f.type):
                problems.append(f"'{f.name}' must be a {f.type.__name__}, not {type(value).__name__}")
            result[f.name] = value
        elif f.required:
            problems.append(f"missing required key '{f.name}' ({f.description})")
        else:
            result[f.name] = f.default
    if problems:
        raise ConfigError(f"[connectors.{connector.name}]: " + "; ".join(problems))
    return result
