"""Meta's throttling (HTTP 400/403 with a code), the usage headers, tokens and permissions: classified here, retried by the engine."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from offboard.connectors.meta import MetaConnector
from offboard.connectors.meta.emulator import MetaEmulator
from offboard.connectors.meta.errors import DEFAULT_THROTTLE_WAIT, GraphError
from offboard.connectors.meta.usage import DEFAULT_WAIT, UsageGate

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import AuthError, ConnectorContext, RetriableError, State
from tests.connectors.meta.conftest import ALICE, TOKEN_ENV, Org, connect


@pytest.mark.parametrize("status", [400, 403])
def test_code_80001_is_retriable_with_the_wait_from_the_buc_header(org: Org, status: int) -> None:
    org.emulator.throttle(code=80001, status=status, minutes=2, match="business_users")
    with pytest.raises(RetriableError) as caught:
        connect(org.emulator).resolve(ALICE)
    assert caught.value.retry_after == 120.0
    assert str(caught.value) == ("Meta throttled the request to list the people of the business portfolio (code 80001): "
                                 "offboard waits and tries again")


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_every_throttling_code_is_retriable(org: Org, code: int) -> None:
    org.emulator.throttle(code=code, match="business_users")
    with pytest.raises(RetriableError) as caught:
        connect(org.emulator).resolve(ALICE)
    assert caught.value.retry_after == DEFAULT_THROTTLE_WAIT, "no wait named: a default, not an immediate hammering"


def test_the_engine_retries_a_throttled_write_honouring_the_wait(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    task = next(a for a in connector.discover(account) if a.kind == "page-tasks")
    org.emulator.clear_log()
    org.emulator.throttle(code=80001, status=400, minutes=1, match="/assigned_users")
    waits: list[float] = []
    gate_clock = [0.0]
    connector.api.gate = UsageGate(clock=lambda: gate_clock[0])

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        gate_clock[0] += seconds

    attempted = call_with_retries(lambda: connector.apply(task), RetryPolicy(sleep=sleep))
    assert attempted.error is None and attempted.value is not None and attempted.value.state is State.CHANGED
    assert attempted.attempts == 2 and waits[0] >= 60
    assert [r.status for r in org.emulator.requests(path_contains=f"{task.params['page']}/assigned_users")] == [400, 200, 200]


def test_transient_errors_are_retriable(org: Org) -> None:
    org.emulator.faults.script_match = "business_users"
    org.emulator.faults.script.append("503")
    with pytest.raises(RetriableError, match=r"\(code 2\)"):
        connect(org.emulator).resolve(ALICE)


def test_high_usage_stops_sending_until_the_wait_has_passed(org: Org) -> None:
    org.emulator.set_usage(95)
    now = [100.0]
    connector = connect(org.emulator)
    connector.api.gate = UsageGate(clock=lambda: now[0])
    assert connector.resolve(ALICE) is not None  # this answer says 95%
    sent = len(org.emulator.log)
    with pytest.raises(RetriableError) as caught:
        connector.resolve(ALICE)
    assert len(org.emulator.log) == sent, "nothing may be sent while the usage is high"
    assert caught.value.retry_after == DEFAULT_WAIT
    assert str(caught.value) == ("Meta reported 95% of an API limit used: offboard sends nothing more until it has had "
                                 "time to recover (60 s)")
    org.emulator.set_usage(10)
    now[0] += DEFAULT_WAIT
    assert connector.resolve(ALICE) is not None and len(org.emulator.log) > sent


def test_the_wait_meta_names_is_the_one_asked_for(org: Org) -> None:
    org.emulator.set_usage(100, regain_minutes=5)
    connector = connect(org.emulator)
    connector.resolve(ALICE)
    with pytest.raises(RetriableError) as caught:
        connector.resolve(ALICE)
    assert 299 <= (caught.value.retry_after or 0) <= 300


def test_a_high_app_usage_counts_too(org: Org) -> None:
    org.emulator.set_usage(5, app_percent=92)
    connector = connect(org.emulator)
    connector.resolve(ALICE)
    with pytest.raises(RetriableError):
        connector.resolve(ALICE)


def test_an_expired_token_says_how_to_make_a_new_one(org: Org) -> None:
    org.emulator.expire_token(org.emulator.token)
    with pytest.raises(AuthError) as caught:
        connect(org.emulator).resolve(ALICE)
    assert str(caught.value) == (
        "Meta refused the access token in META_SYSTEM_USER_TOKEN (code 190): it has expired (choose 'Never' as the expiry "
        "when generating a system user token): generate a new system user token in Business settings > Users > System "
        "users (select the system user, Generate new token, with the permissions business_management, pages_show_list "
        "and pages_manage_metadata) and put it in META_SYSTEM_USER_TOKEN")


def test_an_unknown_token_is_an_auth_error_and_is_never_shown(org: Org) -> None:
    with pytest.raises(AuthError) as caught:
        connect(org.emulator, token="EAAnotarealtoken12345").resolve(ALICE)
    assert "code 190" in str(caught.value) and "EAAnotarealtoken12345" not in str(caught.value)


def test_a_missing_permission_is_named(org: Org) -> None:
    token = org.emulator.issue_token(["pages_show_list", "pages_manage_metadata"])
    with pytest.raises(AuthError) as caught:
        connect(org.emulator, token=token).resolve(ALICE)
    assert str(caught.value).startswith(
        "Meta refused to list the people of the business portfolio (code 200: (#200) Requires business_management "
        "permission to manage the object): the system user's token needs the permission(s) business_management,")


def test_an_unset_environment_variable_is_a_sentence(org: Org) -> None:
    with pytest.raises(AuthError, match=f"environment variable {TOKEN_ENV} is not set"):
        connect(org.emulator, environ={}).resolve(ALICE)


def test_an_invalid_parameter_is_fatal(org: Org) -> None:
    connector = connect(org.emulator)
    page = connector.page(org.main)
    with pytest.raises(GraphError) as caught:
        connector.api.post(f"{org.main}/assigned_users", what="assign tasks", token=page.token, user=org.alice,
                           tasks=["PUBLISH"])
    assert caught.value.code == 100 and not isinstance(caught.value, RetriableError)
    assert page.token not in str(caught.value)


def test_a_version_meta_does_not_know_is_fatal_and_says_where_to_look(make_emulator: Callable[..., MetaEmulator]) -> None:
    emulator = make_emulator(versions=("v25.0",))
    with pytest.raises(GraphError, match=r"code 2500.*check api_version"):
        connect(emulator, api_version="v26.0").resolve(ALICE)


def test_an_unreachable_api_is_retriable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    context = ConnectorContext("Org", "example.org", Path("."), environ={TOKEN_ENV: "EAAx"})
    connector = MetaConnector({"business_id": "1", "api_url": f"http://127.0.0.1:{port}", "insecure_endpoint": True}, context)
    with pytest.raises(RetriableError, match="could not reach Meta"):
        connector.resolve(ALICE)


def test_the_connector_stops_before_meta_throttles_it(make_emulator: Callable[..., MetaEmulator]) -> None:
    """With an hourly limit, the usage headers climb; at 90% the connector sends nothing more and asks to wait."""
    emulator = make_emulator(calls_per_hour=10)
    with emulator.lock:
        for i in range(5):
            emulator.business.add_user(f"Person {i}", f"p{i}@example.org")
    connector = connect(emulator, pages=[])
    refused = 0
    for _ in range(12):
        try:
            list(connector.inventory())
        except RetriableError as exc:
            refused += 1
            assert exc.retry_after and exc.retry_after > 0
    assert refused == 12 - 9 and len(emulator.log) == 9, "the ninth answer says 90%: nothing is sent after it"
    assert all(r.status == 200 for r in emulator.log), "Meta never had to refuse a call"
