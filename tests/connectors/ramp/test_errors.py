"""Ramp's refusals, classified into the taxonomy, each a sentence that says what to do and holds no secret."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from offboard.connectors.ramp.emulator import RampEmulator
from offboard.connectors.ramp.errors import RATE_LIMIT_WAIT, from_exception, retry_after

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import AuthError, FatalError, NotFoundError, RetriableError, State
from tests.connectors.ramp.conftest import ALICE, Waits, connect, seed

CREATE = ("in Ramp, open Company > Developer (on older accounts Settings > Developer API), create an app (Create New "
          "App) with the Client Credentials grant type and the scopes users:read users:write cards:read cards:write, "
          "then export its client id in RAMP_CLIENT_ID and its client secret in RAMP_CLIENT_SECRET")


def test_wrong_client_credentials_say_where_the_right_ones_are_made(emulator: RampEmulator) -> None:
    secret = "ramp_sec_not-the-right-one"
    connector = connect(emulator, environ={"RAMP_CLIENT_ID": emulator.client_id, "RAMP_CLIENT_SECRET": secret})
    with pytest.raises(AuthError) as caught:
        connector.resolve(ALICE)
    assert str(caught.value) == (
        "Ramp refused the API client's credentials (HTTP 401, DEVELOPER_7002, Client authentication failed): check that "
        "RAMP_CLIENT_ID and RAMP_CLIENT_SECRET hold the client id and secret of an app with the Client Credentials "
        f"grant type, or {CREATE}")
    assert secret not in str(caught.value) and emulator.client_id not in str(caught.value)
    assert len(emulator.requests("POST", "/token")) == 1, "an auth error is not retried"


def test_a_missing_environment_variable_is_named(emulator: RampEmulator) -> None:
    connector = connect(emulator, environ={"RAMP_CLIENT_ID": emulator.client_id})
    with pytest.raises(AuthError, match=r"^environment variable RAMP_CLIENT_SECRET is not set: export it with the credential$"):
        connector.resolve(ALICE)
    assert emulator.log == []


def test_a_missing_scope_is_named_with_where_to_grant_it(emulator: RampEmulator) -> None:
    s = seed(emulator)
    client_id, secret = emulator.issue_client(scopes=["users:read", "cards:read", "cards:write"])
    connector = connect(emulator, environ={"RAMP_CLIENT_ID": client_id, "RAMP_CLIENT_SECRET": secret})
    deactivate = next(a for a in connector.discover(connector.resolve(ALICE)) if a.kind == "deactivate")  # type: ignore[arg-type]
    with pytest.raises(AuthError) as caught:
        connector.apply(deactivate)
    assert str(caught.value) == (
        "Ramp refused to deactivate the user: offboard's API client lacks the scope users:write: in Ramp, open Company > "
        "Developer (on older accounts Settings > Developer API), select offboard's app and enable users:write under "
        "Scopes (Configure allowed scopes); the next token offboard asks for carries it")
    assert emulator.org.users[s.alice]["status"] == "USER_ACTIVE"


def test_a_token_ramp_refuses_outright_is_an_auth_error(emulator: RampEmulator) -> None:
    seed(emulator)
    connector = connect(emulator, engine=False)
    connector.resolve(ALICE)
    emulator.tokens.clear()  # the app was deleted in Ramp: its tokens with it
    with pytest.raises(RetriableError):  # the token was good a moment ago: one new one is tried
        connector.resolve(ALICE)
    emulator.clients.clear()
    with pytest.raises(AuthError, match=r"^Ramp refused the API client's credentials \(HTTP 401"):
        connector.resolve(ALICE)


def test_not_found_and_invalid_answers(emulator: RampEmulator) -> None:
    connector = connect(emulator)
    with pytest.raises(NotFoundError, match=r"^Ramp could not read a card: not found \(DEVELOPER_7002, The requested "
                                            r"Card \(c-1\) does not exist\)$"):
        connector.api.read("/developer/v1/cards/c-1", what="read a card", scope="cards:read")
    with pytest.raises(FatalError) as caught:
        connector.api.call("POST", f"/developer/v1/cards/{seed(emulator).virtual}/deferred/suspension",
                           what="suspend card T&E", scope="cards:write", body={"idempotency_key": "", "reason": "x"})
    assert str(caught.value) == ("Ramp refused to suspend card T&E as invalid (HTTP 422, DEVELOPER_7001, There was an "
                                 "error.; fields: reason: Unknown field.; idempotency_key: Not a valid string.)")
    assert not isinstance(caught.value, RetriableError)


def test_throttling_is_retriable_with_ramps_wait(emulator: RampEmulator) -> None:
    seed(emulator)
    connector = connect(emulator, engine=False)
    connector.resolve(ALICE)  # a token first
    emulator.faults.retry_after = 7
    emulator.faults.script_match = "/users"
    emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as with_header:
        connector.resolve(ALICE)
    assert with_header.value.retry_after == 7.0
    assert str(with_header.value) == "Ramp throttled the request to look up a user by email (over 200 requests in 10 seconds)"


def test_the_rolling_window_locks_out_for_a_minute_without_retry_after(make_emulator: Callable[..., RampEmulator]) -> None:
    now = [0.0]
    emulator = make_emulator(clock=lambda: now[0])
    seed(emulator)
    connector = connect(emulator, engine=False)
    for _ in range(199):  # and the token request: 200 in the window
        connector.api.call("GET", "/developer/v1/users", what="list users", scope="users:read")
    with pytest.raises(RetriableError) as caught:
        connector.api.call("GET", "/developer/v1/users", what="list users", scope="users:read")
    assert caught.value.retry_after == RATE_LIMIT_WAIT == 60.0  # Ramp documents no Retry-After: "after a minute"
    now[0] = 59.0  # each call during the minute starts it again
    with pytest.raises(RetriableError):
        connector.api.call("GET", "/developer/v1/users", what="list users", scope="users:read")
    now[0] = 59.0 + 60.0
    assert connector.api.call("GET", "/developer/v1/users", what="list users", scope="users:read") is not None


def test_the_engine_retries_throttling_and_server_errors_honouring_the_wait(emulator: RampEmulator) -> None:
    s = seed(emulator)
    connector = connect(emulator)
    deactivate = next(a for a in connector.discover(connector.resolve(ALICE)) if a.kind == "deactivate")  # type: ignore[arg-type]
    emulator.faults.retry_after = 3
    emulator.faults.script_match = "/deactivate"
    emulator.faults.script.extend(["429", "503"])
    waits = Waits()
    attempted = call_with_retries(lambda: connector.apply(deactivate), RetryPolicy(sleep=waits))
    assert attempted.error is None and attempted.value is not None and attempted.value.state is State.CHANGED
    assert attempted.attempts == 3 and waits.seconds[0] >= 3
    assert [r.status for r in emulator.requests("PATCH")] == [429, 503, 200]
    assert emulator.org.users[s.alice]["status"] == "USER_INACTIVE"


def test_no_hidden_retries_behind_the_engine(emulator: RampEmulator) -> None:
    seed(emulator)
    connector = connect(emulator, engine=False)
    connector.resolve(ALICE)
    emulator.faults.script_match = "/developer/v1/users"
    emulator.faults.script.extend(["reset", "503"])
    with pytest.raises(RetriableError, match=r"^could not reach Ramp to look up a user by email \(ConnectionError\)$"):
        connector.resolve(ALICE)
    with pytest.raises(RetriableError, match=r"^Ramp could not look up a user by email for now \(HTTP 503, DEVELOPER_7500"):
        connector.resolve(ALICE)
    assert len(emulator.requests("GET", "/developer/v1/users")) == 3, "one request per call"


def test_a_timeout_is_retriable() -> None:
    error = from_exception("list users", requests.ReadTimeout("slow"))
    assert isinstance(error, RetriableError) and str(error) == "Ramp did not answer in time when asked to list users"


@pytest.mark.parametrize(("header", "expected"), [("12", 12.0), ("soon", RATE_LIMIT_WAIT), (None, RATE_LIMIT_WAIT),
                                                  ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_retry_after_as_seconds_or_a_date(header: str | None, expected: float) -> None:
    assert retry_after({"Retry-After": header} if header is not None else {}, RATE_LIMIT_WAIT) == expected
