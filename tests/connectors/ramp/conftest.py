"""Fixtures: a fresh Ramp emulator per test, a connector wired to it over real HTTP, and the emulator's full state."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.ramp import RampConnector
from offboard.connectors.ramp.emulator import RampEmulator

from offboard.apply.pacing import Pacer
from offboard.apply.retry import RetryPolicy, retried_read
from offboard.spi import Action, ConnectorContext, Member, NotRestorable

ALICE = Member("m-alice", "Alice Liddell", "alice@example.org")
BOB = Member("m-bob", "Bob Builder", "bob@example.org")


@pytest.fixture
def make_emulator(start_emulator: Callable[[RampEmulator], RampEmulator]) -> Callable[..., RampEmulator]:
    return lambda **kwargs: start_emulator(RampEmulator(**kwargs))


@pytest.fixture
def emulator(make_emulator: Callable[..., RampEmulator]) -> RampEmulator:
    return make_emulator()


class Waits:
    """The engine's waits between tries of a read, recorded instead of slept."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def connect(emulator: RampEmulator, *, environ: dict[str, str] | None = None, pacer: Pacer | None = None,
            engine: bool = True, waits: Waits | None = None, attempts: int = 6, cls: type[RampConnector] = RampConnector,
            **config: Any) -> RampConnector:
    """A connector for the emulator. ``engine``: reads go through the engine's retry of one read, as in a session,
    its waits recorded (never slept); otherwise each read is tried once."""
    policy = RetryPolicy(max_attempts=attempts, sleep=waits if waits is not None else Waits())
    context = ConnectorContext(
        org_name="Example Org",
        org_domain="example.org",
        base_dir=Path("."),
        environ=environ if environ is not None else
        {"RAMP_CLIENT_ID": emulator.client_id, "RAMP_CLIENT_SECRET": emulator.client_secret},
        pacer=pacer or Pacer(),  # paces nothing: tests do not sleep
        retrying=(lambda fn: retried_read(fn, policy)) if engine else None,
    )
    return cls({"api_url": emulator.url, "insecure_endpoint": True, **config}, context)


@dataclass
class Seeded:
    """Alice with two cards to suspend, one suspended before and one terminated; Bob, untouched."""

    alice: str
    virtual: str
    physical: str
    suspended_before: str
    terminated: str
    bob: str
    bob_card: str


def seed(emulator: RampEmulator) -> Seeded:
    org = emulator.org
    with emulator.lock:
        alice = org.add_user(ALICE.email, "Alice", "Liddell")
        bob = org.add_user(BOB.email, "Bob", "Builder")
        return Seeded(alice, org.add_card(alice, "T&E"), org.add_card(alice, "Travel", physical=True),
                      org.add_card(alice, "Old project", state="SUSPENDED"),
                      org.add_card(alice, "Lost card", state="TERMINATED"), bob, org.add_card(bob, "Events"))


def state(emulator: RampEmulator) -> dict[str, Any]:
    """The business's state a run can touch, one part per fact: each user's status ("user:ID"), each card's
    state ("card:ID")."""
    with emulator.lock:
        return {**{f"user:{uid}": u["status"] for uid, u in emulator.org.users.items()},
                **{f"card:{cid}": c["state"] for cid, c in emulator.org.cards.items()}}


def lost_parts(action: Action, item: NotRestorable) -> Collection[str]:
    """The part of ``state`` a change listed as lost leaves changed: a terminated card's state."""
    if action.kind == "card-terminate":
        return {f"card:{action.params['card']}"}
    return set()
