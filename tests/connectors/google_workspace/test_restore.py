"""Reinstatement: after a run, the restore plan puts the user's Workspace state back exactly, but for what it lists as lost.

After an expulsion the password does not come back, but access does: a new random one, to be changed
at first sign-in, shown once to the operator and nowhere else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import LICENSE_PRODUCT, LICENSE_SKU, GoogleEmulator
from offboard.connectors.google_workspace.emulator.state import hash_password

from offboard.spi import Action, FatalError, Member, Outcome, Phase, Restoration, State
from offboard.testing.contract import order_for_apply
from tests.connectors.google_workspace.conftest import DOMAIN, NEW_PASSWORD, lost_part, snapshot

DANA = Member("m-009", "Dana Reyes", f"dana.reyes@{DOMAIN}")
CONFIG = {"org_unit": "/Former members", "license_product": LICENSE_PRODUCT, "license_sku": LICENSE_SKU}
SUSPENSION = {"reset_password": False, "transfer_data": False}  # the suspend playbook's options
DETAIL = "new password set and shown once to the operator; the member changes it at first sign-in"


def seed(emulator: GoogleEmulator) -> None:
    email = DANA.email
    emulator.seed_member(email, groups=5, tokens=2, asps=2, delegates=2, forwarding="dana@gmail.example", devices=2)
    with emulator.lock:
        ws = emulator.workspace
        ws.set_pop(email, "fromNowOn")
        ws.assign_license(email, LICENSE_PRODUCT, LICENSE_SKU)
        ws.assign_role(email, ws.add_role("_HELP_DESK_ADMIN_ROLE").id)
        ws.assign_role(email, ws.add_role("_USER_MANAGEMENT_ADMIN_ROLE").id, org_unit_id="03ph8a2z1")


def state(emulator: GoogleEmulator) -> dict[str, Any]:
    return snapshot(emulator, DANA.email)


def without(state: dict[str, Any], parts: set[str]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in parts}


def lost_parts(applied: list[Action], restoration: Restoration) -> set[str]:
    by_id = {a.id: a for a in applied}
    return {part for item in restoration.lost for part in lost_part(by_id[item.action_id], item)}


def restore_id(applied: Action) -> str:
    return "google:restore:" + applied.id.removeprefix("google:")


def accounted_once(applied: list[Action], restoration: Restoration) -> None:
    """Each applied change ends in exactly one place: its restore action, ``lost`` or ``already``."""
    restoring = {a.id for a in restoration.actions}
    lost = [item.action_id for item in restoration.lost]
    assert len(lost) == len(set(lost))
    for action in applied:
        places = [restore_id(action) in restoring, action.id in lost, action.id in restoration.already]
        assert places.count(True) == 1, f"{action.id}: restore action, lost, already = {places}"
    assert restoring <= {restore_id(a) for a in applied}


@pytest.fixture
def google(emulator: GoogleEmulator, make_connector: Callable[..., GoogleWorkspaceConnector]) -> GoogleWorkspaceConnector:
    seed(emulator)
    return make_connector(**CONFIG)


def expel(connector: GoogleWorkspaceConnector, options: Mapping[str, Any] | None = None) -> list[Action]:
    account = connector.resolve(DANA)
    assert account is not None
    applied = [a for a in order_for_apply(connector.discover(account, options)) if a.phase is not Phase.MANUAL]
    for action in applied:
        assert connector.apply(action).state is State.CHANGED, action.id
    return applied


def plan(connector: GoogleWorkspaceConnector, applied: list[Action]) -> Restoration:
    account = connector.resolve(DANA)
    assert account is not None
    return connector.plan_restore(account, applied)


def restore(connector: GoogleWorkspaceConnector, applied: list[Action]) -> tuple[Restoration, dict[str, Outcome]]:
    restoration = plan(connector, applied)
    outcomes = {}
    for action in order_for_apply(restoration.actions):
        outcomes[action.id] = outcome = connector.apply(action)
        assert outcome.state is State.CHANGED, f"{action.id}: {outcome}"
    return restoration, outcomes


def test_an_expulsion_is_undone_exactly_but_for_what_is_lost(emulator: GoogleEmulator, google: GoogleWorkspaceConnector,
                                                           revealed: list[tuple[str, str]]) -> None:
    before = state(emulator)
    applied = expel(google)
    assert state(emulator) != before
    restoration, outcomes = restore(google, applied)
    accounted_once(applied, restoration)

    gone = lost_parts(applied, restoration)
    assert gone == {"tokens", "asps", "backup_codes", "transfers"}
    after = state(emulator)
    assert without(after, gone | NEW_PASSWORD) == without(before, gone | NEW_PASSWORD)
    # The password is a new one, known to the operator alone, which the member changes at first sign-in.
    (label, secret), = revealed
    assert label == f"New password of {DANA.email}" and len(secret) >= 16
    assert after["password"] == hash_password(secret) != before["password"]
    assert (before["change_password"], after["change_password"]) == (False, True)
    assert outcomes["google:restore:password"].detail == DETAIL

    lost_kinds = {a.kind for a in applied if a.id in {item.action_id for item in restoration.lost}}
    assert lost_kinds == {a.kind for a in applied if not a.reversible} - {"password"}
    reasons = {a.kind: item.reason for item in restoration.lost for a in applied if a.id == item.action_id}
    assert "consents" in reasons["token"] and "reverse transfer" in reasons["transfer"]
    # Planned again: nothing to do; each change is back already, or lost.
    again = plan(google, applied)
    assert again.actions == []
    accounted_once(applied, again)
    assert set(again.already) == {a.id for a in applied} - {item.action_id for item in again.lost}
    assert "google:password" in again.already
    assert len(revealed) == 1


def test_the_new_password_is_shown_once_and_nowhere_else(emulator: GoogleEmulator, google: GoogleWorkspaceConnector,
                                                         revealed: list[tuple[str, str]],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    applied = expel(google)
    restoration, outcomes = restore(google, applied)
    (_, secret), = revealed
    action = next(a for a in restoration.actions if a.kind == "restore_password")
    assert (action.id, action.phase, action.reversible, action.before, action.after) == (
        "google:restore:password", Phase.CUT, False, None, {"changePasswordAtNextLogin": True})
    assert action.summary == "Set a new random password, shown once to you; the member must change it at first sign-in"
    assert dict(action.params) == {"user": DANA.email, "user_id": emulator.user(DANA.email)["id"]}
    outputs = [json.dumps(a.to_dict()) for a in [*applied, *restoration.actions]]
    outputs += [item.reason for item in restoration.lost]
    outputs += [f"{o.detail} {json.dumps(o.observed)}" for o in outcomes.values()]
    assert secret not in "\n".join([*outputs, caplog.text])
    # The emulator keeps the bodies it was sent (as Google receives them): the password is in that one update only.
    carrying = [r for r in emulator.log if secret.encode() in r.body or secret in json.dumps(r.query)]
    assert [(r.method, r.path) for r in carrying] == [("PUT", f"/admin/directory/v1/users/{quote(DANA.email)}")]
    assert json.loads(carrying[0].body) == {"password": secret, "changePasswordAtNextLogin": True}


def test_without_an_operator_the_new_password_is_refused_before_any_write(
        emulator: GoogleEmulator, google: GoogleWorkspaceConnector,
        make_connector: Callable[..., GoogleWorkspaceConnector], revealed: list[tuple[str, str]]) -> None:
    applied = expel(google)
    password = next(a for a in plan(google, applied).actions if a.kind == "restore_password")
    nobody = make_connector(operator=False, **CONFIG)
    before, writes = state(emulator), len(emulator.writes())
    for apply in (nobody.apply, nobody.apply_planned):
        with pytest.raises(FatalError, match=f"the new password of {DANA.email} would be shown to nobody"):
            apply(password)
    assert len(emulator.writes()) == writes and state(emulator) == before and revealed == []
    assert nobody.check(password) is None  # a password leaves no trace to read back


def test_a_suspension_is_undone_exactly_and_keeps_the_password(emulator: GoogleEmulator,
                                                              google: GoogleWorkspaceConnector,
                                                              revealed: list[tuple[str, str]]) -> None:
    before = state(emulator)
    applied = expel(google, SUSPENSION)
    assert not {"password", "transfer"} & {a.kind for a in applied}
    restoration, _ = restore(google, applied)
    accounted_once(applied, restoration)
    gone = lost_parts(applied, restoration)
    assert gone == {"tokens", "asps", "backup_codes"}
    assert without(state(emulator), gone) == without(before, gone)  # the password hash included
    assert revealed == []


def test_the_restore_plan_names_each_change_and_reads_only(emulator: GoogleEmulator,
                                                          google: GoogleWorkspaceConnector) -> None:
    applied = expel(google)
    writes = len(emulator.writes())
    restoration = plan(google, applied)
    assert len(emulator.writes()) == writes
    accounted_once(applied, restoration)
    assert restoration.already == []
    ids = {a.id: a for a in restoration.actions}
    group = ids["google:restore:group:events@example.org"]
    assert (group.kind, group.before, group.after["role"], group.params["role"]) == (
        "restore_group", None, "MEMBER", "MEMBER")
    unsuspend = ids["google:restore:suspend"]
    assert (unsuspend.phase, unsuspend.before, unsuspend.after) == (Phase.CUT, {"suspended": True},
                                                                    {"suspended": False})
    forwarding = ids["google:restore:gmail-forwarding"]
    assert unsuspend.id in forwarding.depends_on and forwarding.before is None  # unreadable while suspended


def test_a_group_deleted_meanwhile_is_lost_and_the_rest_comes_back(emulator: GoogleEmulator,
                                                                  google: GoogleWorkspaceConnector) -> None:
    before = state(emulator)
    applied = expel(google)
    with emulator.lock:
        del emulator.workspace.groups["finance@example.org"]
    restoration, _ = restore(google, applied)
    accounted_once(applied, restoration)
    assert [i.reason for i in restoration.lost if i.action_id == "google:group:finance@example.org"] == [
        "the group finance@example.org was deleted meanwhile"]
    gone = lost_parts(applied, restoration) | NEW_PASSWORD
    expected = without(before, gone)
    del expected["groups"]["finance@example.org"]
    assert without(state(emulator), gone) == expected


def test_access_gained_meanwhile_is_untouched(emulator: GoogleEmulator, google: GoogleWorkspaceConnector) -> None:
    applied = expel(google)
    with emulator.lock:
        emulator.workspace.add_member(f"new-team@{DOMAIN}", DANA.email, "MANAGER", "DAILY")
    restoration, _ = restore(google, applied)
    assert all("new-team" not in a.id for a in restoration.actions)
    assert state(emulator)["groups"][f"new-team@{DOMAIN}"] == ("MANAGER", "DAILY", "USER")


def test_what_was_put_back_by_hand_is_already_so_and_needs_nothing(emulator: GoogleEmulator,
                                                                   google: GoogleWorkspaceConnector) -> None:
    applied = expel(google)
    with emulator.lock:
        ws = emulator.workspace
        user = ws.user(DANA.email)
        assert user is not None
        user.suspended, user.include_in_gal, user.org_unit_path = False, True, "/"
        ws.add_member(f"members@{DOMAIN}", DANA.email, "OWNER")
        ws.assign_license(DANA.email, LICENSE_PRODUCT, LICENSE_SKU)
        device = next(d for d in ws.devices.values() if d.email == DANA.email)
        device.status = "APPROVED"
        ws.set_pop(DANA.email, "fromNowOn")
    restoration = plan(google, applied)
    accounted_once(applied, restoration)
    by_hand = {"google:suspend", "google:gal", "google:org-unit", f"google:group:members@{DOMAIN}",
               f"google:license:{LICENSE_PRODUCT}/{LICENSE_SKU}", f"google:device:{device.resource_id}",
               "google:gmail-pop"}
    assert by_hand <= {a.id for a in applied}, sorted(a.id for a in applied)
    assert set(restoration.already) == by_hand
    assert not {restore_id(a) for a in applied if a.id in by_hand} & {a.id for a in restoration.actions}
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
    applied = expel(google, {"wipe_devices": True})
    restoration = plan(google, applied)
    accounted_once(applied, restoration)
    reasons = {i.action_id: i.reason for i in restoration.lost}
    assert "Gmail adds a delegate as accepted" in reasons[f"google:gmail-delegate:press@{DOMAIN}"]
    wiped = [a.id for a in applied if a.kind == "device"]
    assert len(wiped) == 2 and all("wiped" in reasons[i] for i in wiped)


def test_the_emulator_refuses_what_google_refuses(emulator: GoogleEmulator, google: GoogleWorkspaceConnector) -> None:
    gw = google.gateway
    with pytest.raises(FatalError, match="Member already exists"):
        gw.add_member(f"members@{DOMAIN}", DANA.email, "MEMBER", "ALL_MAIL")
    with pytest.raises(FatalError, match="delivery_settings"):
        gw.add_member(f"events@{DOMAIN}", f"admin@{DOMAIN}", "MEMBER", "SOMETIMES")
    with pytest.raises(FatalError, match="assignedTo"):
        gw.add_role_assignment("91447453409034241", DANA.email, "CUSTOMER", None)
    with pytest.raises(FatalError, match="Invalid delegate"):
        gw.add_delegate(DANA.email, "someone@elsewhere.example")
