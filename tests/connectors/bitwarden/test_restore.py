"""Suspend, then restore: the organization comes back as it was, except what the restore plan lists as lost."""

from __future__ import annotations

from offboard.connectors.bitwarden import BitwardenConnector
from offboard.connectors.bitwarden.emulator import BitwardenEmulator

from offboard.spi import Account, Action, Member, Phase, Restoration, State
from offboard.testing.contract import order_for_apply
from tests.connectors.bitwarden.conftest import ALICE, connect, seed, state


def suspend(connector: BitwardenConnector, member: Member = ALICE) -> tuple[Account, list[Action]]:
    """Every action of the plan applied; the rotation is a person's step, left open."""
    account = connector.resolve(member)
    assert account is not None
    planned = order_for_apply(connector.discover(account))
    for action in planned:
        expected = State.MANUAL if action.phase is Phase.MANUAL else State.CHANGED
        assert connector.apply(action).state is expected
    return account, planned


def plan_restore(emulator: BitwardenEmulator, connector: BitwardenConnector, account: Account,
                 applied: list[Action]) -> Restoration:
    writes = len(emulator.writes())
    restoration = connector.plan_restore(account, applied)
    assert len(emulator.writes()) == writes, "plan_restore wrote"
    return restoration


def test_a_suspension_is_undone_exactly(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    start = state(emulator)
    connector = connect(emulator)
    account, applied = suspend(connector)
    restoration = plan_restore(emulator, connector, account, applied)
    restore, rejoin = restoration.actions
    assert (restore.id, restore.kind, restore.phase) == (f"bitwarden:restore:member:{ids.alice}", "restore", Phase.CUT)
    assert restore.summary == "Restore alice@example.org's membership of the Bitwarden organization (back to confirmed)"
    assert (restore.before, restore.after) == ({"status": "revoked"}, {"status": "confirmed"})
    assert (rejoin.id, rejoin.phase) == (f"bitwarden:restore:groups:{ids.alice}", Phase.CLEAN)
    assert rejoin.summary == "Add alice@example.org back to 2 Bitwarden groups: Everyone, Social media"
    assert [item.reason for item in restoration.lost] == [
        "rotated credentials stay rotated: share the new ones with alice@example.org again where the committee agrees"]
    outcome = connector.apply(restore)
    assert (outcome.state, outcome.detail) == (State.CHANGED, "restored: confirmed again, as before the revocation")
    outcome = connector.apply(rejoin)
    assert (outcome.state, outcome.detail) == (State.CHANGED, "added back to 2 groups: Everyone, Social media")
    assert state(emulator) == start
    writes = len(emulator.writes())
    assert connector.apply(restore).state is State.OK and connector.apply(rejoin).state is State.OK
    assert len(emulator.writes()) == writes
    again = plan_restore(emulator, connector, account, applied)
    assert again.actions == [] and sorted(again.already) == sorted(a.id for a in applied if a.kind != "rotate")


def test_drift_groups_gained_stay_and_a_deleted_group_is_lost(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    connector = connect(emulator)
    account, applied = suspend(connector)
    gained = emulator.org.add_group("Joined meanwhile", [], [ids.alice])
    del emulator.org.groups[ids.social]
    restoration = plan_restore(emulator, connector, account, applied)
    restore, rejoin = restoration.actions
    assert rejoin.summary == "Add alice@example.org back to 1 Bitwarden group: Everyone"
    assert restoration.lost[0].reason == "the Bitwarden group Social media was deleted meanwhile"
    connector.apply(restore)
    outcome = connector.apply(rejoin)
    assert outcome.detail == "added back to 1 group: Everyone; 1 of the recorded groups no longer exist"
    assert sorted(emulator.org.group_ids_of(ids.alice)) == sorted([gained, ids.everyone])
    last = plan_restore(emulator, connector, account, applied)
    groups_id = f"bitwarden:groups:{ids.alice}"
    assert last.actions == [] and groups_id not in last.already and groups_id in {i.action_id for i in last.lost}


def test_what_came_back_by_hand_is_already_back(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    connector = connect(emulator)
    account, applied = suspend(connector)
    emulator.org.restore(ids.alice)  # an admin restored them in the Admin Console
    emulator.org.set_groups(ids.alice, [ids.everyone])
    restoration = plan_restore(emulator, connector, account, applied)
    (rejoin,) = restoration.actions
    assert rejoin.summary == "Add alice@example.org back to 1 Bitwarden group: Social media"
    assert restoration.already == [f"bitwarden:revoke:{ids.alice}"]


def test_a_member_removed_meanwhile_cannot_come_back(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    connector = connect(emulator)
    account, applied = suspend(connector)
    emulator.org.remove(ids.alice)
    restoration = plan_restore(emulator, connector, account, applied)
    assert restoration.actions == [] and restoration.already == []
    reinvite = ("invite them again in the Admin Console (Members, Invite member) and give back their groups and "
                "collections")
    assert [item.reason for item in restoration.lost] == [
        f"alice@example.org was removed from the organization meanwhile, which cannot be undone: {reinvite}",
        f"alice@example.org is no longer a member of the organization, so their groups cannot come back: {reinvite}",
        "rotated credentials stay rotated: share the new ones with alice@example.org again where the committee agrees"]


def test_a_restore_planned_before_the_member_was_removed_is_skipped(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    connector = connect(emulator)
    account, applied = suspend(connector)
    restore, rejoin = plan_restore(emulator, connector, account, applied).actions
    emulator.org.remove(ids.alice)
    for action in (restore, rejoin):
        outcome = connector.apply(action)
        assert outcome.state is State.SKIPPED and outcome.detail.startswith(
            "alice@example.org is no longer a member of the organization: invite them again")


def test_an_invited_member_comes_back_invited(emulator: BitwardenEmulator) -> None:
    seed(emulator)
    invited = Member("m9", "New", "new@example.org")
    mid = emulator.org.add_member(invited.email, status=0)
    connector = connect(emulator)
    account, applied = suspend(connector, invited)
    assert emulator.org.members[mid].status == -1
    (restore,) = plan_restore(emulator, connector, account, applied).actions
    assert restore.summary == "Restore new@example.org's membership of the Bitwarden organization (back to invited)"
    assert connector.apply(restore).detail == "restored: invited again, as before the revocation"
    assert emulator.org.members[mid].status == 0
