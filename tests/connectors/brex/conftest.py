"""Fixtures: a fresh emulator per test, a connector wired to it over real HTTP, and the emulator's full state."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.brex import BrexConnector
from offboard.connectors.brex.emulator import BrexEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import Account, Action, ConnectorContext, Member, NotRestorable

ALICE = Member("m-alice", "Alice Liddell", "alice@example.org")
TOKEN_ENV = "BREX_API_TOKEN"
# How every token problem ends: where to make a new token, with which scopes, and where to put it.
STEPS = ("sign in to dashboard.brex.com as an account admin or card admin, open Developer > Settings, click Create "
         "Token, give it the scopes users and cards (not only their .readonly forms), and put the new token in "
         "BREX_API_TOKEN")


@pytest.fixture
def make_emulator(start_emulator: Callable[[BrexEmulator], BrexEmulator]) -> Callable[..., BrexEmulator]:
    return lambda **kwargs: start_emulator(BrexEmulator(**kwargs))


@pytest.fixture
def emulator(make_emulator: Callable[..., BrexEmulator]) -> BrexEmulator:
    return make_emulator()


def connect(emulator: BrexEmulator, *, token: str | None = None, environ: dict[str, str] | None = None,
            pacer: Pacer | None = None, org_name: str = "Example Org", **config: Any) -> BrexConnector:
    """A connector for the emulator, with the admin's token unless told otherwise."""
    context = ConnectorContext(
        org_name=org_name,
        org_domain="example.org",
        base_dir=Path("."),
        environ=environ if environ is not None else {TOKEN_ENV: token or emulator.admin_token},
        pacer=pacer or Pacer(),  # paces nothing: tests do not sleep
    )
    return BrexConnector({"api_url": emulator.url, "insecure_endpoint": True, **config}, context)


def resolved(connector: BrexConnector, member: Member = ALICE) -> Account:
    account = connector.resolve(member)
    assert account is not None, f"{member.email} has no Brex account"
    return account


def discovered(connector: BrexConnector, options: dict[str, Any] | None = None, member: Member = ALICE) -> list[Action]:
    """The member's plan, as discovery gives it."""
    return connector.discover(resolved(connector, member), options)


@dataclass
class Seeded:
    """A member's Brex user and cards, by what they are."""

    uid: str
    virtual: str  # ACTIVE
    physical: str  # SHIPPED: still in the mail
    locked: str  # LOCKED before any run: must stay locked
    terminated: str  # TERMINATED long ago: nothing to do


def seed(emulator: BrexEmulator, member: Member = ALICE, email: str | None = None) -> Seeded:
    """A member with each kind of card, and a colleague (Bob) whose card nothing may touch."""
    first, _, last = member.name.partition(" ")
    with emulator.lock:
        account = emulator.account
        uid = account.add_user(first, last, email or member.email)
        seeded = Seeded(uid, account.add_card(uid, "Travel", "VIRTUAL"),
                        account.add_card(uid, "Events", "PHYSICAL", "SHIPPED"),
                        account.add_card(uid, "Old project", "VIRTUAL", "LOCKED"),
                        account.add_card(uid, "Lost wallet", "PHYSICAL", "TERMINATED"))
        bob = account.add_user("Bob", "Builder", "bob@example.org")
        account.add_card(bob, "Tools", "PHYSICAL")
    return seeded


def state(emulator: BrexEmulator) -> dict[str, Any]:
    """The emulator's full state that a run can touch, one part per object: "user:ID" and "card:ID" -> status."""
    with emulator.lock:
        return {**{f"user:{u.id}": u.status for u in emulator.account.users.values()},
                **{f"card:{c.id}": c.status for c in emulator.account.cards.values()}}


def lost_parts(uid: str) -> Callable[[Action, NotRestorable], Collection[str]]:
    """The part a change listed as lost leaves changed: the card it names, or the user."""
    def parts(action: Action, item: NotRestorable) -> Collection[str]:
        return {f"card:{action.params['card']}"} if "card" in action.params else {f"user:{uid}"}
    return parts
