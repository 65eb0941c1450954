"""A server older than 2026.2.0 has no revoke and no restore: the plan says so, then asks a person or removes."""

from __future__ import annotations

import pytest
from offboard.connectors.bitwarden.emulator import BitwardenEmulator

from offboard.spi import FatalError, Phase, State
from tests.connectors.bitwarden.conftest import ALICE, Make, connect, seed


@pytest.fixture
def old(make_emulator: Make) -> BitwardenEmulator:
    return make_emulator(old_server=True)


def test_without_the_option_a_person_revokes_in_the_admin_console(old: BitwardenEmulator) -> None:
    ids = seed(old)
    connector = connect(old)
    account = connector.resolve(ALICE)
    assert account is not None
    step, groups, rotate = connector.discover(account)
    assert [r.status for r in old.requests(path_contains="/revoke")] == [404]  # asked with a GET: no such route
    assert (step.id, step.kind, step.phase, step.reversible) == (f"bitwarden:revoke:{ids.alice}", "revoke-manual",
                                                                Phase.MANUAL, True)
    assert step.summary == ("Revoke alice@example.org in the Bitwarden Admin Console: this server (older than 2026.2.0) "
                            "cannot revoke through its API")
    members = f"{old.url}/#/organizations/{old.org.id}/members"
    assert step.manual is not None and step.manual.self_closing and step.manual.links == (members,)
    assert step.manual.instructions == (
        f"This Bitwarden server has no revoke in its Public API (it came with server 2026.2.0). Open {members}, find "
        "alice@example.org, open the menu next to them and choose Revoke access. Removing them also ends their access but "
        "cannot be undone (the playbook option remove_if_no_revoke: true lets offboard remove them instead). Nothing else "
        "is needed: offboard sees the member revoked in Bitwarden and closes this step when the run is resumed or its "
        "status is asked.")
    assert [groups.kind, rotate.kind] == ["groups", "rotate"]
    outcome = connector.apply(step)
    assert (outcome.state, outcome.detail) == (State.MANUAL, f"waiting for an admin to revoke alice@example.org at {members}")
    assert old.writes() == [] and connector.check(step) is False
    old.org.revoke(ids.alice)  # what the admin does in the Admin Console
    assert connector.check(step) is True
    assert connector.apply(step).detail == "revoked (or removed) in the Admin Console"
    old.org.remove(ids.alice)  # or the admin removed them: access ended too
    assert connector.check(step) is True


def test_with_remove_if_no_revoke_the_member_is_removed_for_good(old: BitwardenEmulator) -> None:
    ids = seed(old)
    connector = connect(old)
    account = connector.resolve(ALICE)
    assert account is not None
    remove, rotate = connector.discover(account, {"remove_if_no_revoke": True})  # no group action: removal ends them
    assert (remove.id, remove.kind, remove.phase, remove.reversible) == (f"bitwarden:remove:{ids.alice}", "remove",
                                                                        Phase.CUT, False)
    assert remove.summary == ("Remove alice@example.org from the Bitwarden organization: this server (older than "
                              "2026.2.0) cannot revoke, and the playbook allows removing; this cannot be undone")
    assert [g["name"] for g in remove.before["groups"]] == ["Everyone", "Social media"]  # recorded for a person
    assert rotate.kind == "rotate"
    outcome = connector.apply_planned(remove)
    assert (outcome.state, outcome.detail) == (State.CHANGED, "removed from the organization (this cannot be undone)")
    assert [(r.method, r.path) for r in old.writes()] == [("DELETE", f"/api/public/members/{ids.alice}")]
    assert ids.alice not in old.org.members and connector.check(remove) is True
    assert connector.apply_planned(remove).state is State.OK and len(old.writes()) == 2  # the 404 says it is done
    assert connector.apply(remove).state is State.OK and len(old.writes()) == 2
    assert connector.resolve(ALICE) is None


def test_a_removal_and_a_rotation_cannot_come_back(old: BitwardenEmulator) -> None:
    seed(old)
    connector = connect(old)
    account = connector.resolve(ALICE)
    assert account is not None
    planned = connector.discover(account, {"remove_if_no_revoke": True})
    connector.apply(planned[0])
    restoration = connector.plan_restore(account, planned)
    assert restoration.actions == [] and restoration.already == []
    assert [item.reason for item in restoration.lost] == [
        "alice@example.org was removed from the organization (the server could not revoke), which cannot be undone: "
        "invite them again in the Admin Console (Members, Invite member) and give back their groups and collections; "
        "this action's before-state lists them",
        "rotated credentials stay rotated: share the new ones with alice@example.org again where the committee agrees"]


def test_restore_on_an_old_server_is_a_step_in_the_admin_console(old: BitwardenEmulator) -> None:
    ids = seed(old)
    connector = connect(old)
    account = connector.resolve(ALICE)
    assert account is not None
    step, groups, _ = connector.discover(account)
    old.org.revoke(ids.alice)
    connector.apply(groups)
    restoration = connector.plan_restore(account, [step, groups])
    restore, rejoin = restoration.actions
    assert (restore.id, restore.kind, restore.phase) == (f"bitwarden:restore:member:{ids.alice}", "restore-manual",
                                                        Phase.MANUAL)
    assert restore.manual is not None and restore.manual.self_closing
    assert restore.summary == ("Restore alice@example.org in the Bitwarden Admin Console: this server (older than "
                               "2026.2.0) cannot restore through its API")
    assert rejoin.kind == "groups-rejoin"
    assert connector.apply(restore).state is State.MANUAL and connector.check(restore) is False
    old.org.restore(ids.alice)
    assert connector.check(restore) is True and connector.apply(restore).state is State.OK
    assert connector.apply(rejoin).state is State.CHANGED
    assert sorted(old.org.group_ids_of(ids.alice)) == sorted([ids.social, ids.everyone])


def test_a_revoke_planned_on_a_current_server_fails_with_a_sentence_on_an_old_one(make_emulator: Make) -> None:
    emulator = make_emulator()
    seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    revoke = connector.discover(account)[0]
    emulator.old_server = True  # the server was swapped for an older one between plan and apply
    for apply in (connector.apply, connector.apply_planned):
        with pytest.raises(FatalError) as caught:
            apply(revoke)
        assert str(caught.value) == (
            "this Bitwarden server has no revoke endpoint (it is older than 2026.2.0): plan again, and offboard asks a "
            "person to revoke alice@example.org in the Admin Console (or removes them, with the playbook option "
            "remove_if_no_revoke: true)")

