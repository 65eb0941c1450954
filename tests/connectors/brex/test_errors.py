"""Brex's failures as sentences a volunteer can act on; throttling and outages retried by the engine alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from offboard.connectors.brex import errors
from offboard.connectors.brex.emulator import BrexEmulator

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import AuthError, FatalError, NotFoundError, RetriableError, State
from tests.connectors.brex.conftest import ALICE, STEPS, TOKEN_ENV, connect, discovered, seed

Make = Callable[..., BrexEmulator]


def test_a_wrong_token_says_how_to_make_a_new_one_without_showing_it(emulator: BrexEmulator) -> None:
    with pytest.raises(AuthError) as caught:
        connect(emulator, token="bxt_not-a-real-token").resolve(ALICE)
    assert str(caught.value) == ("Brex refused the token in BREX_API_TOKEN (HTTP 401 UNAUTHORIZED: PERMISSION_DENIED: "
                                 f"Invalid or Revoked Token): it is wrong, revoked or expired; {STEPS}")
    assert "bxt_not-a-real-token" not in str(caught.value)


def test_an_expired_token(emulator: BrexEmulator) -> None:
    emulator.expire(emulator.admin_token)
    with pytest.raises(AuthError) as caught:
        connect(emulator).resolve(ALICE)
    assert str(caught.value) == ("Brex says the token in BREX_API_TOKEN expired (HTTP 403 FORBIDDEN: Expired token): "
                                 f"user tokens expire when left unused; {STEPS}")


def test_a_missing_scope_is_named(emulator: BrexEmulator) -> None:
    seed(emulator)
    readonly = connect(emulator, token=emulator.issue_token(["users", "cards.readonly"]))
    lock = discovered(readonly)[0]
    with pytest.raises(AuthError) as caught:
        readonly.apply(lock)
    assert str(caught.value) == (
        "Brex refused to lock the card Travel (virtual, ending 4003) of alice@example.org (HTTP 403 FORBIDDEN: "
        "PERMISSION_DENIED: Insufficient scopes): the token in BREX_API_TOKEN lacks the scope cards, or its user is "
        f"not an account admin or card admin; {STEPS}")
    cardless = connect(emulator, token=emulator.issue_token(["users"]))
    with pytest.raises(AuthError, match=r"^Brex refused to list the Brex cards of alice@example.org \(HTTP 403 "
                                        r"FORBIDDEN: PERMISSION_DENIED: Insufficient scopes\): the token in "
                                        r"BREX_API_TOKEN lacks the scope cards.readonly or cards,"):
        discovered(cardless)


def test_no_token_at_all(emulator: BrexEmulator) -> None:
    with pytest.raises(AuthError) as caught:
        connect(emulator, environ={}).resolve(ALICE)
    assert str(caught.value) == f"environment variable {TOKEN_ENV} is not set: export it with the credential"
    assert emulator.log == []


def test_a_card_gone_before_its_lock_is_already_so(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    lock = discovered(connector)[0]
    with emulator.lock:
        del emulator.account.cards[seeded.virtual]
    planned = connector.apply_planned(lock)  # no look first: Brex's 404 is looked into
    assert (planned.state, planned.detail) == (State.OK, "the card Travel (virtual, ending 4003) no longer exists")
    assert connector.apply(lock).state is State.OK and connector.check(lock) is True


def test_a_card_locked_meanwhile_is_already_so_even_without_looking_first(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    lock = discovered(connector)[0]
    with emulator.lock:
        emulator.account.lock(seeded.virtual, {"reason": "FRAUD"})  # an admin in the dashboard
    outcome = connector.apply_planned(lock)
    assert (outcome.state, outcome.detail) == (State.OK, "the card Travel (virtual, ending 4003) is already locked")
    assert [r.status for r in emulator.requests("POST", "/lock")] == [400]


def test_a_refused_free_text_field_says_ascii_only(emulator: BrexEmulator) -> None:
    seed(emulator)
    connector = connect(emulator)
    lock = discovered(connector)[0]
    broken = type(lock).from_dict({**lock.to_dict(), "params": {**lock.params, "description": "accès coupé"}})
    with pytest.raises(FatalError) as caught:
        connector.apply(broken)
    assert str(caught.value) == (
        "Brex refused to lock the card Travel (virtual, ending 4003) of alice@example.org (HTTP 400 BAD_REQUEST: "
        "description is invalid): Brex accepts only ASCII characters in free-text fields; this is a bug in offboard's "
        "Brex connector: report it, and do this step in the Brex dashboard meanwhile")
    # a refusal may be one Brex kept for the key: each of the action's keys is tried before it is believed
    assert [r.status for r in emulator.requests("POST", "/lock")] == [400] * 3


def test_throttling_is_retriable_with_brexs_wait(emulator: BrexEmulator) -> None:
    emulator.faults.retry_after = 7
    emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as caught:
        connect(emulator).resolve(ALICE)
    assert caught.value.retry_after == 7.0
    assert str(caught.value) == ("Brex throttled the request to look up the Brex user alice@example.org (HTTP 429 "
                                 "TOO_MANY_REQUESTS: Rate limit exceeded; Brex allows 1,000 requests a minute)")


def test_the_engine_retries_a_throttled_or_failing_write_honouring_the_wait(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    lock = discovered(connector)[0]
    emulator.faults.retry_after = 5
    emulator.faults.script_match = "/lock"
    emulator.faults.script.extend(["429", "503"])
    waits: list[float] = []
    attempted = call_with_retries(lambda: connector.apply_planned(lock), RetryPolicy(sleep=waits.append))
    assert attempted.value is not None and attempted.value.state is State.CHANGED and attempted.attempts == 3
    assert waits[0] >= 5
    assert [r.status for r in emulator.requests("POST", "/lock")] == [429, 503, 200]
    assert emulator.status_of(seeded.virtual) == "LOCKED"


def test_reads_are_retried_on_their_own_and_every_failure_is_classified(emulator: BrexEmulator) -> None:
    emulator.faults.script.extend(["reset", "503"])
    connector = connect(emulator)
    with pytest.raises(RetriableError, match=r"^could not reach Brex to look up the Brex user alice@example.org"):
        connector.resolve(ALICE)
    with pytest.raises(RetriableError) as outage:
        connector.resolve(ALICE)
    assert str(outage.value) == ("Brex could not look up the Brex user alice@example.org for now (HTTP 503 "
                                 "INTERNAL_SERVER_ERROR: Internal Server Error)")
    assert outage.value.retry_after is None
    assert len(emulator.log) == 2, "one request per call: no hidden retries"


def test_the_rate_limit_window_answers_with_the_time_left(make_emulator: Make) -> None:
    emulator = make_emulator(rate_limit=(2, 60.0))
    connector = connect(emulator)
    connector.resolve(ALICE)
    connector.resolve(ALICE)
    with pytest.raises(RetriableError) as caught:
        connector.resolve(ALICE)
    assert caught.value.retry_after is not None and 55 <= caught.value.retry_after <= 60


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body
    response.headers.update(headers or {})
    return response


def test_classification_of_answers_the_emulator_does_not_give() -> None:
    throttled = errors.from_response("read x", "GET", "/v2/users", answer(429), TOKEN_ENV)
    assert isinstance(throttled, RetriableError) and throttled.retry_after == errors.DEFAULT_RATELIMIT_WAIT
    dated = errors.retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert dated == 0.0  # a date in the past: no wait
    assert errors.retry_after({"Retry-After": "soon"}, 3.0) == 3.0
    proxy = errors.from_response("read x", "GET", "/v2/users", answer(502, b"<html>Bad gateway</html>"), TOKEN_ENV)
    assert isinstance(proxy, RetriableError) and str(proxy) == "Brex could not read x for now (HTTP 502)"
    gone = errors.from_response("read card x", "GET", "/v2/cards/x", answer(404, b'{"type": "NOT_FOUND"}'), TOKEN_ENV)
    assert isinstance(gone, NotFoundError) and str(gone) == "Brex could not read card x: not found (HTTP 404 NOT_FOUND)"
    other = errors.from_response("suspend y", "PUT", "/v2/users/y", answer(422, b'{"message": "nope"}'), TOKEN_ENV)
    assert isinstance(other, errors.BrexRefused) and other.status == 422
    assert str(other).startswith("Brex refused to suspend y (HTTP 422: nope): report it as a bug")
    assert errors.scope_for("PUT", "/v2/users/u") == "users" and errors.scope_for("GET", "/v2/cards") == "cards.readonly or cards"
