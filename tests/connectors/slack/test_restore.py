"""Suspend, then restore: the emulator's whole state comes back, except what the restore plan lists as lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from offboard.connectors.slack import SlackConnector
from offboard.connectors.slack.emulator import PLANS, SCIM_PLANS, SlackEmulator
from offboard.connectors.slack.restore_plan import ACCOUNT, DEACTIVATIONS

from offboard.spi import Action, Phase, Restoration, State
from offboard.testing.contract import order_for_apply
from tests.connectors.slack.conftest import ALICE, connect, state

Make = Callable[..., SlackEmulator]


class Org:
    """A member with every kind of access restore must bring back, and what cannot come back."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self.emulator = emulator
        ws, admin = emulator.workspace, emulator.admin_id
        self.uid = emulator.seed_member(ALICE.email, ALICE.name, private_channels=2, public_channels=1, usergroups=1)
        # seed_member's public channel has no admin: Slack lets only members invite, so it cannot come back
        self.lost_channels = {c.id for c in ws.channels.values() if c.name.endswith("-public-1")}
        self.shared_public = ws.add_channel("town-hall", private=False, members={self.uid, admin}).id
        self.sole_group = ws.add_usergroup("stewards", "Stewards", [self.uid]).id  # disabled when she leaves it
        bob = ws.add_user("bob", "bob@example.org", "Bob")
        ws.add_usergroup("crew", "Crew", [bob, self.uid])
        self.connector = connect(emulator)

    def state(self) -> dict[str, Any]:
        """The full state, part by part (conftest's ``state``)."""
        return state(self.emulator)

    def suspend(self) -> list[Action]:
        """Apply every action of the plan; a person deactivates in the admin page where there is no SCIM."""
        account = self.connector.resolve(ALICE)
        assert account is not None
        planned = order_for_apply(self.connector.discover(account))
        for action in planned:
            outcome = self.connector.apply(action)
            if action.phase is Phase.MANUAL:
                assert outcome.state is State.MANUAL
                self.emulator.deactivate(self.uid)
                assert self.connector.apply(action).state is State.OK
            else:
                assert outcome.state in (State.CHANGED, State.SKIPPED), f"{action.id}: {outcome}"
        assert self.emulator.workspace.users[self.uid]["deleted"]
        return planned

    def plan_restore(self, applied: list[Action]) -> Restoration:
        account = self.connector.resolve(ALICE)
        assert account is not None
        writes = len(self.emulator.writes())
        restoration = self.connector.plan_restore(account, applied)
        assert len(self.emulator.writes()) == writes, "plan_restore wrote"
        return restoration

    def restore(self, restoration: Restoration) -> dict[str, State]:
        """Apply the restore plan, each action after those it depends on; a person activates where there is no SCIM."""
        states: dict[str, State] = {}
        pending = list(restoration.actions)
        while pending:
            action = next(a for a in pending if all(d in states for d in a.depends_on))
            pending.remove(action)
            outcome = self.connector.apply(action)
            if action.kind == "reactivate-manual":
                assert outcome.state is State.MANUAL and action.manual is not None and action.manual.self_closing
                assert self.connector.check(action) is False
                self.emulator.reactivate(self.uid)
                assert self.connector.check(action) is True
                outcome = self.connector.apply(action)
                assert outcome.state is State.OK
            states[action.id] = outcome.state
        return states


@pytest.fixture(params=PLANS)
def org(request: pytest.FixtureRequest, make_emulator: Make) -> Org:
    return Org(make_emulator(request.param))


def test_suspend_then_restore_gives_back_the_whole_state(org: Org) -> None:
    snapshot = org.state()
    applied = org.suspend()
    assert org.state() != snapshot
    restoration = org.plan_restore(applied)
    scim = org.emulator.plan in SCIM_PLANS
    kinds = sorted({a.kind for a in restoration.actions})
    assert kinds == sorted({"reactivate" if scim else "reactivate-manual", "channel-invite"}
                           | (set() if org.emulator.plan == "free" else {"usergroup-rejoin"}))
    _accounted(applied, restoration)
    assert restoration.already == []
    states = org.restore(restoration)
    assert set(states.values()) <= {State.CHANGED, State.OK}
    assert org.state() == _without(snapshot, org.uid, org.lost_channels)
    reasons = " ".join(item.reason for item in restoration.lost)
    assert all(f"#{org.emulator.workspace.channels[c].name}" in reasons for c in org.lost_channels)
    if org.emulator.plan == "enterprise":
        assert "slack:session-reset" in {item.action_id for item in restoration.lost}
    # done: nothing more to restore (each change back already, or lost), and applying again changes nothing
    again = org.plan_restore(applied)
    assert again.actions == []
    _accounted(applied, again)
    assert set(again.already) | {item.action_id for item in again.lost} == {a.id for a in applied}
    writes = len(org.emulator.writes())
    for action in restoration.actions:
        assert org.connector.apply(action).state is State.OK
        assert org.connector.check(action) is True
    assert len(org.emulator.writes()) == writes


def test_the_group_the_suspension_disabled_comes_back_with_its_members_as_they_are_now(make_emulator: Make) -> None:
    org = Org(make_emulator("business+"))
    applied = org.suspend()
    group = org.emulator.workspace.usergroups[org.sole_group]
    assert group.date_delete
    carol = org.emulator.workspace.add_user("carol", "carol@example.org", "Carol")
    group.users.append(carol)  # added while the group was disabled
    restoration = org.plan_restore(applied)
    rejoin = next(a for a in restoration.actions if a.id == f"slack:restore:usergroup:{org.sole_group}")
    assert rejoin.params["enable"] and rejoin.summary.startswith("Re-enable user group @stewards")
    org.restore(restoration)
    assert not group.date_delete and group.users == [org.uid, carol]


def test_scim_v1_reactivates_with_a_partial_user(make_emulator: Make) -> None:
    emulator = make_emulator("business+")
    org = Org(emulator)
    org.connector = connect(emulator, scim_base_url=f"{emulator.url}/scim/v1")
    restoration = org.plan_restore(org.suspend())
    org.restore(restoration)
    patches = [r for r in emulator.writes() if r.method == "PATCH"]
    assert [r.path for r in patches] == [f"/scim/v1/Users/{org.uid}"]
    assert not emulator.workspace.users[org.uid]["deleted"]


# ---------------------------------------------------------------- drift


@pytest.mark.parametrize("plan", ["pro", "business+"])
def test_a_channel_archived_meanwhile_is_lost_and_the_rest_comes_back(make_emulator: Make, plan: str) -> None:
    org = Org(make_emulator(plan))
    snapshot = org.state()
    applied = org.suspend()
    archived = next(c for c in org.emulator.workspace.channels.values() if c.name.endswith("-private-1"))
    org.emulator.archive(archived.id)
    restoration = org.plan_restore(applied)
    assert f"slack:restore:channel:{archived.id}" not in {a.id for a in restoration.actions}
    assert any(f"#{archived.name} was archived" in item.reason for item in restoration.lost)
    org.restore(restoration)
    expected = _without(snapshot, org.uid, org.lost_channels | {archived.id})
    expected[f"channel:{archived.id}"] = True
    assert org.state() == expected


def test_a_channel_archived_after_planning_is_skipped_with_the_reason(make_emulator: Make) -> None:
    org = Org(make_emulator("business+"))
    restoration = org.plan_restore(org.suspend())
    channel = next(a for a in restoration.actions if a.kind == "channel-invite")
    org.emulator.archive(channel.params["channel"])
    states = org.restore(restoration)
    assert states[channel.id] is State.SKIPPED
    assert org.connector.apply_planned(channel).detail.endswith("was archived during the suspension")


@pytest.mark.parametrize("plan", ["pro", "business+"])
def test_reactivated_by_hand_and_access_gained_meanwhile_are_left_alone(make_emulator: Make, plan: str) -> None:
    org = Org(make_emulator(plan))
    snapshot = org.state()
    applied = org.suspend()
    org.emulator.reactivate(org.uid)  # an admin put them back by hand
    ws = org.emulator.workspace
    gained = ws.add_channel("new-project", private=True, members={org.uid, org.emulator.admin_id})
    extra = ws.add_usergroup("helpers", "Helpers", [org.uid, org.emulator.admin_id])
    restoration = org.plan_restore(applied)
    assert not [a for a in restoration.actions if a.kind.startswith("reactivate")]
    assert not [a for a in restoration.actions if gained.id in a.id or extra.id in a.id]
    org.restore(restoration)
    now = org.state()
    assert now[f"member:{gained.id}:{org.uid}"] and org.uid in now[f"usergroup:{extra.id}"][0]
    now = {part: v for part, v in now.items() if gained.id not in part and extra.id not in part}
    assert now == _without(snapshot, org.uid, org.lost_channels)


def test_a_group_disabled_by_someone_meanwhile_is_lost(make_emulator: Make) -> None:
    org = Org(make_emulator("business+"))
    applied = org.suspend()
    crew = next(g for g in org.emulator.workspace.usergroups.values() if g.handle == "crew")
    crew.date_delete = 1
    restoration = org.plan_restore(applied)
    assert [item.reason for item in restoration.lost if item.action_id == f"slack:usergroup:{crew.id}"] == [
        "@crew was disabled by someone during the suspension: it is left as it is"]
    org.restore(restoration)
    assert crew.date_delete and org.uid not in crew.users


def test_a_private_channel_the_admin_left_is_lost_naming_it(make_emulator: Make) -> None:
    org = Org(make_emulator("business+"))
    applied = org.suspend()
    left = next(c for c in org.emulator.workspace.channels.values() if c.name.endswith("-private-2"))
    left.members.discard(org.emulator.admin_id)
    restoration = org.plan_restore(applied)
    assert any(f"#{left.name} is gone, or private and the admin has left it" in item.reason
               for item in restoration.lost)
    assert f"slack:restore:channel:{left.id}" not in {a.id for a in restoration.actions}


def test_without_scim_invitations_wait_for_the_manual_activation(make_emulator: Make) -> None:
    org = Org(make_emulator("pro"))
    restoration = org.plan_restore(org.suspend())
    invite = next(a for a in restoration.actions if a.kind == "channel-invite")
    assert invite.depends_on == ("slack:restore:account",)
    outcome = org.connector.apply(invite)  # applied too early: it fails and says why, and changes nothing
    assert outcome.state is State.FAILED and "activate it first" in outcome.detail


# ---------------------------------------------------------------- back already


def _accounted(applied: list[Action], restoration: Restoration) -> None:
    """Each applied change has something proposed for it, or is lost, or is back already; back already, it has
    nothing else. A deactivation owns the reactivation and the invitations to its channels (those not kicked)."""
    proposed, lost = {a.id for a in restoration.actions}, {i.action_id for i in restoration.lost}
    kicked = {a.params["channel"] for a in applied if a.kind == "channel-kick"}
    for action in applied:
        if action.kind in DEACTIVATIONS:
            before = action.before or {}
            channels = {c["id"] for key in ("private_channels", "public_channels") for c in before.get(key) or ()}
            mine = {ACCOUNT} | {f"slack:restore:channel:{c}" for c in channels - kicked}
        elif action.kind == "channel-kick":
            mine = {f"slack:restore:channel:{action.params['channel']}"}
        elif action.kind == "usergroup":
            mine = {f"slack:restore:usergroup:{action.params['usergroup']}"}
        else:
            mine = set()
        if action.id in restoration.already:
            assert not mine & proposed and action.id not in lost, action.id
        else:
            assert mine & proposed or action.id in lost, action.id
    assert len(restoration.already) == len(set(restoration.already))


def _by_hand(org: Org, snapshot: dict[str, Any], channels: set[str] | None = None, groups: bool = True) -> None:
    """An admin reactivates the member and puts them back, by hand, in ``channels`` (default: all they were in) and,
    with ``groups``, in their user groups as they were."""
    ws = org.emulator.workspace
    org.emulator.reactivate(org.uid)
    with org.emulator.lock:
        for part in snapshot:
            if part.startswith("member:") and part.endswith(f":{org.uid}"):
                cid = part.split(":")[1]
                if channels is None or cid in channels:
                    ws.channels[cid].members.add(org.uid)
        for gid, group in ws.usergroups.items():
            users, enabled = snapshot[f"usergroup:{gid}"]
            if groups and org.uid in users:
                group.users, group.date_delete = list(users), 0 if enabled else group.date_delete


@pytest.mark.parametrize("plan", PLANS)
def test_what_was_undone_by_hand_is_already_so_and_nothing_is_proposed(make_emulator: Make, plan: str) -> None:
    org = Org(make_emulator(plan))
    snapshot = org.state()
    applied = org.suspend()
    _by_hand(org, snapshot)
    assert org.state() == snapshot
    restoration = org.plan_restore(applied)
    assert restoration.actions == []
    lost = {item.action_id for item in restoration.lost}
    assert lost == ({"slack:session-reset"} if plan == "enterprise" else set())
    assert sorted(restoration.already) == sorted(a.id for a in applied if a.id not in lost)
    _accounted(applied, restoration)


def test_a_deactivation_is_already_so_only_once_every_channel_it_ended_is_back(make_emulator: Make) -> None:
    org = Org(make_emulator("business+"))
    snapshot = org.state()
    applied = org.suspend()
    _by_hand(org, snapshot, channels=set())  # reactivated and back in the user groups, in no channel
    restoration = org.plan_restore(applied)
    _accounted(applied, restoration)
    groups = {a.id for a in applied if a.kind == "usergroup"}
    assert set(restoration.already) == groups
    assert {a.kind for a in restoration.actions} == {"channel-invite"}  # no reactivation: it is active
    # Back in every channel but the one the admin cannot invite to: that channel is lost, the rest needs nothing.
    _by_hand(org, snapshot, channels=set(org.emulator.workspace.channels) - org.lost_channels)
    restoration = org.plan_restore(applied)
    _accounted(applied, restoration)
    assert restoration.actions == [] and set(restoration.already) == groups
    assert {item.action_id for item in restoration.lost} == {"slack:deactivate"}
    _by_hand(org, snapshot)  # and that one too
    restoration = org.plan_restore(applied)
    assert (restoration.actions, restoration.lost) == ([], [])
    assert set(restoration.already) == groups | {"slack:deactivate"}


def test_a_kicked_channel_rejoined_by_hand_is_already_so(make_emulator: Make) -> None:
    org = Org(make_emulator("pro"))
    snapshot = org.state()
    applied = org.suspend()
    kicks = [a for a in applied if a.kind == "channel-kick"]
    assert len(kicks) == 2
    _by_hand(org, snapshot, channels={kicks[0].params["channel"]}, groups=False)
    restoration = org.plan_restore(applied)
    _accounted(applied, restoration)
    assert restoration.already == [kicks[0].id]
    invites = {a.id for a in restoration.actions if a.kind == "channel-invite"}
    assert f"slack:restore:channel:{kicks[1].params['channel']}" in invites
    assert f"slack:restore:channel:{kicks[0].params['channel']}" not in invites


def _without(snapshot: dict[str, Any], uid: str, channels: set[str]) -> dict[str, Any]:
    """The snapshot less the member's membership of ``channels`` (what the restore plan said cannot come back)."""
    gone = {f"member:{cid}:{uid}" for cid in channels}
    return {part: value for part, value in snapshot.items() if part not in gone}


def test_connector_declares_restore() -> None:
    from offboard.spi import Capability

    assert Capability.RESTORE in SlackConnector.capabilities
