"""Resolve, discover and apply against the emulator, asserting what a committee member would notice."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from offboard.connectors.brex import BrexConnector, api
from offboard.connectors.brex.emulator import BrexEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import ConfigError, ConnectorContext, FatalError, Member, Phase, State
from offboard.testing.contract import order_for_apply
from tests.connectors.brex.conftest import ALICE, connect, discovered, resolved, seed

Make = Callable[..., BrexEmulator]


def test_construction_is_offline_and_checks_the_endpoint(emulator: BrexEmulator) -> None:
    connect(emulator)
    assert emulator.log == []
    context = ConnectorContext("Example Org", "example.org", Path("."), {})
    with pytest.raises(ConfigError) as plain:
        BrexConnector({"api_url": "http://brex.example.net"}, context)
    assert str(plain.value) == ("[connectors.brex] api_url 'http://brex.example.net' is plain http: use https, or for an "
                                "emulator on this machine (127.0.0.1, ::1, localhost) set insecure_endpoint = true")
    with pytest.raises(ConfigError, match=r"unknown key 'token'"):
        BrexConnector({"token": "bxt_x"}, context)
    assert BrexConnector({}, context).endpoints() == {}
    assert connect(emulator).endpoints() == {"api_url": emulator.url}


def test_resolve_by_email_by_roster_override_and_by_user_id(emulator: BrexEmulator) -> None:
    seeded = seed(emulator, email="a.liddell@example.org")
    connector = connect(emulator)
    assert connector.resolve(ALICE) is None  # the org email is not her Brex login
    by_email = connector.resolve(Member(ALICE.id, ALICE.name, ALICE.email, identities={"brex": "A.Liddell@example.org"}))
    by_id = connector.resolve(Member(ALICE.id, ALICE.name, ALICE.email, identities={"brex": seeded.uid}))
    assert by_email is not None and by_id is not None and by_email == by_id
    assert (by_email.id, by_email.label, by_email.attributes) == (
        seeded.uid, "a.liddell@example.org",
        {"active": True, "status": "ACTIVE", "email": "a.liddell@example.org", "name": "Alice Liddell"})
    assert connector.resolve(Member("m", "X", "x@example.org", identities={"brex": "cuuser_nobody"})) is None
    assert [r.query for r in emulator.requests("GET", "/v2/users")][:2] == [{"email": ["alice@example.org"]},
                                                                           {"email": ["A.Liddell@example.org"]}]


def test_the_plan_locks_what_can_spend_and_then_suspends(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    planned = discovered(connector)
    assert [(a.id, a.kind, a.phase, a.reversible) for a in planned] == [
        (f"brex:card-lock:{seeded.virtual}", "card-lock", Phase.CUT, True),
        (f"brex:card-lock:{seeded.physical}", "card-lock", Phase.CUT, True),
        (f"brex:user-suspend:{seeded.uid}", "user-suspend", Phase.CUT, True),
    ]
    assert [a.summary for a in planned] == [
        "Lock the Brex card Travel (virtual, ending 4003) of alice@example.org",
        "Lock the Brex card Events (physical, ending 4004) of alice@example.org",
        "Suspend the Brex account of alice@example.org (status DISABLED): no sign-in, no spending; "
        "1 card locked before stays locked",
    ]
    suspend = planned[-1]
    assert suspend.depends_on == (planned[0].id, planned[1].id)
    assert [(c["card_name"], c["status"]) for c in suspend.before["cards"]] == [
        ("Travel", "ACTIVE"), ("Events", "SHIPPED"), ("Old project", "LOCKED"), ("Lost wallet", "TERMINATED")]
    assert planned[0].params["reason"] == "OTHER"


def test_expel_with_terminate_cards_terminates_every_card_and_says_it_cannot_be_undone(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    planned = discovered(connector, {"terminate_cards": True})
    terminations = [a for a in planned if a.kind == "card-terminate"]
    assert [a.params["card"] for a in terminations] == [seeded.virtual, seeded.physical, seeded.locked]
    assert all(not a.reversible for a in terminations)
    assert terminations[0].summary == ("Terminate the Brex card Travel (virtual, ending 4003) of alice@example.org "
                                       "(Brex cannot undo this: new cards must be ordered)")
    assert planned[-1].kind == "user-suspend" and planned[-1].summary.endswith("no sign-in, no spending")
    for action in order_for_apply(planned):
        assert connector.apply(action).state is State.CHANGED
    assert [emulator.status_of(c) for c in (seeded.virtual, seeded.physical, seeded.locked, seeded.terminated)] == \
        ["TERMINATED"] * 4
    bodies = [json.loads(r.body) for r in emulator.requests("POST", "/terminate")]
    assert bodies == [{"reason": "OTHER", "description": "Terminated by Example Org with offboard: the cardholder's "
                                                         "access was ended"}] * 3


def test_playbook_options_are_checked_before_anything_is_read(emulator: BrexEmulator) -> None:
    connector = connect(emulator)
    account = resolved(connector, Member("m", "F", emulator.account.users[emulator.admin_id].email))
    emulator.clear_log()
    with pytest.raises(FatalError) as unknown:
        connector.discover(account, {"terminate": True})
    assert str(unknown.value) == ("the playbook's brex step has unknown option(s) terminate (known: terminate_cards): "
                                  "fix the playbook")
    with pytest.raises(FatalError, match=r"terminate_cards must be true or false"):
        connector.discover(account, {"terminate_cards": "yes"})
    assert emulator.log == []


def test_a_disabled_member_with_locked_cards_has_nothing_left(emulator: BrexEmulator) -> None:
    with emulator.lock:
        uid = emulator.account.add_user("Fran", "Former", "fran@example.org", "DISABLED")
        emulator.account.add_card(uid, "Online", status="LOCKED")
    connector = connect(emulator)
    assert discovered(connector, member=Member("m050", "Fran Former", "fran@example.org")) == []


def test_the_lock_says_why_in_ascii_even_for_a_non_ascii_org(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator, org_name="Société des Bénévoles — Zürich")
    lock = discovered(connector)[0]
    assert lock.params["description"] == ("Locked by Societe des Benevoles Zurich with offboard: the cardholder's access "
                                          "was suspended")
    assert connector.apply(lock).state is State.CHANGED
    assert json.loads(emulator.requests("POST", "/lock")[0].body) == {"reason": "OTHER",
                                                                      "description": lock.params["description"]}
    assert emulator.status_of(seeded.virtual) == "LOCKED"
    assert api.ascii_text("Ærø\tline\nbreak\x7f 😀") == "r line break"


def test_every_write_carries_an_idempotency_key_and_every_request_our_user_agent(emulator: BrexEmulator) -> None:
    seed(emulator)
    connector = connect(emulator)
    for action in order_for_apply(discovered(connector)):
        connector.apply(action)
    assert [r.method for r in emulator.writes()] == ["POST", "POST", "PUT"]
    keys = [r.headers["idempotency-key"] for r in emulator.writes()]
    assert len(set(keys)) == 3 and all(k.startswith("offboard-") for k in keys)
    assert not any("idempotency-key" in r.headers for r in emulator.requests("GET"))
    assert {r.headers["user-agent"].split("/")[0] for r in emulator.log} == {"offboard"}
    assert json.loads(emulator.requests("PUT")[0].body) == {"status": "DISABLED"}


def test_the_inventory_pages_through_every_user_with_who_is_active(make_emulator: Make,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = make_emulator()
    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    with emulator.lock:
        for status in ("INVITED", "DISABLED", "PENDING_ACTIVATION", "DELETED", "CLOSED"):
            emulator.account.add_user("User", status.title(), f"{status.lower()}@example.org", status)
    accounts = list(connect(emulator).inventory())
    assert {a.label: a.active for a in accounts} == {
        "admin@example.org": True, "invited@example.org": True, "disabled@example.org": False,
        "pending_activation@example.org": True, "deleted@example.org": False, "closed@example.org": False}
    pages = emulator.requests("GET", "/v2/users")
    assert len(pages) == 3 and "cursor" not in pages[0].query and all("cursor" in p.query for p in pages[1:])
    assert all(p.query["limit"] == ["2"] for p in pages)


def test_cards_are_read_page_by_page(emulator: BrexEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = seed(emulator)
    monkeypatch.setattr(api, "PAGE_SIZE", 3)
    connector = connect(emulator)
    planned = discovered(connector)
    assert len(planned[-1].before["cards"]) == 4
    assert [r.query.get("cursor") is not None for r in emulator.requests("GET", "/v2/cards")] == [False, True]
    assert {a.params.get("card") for a in planned} == {seeded.virtual, seeded.physical, None}


class RecordingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__()
        self.paced: list[str] = []

    def pace(self, bucket: str) -> None:
        self.paced.append(bucket)


def test_every_request_is_paced_in_the_one_bucket(emulator: BrexEmulator) -> None:
    seed(emulator)
    pacer = RecordingPacer()
    connector = connect(emulator, pacer=pacer)
    for action in order_for_apply(discovered(connector)):
        connector.apply(action)
    assert pacer.paced == ["requests"] * len(emulator.log)
    assert BrexConnector.rate_limits["requests"].requests == 1000 and BrexConnector.rate_limits["requests"].per_seconds == 60


def test_no_minute_of_pacing_holds_more_than_brexs_1000_requests() -> None:
    """Brex counts any 60 seconds' requests: a bucket refilled while full would let 1,000 through at once and
    nearly as many again within the same minute, each of them answered 429."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(api.RATE_LIMITS, clock=lambda: now[0], sleep=sleep)
    sent: list[float] = []
    first = 0
    for _ in range(2500):
        pacer.pace(api.BUCKET)
        sent.append(now[0])
        while sent[first] <= now[0] - 60:
            first += 1
        assert len(sent) - first <= 1000, f"{len(sent) - first} requests within 60 seconds at {now[0]:.1f} s"


def test_resolve_by_email_takes_the_account_that_can_still_be_used(emulator: BrexEmulator) -> None:
    """A member whose first Brex account was closed, then invited again: the same email twice."""
    with emulator.lock:
        closed = emulator.account.add_user("Alice", "Liddell", ALICE.email, "CLOSED")
        emulator.account.add_card(closed, "Old", "VIRTUAL", "TERMINATED")
    seeded = seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None and account.id == seeded.uid and account.active
    assert [a.kind for a in connector.discover(account)] == ["card-lock", "card-lock", "user-suspend"]
