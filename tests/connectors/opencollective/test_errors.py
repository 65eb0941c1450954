"""Open Collective's refusals and throttling, classified as sentences that say what to do; retried by the engine only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from offboard.connectors.opencollective import OpenCollectiveConnector, queries

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import Action, AuthError, ConnectorContext, FatalError, NotFoundError, RetriableError, State
from tests.connectors.opencollective.conftest import ALICE, COLLECTIVE, Org, connect

Make = Callable[..., Org]


def removal(org: Org, role: str = "ADMIN", token: str = "") -> Action:
    connector = org.connect(token=token or org.token)
    account = connector.resolve(ALICE)
    assert account is not None
    return next(a for a in connector.discover(account) if a.id == f"opencollective:role:{role}")


def test_the_last_admin_is_refused_with_the_next_step(org: Org) -> None:
    org.platform.members.clear()  # Alice alone administers the collective; her own token removes her
    org.give("ADMIN")
    hers = org.emulator.issue_token("alice-liddell")
    with pytest.raises(FatalError) as caught:
        org.connect(token=hers).apply(removal(org, token=hers))
    assert str(caught.value) == ("Open Collective refuses to remove the last admin of example-volunteers: first invite "
                                 "another admin in the collective's Settings > Team and wait until they accept, then "
                                 "apply this again")
    assert org.roles() == ["ADMIN"]


def test_the_hosts_minimum_of_admins_is_refused_with_the_next_step(org: Org) -> None:
    org.platform.slug(COLLECTIVE).host_minimum_admins = 2
    org.give("ADMIN")
    with pytest.raises(FatalError) as caught:
        org.connect().apply(removal(org))
    assert str(caught.value) == ("the fiscal host of example-volunteers requires at least 2 admins, and this removal "
                                 "would leave fewer: first invite another admin in the collective's Settings > Team and "
                                 "wait until they accept, then apply this again")


def test_a_token_not_pre_authorized_for_2fa_says_how_to_pre_authorize_it(org: Org) -> None:
    org.platform.slug("example-volunteers-cc").has_2fa = True
    org.give("MEMBER")
    action = removal(org, "MEMBER")
    with pytest.raises(AuthError) as caught:
        org.connect().apply(action)
    assert str(caught.value) == (
        "the token's user has two-factor authentication, and the personal token in OPENCOLLECTIVE_TOKEN is not "
        "pre-authorized for it: open your personal token's settings on Open Collective (your account's Settings > For "
        "developers > Personal tokens; https://docs.opencollective.com/help/developers/personal-tokens), tick \"Allow "
        "this token to directly use operations that would normally require 2FA\" (Advanced privileges), click Update "
        "token and give your 2FA code, then run again")
    pre_authorized = org.emulator.issue_token("example-volunteers-cc", preauthorized_2fa=True)
    assert org.connect(token=pre_authorized).apply(action).state is State.CHANGED


def test_a_collective_requiring_2fa_of_an_admin_without_it(org: Org) -> None:
    org.platform.slug(COLLECTIVE).require_2fa_for_admins = True
    org.give("MEMBER")
    with pytest.raises(AuthError, match=r"^example-volunteers requires two-factor authentication of its admins and the "
                                        r"token's user has none: set it up in the user's Settings > Security"):
        org.connect().apply(removal(org, "MEMBER"))


def test_a_token_without_the_account_scope(org: Org) -> None:
    org.give("MEMBER")
    action = removal(org, "MEMBER")
    narrow = org.emulator.issue_token("example-volunteers-cc", scopes=("email",))
    with pytest.raises(AuthError, match=r"^the personal token in OPENCOLLECTIVE_TOKEN lacks the scope 'account'"):
        org.connect(token=narrow).apply(action)


def test_a_token_of_someone_who_is_no_admin(org: Org) -> None:
    org.give("MEMBER")
    org.platform.add_account("bob", "Bob")
    org.give("MEMBER", slug="bob")
    action = removal(org, "MEMBER")
    assert action.account is not None
    with pytest.raises(AuthError) as caught:
        org.connect(token=org.emulator.issue_token("bob")).discover(action.account)
    assert str(caught.value) == (
        "the token's user is not an admin of example-volunteers, so Open Collective hides its pending invitations: use a "
        "personal token of one of its admins, listed in the collective's Settings > Team")
    with pytest.raises(AuthError, match=r"^the token's user is not an admin of example-volunteers, and Open Collective lets "
                                        r"only its admins manage its team \(Only admins can remove a member\.\)"):
        org.connect(token=org.emulator.issue_token("bob")).apply_planned(action)


def test_an_unknown_token_is_http_401_and_never_shown(org: Org) -> None:
    secret = "f" * 40
    with pytest.raises(AuthError) as caught:
        connect(org.emulator, token=secret).resolve(ALICE)
    assert secret in org.emulator.log[-1].headers.get("personal-token", "")
    assert org.emulator.log[-1].status == 401 and secret not in str(caught.value)
    assert str(caught.value).startswith("Open Collective rejected the personal token in OPENCOLLECTIVE_TOKEN: it is wrong")


def test_an_expired_token(org: Org) -> None:
    token = org.emulator.issue_token("example-volunteers-cc")
    org.emulator.tokens[token].expired = True
    with pytest.raises(AuthError, match=r"^Open Collective rejected the personal token in OPENCOLLECTIVE_TOKEN: it has "
                                        r"expired; create a new one"):
        org.connect(token=token).resolve(ALICE)


def test_http_429_is_retriable_with_its_fractional_retry_after(org: Org) -> None:
    org.emulator.faults.retry_after = 37.512
    org.emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as caught:
        org.connect().resolve(ALICE)
    assert caught.value.retry_after == 37.512
    assert str(caught.value) == ("Open Collective throttled the token while reading an account: Open Collective allows "
                                 "100 requests a minute per personal token")


def test_the_emulators_own_limit_of_100_a_minute_names_the_rest_of_the_window(make_org: Make) -> None:
    clock = [1000.0]
    org = make_org(rate_limit=3, clock=lambda: clock[0])
    connector = org.connect()
    for _ in range(3):
        connector.resolve(ALICE)
    clock[0] += 22.488
    with pytest.raises(RetriableError) as caught:
        connector.resolve(ALICE)
    assert caught.value.retry_after == 37.512
    assert org.emulator.log[-1].status == 429
    clock[0] += 37.512
    assert connector.resolve(ALICE) is not None


def test_5xx_and_dropped_connections_are_retriable(org: Org) -> None:
    org.emulator.faults.script.extend(["503", "reset"])
    connector = org.connect()
    with pytest.raises(RetriableError, match=r"^Open Collective failed for now while reading an account \(HTTP 503\)$"):
        connector.resolve(ALICE)
    with pytest.raises(RetriableError, match=r"^could not reach Open Collective while reading an account"):
        connector.resolve(ALICE)


def test_the_engine_retries_a_throttled_removal_honouring_the_wait(org: Org) -> None:
    org.give("MEMBER")
    action = removal(org, "MEMBER")
    org.emulator.faults.retry_after = 2.25
    org.emulator.faults.script.append("429")
    waits: list[float] = []
    attempted = call_with_retries(lambda: org.connect().apply(action), RetryPolicy(sleep=waits.append))
    assert attempted.error is None and attempted.value is not None and attempted.value.state is State.CHANGED
    assert waits and waits[0] >= 2.25
    assert org.roles() == []


def test_no_adapter_retries_behind_the_engine(org: Org) -> None:
    connector = org.connect()
    from requests.adapters import HTTPAdapter

    session = connector.api.session()
    adapters = list(session.adapters.values())
    assert all(isinstance(a, HTTPAdapter) and a.max_retries.total == 0 for a in adapters)
    assert str(session.headers["User-Agent"]).startswith("offboard/")


def test_a_query_the_schema_rejects_is_fatal_and_says_so(org: Org) -> None:
    bad = queries.Operation("OffboardBad", "query OffboardBad { me { id emailz } }", "reading the token's user")
    with pytest.raises(FatalError) as caught:
        org.connect().api.send(bad)
    assert str(caught.value) == (
        "Open Collective rejected the query offboard sent while reading the token's user (GRAPHQL_VALIDATION_FAILED: "
        "Cannot query field \"emailz\" on type \"Individual\".): its API may have changed; update "
        "offboard, or report this sentence to offboard's maintainers")
    assert org.emulator.log[-1].status == 400


def test_an_unknown_account_in_a_mutation_is_not_found(org: Org) -> None:
    variables = {"member": {"slug": "nobody"}, "collective": {"slug": COLLECTIVE}, "role": "MEMBER"}
    with pytest.raises(NotFoundError, match="Account Not Found"):
        org.connect().api.write(queries.REMOVE_MEMBER, variables)


def test_an_endpoint_that_is_not_open_collective(org: Org) -> None:
    connector = connect(org.emulator, token=org.token, api_url=f"{org.emulator.url}/graphql/v3")
    with pytest.raises(FatalError, match=r"^Open Collective answered HTTP 404 while reading an account: check api_url"):
        connector.resolve(ALICE)


def test_a_refused_connection_is_retriable() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = ConnectorContext("Org", "example.org", Path("."), {"OPENCOLLECTIVE_TOKEN": "x"})
    connector = OpenCollectiveConnector({"collective_slug": COLLECTIVE, "api_url": f"http://127.0.0.1:{port}/graphql/v2",
                                         "insecure_endpoint": True}, context)
    with pytest.raises(RetriableError, match=r"^could not reach Open Collective while reading an account \(ConnectionError\)$"):
        connector.resolve(ALICE)
