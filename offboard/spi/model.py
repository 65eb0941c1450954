"""The data connectors and the engine share: members, accounts, actions, manual steps and outcomes.

All of it is plain data that serializes to JSON: plans, journals and reports store it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Phase(enum.StrEnum):
    """When an action runs: ``cut`` ends access, ``clean`` tidies up, ``manual`` needs a person."""

    CUT = "cut"
    CLEAN = "clean"
    MANUAL = "manual"

    @property
    def rank(self) -> int:
        """The order phases run in: cut, then clean, then manual."""
        return list(Phase).index(self)


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
# The attribute listing what else a roster column may hold for the account, beside its id and label
# (an Open Collective slug where the id is a number): an audit matches the member by any of them.
ROSTER_KEYS = "roster_keys"


@dataclass(frozen=True)
class Account:
    """One account in one system, as the connector sees it.

    ``attributes`` holds JSON-able facts. One key is shared by every connector, so that an
    audit need not know any system's flags: ``attributes["active"]`` (``ACTIVE``) is ``True``
    when the account can still sign in or be used (Google: neither suspended nor archived;
    Slack: not deactivated) and ``False`` when it cannot. ``inventory()`` should set it on
    every account; an account without it is taken as active, so that access is never missed.
    ``attributes["roster_keys"]`` (``ROSTER_KEYS``), a list, names what else a roster column may hold.
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
class ManualStep:
    """What a person must do for a ``manual`` action, and how it gets closed.

    ``self_closing``: the system can see the step done (Slack shows the account deactivated)
    and the engine closes it when it looks again; otherwise a person confirms it with
    ``offboard confirm``, with ``evidence`` and, where asked, a ``second_confirmer``.
    """

    title: str
    instructions: str = ""
    links: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    second_confirmer: bool = False
    self_closing: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "instructions": self.instructions, "links": list(self.links),
                "evidence": list(self.evidence), "second_confirmer": self.second_confirmer,
                "self_closing": self.self_closing}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManualStep:
        return cls(str(data["title"]), str(data.get("instructions") or ""), tuple(data.get("links") or ()),
                   tuple(data.get("evidence") or ()), bool(data.get("second_confirmer")), bool(data.get("self_closing")))


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
    manual: ManualStep | None = None  # for ``manual`` actions: what a person must do
    preview: str = ""  # a text the plan shows in full, as it will be sent (the written notice)

    def to_dict(self) -> dict[str, Any]:
        return {**({"preview": self.preview} if self.preview else {}),
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
            "manual": self.manual.to_dict() if self.manual is not None else None,
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
            manual=ManualStep.from_dict(data["manual"]) if data.get("manual") is not None else None,
            preview=str(data.get("preview") or ""),
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
class NotRestorable:
    """An applied change that cannot come back, and why (OAuth tokens: the member consents again)."""

    action_id: str  # the applied action's id
    reason: str  # a sentence for people


@dataclass
class Restoration:
    """What ``Connector.plan_restore`` found: the actions that put access back, and what cannot come back."""

    actions: list[Action] = field(default_factory=list)
    lost: list[NotRestorable] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # ids of applied actions whose ``before`` holds again already
