"""Bitwarden's refusals, auth failures and throttling: classified here, with sentences that say what to do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from offboard.connectors.bitwarden.api import RATE_LIMITS
from offboard.connectors.bitwarden.emulator import BitwardenEmulator

from offboard.apply.pacing import Pacer, TokenBucket
from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import Action, AuthError, ConnectorError, FatalError, NotFoundError, RetriableError, State
from tests.connectors.bitwarden.conftest import ALICE, Make, Org, connect, seed

CONSOLE = "in the Admin Console (Members, the member's menu"


@pytest.fixture
def org(emulator: BitwardenEmulator) -> Org:
    return seed(emulator)


@pytest.fixture
def revoke(emulator: BitwardenEmulator, org: Org) -> Action:
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    return connector.discover(account)[0]


def failure(emulator: BitwardenEmulator, action: Action) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        connect(emulator).apply(action)
    return caught.value


@pytest.mark.parametrize(("message", "sentence"), [
    ("You cannot revoke yourself.", "the key's own account cannot revoke itself. Another owner revokes them "
     f"{CONSOLE}, Revoke access)"),
    ("Only owners can revoke other owners.", "they are an owner, and only an owner may revoke an owner. An owner revokes "
     f"them {CONSOLE}, Revoke access)"),
    ("Organization must have at least one confirmed owner.", "they are the organization's only confirmed owner. Make "
     f"another member a confirmed owner {CONSOLE}, Role: Owner), then run offboard again"),
])
def test_refusals_of_a_revocation_are_fatal_with_what_to_do(emulator: BitwardenEmulator, revoke: Action, message: str,
                                                            sentence: str) -> None:
    emulator.refuse("POST", "/revoke", message)
    error = failure(emulator, revoke)
    assert type(error).__name__ == "RefusedError" and isinstance(error, FatalError)
    assert str(error) == f'Bitwarden refused to revoke alice@example.org: {sentence} (Bitwarden said: "{message}")'


def test_the_only_owner_is_refused_by_the_server_itself(emulator: BitwardenEmulator, org: Org) -> None:
    connector = connect(emulator)
    owner = connector.resolve(ALICE.__class__("m0", "Olive", "owner@example.org"))
    assert owner is not None
    revoke = connector.discover(owner)[0]
    assert str(failure(emulator, revoke)).startswith(
        "Bitwarden refused to revoke owner@example.org: they are the organization's only confirmed owner.")


def test_a_policy_refusal_of_a_restore_says_what_the_member_must_do(emulator: BitwardenEmulator, org: Org) -> None:
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    revoke = connector.discover(account)[0]
    connector.apply(revoke)
    (restore,) = connector.plan_restore(account, [revoke]).actions
    emulator.refuse("POST", "/restore", "alice@example.org is not compliant with the two-step login policy.")
    assert str(failure(emulator, restore)) == (
        'Bitwarden refused to restore alice@example.org: "alice@example.org is not compliant with the two-step login '
        'policy." They must turn on two-step login (and, where the policy says so, leave their other organizations); '
        "then run offboard again")


def test_an_unknown_refusal_shows_bitwardens_message_and_fields(emulator: BitwardenEmulator, revoke: Action) -> None:
    emulator.refuse("POST", "/revoke", "The request's model state is invalid.")
    assert str(failure(emulator, revoke)) == ("Bitwarden refused to revoke alice@example.org: The request's model state "
                                              "is invalid.")


def test_a_wrong_key_is_an_auth_error_that_says_where_the_key_is(emulator: BitwardenEmulator, org: Org) -> None:
    connector = connect(emulator, environ={"BW_CLIENT_ID": emulator.client_id, "BW_CLIENT_SECRET": "wrong-secret-123"})
    with pytest.raises(AuthError) as caught:
        connector.resolve(ALICE)
    assert str(caught.value) == (
        "Bitwarden's identity server refused the organization API key (invalid_client): the client id in BW_CLIENT_ID or "
        "the secret in BW_CLIENT_SECRET is wrong, the key was rotated, or the organization may not use the API. Copy the "
        "key from the Admin Console > Settings > Organization info > API key and export both")
    assert "wrong-secret-123" not in str(caught.value)
    emulator.org.use_api = False
    with pytest.raises(AuthError, match=r"invalid_client"):
        connect(emulator).resolve(ALICE)


def test_a_token_the_api_refuses_from_the_start_is_an_auth_error(emulator: BitwardenEmulator, org: Org,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emulator, "issue_token", lambda: BitwardenEmulator.issue_token(emulator, lifetime=-1))
    with pytest.raises(AuthError) as unauthorized:
        connect(emulator).resolve(ALICE)
    assert str(unauthorized.value) == (
        "Bitwarden did not accept offboard's access token to list the organization's members (HTTP 401): the "
        "organization's API key is wrong or was rotated, or the organization may not use the API (its plan must include "
        "it). Copy the current key from the Admin Console > Settings > Organization info > API key")
    monkeypatch.setattr(emulator, "issue_token", lambda: BitwardenEmulator.issue_token(emulator, frozenset({"api"})))
    with pytest.raises(AuthError) as forbidden:
        connect(emulator).resolve(ALICE)
    assert str(forbidden.value) == (
        "Bitwarden refused to list the organization's members (HTTP 403): the key is not an organization API key. Use the "
        "organization's key (client id organization.<id>, scope api.organization) from the Admin Console > Settings > "
        "Organization info > API key")


@pytest.mark.parametrize(("environ", "sentence"), [
    ({"BW_CLIENT_SECRET": "s"}, "environment variable BW_CLIENT_ID is not set: export it with the credential"),
    ({"BW_CLIENT_ID": "user.1234", "BW_CLIENT_SECRET": "s"},
     "BW_CLIENT_ID does not hold an organization API key's client id (it starts with organization.): a personal API key "
     "cannot manage members. Copy the organization's key from the Admin Console > Settings > Organization info > API key"),
])
def test_missing_or_personal_credentials_are_named(emulator: BitwardenEmulator, environ: dict[str, str],
                                                   sentence: str) -> None:
    with pytest.raises(AuthError) as caught:
        connect(emulator, environ=environ).resolve(ALICE)
    assert str(caught.value) == sentence
    assert emulator.log == []  # found out before anything was sent


def test_throttling_is_retriable_with_the_servers_wait(emulator: BitwardenEmulator, org: Org) -> None:
    emulator.faults.retry_after = 7
    emulator.faults.script_match = "/public/members"
    emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as caught:
        connect(emulator).resolve(ALICE)
    assert str(caught.value) == ("Bitwarden throttled the request to list the organization's members: Slow down! Too many "
                                 "requests. Try again in 1m.")
    assert caught.value.retry_after == 7.0


def test_the_rate_limit_itself_answers_429_and_the_engine_waits(make_emulator: Make) -> None:
    now = [0.0]
    emulator = make_emulator(enforce_rate_limits=True, clock=lambda: now[0])
    seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    revoke = connector.discover(account)[0]
    for _ in range(5):  # five POSTs in this second already (each verb counts on its own)
        with pytest.raises(NotFoundError):
            connector.api.write("POST", "/public/members/00000000-0000-0000-0000-000000000001/revoke", "x")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    attempted = call_with_retries(lambda: connector.apply_planned(revoke), RetryPolicy(sleep=sleep))
    assert attempted.error is None and attempted.value is not None and attempted.value.state is State.CHANGED
    assert [r.status for r in emulator.requests("POST", "/revoke")][5:] == [429, 200] and waits[0] >= 1.0


@pytest.mark.parametrize(("fault", "sentence", "wait"), [
    ("503", "Bitwarden could not list the organization's members for now (HTTP 503): it is retried", None),
    ("reset", "could not reach Bitwarden to list the organization's members (ConnectionError): it is retried", None),
])
def test_server_errors_and_resets_are_retriable(emulator: BitwardenEmulator, org: Org, fault: str, sentence: str,
                                                wait: float | None) -> None:
    connector = connect(emulator)
    connector.api.token()
    emulator.faults.script.append(fault)
    with pytest.raises(RetriableError) as caught:
        connector.resolve(ALICE)
    assert (str(caught.value), caught.value.retry_after) == (sentence, wait)


def test_a_throttled_token_request_is_retriable(emulator: BitwardenEmulator) -> None:
    emulator.faults.script_match = "/connect/token"
    emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as caught:
        connect(emulator).resolve(ALICE)
    assert str(caught.value) == "Bitwarden's identity server throttled the token request"


class Recording(Pacer):
    def __init__(self) -> None:
        super().__init__()
        self.buckets_used: list[str] = []

    def pace(self, bucket: str) -> None:
        self.buckets_used.append(bucket)


def test_each_request_is_paced_against_its_verbs_bucket(emulator: BitwardenEmulator, org: Org) -> None:
    pacer = Recording()
    connector = connect(emulator, pacer=pacer)
    account = connector.resolve(ALICE)
    assert account is not None
    revoke, groups, _ = connector.discover(account)
    connector.apply_planned(revoke)
    connector.apply(groups)
    assert pacer.buckets_used == ["token", *["get"] * 6, "post", "get", "put"]
    assert set(pacer.buckets_used) <= set(type(connector).rate_limits)


def _times(bucket: str, n: int) -> Iterator[float]:
    clock = [0.0]

    def sleep(seconds: float) -> None:  # a float-sized wait must still move the fake clock on
        clock[0] += max(seconds, 1e-9)

    tokens = TokenBucket(RATE_LIMITS[bucket], clock=lambda: clock[0], sleep=sleep)
    for _ in range(n):
        tokens.take()
        yield clock[0]


@pytest.mark.parametrize(("bucket", "windows"), [
    ("post", {1: 5, 60: 60}), ("put", {1: 5, 60: 60}), ("delete", {1: 5, 60: 60}), ("get", {60: 200}), ("token", {60: 10}),
])
def test_the_buckets_stay_under_bitwardens_limits(bucket: str, windows: dict[int, int]) -> None:
    """However the requests come, no window of the server's rules ever sees more than its limit."""
    times = list(_times(bucket, 400))
    for seconds, limit in windows.items():
        busiest = max(sum(1 for t in times if start <= t < start + seconds) for start in times)
        assert busiest <= limit, f"{bucket}: {busiest} requests in {seconds} s"


def test_no_key_or_token_in_any_error_or_log_line(emulator: BitwardenEmulator, org: Org,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """urllib3 logs each request at DEBUG; neither it nor any error may show the secret or a token."""
    import logging

    caplog.set_level(logging.DEBUG)
    connector = connect(emulator)
    seen: list[str] = []
    assert connector.resolve(ALICE) is not None  # a token that works
    for fault in ("429", "503", "reset"):
        emulator.faults.script.append(fault)
        with pytest.raises(ConnectorError) as caught:
            connector.resolve(ALICE)
        seen.append(str(caught.value))
    emulator.expire_tokens()
    with pytest.raises(RetriableError) as expired:
        connector.resolve(ALICE)
    seen.append(str(expired.value))
    emulator.org.use_api = False
    seen += connector.test_connection()
    text = "\n".join([*seen, caplog.text])
    assert "connect/token" in caplog.text  # the log is there, and still holds no secret
    for secret in [emulator.client_secret, *emulator.tokens]:
        assert secret not in text
