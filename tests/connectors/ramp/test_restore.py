"""Suspend, then restore: Ramp's whole state comes back, except what the restore plan lists as lost, and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from offboard.connectors.ramp import RampConnector
from offboard.connectors.ramp.emulator import RampEmulator

from offboard.spi import Action, Restoration, State
from offboard.testing.contract import order_for_apply
from tests.connectors.ramp.conftest import ALICE, Seeded, connect, seed, state


def suspend(connector: RampConnector, options: dict[str, Any] | None = None) -> list[Action]:
    account = connector.resolve(ALICE)
    assert account is not None
    planned = order_for_apply(connector.discover(account, options))
    for action in planned:
        assert connector.apply(action).state in (State.CHANGED, State.OK), action.id
    return planned


def plan_restore(emulator: RampEmulator, connector: RampConnector, applied: list[Action]) -> Restoration:
    account = connector.resolve(ALICE)
    assert account is not None
    writes = len(emulator.writes())
    restoration = connector.plan_restore(account, applied)
    assert len(emulator.writes()) == writes, "plan_restore wrote"
    return restoration


def restore(connector: RampConnector, restoration: Restoration) -> dict[str, State]:
    return {a.id: connector.apply(a).state for a in order_for_apply(restoration.actions)}


def test_reactivation_first_then_each_card_the_suspension_suspended(emulator: RampEmulator) -> None:
    s = seed(emulator)
    start = state(emulator)
    connector = connect(emulator)
    applied = suspend(connector)
    restoration = plan_restore(emulator, connector, applied)
    reactivate, *cards = restoration.actions
    assert reactivate.id == f"ramp:reactivate:{s.alice}" and reactivate.after == {"status": "USER_ACTIVE"}
    assert reactivate.summary == "Reactivate the Ramp user Alice Liddell (alice@example.org): they can sign in and spend again"
    assert {a.params["card"] for a in cards} == {s.virtual, s.physical}  # not the card suspended before
    assert all(a.depends_on == (reactivate.id,) for a in cards), "a card of an inactive user cannot be unsuspended"
    assert (restoration.lost, restoration.already) == ([], [])
    assert set(restore(connector, restoration).values()) == {State.CHANGED}
    assert state(emulator) == start
    assert emulator.org.cards[s.suspended_before]["state"] == "SUSPENDED"


def test_when_deactivation_suspends_the_cards_too_the_round_trip_still_holds(emulator: RampEmulator) -> None:
    """Ramp's help: deactivation suspends every card, reactivation brings the physical ones back.

    A reinstatement reverses only what the journal recorded as ``changed`` (``offboard.plans.restoring``), so
    the cards must be suspended by the run's own tasks, before the deactivation: had the deactivation gone
    first, each card task would have found its card suspended already (``ok``), and the virtual card would
    have stayed suspended after the reinstatement.
    """
    s = seed(emulator)
    emulator.org.deactivation_suspends_cards = True
    start = state(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    planned = order_for_apply(connector.discover(account))
    outcomes = {a.id: connector.apply(a).state for a in planned}
    assert outcomes == {a.id: State.CHANGED for a in planned}
    changed = [a for a in planned if outcomes[a.id] is State.CHANGED]  # what the journal hands a reinstatement
    states = restore(connector, plan_restore(emulator, connector, changed))
    assert states == {f"ramp:reactivate:{s.alice}": State.CHANGED,
                      f"ramp:card-unsuspend:{s.physical}": State.CHANGED,
                      f"ramp:card-unsuspend:{s.virtual}": State.CHANGED}
    assert state(emulator) == start


def test_the_deactivation_waits_for_the_card_tasks(emulator: RampEmulator) -> None:
    s = seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    for options in ({}, {"terminate_cards": True}):
        planned = connector.discover(account, options)
        deactivate = next(a for a in planned if a.kind == "deactivate")
        cards = {a.id for a in planned if a.kind.startswith("card-")}
        assert cards and set(deactivate.depends_on) == cards
    assert s.alice


def test_what_cannot_come_back_is_named_with_the_reason(emulator: RampEmulator) -> None:
    s: Seeded = seed(emulator)
    connector = connect(emulator)
    applied = suspend(connector)
    emulator.org.cards[s.virtual]["state"] = "TERMINATED"  # someone terminated it during the suspension
    emulator.org.cards.pop(s.physical)
    restoration = plan_restore(emulator, connector, applied)
    assert [a.kind for a in restoration.actions] == ["reactivate"]
    reasons = {item.action_id: item.reason for item in restoration.lost}
    virtual = next(a for a in applied if a.params.get("card") == s.virtual)
    physical = next(a for a in applied if a.params.get("card") == s.physical)
    assert reasons == {
        virtual.id: f"card {virtual.params['label']} was terminated during the suspension: issue alice@example.org a new "
                    "card in Ramp",
        physical.id: f"card {physical.params['label']} no longer exists: issue alice@example.org a new card",
    }


def test_what_is_back_already_is_not_proposed(emulator: RampEmulator) -> None:
    s = seed(emulator)
    connector = connect(emulator)
    applied = suspend(connector)
    emulator.org.reactivate(s.alice)  # an admin reactivated her by hand
    emulator.org.cards[s.virtual]["state"] = "ACTIVE"
    restoration = plan_restore(emulator, connector, applied)
    assert [(a.kind, a.params["card"], a.depends_on) for a in restoration.actions] == [("card-unsuspend", s.physical, ())]
    assert set(restoration.already) == {f"ramp:deactivate:{s.alice}", f"ramp:card-suspend:{s.virtual}"}


def test_terminated_cards_are_lost_after_an_expulsion(make_emulator: Callable[..., RampEmulator]) -> None:
    emulator = make_emulator()
    s = seed(emulator)
    connector = connect(emulator)
    applied = suspend(connector, {"terminate_cards": True})
    restoration = plan_restore(emulator, connector, applied)
    assert [a.kind for a in restoration.actions] == ["reactivate"]
    lost = {item.action_id: item.reason for item in restoration.lost}
    assert set(lost) == {f"ramp:card-terminate:{c}" for c in (s.virtual, s.physical, s.suspended_before)}
    assert lost[f"ramp:card-terminate:{s.virtual}"] == (
        "card T&E ••••" + emulator.org.cards[s.virtual]["last_four"] + " (virtual) was terminated, which cannot be "
        "undone: issue alice@example.org a new card in Ramp")


@pytest.mark.parametrize("status", ["INVITE_DELETED", "USER_SUSPENDED"])
def test_a_user_ramp_shows_otherwise_is_not_reactivated(emulator: RampEmulator, status: str) -> None:
    s = seed(emulator)
    connector = connect(emulator)
    applied = suspend(connector)
    emulator.org.users[s.alice]["status"] = status
    account = connector.resolve(ALICE) or connector.resolve(type(ALICE)("x", "x", "x", identities={"ramp": s.alice}))
    assert account is not None
    restoration = connector.plan_restore(account, applied)
    assert all(a.kind == "card-unsuspend" for a in restoration.actions)
    (lost,) = restoration.lost
    assert lost.reason == (f"Ramp shows alice@example.org as {status}, which offboard does not undo: an admin "
                           "reactivates them in Company > People")
