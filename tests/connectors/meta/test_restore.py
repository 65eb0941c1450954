"""Suspension and reinstatement: the same tasks back; a removal from the portfolio does not come back through the API."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import parse_qs

from offboard.connectors.meta import MetaConnector

from offboard.spi import Account, Action, State
from offboard.testing.contract import order_for_apply
from tests.connectors.meta.conftest import ALICE, Org, connect, state


def run(connector: MetaConnector, remove_from_business: bool) -> tuple[Account, list[Action]]:
    """Discover and apply every change that is not a person's step, as a run records them."""
    account = connector.resolve(ALICE)
    assert account is not None
    applied = []
    for action in order_for_apply(connector.discover(account, {"remove_from_business": remove_from_business})):
        if action.phase.value != "manual":
            assert connector.apply(action).state is State.CHANGED
            applied.append(action)
    return account, applied


def apply_all(connector: MetaConnector, actions: Sequence[Action]) -> None:
    for action in order_for_apply(actions):
        assert connector.apply(action).state is State.CHANGED, action.id


def test_a_suspension_ends_with_the_same_tasks_back(org: Org) -> None:
    before = state(org.emulator)
    connector = connect(org.emulator)
    account, applied = run(connector, remove_from_business=False)
    assert not any(k.startswith(f"page:{org.main}:{org.alice}") for k in state(org.emulator))
    restoration = connector.plan_restore(account, applied)
    assert restoration.lost == [] and restoration.already == []
    assert [a.summary for a in restoration.actions] == [
        'Give alice@example.org back their tasks on the Facebook Page "Example Volunteers" (CREATE_CONTENT, MODERATE)',
        "Give alice@example.org back their tasks on the Instagram account @examplevolunteers (CONTENT, COMMUNITY_ACTIVITY)",
        'Give alice@example.org back their tasks on the Facebook Page "Example Volunteers Events" (MODERATE)']
    apply_all(connector, restoration.actions)
    assert state(org.emulator) == before
    assert {parse_qs(r.body.decode())["user"][0] for r in org.emulator.requests("POST")} == {org.alice}
    again = connector.plan_restore(account, applied)
    assert again.actions == [] and sorted(again.already) == sorted(a.id for a in applied)


def test_tasks_gained_meanwhile_are_kept(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = run(connector, remove_from_business=False)
    with org.emulator.lock:
        org.emulator.business.assign(org.main, org.alice, ["ANALYZE"])  # given by someone during the suspension
    restoration = connector.plan_restore(account, applied)
    main = next(a for a in restoration.actions if a.params.get("page") == org.main)
    assert main.before["tasks"] == ["ANALYZE"] and main.after["tasks"] == ["CREATE_CONTENT", "MODERATE", "ANALYZE"]
    apply_all(connector, restoration.actions)
    assert org.emulator.business.pages[org.main].assigned[org.alice] == ["CREATE_CONTENT", "MODERATE", "ANALYZE"]
    sent = [r for r in org.emulator.requests("POST", f"/{org.main}/assigned_users")][-1].body.decode()
    assert "tasks=%5B%22CREATE_CONTENT%22%2C+%22MODERATE%22%2C+%22ANALYZE%22%5D" in sent


def test_an_expulsion_cannot_be_undone_and_says_how_to_invite_again(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = run(connector, remove_from_business=True)
    restoration = connector.plan_restore(account, applied)
    assert restoration.actions == [] and restoration.already == []
    reasons = {item.action_id: item.reason for item in restoration.lost}
    assert set(reasons) == {a.id for a in applied}
    assert reasons[f"meta:portfolio:{org.alice}"] == (
        'A removal from the business portfolio "Example Volunteers" cannot be undone through the API: re-invite '
        "alice@example.org from Business settings > Users > People > Invite people with the role EMPLOYEE; they must "
        "accept the invitation by email, and their tasks on Pages and Instagram accounts are then assigned again there")
    assert reasons[f"meta:page:{org.events}"] == (
        'alice@example.org is no longer in the business portfolio, so their tasks on the Page "Example Volunteers Events" '
        "(MODERATE) cannot be given back: once they accept a new invitation, assign them in Business settings > Accounts "
        "(Pages or Instagram accounts) > Assign people, with those tasks")
    assert org.emulator.requests("POST") == [], "planning a restore sends nothing"


def test_once_re_invited_and_accepted_the_tasks_go_to_their_new_id(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = run(connector, remove_from_business=True)
    with org.emulator.lock:
        new_id = org.emulator.business.accept_invitation(ALICE.email, ALICE.name)
    restoration = connector.plan_restore(account, applied)
    assert restoration.already == [f"meta:portfolio:{org.alice}"] and restoration.lost == []
    assert {a.params["user"] for a in restoration.actions} == {new_id}
    apply_all(connector, restoration.actions)
    assert org.emulator.business.pages[org.events].assigned[new_id] == ["MODERATE"]


def test_someone_removed_from_the_portfolio_during_a_suspension_cannot_get_tasks_back(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = run(connector, remove_from_business=False)
    restoration_before = connector.plan_restore(account, applied)
    with org.emulator.lock:
        org.emulator.business.remove_user(org.alice)
    restoration = connector.plan_restore(account, applied)
    assert restoration.actions == [] and {i.action_id for i in restoration.lost} == {a.id for a in applied}
    outcome = connector.apply(restoration_before.actions[0])  # a saved restore plan applied after the removal
    assert outcome.state is State.SKIPPED and "re-invite them from Business settings > Users > People" in outcome.detail
    assert org.emulator.requests("POST") == []


def test_steps_a_person_did_outside_the_portfolio_are_lost_with_the_way_back(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    review = next(a for a in connector.discover(account) if a.kind == "page-access-review")
    restoration = connector.plan_restore(account, [review])
    assert [i.reason for i in restoration.lost] == [
        'If someone was removed from the Page "Example Volunteers Events" at this check, offboard cannot put them back: '
        "a Page admin adds them again where they were removed, and they accept"]


def test_the_tasks_sent_are_a_json_array(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = run(connector, remove_from_business=False)
    apply_all(connector, connector.plan_restore(account, applied).actions)
    bodies = [r.body.decode() for r in org.emulator.requests("POST")]
    assert bodies and all(isinstance(json.loads(parse_qs(b)["tasks"][0]), list) for b in bodies)
