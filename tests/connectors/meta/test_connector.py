"""The Meta connector end to end over real HTTP: config, identity, the plan, the expulsion, Page access outside the portfolio."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from offboard.connectors.meta import MetaConnector
from offboard.connectors.meta.emulator import MetaEmulator

from offboard.spi import Action, AuthError, ConfigError, ConnectorContext, FatalError, Member, Phase, State
from offboard.testing.contract import order_for_apply
from tests.connectors.meta.conftest import ALICE, BOB, Org, connect, seed

BLANK = ConnectorContext("Org", "example.org", Path("."), environ={})


def plan_for(connector: MetaConnector, member: Member = ALICE, **options: bool) -> dict[str, Action]:
    account = connector.resolve(member)
    assert account is not None
    return {a.id: a for a in connector.discover(account, options)}


# ---------------------------------------------------------------- config


def test_construction_is_offline_and_fills_the_defaults() -> None:
    connector = MetaConnector({"business_id": "1001", "page_ids": ["2002", 3003]}, BLANK)
    assert connector.config == {"token_env": "META_SYSTEM_USER_TOKEN", "business_id": "1001", "page_ids": ["2002", 3003],
                                "api_url": "https://graph.facebook.com", "api_version": "v25.0",
                                "insecure_endpoint": False}
    assert connector.page_ids == ["2002", "3003"] and connector.endpoints() == {}


@pytest.mark.parametrize(("table", "message"), [
    ({"business_id": "1", "page_ids": "2002"}, "[connectors.meta]: 'page_ids' must be a list, not str"),
    ({}, "[connectors.meta]: missing required key 'business_id'"),
    ({"business_id": "1", "page_ids": ["my page"]},
     "[connectors.meta] page_ids must list the Pages' numeric ids, as strings (not 'my page')"),
    ({"business_id": "1", "api_version": "25"}, "[connectors.meta] api_version '25' is not a Graph API version such as 'v25.0'"),
    ({"business_id": "1", "api_url": "http://127.0.0.1:9"}, "[connectors.meta] api_url 'http://127.0.0.1:9' is plain http"),
])
def test_config_is_checked_at_load_time(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        MetaConnector(table, BLANK)
    assert str(caught.value).startswith(message)


# ---------------------------------------------------------------- identity


def test_resolve_by_email_among_the_business_users(org: Org) -> None:
    account = connect(org.emulator).resolve(ALICE)
    assert account is not None and account.id == org.alice and account.label == ALICE.email
    assert account.attributes["active"] is True and account.attributes["role"] == "EMPLOYEE"
    assert org.emulator.requests("GET", f"/{org.emulator.business.id}/business_users")


def test_the_roster_column_names_the_business_scoped_id_and_wins_over_the_email(org: Org) -> None:
    member = Member("m-x", "Alice L.", "someone.else@example.org", identities={"meta": org.alice})
    account = connect(org.emulator).resolve(member)
    assert account is not None and account.id == org.alice
    assert not org.emulator.requests(path_contains="business_users"), "the id needs no listing of the portfolio"
    assert connect(org.emulator).resolve(Member("m-y", "Y", "y@example.org", identities={"meta": "999"})) is None


def test_the_personal_email_is_tried_when_the_org_email_is_nobodys(org: Org) -> None:
    with org.emulator.lock:
        org.emulator.business.users[org.alice].email = "ALICE@home.test"
    account = connect(org.emulator).resolve(ALICE)
    assert account is not None and account.id == org.alice


def test_nobody_or_an_ambiguous_email_resolves_to_none(org: Org) -> None:
    connector = connect(org.emulator)
    assert connector.resolve(Member("m-z", "Zed", "zed@example.org")) is None
    with org.emulator.lock:
        org.emulator.business.add_user("Alice Again", ALICE.email)
    assert connector.resolve(ALICE) is None


def test_resolve_pages_through_a_large_portfolio(make_emulator: Callable[..., MetaEmulator]) -> None:
    emulator = make_emulator()
    with emulator.lock:
        for i in range(230):
            emulator.business.add_user(f"Volunteer {i}", f"v{i}@example.org")
        last = emulator.business.add_user(ALICE.name, ALICE.email)
    account = connect(emulator, pages=[]).resolve(ALICE)
    assert account is not None and account.id == last
    listed = emulator.requests("GET", "/business_users")
    assert len(listed) == 3 and [r.query.get("limit") for r in listed] == [["100"]] * 3
    assert "after" not in listed[0].query and listed[1].query["after"] and listed[2].query["after"]


# ---------------------------------------------------------------- the plan


def test_the_expulsion_plan_reads_only_and_names_each_page(org: Org) -> None:
    org.emulator.clear_log()
    plan = plan_for(connect(org.emulator))
    assert org.emulator.writes() == []
    assert list(plan) == [f"meta:page:{org.main}", f"meta:instagram:{org.instagram}", f"meta:page:{org.events}",
                          f"meta:portfolio:{org.alice}", f"meta:page-access-review:{org.events}"]
    assert [a.summary for a in plan.values()] == [
        'Remove the tasks of alice@example.org on the Facebook Page "Example Volunteers" (CREATE_CONTENT, MODERATE)',
        'Remove the tasks of alice@example.org on the Instagram account @examplevolunteers (linked to the Page "Example '
        'Volunteers") (CONTENT, COMMUNITY_ACTIVITY)',
        'Remove the tasks of alice@example.org on the Facebook Page "Example Volunteers Events" (MODERATE)',
        'Remove alice@example.org from the business portfolio "Example Volunteers" (role EMPLOYEE); only a new '
        "invitation they accept brings them back",
        'Check who has access to the Facebook Page "Example Volunteers Events" outside the portfolio (Pat Photographer '
        "(CREATE_CONTENT)): offboard cannot tell whether one of them is alice@example.org"]
    removal = plan[f"meta:portfolio:{org.alice}"]
    assert removal.phase is Phase.CUT and not removal.reversible
    assert set(removal.depends_on) == {f"meta:page:{org.main}", f"meta:instagram:{org.instagram}", f"meta:page:{org.events}"}
    assert all(not a.reversible for a in plan.values()), "tasks of someone leaving the portfolio cannot come back"
    assert plan[f"meta:page:{org.main}"].before == {"page": org.main, "name": "Example Volunteers",
                                                    "tasks": ["CREATE_CONTENT", "MODERATE"]}


def test_a_suspension_removes_tasks_only_and_keeps_them_reversible(org: Org) -> None:
    plan = plan_for(connect(org.emulator), remove_from_business=False)
    assert f"meta:portfolio:{org.alice}" not in plan
    assert all(a.reversible for a in plan.values() if a.phase is Phase.CUT)


def test_unknown_or_wrong_options_are_refused(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    with pytest.raises(FatalError, match="unknown option"):
        connector.discover(account, {"remove_from_portfolio": True})
    with pytest.raises(FatalError, match="must be true or false"):
        connector.discover(account, {"remove_from_business": "no"})


def test_the_expulsion_removes_tasks_then_the_portfolio_and_a_second_run_sends_nothing(org: Org) -> None:
    connector = connect(org.emulator)
    plan = order_for_apply(list(plan_for(connector).values()))
    outcomes = {a.kind: connector.apply(a) for a in plan}
    assert outcomes["portfolio-remove"].state is State.CHANGED
    assert outcomes["page-access-review"].state is State.MANUAL
    deletes = [r.path for r in org.emulator.requests("DELETE")]
    assert deletes == [f"/v25.0/{org.main}/assigned_users", f"/v25.0/{org.instagram}/assigned_users",
                       f"/v25.0/{org.events}/assigned_users", f"/v25.0/{org.alice}"]
    assert [r.query["user"] for r in org.emulator.requests("DELETE", "/assigned_users")] == [[org.alice]] * 3
    assert org.alice not in org.emulator.business.users
    writes = len(org.emulator.writes())
    assert all(connector.apply(a).state in (State.OK, State.MANUAL) for a in plan)
    assert len(org.emulator.writes()) == writes
    assert connector.resolve(ALICE) is None, "out of the portfolio, the email finds nobody"


def test_apply_planned_removes_from_the_portfolio_without_looking_and_takes_100_33_as_done(org: Org) -> None:
    connector = connect(org.emulator)
    removal = plan_for(connector)[f"meta:portfolio:{org.alice}"]
    with org.emulator.lock:
        org.emulator.business.remove_user(org.alice)  # someone did it in Business settings meanwhile
    org.emulator.clear_log()
    outcome = connector.apply_planned(removal)
    assert outcome.state is State.OK and outcome.detail == 'not in the business portfolio "Example Volunteers"'
    assert [(r.method, r.status) for r in org.emulator.log] == [("DELETE", 400), ("GET", 400)]


def test_a_system_user_that_is_not_an_admin_is_told_so(org: Org) -> None:
    connector = connect(org.emulator)
    removal = plan_for(connector)[f"meta:portfolio:{org.alice}"]
    with org.emulator.lock:
        org.emulator.business.system_users[org.emulator.system_user_id].role = "EMPLOYEE"
    with pytest.raises(AuthError) as caught:
        connector.apply(removal)
    assert "the system user's token needs the permission(s) business_management, and the system user must be an admin" \
        in str(caught.value)


# ---------------------------------------------------------------- outside the portfolio


def test_a_profile_under_the_members_name_is_a_step_that_closes_itself(org: Org) -> None:
    with org.emulator.lock:
        twin = org.emulator.business.add_outsider(org.main, "alice  LIDDELL", ["MODERATE"])
    connector = connect(org.emulator)
    plan = plan_for(connector)
    step = plan[f"meta:page-access:{org.main}:{twin}"]
    assert step.phase is Phase.MANUAL and step.manual is not None and step.manual.self_closing
    assert step.summary == ('Remove alice  LIDDELL from the Facebook Page "Example Volunteers" in Page settings > Page '
                            "access: a profile outside the portfolio under the name of alice@example.org; no API can "
                            "remove it")
    assert "Settings > Page setup > Page access" in step.manual.instructions
    assert f"meta:page-access-review:{org.events}" in plan and f"meta:page-access-review:{org.main}" not in plan
    assert connector.apply(step).state is State.MANUAL and connector.check(step) is False
    org.emulator.business.remove_outsider(org.main, twin)
    assert connector.check(step) is True and connector.apply(step).state is State.OK


def test_the_review_of_unknown_people_waits_for_a_person(org: Org) -> None:
    connector = connect(org.emulator)
    review = plan_for(connector, BOB)[f"meta:page-access-review:{org.events}"]
    assert review.manual is not None and not review.manual.self_closing
    assert "Pat Photographer (CREATE_CONTENT)" in review.manual.instructions
    assert connector.check(review) is None and connector.apply(review).state is State.MANUAL
    org.emulator.business.remove_outsider(org.events, org.outsider)
    assert connector.check(review) is True


def test_an_instagram_account_outside_the_portfolio_is_checked_by_a_person(make_emulator: Callable[..., MetaEmulator]) -> None:
    emulator = make_emulator()
    seed(emulator)
    with emulator.lock:
        emulator.business.instagram.clear()  # linked to the Page, but not among the portfolio's assets
    plan = plan_for(connect(emulator), remove_from_business=False)
    step = next(a for a in plan.values() if a.kind == "instagram-review")
    assert step.phase is Phase.MANUAL and "not in the portfolio" in step.summary


def test_a_page_the_system_user_has_no_task_on_is_a_sentence(org: Org) -> None:
    with org.emulator.lock:
        org.emulator.business.pages[org.events].assigned.pop(org.emulator.system_user_id)
    connector = connect(org.emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    with pytest.raises(AuthError) as caught:
        connector.discover(account)
    assert str(caught.value) == (
        'Meta gives no Page access token for the Page "Example Volunteers Events" '
        f"({org.events}): the system user needs a task on it: in Business settings > Accounts > Pages, select "
        '"Example Volunteers Events", Assign people, choose the system user and give it Full control (MANAGE)')


def test_inventory_lists_every_business_user_as_active(org: Org) -> None:
    accounts = list(connect(org.emulator).inventory())
    assert {a.id for a in accounts} == {org.alice, org.bob}
    assert all(a.attributes["active"] is True for a in accounts)
