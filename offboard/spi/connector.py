"""The connector contract: what a connector declares and what the engine executes.

A connector observes and changes one system. It never retries, sleeps or journals:
the engine owns concurrency, retries, rate limits and durability. A connector's job
is to describe (``discover``), to act idempotently (``apply``), to re-observe
(``check``) and to classify its errors into the small taxonomy below.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

from offboard.apply.pacing import Pacer, RateLimit
from offboard.spi.errors import AuthError, ConfigError, FatalError
from offboard.spi.model import Account, Action, Capability, Member, Outcome, Restoration

T = TypeVar("T")


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
    """What the engine hands a connector: where it lives, how to read secrets, pace and retry reads."""

    org_name: str
    org_domain: str
    base_dir: Path  # directory of the config file; relative paths resolve against it
    environ: Mapping[str, str]
    pacer: Pacer = field(default_factory=Pacer)
    # The engine's retry of one read (``offboard.apply.retry.retried_read`` under the session's
    # policy); None (a context built by hand, in a test): each read is tried once.
    retrying: Callable[[Callable[[], Any]], Any] | None = field(default=None, repr=False)
    # Shows a secret to the operator once (a reinstated member's new password), never stored or logged;
    # None: nobody is there to see it, and ``reveal`` refuses.
    revealing: Callable[[str, str], None] | None = field(default=None, repr=False)
    # The other connectors of the session, by system name (the notice sends through Google's mailbox).
    peers: Callable[[str], Connector | None] | None = field(default=None, repr=False)

    def pace(self, bucket: str, key: str | None = None) -> None:
        """Wait, if need be, before a request counted against ``bucket`` (see ``rate_limits``); with a ``key``,
        against that key's own bucket of the same limit (the polls of one data transfer)."""
        if key is None:
            self.pacer.pace(bucket)
        else:
            self.pacer.pace(bucket, key)

    def count(self, bucket: str) -> None:
        """A request sent at once that counts against ``bucket`` (a read a plan cannot wait for): the requests
        paced after it wait for its share."""
        self.pacer.count(bucket)

    def read(self, fn: Callable[[], T]) -> T:
        """``fn()``, one read request, retried by the engine on its own (``RetriableError`` only,
        honouring ``Retry-After``, with the budget of one action); raises its last error when it gives up.

        Wrap each read request: those of ``resolve``, ``discover``, ``check`` and ``inventory`` (each
        page of a paged list on its own) and the looks an ``apply`` takes; never a write: a write is
        retried by the engine as part of its action, which looks first. A read that spends its budget
        fails the discovery or the action at once (no budget is multiplied). The connector itself
        still never sleeps or loops. Safe from any thread.
        """
        if self.retrying is None:
            return fn()
        return cast(T, self.retrying(fn))

    def reveal(self, label: str, secret: str) -> None:
        """Show ``secret`` once to the operator, with ``label`` saying what it is ("New password of bob@x.org").

        The one way a secret leaves a connector: never in an ``Outcome``, a log line or an exception.
        Raises ``FatalError`` (before anything is changed, when called first) when nobody can see it.
        """
        if self.revealing is None:
            raise FatalError(f"{label} cannot be shown to anyone here (no operator at a terminal): run the "
                             "command at a terminal")
        self.revealing(label, secret)

    def peer(self, system: str) -> Connector | None:
        """The session's connector of ``system`` (configured), or None."""
        return self.peers(system) if self.peers is not None else None

    def path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def secret_from_env(self, var: str) -> str:
        """Read a secret from the environment variable the config names."""
        value = self.environ.get(var, "")
        if not value:
            raise AuthError(f"environment variable {var} is not set: export it with the credential")
        return value


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
    needs_config: ClassVar[bool] = True  # False: usable without a [connectors.NAME] table (a checklist)
    # True: the member's identity here is only the roster's column named after the connector (a Discord
    # user id), never guessed from the email; a member without it is "not on the roster for NAME".
    identity_column: ClassVar[bool] = False
    config_table: ClassVar[str | None] = None  # the top-level table it reads ("notice"); None: [connectors.NAME]
    # A closing step (the written notice): discovered after every other system of the playbook, with their
    # titles in ``options["systems"]``, and applied once every ``cut`` action of every system has finished.
    closing: ClassVar[bool] = False
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

    def interrupted(self, action: Action) -> Outcome | None:
        """What an action found sent-but-unanswered on resume (``intent``) becomes when ``check`` cannot tell.

        None (the default): ``apply`` it again, as every write is idempotent. An ``Outcome`` instead: record
        that, and send nothing (a mail through SMTP must never go twice: a person checks the sent folder).
        """
        return None

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """What puts back the access ``applied`` removed: for suspension's end and reinstatement (``Capability.RESTORE``).

        ``applied`` are the actions a suspension or expulsion applied, as the journal recorded them, each
        with the ``before`` it observed. Read-only, like ``discover``: it re-observes the account and returns
        one action per applied change whose ``before`` can come back and is not so already, with ``before``
        the state now and ``after`` the recorded one (ids stable, so a restore plan can be saved and bound
        like any plan); drift is not fatal (a group deleted meanwhile is left out, with the reason in
        ``lost``); access gained meanwhile is never touched. What cannot come back goes in ``lost``.
        """
        raise NotImplementedError(f"{self.name} cannot restore access")

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

    def endpoints(self) -> dict[str, str]:
        """The endpoint overrides in use, name -> URL (``base_url``...), for ``offboard doctor``; empty: none.

        Each was checked by ``offboard.spi.check_endpoint`` when the connector was built.
        """
        return {}

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
        table = connector.config_table or f"connectors.{connector.name}"  # the notice reads [notice]
        raise ConfigError(f"[{table}]: " + "; ".join(problems))
    return result
