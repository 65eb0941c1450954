"""Throttling in both of Slack's forms, other failures, and pacing: classified here, retried by the engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from offboard.connectors.slack.api import RATE_LIMITS
from offboard.connectors.slack.emulator import SlackEmulator
from offboard.connectors.slack.errors import DEFAULT_RATELIMIT_WAIT

from offboard.apply.pacing import Pacer
from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import AuthError, NotFoundError, RetriableError, State
from tests.connectors.slack.conftest import ALICE, connect

Make = Callable[..., SlackEmulator]


def test_http_429_is_retriable_with_its_retry_after(emulator: SlackEmulator) -> None:
    emulator.seed_member(ALICE.email, ALICE.name)
    emulator.faults.retry_after = 7
    emulator.faults.script_match = "users.lookupByEmail"
    emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as caught:
        connect(emulator).resolve(ALICE)
    assert caught.value.retry_after == 7.0 and str(caught.value) == "Slack throttled users.lookupByEmail"


def test_http_200_ratelimited_is_retriable_too(emulator: SlackEmulator) -> None:
    emulator.seed_member(ALICE.email, ALICE.name)
    emulator.ratelimit_soft(method="users.lookupByEmail", retry_after=12)
    emulator.ratelimit_soft(method="users.lookupByEmail")
    connector = connect(emulator)
    with pytest.raises(RetriableError) as with_header:
        connector.resolve(ALICE)
    with pytest.raises(RetriableError) as without_header:
        connector.resolve(ALICE)
    assert with_header.value.retry_after == 12.0
    assert without_header.value.retry_after == DEFAULT_RATELIMIT_WAIT
    assert [r.status for r in emulator.requests(path_contains="lookupByEmail")] == [200, 200]


def test_the_engine_retries_both_forms_honouring_the_wait(make_emulator: Make) -> None:
    emulator = make_emulator("pro")
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=1)
    connector = connect(emulator)
    kick = next(a for a in connector.discover(connector.resolve(ALICE)) if a.kind == "channel-kick")
    emulator.faults.retry_after = 3
    emulator.faults.script_match = "conversations.kick"
    emulator.faults.script.append("429")
    emulator.ratelimit_soft(method="conversations.kick", retry_after=5)
    waits: list[float] = []
    attempted = call_with_retries(lambda: connector.apply(kick), RetryPolicy(sleep=waits.append))
    assert attempted.error is None and attempted.value.state is State.CHANGED
    assert attempted.attempts == 3 and waits[0] >= 3 and waits[1] >= 5
    assert [r.status for r in emulator.requests(path_contains="conversations.kick")] == [429, 200, 200]


def test_slack_sdk_does_not_retry_behind_the_engine(emulator: SlackEmulator) -> None:
    emulator.seed_member(ALICE.email, ALICE.name)
    emulator.faults.script_match = "users.lookupByEmail"
    emulator.faults.script.extend(["reset", "503"])
    connector = connect(emulator)
    with pytest.raises(RetriableError, match=r"could not reach Slack for users\.lookupByEmail"):
        connector.resolve(ALICE)
    with pytest.raises(RetriableError, match=r"failed for now \(internal_error\)"):
        connector.resolve(ALICE)
    assert len(emulator.requests(path_contains="lookupByEmail")) == 2, "one request per call: no hidden retries"


def test_tier_limits_answer_429_with_the_time_left(emulator: SlackEmulator) -> None:
    connector = connect(emulator)
    for _ in range(20):  # usergroups.list is tier 2: 20 a minute
        connector.api.call("usergroups.list")
    with pytest.raises(RetriableError) as caught:
        connector.api.call("usergroups.list")
    assert 55 <= caught.value.retry_after <= 60
    emulator.enforce_rate_limits = False
    connector.api.call("usergroups.list")


def test_scim_throttling_and_refusals(make_emulator: Make) -> None:
    emulator = make_emulator("business+")
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    connector = connect(emulator)
    emulator.faults.retry_after = 4
    emulator.faults.script_match = "/scim/"
    emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as caught:
        connector.api.scim_call("DELETE", f"Users/{uid}", "deactivate user")
    assert caught.value.retry_after == 4.0
    with pytest.raises(NotFoundError):
        connector.api.scim_call("DELETE", "Users/U404", "deactivate user")
    emulator.set_plan("pro")
    with pytest.raises(AuthError, match="set scim = false"):
        connector.api.scim_call("DELETE", f"Users/{uid}", "deactivate user")


def test_missing_scope_names_the_scope_and_where_to_add_it(emulator: SlackEmulator) -> None:
    emulator.seed_member(ALICE.email, ALICE.name)
    token = emulator.issue_token(scopes=["users:read"])
    with pytest.raises(AuthError) as caught:
        connect(emulator, token=token).resolve(ALICE)
    message = str(caught.value)
    assert message == ("Slack users.lookupByEmail needs the scope users:read.email, which the token lacks: add it "
                       "under OAuth & Permissions in the Slack app's settings, reinstall the app and use the new token")
    assert token not in message


def test_a_bad_token_is_an_auth_error_without_the_token(emulator: SlackEmulator) -> None:
    with pytest.raises(AuthError) as caught:
        connect(emulator, token="xoxp-not-a-real-token").resolve(ALICE)
    assert "invalid_auth" in str(caught.value) and "xoxp-not-a-real-token" not in str(caught.value)


class RecordingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__()
        self.paced: list[str] = []

    def pace(self, bucket: str) -> None:
        self.paced.append(bucket)


def test_every_call_is_paced_in_its_tier(make_emulator: Make) -> None:
    emulator = make_emulator("pro")
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=2, usergroups=1)
    pacer = RecordingPacer()
    connector = connect(emulator, pacer=pacer)
    actions = connector.discover(connector.resolve(ALICE))
    assert pacer.paced == ["tier3", "tier4", "tier3", "tier2"]  # lookup, info, conversations, usergroups
    pacer.paced.clear()
    for action in actions:
        if action.kind == "channel-kick":
            connector.apply(action)
    assert pacer.paced == ["tier4", "tier3"] * 2  # members check, then kick
    assert set(pacer.paced) <= set(RATE_LIMITS)


class FakeTime:
    """One clock for the pacer and the emulator: a wait moves it on instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_tier_pacing_kicks_from_200_channels_without_one_429(make_emulator: Make) -> None:
    """Slack counts any minute's calls; a refilling bucket sent 50 at once and its refill within the minute."""
    emulator = make_emulator("pro")
    uid = emulator.seed_member(ALICE.email, ALICE.name, private_channels=200)
    clock = FakeTime()
    emulator.clock = clock
    connector = connect(emulator, pacer=Pacer(RATE_LIMITS, clock=clock, sleep=clock.sleep))
    kicks = [a for a in connector.discover(connector.resolve(ALICE)) if a.kind == "channel-kick"]
    assert len(kicks) == 200
    for action in kicks:
        assert connector.apply_planned(action).state is State.CHANGED
    assert [r for r in emulator.log if r.status == 429] == []
    assert not any(uid in c.members for c in emulator.workspace.channels.values() if c.is_private)
    minutes = (clock.now - 1000.0) / 60
    assert 3 <= minutes < 4.2  # 200 kicks at 50 a minute: three full windows waited, no more
