"""``offboard doctor``: every problem a run would meet, as a sentence with its fix, before the run."""

from __future__ import annotations

from offboard.connectors.meta.emulator import MetaEmulator

from tests.connectors.meta.conftest import Org, connect


def test_all_is_well(org: Org) -> None:
    assert connect(org.emulator).test_connection() == []
    assert org.emulator.writes() == []


def test_a_bad_token_is_the_only_sentence(org: Org) -> None:
    org.emulator.expire_token(org.emulator.token, "invalidated")
    problems = connect(org.emulator).test_connection()
    assert len(problems) == 1 and problems[0].startswith(
        "Meta refused the access token in META_SYSTEM_USER_TOKEN (code 190): it was invalidated")
    assert "Business settings > Users > System users" in problems[0]


def test_missing_permissions_are_named_and_each_failing_call_says_why(org: Org) -> None:
    token = org.emulator.issue_token(["business_management", "pages_show_list"])
    problems = connect(org.emulator, token=token).test_connection()
    assert problems[0] == ("the token of the system user offboard lacks the permission(s) pages_manage_metadata: in "
                           "Business settings > Users > System users, select it, Generate new token with them, and put "
                           "the new token in META_SYSTEM_USER_TOKEN")
    assert [p.split(":")[0] for p in problems[1:]] == ['the people of the Page "Example Volunteers" cannot be read',
                                                       'the people of the Page "Example Volunteers Events" cannot be read']


def test_a_page_without_the_system_user_and_a_wrong_business(org: Org) -> None:
    with org.emulator.lock:
        org.emulator.business.pages[org.events].assigned.pop(org.emulator.system_user_id)
    problems = connect(org.emulator).test_connection()
    assert problems == [f'the Page {org.events} cannot be used: Meta gives no Page access token for the Page "Example '
                        f'Volunteers Events" ({org.events}): the system user needs a task on it: in Business settings > '
                        'Accounts > Pages, select "Example Volunteers Events", Assign people, choose the system user and '
                        "give it Full control (MANAGE)"]
    wrong = connect(org.emulator, business_id="42").test_connection()
    assert len(wrong) == 1 and wrong[0].startswith("the business portfolio 42 cannot be read (Meta could not read the "
                                                   "business portfolio: the object does not exist or this token cannot "
                                                   "see it (code 100/33)): check business_id")


def test_no_pages_and_an_instagram_account_outside_the_portfolio(org: Org) -> None:
    assert connect(org.emulator, pages=[]).test_connection() == [
        "no Page is listed in [connectors.meta] page_ids: offboard removes people from the portfolio only; list the ids "
        "of the organization's Pages (Business settings > Accounts > Pages) to remove their tasks"]
    with org.emulator.lock:
        org.emulator.business.instagram.clear()
    assert connect(org.emulator).test_connection() == [
        'the Instagram account linked to the Page "Example Volunteers" is not an asset of the portfolio, so offboard '
        "cannot remove anyone from it (each plan asks a person to check it): add it in Business settings > Accounts > "
        "Instagram accounts"]


def test_the_doctor_names_an_unset_variable(org: Org) -> None:
    assert connect(org.emulator, environ={}).test_connection() == [
        "environment variable META_SYSTEM_USER_TOKEN is not set: export it with the credential"]


def test_the_endpoint_override_is_reported(org: Org) -> None:
    emulator: MetaEmulator = org.emulator
    assert connect(emulator).endpoints() == {"api_url": emulator.url}
