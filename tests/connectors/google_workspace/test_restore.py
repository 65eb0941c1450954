"""Reinstatement: after a run, the restore plan puts the user's Workspace state back exactly, but for what it lists as lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import LICENSE_PRODUCT, LICENSE_SKU, GoogleEmulator

from offboard.spi import Action, Member, Phase, Restoration, State
from offboard.testing.contract import order_for_apply
from tests.connectors.google_workspace.conftest import DOMAIN

DANA = Member("m-009", "Dana Reyes", f"dana.reyes@{DOMAIN}")
# What each kind that cannot come back changed, as ``snapshot`` names it.
LOST_PARTS = {"token": "tokens", "asp": "asps", "backup_codes": "backup_codes", "password": "password",
              "transfer": "transfers", "signout": None}


def seed(emulator: GoogleEmulator) -> None:
    email = DANA.email
    emulator.seed_member(email, groups=5, tokens=2, asps=2, delegates=2, forwarding="dana@gmail.example", devices=2)
    with emulator.lock:
        ws = emulator.workspace
        ws.set_pop(email, "fromNowOn")
        ws.assign_license(email, LICENSE_PRODUCT, LICENSE_SKU)
        ws.assign_role(email, ws.add_role("_HELP_DESK_ADMIN_ROLE").id)
        ws.assign_role(email, ws.add_role("_USER_MANAGEMENT_ADMIN_ROLE").id, org_unit_id="03ph8a2z1")


def snapshot(emulator: GoogleEmulator, email: str = DANA.email) -> dict[str, Any]:
    """Everything the emulator holds about the user, whatever a run could touch."""
    with emulator.lock:
        ws = emulator.workspace
        user = ws.user(email)
        assert user is not None
        key = user.primary_email.lower()
        return {
            "suspended": user.suspended, "archived": user.archived, "gal": user.include_in_gal,
            "org_unit": user.org_unit_path, "password": user.password_sha256,
            "tokens": sorted(user.tokens), "asps": sorted(user.asps), "backup_codes": list(user.backup_codes),
            "delegates": dict(user.gmail.delegates), "forwarding": dict(user.gmail.forwarding),
            "pop": dict(user.gmail.pop), "imap": dict(user.gmail.imap),
            "groups": {g.email: (g.members[key].role, g.members[key].delivery_settings, g.members[key].type)
                       for g in ws.groups.values() if key in g.members},
            "roles": sorted((a.role_id, a.scope_type, a.org_unit_id) for a in ws.role_assignments.values()
                            if a.user_id == user.id),
            "licenses": sorted(lic for lic in ws.licenses if lic[2] == key),
            "devices": {d.resource_id: d.status for d in ws.devices.values() if d.email.lower() == key},
            "transfers": sorted(t.id for t in ws.transfers.values() if t.old_owner == user.id),
        }


def without(state: dict[str, Any], parts: set[str]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in parts}


def lost_parts(applied: list[Action], restoration: Restoration) -> set[str]:
    kinds = {a.id: a.kind for a in applied}
    return {part for item in restoration.lost if (part := LOST_PARTS.get(kinds[item.action_id]))}


@pytest.fixture
def google(emulator: GoogleEmulator, make_connector: Callable[..., GoogleWorkspaceConnector]) -> GoogleWorkspaceConnector:
    seed(emulator)
    return make_connector(org_unit="/Former members", license_product=LICENSE_PRODUCT, license_sku=LICENSE_SKU)


def expel(connector: GoogleWorkspaceConnector) -> list[Action]:
    applied = [a for a in order_for_apply(connector.discover(connector.resolve(DANA))) if a.phase is not Phase.MANUAL]
    for action in applied:
        assert connector.apply(action).state is State.CHANGED, action.id
    return applied


def restore(connector: GoogleWorkspaceConnector, applied: list[Action]) -> Restoration:
    restoration = connector.plan_restore(connector.resolve(DANA), applied)
    for action in order_for_apply(restoration.actions):
        outcome = connector.apply(action)
        assert outcome.state is State.CHANGED, f"{action.id}: {outcome}"
    return restoration


def test_an_expulsion_is_undone_exactly_but_for_what_is_lost(emulator: GoogleEmulator,
                                                           google: GoogleWorkspaceConnector) -> None:
    before = snapshot(emulator)
    applied = expel(google)
    assert snapshot(emulator) != before
    restoration = restore(google, applied)

    gone = lost_parts(applied, restoration)
    assert gone == {"tokens", "asps", "backup_codes", "password", "transfers"}
    assert without(snapshot(emulator), gone) == without(before, gone)
    assert {a.kind for a in applied if not a.reversible} == {item.kind for item in applied
                                                            if item.id in {x.action_id for x in restoration.lost}}
    reasons = {a.kind: item.reason for item in restoration.lost for a in applied if a.id == item.action_id}
    assert reasons["password"] == "a new password is set by reinstate, shown once to the operator"
    assert "consents" in reasons["token"] and "reverse transfer" in reasons["transfer"]
    assert google.plan_restore(google.resolve(DANA), applied).actions == []


def test_the_restore_plan_names_each_change_and_reads_only(emulator: GoogleEmulator,
                                                          google: GoogleWorkspaceConnector) -> None:
    applied = expel(google)
    writes = len(emulator.writes())
    restoration = google.plan_restore(google.resolve(DANA), applied)
    assert len(emulator.writes()) == writes
    ids = {a.id: a for a in restoration.actions}
    group = ids["google:restore:group:events@example.org"]
    assert (group.kind, group.before, group.after["role"], group.params["role"]) == (
        "restore_group", None, "MEMBER", "MEMBER")
    unsuspend = ids["google:restore:suspend"]
    assert (unsuspend.phase, unsuspend.before, unsuspend.after) == (Phase.CUT, {"suspended": True},
                                                                    {"suspended": False})
    forwarding = ids["google:restore:gmail-forwarding"]
    assert unsuspend.id in forwarding.depends_on and forwarding.before is None  # unreadable while suspended
    assert "password" not in " ".join(str(a.to_dict()) for a in restoration.actions)


def test_a_group_deleted_meanwhile_is_lost_and_the_rest_comes_back(emulator: GoogleEmulator,
                                                                  google: GoogleWorkspaceConnector) -> None:
    before = snapshot(emulator)
    applied = expel(google)
    with emulator.lock:
        del emulator.workspace.groups["finance@example.org"]
    restoration = restore(google, applied)
    assert [i.reason for i in restoration.lost if i.action_id == "google:group:finance@example.org"] == [
        "the group finance@example.org was deleted meanwhile"]
    gone = lost_parts(applied, restoration)
    expected = without(before, gone)
    del expected["groups"]["finance@example.org"]
    assert without(snapshot(emulator), gone) == expected


def test_access_gained_meanwhile_is_untouched(emulator: GoogleEmulator, google: GoogleWorkspaceConnector) -> None:
    applied = expel(google)
    with emulator.lock:
        emulator.workspace.add_member(f"new-team@{DOMAIN}", DANA.email, "MANAGER", "DAILY")
    restoration = restore(google, applied)
    assert all("new-team" not in a.id for a in restoration.actions)
    assert snapshot(emulator)["groups"][f"new-team@{DOMAIN}"] == ("MANAGER", "DAILY", "USER")


def test_what_was_put_back_by_hand_needs_nothing(emulator: GoogleEmulator, google: GoogleWorkspaceConnector) -> None:
    applied = expel(google)
    with emulator.lock:
        emulator.workspace.user(DANA.email).suspended = False  # type: ignore[union-attr]
        emulator.workspace.add_member(f"members@{DOMAIN}", DANA.email, "OWNER")
    restoration = google.plan_restore(google.resolve(DANA), applied)
    kinds = {a.kind for a in restoration.actions}
    assert "unsuspend" not in kinds
    assert "google:restore:group:members@example.org" not in {a.id for a in restoration.actions}
    # Restored by hand between the plan and its apply: ok, nothing sent.
    group = next(a for a in restoration.actions if a.kind == "restore_group")
    with emulator.lock:
        emulator.workspace.add_member(group.params["group"], DANA.email, group.params["role"])
    writes = len(emulator.writes())
    assert google.apply(group).state is State.OK
    assert google.check(group) is True and len(emulator.writes()) == writes


def test_a_pending_delegate_and_a_wiped_phone_are_lost(emulator: GoogleEmulator,
                                                      google: GoogleWorkspaceConnector) -> None:
    with emulator.lock:
        emulator.workspace.add_delegate(DANA.email, f"press@{DOMAIN}", "pending")
    account = google.resolve(DANA)
    applied = [a for a in order_for_apply(google.discover(account, {"wipe_devices": True}))
               if a.phase is not Phase.MANUAL]
    for action in applied:
        google.apply(action)
    restoration = google.plan_restore(google.resolve(DANA), applied)
    reasons = {i.action_id: i.reason for i in restoration.lost}
    assert "Gmail adds a delegate as accepted" in reasons[f"google:gmail-delegate:press@{DOMAIN}"]
    wiped = [a.id for a in applied if a.kind == "device"]
    assert len(wiped) == 2 and all("wiped" in reasons[i] for i in wiped)


def test_the_emulator_refuses_what_google_refuses(emulator: GoogleEmulator, google: GoogleWorkspaceConnector) -> None:
    from offboard.spi import FatalError
    gw = google.gateway
    with pytest.raises(FatalError, match="Member already exists"):
        gw.add_member(f"members@{DOMAIN}", DANA.email, "MEMBER", "ALL_MAIL")
    with pytest.raises(FatalError, match="delivery_settings"):
        gw.add_member(f"events@{DOMAIN}", f"admin@{DOMAIN}", "MEMBER", "SOMETIMES")
    with pytest.raises(FatalError, match="assignedTo"):
        gw.add_role_assignment("91447453409034241", DANA.email, "CUSTOMER", None)
    with pytest.raises(FatalError, match="Invalid delegate"):
        gw.add_delegate(DANA.email, "someone@elsewhere.example")
