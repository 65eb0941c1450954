"""The emulator answers as Open Collective does: raw HTTP, so these checks do not lean on the connector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from offboard.connectors.opencollective import queries
from offboard.connectors.opencollective.emulator import OpenCollectiveEmulator, start_sandbox
from offboard.connectors.opencollective.emulator.server import seconds

from offboard.spi import Member
from tests.connectors.opencollective.conftest import ALICE_SLUG, COLLECTIVE, Org

Make = Callable[..., Org]
REMOVE = ("mutation R($m: AccountReferenceInput!, $c: AccountReferenceInput!, $r: MemberRole!, $i: Boolean) "
          "{ removeMember(memberAccount: $m, account: $c, role: $r, isInvitation: $i) }")
INVITE = ("mutation I($m: AccountReferenceInput!, $c: AccountReferenceInput!, $r: MemberRole!, $s: DateTime) "
          "{ inviteMember(memberAccount: $m, account: $c, role: $r, since: $s) { id role since } }")


def post(org: Org, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
         **kwargs: Any) -> requests.Response:
    headers = {"Personal-Token": org.token if token is None else token} if token != "" else {}
    body = {"query": query, "variables": variables or {}}
    return requests.post(f"{org.emulator.url}/graphql/v2", json=body, headers=headers, timeout=5, **kwargs)


def remove(org: Org, role: str, slug: str = ALICE_SLUG, invitation: bool = False) -> requests.Response:
    return post(org, REMOVE, {"m": {"slug": slug}, "c": {"slug": COLLECTIVE}, "r": role, "i": invitation})


def test_every_operation_the_connector_sends_is_valid_in_the_schema(org: Org) -> None:
    from graphql import parse, validate

    for operation in queries.ALL:
        assert validate(org.emulator.schema, parse(operation.document)) == [], operation.name


def test_an_unknown_field_is_http_400_with_apollos_validation_error(org: Org) -> None:
    response = post(org, "{ me { id emails } }")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"] == 'Cannot query field "emails" on type "Individual".'
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" and error["locations"] == [{"line": 1, "column": 11}]
    assert post(org, "mutation { deleteEverything }").json()["errors"][0]["message"] == \
        'Cannot query field "deleteEverything" on type "Mutation".'


def test_syntax_errors_bad_variables_and_bad_requests_are_http_400(org: Org) -> None:
    broken = post(org, "{ me { id ")
    assert broken.status_code == 400 and broken.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    bad_role = remove(org, "OWNER")
    assert bad_role.status_code == 400 and bad_role.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_email = post(org, queries.MEMBER_BY_EMAIL.document, {"collective": COLLECTIVE, "email": "not an email"})
    assert bad_email.status_code == 400 and "Value is not a valid email address: not an email" in \
        bad_email.json()["errors"][0]["message"]
    form = requests.post(f"{org.emulator.url}/graphql/v2", data="query={me{id}}", timeout=5,
                         headers={"Personal-Token": org.token, "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400 and form.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_wrong_paths_and_methods(org: Org) -> None:
    assert requests.post(f"{org.emulator.url}/graphql/v1", json={}, timeout=5).status_code == 404
    put = requests.put(f"{org.emulator.url}/graphql/v2", json={"query": "{ me { id } }"}, timeout=5)
    assert put.status_code == 405


def test_an_unknown_token_is_http_401_before_graphql_and_repeats_the_token(org: Org) -> None:
    response = post(org, "{ me { id } }", token="abc123")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": 401, "type": "unauthorized",
                                         "message": "Invalid Personal Token (Api Key): abc123"}}
    anonymous = post(org, "{ me { id } }", token="")
    assert anonymous.status_code == 200 and anonymous.json()["data"] == {"me": None}


def test_remove_member_answers_true_even_when_nothing_matched(org: Org) -> None:
    org.give("MEMBER")
    answer = remove(org, "ACCOUNTANT")
    assert answer.json() == {"data": {"removeMember": True}}
    assert org.roles() == ["MEMBER"]
    assert remove(org, "MEMBER").json() == {"data": {"removeMember": True}} and org.roles() == []


def test_refusals_are_http_200_with_the_code_in_extensions(org: Org) -> None:
    org.give("ADMIN")
    org.platform.members[:] = [e for e in org.platform.members if e.role != "ADMIN" or e.account_id == org.alice.id]
    hers = org.emulator.issue_token(ALICE_SLUG)
    refused = post(org, REMOVE, {"m": {"slug": ALICE_SLUG}, "c": {"slug": COLLECTIVE}, "r": "ADMIN"}, token=hers)
    assert refused.status_code == 200
    body = refused.json()
    assert body["data"] == {"removeMember": None}
    assert body["errors"][0]["message"] == "There must be at least one admin for the account."
    assert body["errors"][0]["extensions"]["code"] == "Forbidden" and body["errors"][0]["path"] == ["removeMember"]
    not_admin = remove(org, "ADMIN").json()["errors"][0]  # the committee is no admin any more
    assert (not_admin["message"], not_admin["extensions"]["code"]) == ("Only admins can remove a member.", "Unauthorized")


def test_the_host_policy_counts_admins_for_an_invitation_too(org: Org) -> None:
    """As opencollective-api checks it: before looking at isInvitation."""
    org.platform.slug(COLLECTIVE).host_minimum_admins = 1
    org.invite("ADMIN")
    answer = remove(org, "ADMIN", invitation=True).json()
    assert answer["errors"][0]["message"] == "Your host policy requires at least 1 admins for this account."


def test_two_factor_needs_a_pre_authorized_token(org: Org) -> None:
    org.give("MEMBER")
    org.platform.slug("example-volunteers-cc").has_2fa = True
    error = remove(org, "MEMBER").json()["errors"][0]
    assert error["message"] == "This personal token is not pre-authorized for 2FA"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


def test_invite_member_updates_the_one_pending_invitation(org: Org) -> None:
    variables = {"m": {"slug": ALICE_SLUG}, "c": {"slug": COLLECTIVE}, "r": "MEMBER", "s": "2021-04-01"}
    first = post(org, INVITE, variables).json()["data"]["inviteMember"]
    second = post(org, INVITE, {**variables, "r": "ADMIN"}).json()["data"]["inviteMember"]
    assert first["id"] == second["id"] and second == {"id": first["id"], "role": "ADMIN", "since": "2021-04-01T00:00:00.000Z"}
    assert org.invitations() == ["ADMIN"]


def test_invite_member_refuses_a_role_held_and_acceptance_makes_the_entry(org: Org) -> None:
    org.give("MEMBER")
    held = post(org, INVITE, {"m": {"slug": ALICE_SLUG}, "c": {"slug": COLLECTIVE}, "r": "MEMBER"}).json()
    assert held["errors"][0]["message"] == "This user already have the MEMBER role on this Collective"
    post(org, INVITE, {"m": {"slug": ALICE_SLUG}, "c": {"slug": COLLECTIVE}, "r": "ACCOUNTANT", "s": "2020-01-02"})
    entry = org.emulator.accept_invitation(ALICE_SLUG)
    assert entry is not None and (entry.role, entry.since) == ("ACCOUNTANT", "2020-01-02T00:00:00.000Z")
    assert org.roles() == ["ACCOUNTANT", "MEMBER"] and org.invitations() == []
    with pytest.raises(KeyError):
        org.emulator.accept_invitation(ALICE_SLUG)


def test_invitations_and_the_email_filter_are_for_admins_only(org: Org) -> None:
    org.give("MEMBER")
    org.invite("ADMIN", slug="example-volunteers-cc")
    hers = org.emulator.issue_token(ALICE_SLUG)
    hidden = post(org, queries.INVITATIONS.document, {"collective": COLLECTIVE}, token=hers).json()
    assert hidden == {"data": {"account": {"memberInvitations": None}}}
    lookup = post(org, queries.MEMBER_BY_EMAIL.document, {"collective": COLLECTIVE, "email": "alice@mail.test"},
                  token=hers).json()
    assert lookup["errors"][0]["message"] == 'Only admins can lookup for members using the "email" argument'
    found = post(org, queries.MEMBER_BY_EMAIL.document, {"collective": COLLECTIVE, "email": "ALICE@mail.test"}).json()
    assert found["data"]["account"]["members"]["nodes"][0]["account"]["slug"] == ALICE_SLUG


def test_a_missing_account_is_null_or_an_error_as_asked(org: Org) -> None:
    assert post(org, queries.ACCOUNT.document, {"slug": "nobody"}).json() == {"data": {"account": None}}
    error = post(org, '{ account(slug: "nobody") { id } }').json()["errors"][0]
    assert error["message"] == "No collective found with slug nobody"


def test_the_rate_limit_is_a_window_per_token_with_a_fractional_retry_after(make_org: Make) -> None:
    clock = [50.0]
    org = make_org(rate_limit=2, clock=lambda: clock[0])
    assert [post(org, "{ me { id } }").status_code for _ in range(2)] == [200, 200]
    clock[0] += 0.488
    throttled = post(org, "{ me { id } }")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "59.512"
    assert throttled.json() == {"error": {"message": "Rate limit exceeded. Contact-us to get higher limits."}}
    other = org.emulator.issue_token(ALICE_SLUG)
    assert post(org, "{ me { id } }", token=other).status_code == 200  # per token
    assert seconds(37.512) == "37.512" and seconds(60) == "60" and seconds(2.5) == "2.5"


def test_writes_are_the_mutations(org: Org) -> None:
    post(org, "{ me { id } }")
    remove(org, "MEMBER")
    assert [r.status for r in org.emulator.writes()] == [200]


def test_inherited_entries_come_from_the_parent(org: Org) -> None:
    org.give("ADMIN", "COMMUNITY_MANAGER")
    org.platform.add_account("fair", "Fair", "EVENT", parent_id=org.platform.slug(COLLECTIVE).id)
    nodes = post(org, queries.MEMBERS.document, {"collective": "fair", "limit": 10, "offset": 0}).json()
    rows = [(n["account"]["slug"], n["role"], n["inherited"]) for n in nodes["data"]["account"]["members"]["nodes"]]
    assert rows == [("example-volunteers-cc", "ADMIN", True), (ALICE_SLUG, "ADMIN", True)]


def test_the_demo_sandbox(tmp_path: Path) -> None:
    roster = [Member("m001", "Alice Admin", "alice@example.org", "alice@mail.test"),
              Member("m007", "Dan Treasurer", "dan@example.org", "dan@mail.test"),
              Member("m042", "Bob Example", "bob@example.org", "bob@mail.test", identities={"opencollective": "bob-example"}),
              Member("m050", "Fran Former", "fran@example.org", "fran@mail.test", status="former")]
    sandbox = start_sandbox("example.org", roster, tmp_path)
    try:
        emulator = sandbox.emulator
        assert isinstance(emulator, OpenCollectiveEmulator)
        assert sandbox.config == {"token_env": "OPENCOLLECTIVE_TOKEN", "collective_slug": "example-volunteers",
                                  "api_url": f"{emulator.url}/graphql/v2", "insecure_endpoint": True}
        platform = emulator.platform
        slug = {a.id: a.slug for a in platform.accounts.values()}
        assert sorted((slug[e.account_id], e.role) for e in platform.members) == [
            ("alice-admin", "MEMBER"), ("bob-example", "ACCOUNTANT"), ("bob-example", "MEMBER"),
            ("dan-treasurer", "ADMIN"), ("example-volunteers-cc", "ADMIN"), ("old-treasurer", "ACCOUNTANT")]
        assert [(slug[e.account_id], e.role) for e in platform.invitations] == [("bob-example", "COMMUNITY_MANAGER")]
        assert platform.by_slug("fran-former") is not None
        token = sandbox.environ["OPENCOLLECTIVE_TOKEN"]
        assert emulator.tokens[token].user_id == platform.slug("example-volunteers-cc").id
    finally:
        sandbox.stop()
