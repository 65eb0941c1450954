"""Suspend, then reinstate: the emulator's whole state comes back, except what the restore plan lists as lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offboard.connectors.brex import BrexConnector
from offboard.connectors.brex.emulator import BrexEmulator, start_sandbox

from offboard.spi import Account, Action, ConnectorContext, Member, NotRestorable, Phase, Restoration, State
from offboard.testing.contract import order_for_apply
from tests.connectors.brex.conftest import Seeded, connect, resolved, seed, state

NEW_CARD = "order a new card for alice@example.org in the Brex dashboard"


class Org:
    """A member with every kind of card, the connector, and the steps of a suspension and its end."""

    def __init__(self, emulator: BrexEmulator) -> None:
        self.emulator = emulator
        self.cards: Seeded = seed(emulator)
        self.connector: BrexConnector = connect(emulator)
        self.start = state(emulator)

    def account(self) -> Account:
        return resolved(self.connector)

    def suspend(self, options: dict[str, Any] | None = None) -> list[Action]:
        applied = order_for_apply(self.connector.discover(self.account(), options))
        for action in applied:
            assert self.connector.apply(action).state is State.CHANGED, action.id
        return applied

    def plan_restore(self, applied: list[Action]) -> Restoration:
        writes = len(self.emulator.writes())
        restoration = self.connector.plan_restore(self.account(), applied)
        assert len(self.emulator.writes()) == writes, "plan_restore wrote"
        return restoration

    def restore(self, restoration: Restoration) -> dict[str, State]:
        return {a.id: self.connector.apply(a).state for a in order_for_apply(restoration.actions)}

    def changed(self) -> dict[str, tuple[Any, Any]]:
        now = state(self.emulator)
        return {part: (self.start.get(part), now.get(part)) for part in set(now) | set(self.start)
                if self.start.get(part) != now.get(part)}


def test_a_suspension_comes_back_exactly_and_a_card_locked_before_stays_locked(emulator: BrexEmulator) -> None:
    org = Org(emulator)
    c = org.cards
    applied = org.suspend()
    restoration = org.plan_restore(applied)
    assert (restoration.lost, restoration.already) == ([], [])
    assert [(a.id, a.kind, a.phase, a.depends_on) for a in restoration.actions] == [
        ("brex:restore:user", "user-reactivate", Phase.CUT, ()),
        (f"brex:restore:card:{c.virtual}", "card-unlock", Phase.CLEAN, ("brex:restore:user",)),
        (f"brex:restore:card:{c.physical}", "card-unlock", Phase.CLEAN, ("brex:restore:user",)),
    ]
    assert [a.summary for a in restoration.actions] == [
        "Reactivate the Brex account of alice@example.org (status ACTIVE)",
        "Unlock the Brex card Travel (virtual, ending 4003) of alice@example.org (locked by the suspension)",
        "Unlock the Brex card Events (physical, ending 4004) of alice@example.org (locked by the suspension)",
    ]
    assert restoration.actions[2].after["status"] == "SHIPPED"
    assert set(org.restore(restoration).values()) == {State.CHANGED}
    assert org.changed() == {}
    assert emulator.status_of(c.locked) == "LOCKED"
    assert not any(c.locked in r.path for r in emulator.writes()), "the card locked before the run was touched"
    again = org.plan_restore(applied)
    assert again.actions == [] and sorted(again.already) == sorted(a.id for a in applied)


def test_an_expulsion_that_terminated_cards_comes_back_without_them(emulator: BrexEmulator) -> None:
    org = Org(emulator)
    c = org.cards
    applied = org.suspend({"terminate_cards": True})
    restoration = org.plan_restore(applied)
    assert [a.kind for a in restoration.actions] == ["user-reactivate"]
    assert restoration.lost == [
        NotRestorable(f"brex:card-terminate:{c.virtual}", "the card Travel (virtual, ending 4003) was terminated, "
                                                          f"which Brex cannot undo: {NEW_CARD}"),
        NotRestorable(f"brex:card-terminate:{c.physical}", "the card Events (physical, ending 4004) was terminated, "
                                                           f"which Brex cannot undo: {NEW_CARD}"),
        NotRestorable(f"brex:card-terminate:{c.locked}", "the card Old project (virtual, ending 4005) was terminated, "
                                                         f"which Brex cannot undo: {NEW_CARD}"),
    ]
    org.restore(restoration)
    assert org.changed() == {f"card:{c.virtual}": ("ACTIVE", "TERMINATED"), f"card:{c.physical}": ("SHIPPED", "TERMINATED"),
                             f"card:{c.locked}": ("LOCKED", "TERMINATED")}
    assert emulator.status_of(c.uid) == "ACTIVE"


def test_an_account_closed_during_the_suspension_cannot_come_back(emulator: BrexEmulator) -> None:
    org = Org(emulator)
    applied = org.suspend()
    with emulator.lock:
        emulator.account.users[org.cards.uid].status = "DELETED"
    restoration = org.plan_restore(applied)
    closed = ("the Brex account of alice@example.org is DELETED now: it was closed during the suspension, and no API "
              "reopens it; invite them again from the Brex dashboard")
    assert restoration.actions == [] and restoration.already == []
    assert [item.reason for item in restoration.lost] == [
        closed, f"the card Travel (virtual, ending 4003) cannot come back: {closed}",
        f"the card Events (physical, ending 4004) cannot come back: {closed}"]


def test_drift_during_the_suspension(emulator: BrexEmulator) -> None:
    org = Org(emulator)
    c = org.cards
    applied = org.suspend()
    with emulator.lock:  # in the dashboard: the physical card reported lost, the account unsuspended by hand
        emulator.account.terminate(c.physical, {"reason": "CARD_LOST"})
        emulator.account.update_user(c.uid, "ACTIVE")
    restoration = org.plan_restore(applied)
    assert [a.id for a in restoration.actions] == [f"brex:restore:card:{c.virtual}"]
    assert restoration.actions[0].depends_on == ()  # the account is back already
    assert restoration.already == [f"brex:user-suspend:{c.uid}"]
    assert restoration.lost == [NotRestorable(f"brex:card-lock:{c.physical}", "the card Events (physical, ending 4004) "
                                              f"was terminated during the suspension: {NEW_CARD}")]
    with emulator.lock:
        emulator.account.unlock(c.virtual)  # unlocked by hand before the reinstatement ran
    [unlock] = restoration.actions
    assert org.connector.apply(unlock).state is State.OK
    assert org.plan_restore(applied).already == [f"brex:user-suspend:{c.uid}", f"brex:card-lock:{c.virtual}"]


def test_a_restore_applied_after_more_drift_skips_with_what_to_do(emulator: BrexEmulator) -> None:
    org = Org(emulator)
    c = org.cards
    restoration = org.plan_restore(org.suspend())
    with emulator.lock:
        emulator.account.terminate(c.virtual, {"reason": "FRAUD"})
        emulator.account.users[c.uid].status = "CLOSED"
    reactivate, unlock, _ = restoration.actions
    skipped = org.connector.apply(reactivate)
    assert (skipped.state, skipped.detail) == (State.SKIPPED, "the Brex account of alice@example.org is CLOSED now, not "
                                               "DISABLED: the API cannot make it active again; invite them again from "
                                               "the Brex dashboard")
    gone = org.connector.apply(unlock)
    assert (gone.state, gone.detail) == (State.SKIPPED, "the card Travel (virtual, ending 4003) was terminated during "
                                         f"the suspension: {NEW_CARD}")


def test_an_invited_member_is_suspended_but_cannot_come_back_as_invited(emulator: BrexEmulator) -> None:
    org = Org(emulator)
    with emulator.lock:
        emulator.account.users[org.cards.uid].status = "INVITED"
    applied = org.suspend()
    restoration = org.plan_restore(applied)
    assert [a.kind for a in restoration.actions] == ["card-unlock", "card-unlock"]
    assert restoration.lost == [NotRestorable(f"brex:user-suspend:{org.cards.uid}", (
        "the Brex account of alice@example.org was INVITED before the suspension, and the API can make it only "
        "ACTIVE: invite them again from the Brex dashboard"))]


def test_the_demo_flow_on_the_sandbox(tmp_path: Path) -> None:
    """What ``offboard demo`` does: expel m042 with terminate_cards, suspend m007 and reinstate them."""
    members = [Member("m001", "Alice Admin", "alice@example.org"), Member("m007", "Dan Treasurer", "dan@example.org"),
               Member("m042", "Bob Example", "bob@example.org"), Member("m050", "Fran Former", "fran@example.org",
                                                                         status="former")]
    sandbox = start_sandbox("example.org", members, tmp_path)
    try:
        emulator = sandbox.emulator
        assert isinstance(emulator, BrexEmulator)
        context = ConnectorContext("Example Volunteers", "example.org", tmp_path, sandbox.environ)
        connector = BrexConnector(sandbox.config, context)
        assert connector.test_connection() == []
        bob = order_for_apply(connector.discover(resolved(connector, members[2]), {"terminate_cards": True}))
        assert [a.kind for a in bob] == ["card-terminate", "card-terminate", "user-suspend"]
        dan = order_for_apply(connector.discover(resolved(connector, members[1])))
        assert [a.kind for a in dan] == ["card-lock", "user-suspend"]
        before = state(emulator)
        for action in bob + dan:
            assert connector.apply_planned(action).state is State.CHANGED
        restoration = connector.plan_restore(resolved(connector, members[1]), dan)
        assert all(connector.apply(a).state is State.CHANGED for a in order_for_apply(restoration.actions))
        changed = {p for p in state(emulator) if state(emulator)[p] != before[p]}
        bob_id = resolved(connector, members[2]).id
        assert changed == {f"user:{bob_id}"} | {f"card:{a.params['card']}" for a in bob if "card" in a.params}
        assert connector.discover(resolved(connector, members[3])) == []  # the former member: nothing left
    finally:
        sandbox.stop()
