"""The connector over the emulator: who it finds, what it plans, the token it keeps, and how it pages and paces."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import pytest
from offboard.connectors.ramp.api import BUCKET, RATE_LIMITS
from offboard.connectors.ramp.emulator import RampEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import ConfigError, FatalError, Member, Phase, RetriableError, State
from offboard.spi.http import user_agent
from tests.connectors.ramp.conftest import ALICE, BOB, connect, seed


def test_resolve_by_email_and_by_the_roster_column(emulator: RampEmulator) -> None:
    s = seed(emulator)
    connector = connect(emulator)
    found = connector.resolve(ALICE)
    assert found is not None and (found.id, found.label) == (s.alice, ALICE.email)
    assert found.attributes == {"active": True, "status": "USER_ACTIVE", "role": "BUSINESS_USER", "name": "Alice Liddell"}
    by_other_email = Member("m-x", "Bob", "bob@personal.example", identities={"ramp": BOB.email})
    by_id = Member("m-y", "Bob", "nobody@example.org", identities={"ramp": s.bob})
    assert connector.resolve(by_other_email).id == connector.resolve(by_id).id == s.bob  # type: ignore[union-attr]
    assert connector.resolve(Member("m-z", "Zed", "zed@example.org")) is None
    assert connector.resolve(Member("m-w", "Wes", "w@example.org", identities={"ramp": "not-a-user"})) is None
    assert emulator.writes() == []


def test_a_suspended_user_is_found_by_asking_for_them(emulator: RampEmulator) -> None:
    """Ramp's users list leaves USER_SUSPENDED out unless asked: the lookup asks a second time."""
    uid = emulator.org.add_user(ALICE.email, "Alice", "Liddell", status="USER_SUSPENDED")
    found = connect(emulator).resolve(ALICE)
    assert found is not None and found.id == uid and found.attributes["active"] is False
    assert [r.query.get("status") for r in emulator.requests("GET", "/users")] == [None, ["USER_SUSPENDED"]]


def test_the_plan_deactivates_and_suspends_the_cards_that_can_still_pay(emulator: RampEmulator) -> None:
    s = seed(emulator)
    connector = connect(emulator)
    actions = connector.discover(connector.resolve(ALICE))  # type: ignore[arg-type]
    assert [(a.id, a.kind, a.phase, a.reversible) for a in actions] == [
        (f"ramp:deactivate:{s.alice}", "deactivate", Phase.CUT, True),
        (f"ramp:card-suspend:{s.virtual}", "card-suspend", Phase.CUT, True),
        (f"ramp:card-suspend:{s.physical}", "card-suspend", Phase.CUT, True),
    ]  # the card suspended before is left alone; the terminated one is not even listed
    deactivate, virtual, physical = actions
    assert deactivate.summary == ("Deactivate the Ramp user Alice Liddell (alice@example.org): they can no longer sign "
                                  "in, spend on any card or receive Ramp's notifications")
    four = emulator.org.cards[s.virtual]["last_four"]
    assert virtual.summary == f"Suspend the Ramp card T&E ••••{four} (virtual) of alice@example.org"
    assert physical.before == {"card": {"id": s.physical, "name": "Travel", "physical": True,
                                        "last_four": emulator.org.cards[s.physical]["last_four"]}, "state": "ACTIVE"}
    assert emulator.writes() == []


def test_terminate_cards_terminates_every_card_not_yet_terminated(emulator: RampEmulator) -> None:
    s = seed(emulator)
    connector = connect(emulator)
    actions = connector.discover(connector.resolve(ALICE), {"terminate_cards": True})  # type: ignore[arg-type]
    terminations = [a for a in actions if a.kind == "card-terminate"]
    assert {a.params["card"] for a in terminations} == {s.virtual, s.physical, s.suspended_before}
    assert all(not a.reversible and "cannot be undone" in a.summary for a in terminations)
    for action in terminations:
        assert connector.apply(action).state is State.CHANGED
    assert {emulator.org.cards[c]["state"] for c in (s.virtual, s.physical, s.suspended_before)} == {"TERMINATED"}


def test_a_wrong_option_is_refused_before_anything_is_read(emulator: RampEmulator) -> None:
    seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    emulator.clear_log()
    with pytest.raises(FatalError, match=r"^the playbook's ramp step has unknown option\(s\) terminate \(known: "
                                         r"terminate_cards\): fix the playbook$"):
        connector.discover(account, {"terminate": True})  # type: ignore[arg-type]
    with pytest.raises(FatalError, match="must be true or false"):
        connector.discover(account, {"terminate_cards": "yes"})  # type: ignore[arg-type]
    assert emulator.log == []


def test_a_pending_invitation_is_a_step_that_closes_itself(emulator: RampEmulator) -> None:
    uid = emulator.org.add_user(ALICE.email, "Alice", "Liddell", status="INVITE_PENDING")
    connector = connect(emulator)
    (step,) = connector.discover(connector.resolve(ALICE))  # type: ignore[arg-type]
    assert (step.kind, step.phase) == ("cancel-invite", Phase.MANUAL)
    assert step.manual is not None and step.manual.self_closing
    assert connector.apply(step).state is State.MANUAL and connector.check(step) is False
    emulator.org.users[uid]["status"] = "INVITE_DELETED"  # an admin cancels it in Company > People
    assert connector.check(step) is True and connector.apply(step).state is State.OK
    assert emulator.writes() == []


def test_one_token_serves_every_request_until_it_runs_out(make_emulator: Callable[..., RampEmulator]) -> None:
    now = [1000.0]
    emulator = make_emulator(token_lifetime=3600)
    seed(emulator)
    connector = connect(emulator)
    connector.api._clock = lambda: now[0]
    for _ in range(3):
        connector.discover(connector.resolve(ALICE))  # type: ignore[arg-type]
    assert len(emulator.requests("POST", "/token")) == 1
    now[0] += 3600 - 59  # in the last minute of its hour: a new one, before Ramp refuses the old one
    connector.resolve(ALICE)
    assert len(emulator.requests("POST", "/token")) == 2
    token_request = emulator.requests("POST", "/token")[0]
    assert parse_qs(token_request.body.decode()) == {"grant_type": ["client_credentials"],
                                                     "scope": ["users:read users:write cards:read cards:write"]}
    assert token_request.headers["authorization"].startswith("Basic ")


def test_threads_share_one_token(emulator: RampEmulator) -> None:
    seed(emulator)
    connector = connect(emulator)
    with ThreadPoolExecutor(max_workers=connector.max_concurrency) as pool:
        found = list(pool.map(lambda _: connector.resolve(ALICE), range(8)))
    assert all(f is not None for f in found)
    assert len(emulator.requests("POST", "/token")) == 1


def test_a_token_ramp_stops_accepting_is_replaced_on_the_next_try(emulator: RampEmulator) -> None:
    seed(emulator)
    connector = connect(emulator, engine=False)
    connector.resolve(ALICE)
    emulator.expire_tokens()
    with pytest.raises(RetriableError, match=r"no longer accepts the access token \(asked to look up a user by email\): a new one"):
        connector.resolve(ALICE)
    assert connector.resolve(ALICE) is not None  # the engine's next try
    assert len(emulator.requests("POST", "/token")) == 2
    assert connect(emulator).resolve(ALICE) is not None  # through the engine: retried on its own


class RecordingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__()
        self.paced: list[str] = []

    def pace(self, bucket: str) -> None:
        self.paced.append(bucket)


def test_every_request_is_paced_the_token_request_too(emulator: RampEmulator) -> None:
    seed(emulator)
    pacer = RecordingPacer()
    connector = connect(emulator, pacer=pacer)
    for action in connector.discover(connector.resolve(ALICE)):  # type: ignore[arg-type]
        connector.apply(action)
    assert pacer.paced == [BUCKET] * len(emulator.log) and set(pacer.paced) <= set(RATE_LIMITS)
    limit = RATE_LIMITS[BUCKET]
    assert (limit.burst or 0) + limit.requests <= 200, "more than Ramp's 200 in some 10-second window"
    assert limit.per_seconds == 10


def test_inventory_pages_every_user_the_suspended_ones_too(emulator: RampEmulator) -> None:
    for i in range(150):
        emulator.org.add_user(f"u{i}@example.org", "U", str(i))
    emulator.org.add_user("sus@example.org", "Sus", "Pended", status="USER_SUSPENDED")
    emulator.org.add_user("gone@example.org", "Gone", "Away", status="USER_INACTIVE")
    accounts = list(connect(emulator).inventory())
    assert len(accounts) == 153 and len({a.id for a in accounts}) == 153  # the admin too
    active = {a.label: a.active for a in accounts}
    assert active["sus@example.org"] is False and active["gone@example.org"] is False and active["u0@example.org"]
    pages = [r.query for r in emulator.requests("GET", "/developer/v1/users")]
    assert [q.get("page_size") for q in pages] == [["100"]] * 3
    assert "start" in pages[1] and pages[2].get("status") == ["USER_SUSPENDED"]


def test_page_next_is_read_for_its_query_only(make_emulator: Callable[..., RampEmulator]) -> None:
    """A bearer token never follows a host named in an answer: only ``page.next``'s query is used."""
    emulator = make_emulator()
    for i in range(120):
        emulator.org.add_user(f"u{i}@example.org", "U", str(i))
    connector = connect(emulator)
    original = connector.api.call

    def elsewhere(*args: Any, **kwargs: Any) -> Any:
        answer = original(*args, **kwargs)
        if isinstance(answer, dict) and answer.get("page", {}).get("next"):
            answer["page"]["next"] = answer["page"]["next"].replace(emulator.url, "https://evil.example")
        return answer

    connector.api.call = elsewhere  # type: ignore[method-assign]
    assert len(list(connector.inventory())) == 121


def test_requests_say_who_sends_them(emulator: RampEmulator) -> None:
    seed(emulator)
    connect(emulator).resolve(ALICE)
    assert {r.headers["user-agent"] for r in emulator.log} == {user_agent()}
    assert user_agent().startswith("offboard/")


def test_plain_http_only_to_an_emulator_on_this_machine(emulator: RampEmulator) -> None:
    with pytest.raises(ConfigError, match=r"\[connectors.ramp\] api_url 'http://ramp.example' is plain http: use https"):
        connect(emulator, api_url="http://ramp.example", insecure_endpoint=False)
    with pytest.raises(ConfigError, match="unknown key 'token_env'"):
        connect(emulator, token_env="X")
    assert connect(emulator).endpoints() == {"api_url": emulator.url}
    assert connect(emulator, api_url="https://api.ramp.com", insecure_endpoint=False).endpoints() == {}
