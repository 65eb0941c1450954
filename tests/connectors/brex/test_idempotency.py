"""Idempotency-Key: the same for every send of one action (retried, resumed), never trusted alone.

Keys are derived from the action as the journal keeps it (id, kind, before) and the request; the
emulator remembers them for ever and replays the first answer, the harshest reading of Brex's docs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from offboard.connectors.brex import BrexConnector, idempotency
from offboard.connectors.brex.emulator import BrexEmulator

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import Action, FatalError, RetriableError, State
from offboard.testing.contract import order_for_apply
from tests.connectors.brex.conftest import ALICE, connect, discovered, resolved, seed


def plan(connector: BrexConnector) -> list[Action]:
    return order_for_apply(discovered(connector))


def journaled(action: Action) -> Action:
    """The action as a resumed run reads it back from the journal."""
    return Action.from_dict(json.loads(json.dumps(action.to_dict())))


def suspend_and_reinstate(connector: BrexConnector) -> list[Action]:
    applied = plan(connector)
    for action in applied:
        assert connector.apply(action).state is State.CHANGED
    for action in order_for_apply(connector.plan_restore(resolved(connector), applied).actions):
        assert connector.apply(action).state is State.CHANGED
    return applied


def keys(emulator: BrexEmulator, path: str) -> list[str]:
    return [r.headers["idempotency-key"] for r in emulator.requests("POST", path)]


def test_the_key_is_the_actions_own_and_survives_the_journal(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    lock, other, _ = plan(connect(emulator))
    path, body = f"/v2/cards/{seeded.virtual}/lock", {"reason": "OTHER", "description": "x"}
    first = idempotency.key(lock, "POST", path, body)
    assert first == idempotency.key(journaled(lock), "POST", path, body)
    assert first != idempotency.key(other, "POST", path, body)
    assert first != idempotency.key(lock, "POST", path, {**body, "reason": "FRAUD"})
    assert first != idempotency.key(lock, "POST", path, body, generation=1)
    assert len(first) <= 64 and first.startswith("offboard-")


def test_a_lock_whose_answer_was_lost_is_sent_again_under_the_same_key_and_changes_once(
        emulator: BrexEmulator, sleeps: list[float]) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    lock = plan(connector)[0]
    emulator.faults.script_match, emulator.faults.script_method = "/lock", "POST"
    emulator.faults.script.append("drop")  # Brex locks the card, the answer never arrives
    attempted = call_with_retries(lambda: connector.apply_planned(lock), RetryPolicy())  # the engine retries the action
    assert attempted.value is not None
    assert attempted.value.state is State.CHANGED and attempted.attempts == 2
    sent = emulator.requests("POST", "/lock")
    assert [r.dropped for r in sent] == [True, False]
    assert len(set(keys(emulator, "/lock"))) == 1  # the same key both times...
    assert emulator.replays == 1 and len(emulator.account.cards[seeded.virtual].history) == 1  # ...so one lock


def test_a_resumed_action_looks_first_and_reuses_its_key(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    lock = plan(connector)[0]
    emulator.faults.script_match, emulator.faults.script_method = "/lock", "POST"
    emulator.faults.script.append("reset")  # the run dies with the request unanswered and not carried out
    with pytest.raises(RetriableError, match=r"^could not reach Brex to lock the card Travel"):
        connector.apply(lock)
    resumed = journaled(lock)
    assert connect(emulator).check(resumed) is False
    assert connect(emulator).apply(resumed).state is State.CHANGED
    assert len(keys(emulator, "/lock")) == 2 and len(set(keys(emulator, "/lock"))) == 1
    assert emulator.status_of(seeded.virtual) == "LOCKED"
    # resumed once more (the outcome was lost too): it looks, sees the lock, and sends nothing
    assert connect(emulator).check(resumed) is True
    assert connect(emulator).apply(journaled(lock)).state is State.OK
    assert len(emulator.requests("POST", "/lock")) == 2


def test_a_later_suspension_is_not_fooled_by_the_answer_brex_kept_for_the_first(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    first = suspend_and_reinstate(connector)
    first_keys = keys(emulator, f"/v2/cards/{seeded.virtual}/lock")
    emulator.clear_log()
    again = plan(connector)
    assert [a.to_dict() for a in again] == [a.to_dict() for a in first]  # the same change, from the same state
    for action in again:
        assert connector.apply(action).state is State.CHANGED
    sent = keys(emulator, f"/v2/cards/{seeded.virtual}/lock")
    assert sent[0] == first_keys[0] and sent[1] != sent[0]  # replayed, seen not done, sent under the next key
    assert [emulator.status_of(c) for c in (seeded.virtual, seeded.physical, seeded.locked)] == ["LOCKED"] * 3
    assert emulator.status_of(seeded.uid) == "DISABLED"
    assert emulator.replays == 3  # both locks and the suspension were answered from the first run


def test_once_brex_forgot_the_key_one_request_does(emulator: BrexEmulator) -> None:
    seed(emulator)
    connector = connect(emulator)
    suspend_and_reinstate(connector)
    emulator.forget_idempotency_keys()
    emulator.clear_log()
    for action in plan(connector):
        assert connector.apply(action).state is State.CHANGED
    assert len(emulator.writes()) == 3 and emulator.replays == 0


def test_when_every_key_was_spent_the_action_fails_and_says_what_to_do(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    for _ in range(idempotency.GENERATIONS):
        suspend_and_reinstate(connector)
    lock = plan(connector)[0]
    outcome = connector.apply(lock)
    assert outcome.state is State.FAILED and outcome.observed == {"status": "ACTIVE"}
    assert outcome.detail == ("Brex answered the request to lock the card Travel (virtual, ending 4003) of alice@example.org "
                              "3 times, yet it is not in place: Brex may be replaying the answers to identical earlier "
                              "requests; do it in the Brex dashboard, or run `offboard resume` later")
    assert emulator.status_of(seeded.virtual) == "ACTIVE"


def test_a_key_another_request_used_is_passed_over_and_only_running_out_of_keys_is_an_error(
        emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    lock = plan(connector)[0]
    path = f"/v2/cards/{seeded.virtual}/lock"
    body = {"reason": "OTHER", "description": lock.params["description"]}

    def taken(generation: int) -> None:  # someone else's request under a key offboard will use
        connector.api.write("PUT", f"/v2/users/{emulator.admin_id}", "update the admin",
                            idempotency.key(lock, "POST", path, body, generation), {"status": "ACTIVE"})

    taken(0)
    assert connector.apply(lock).state is State.CHANGED
    assert [r.status for r in emulator.requests("POST", path)] == [409, 200]
    assert keys(emulator, path)[1] == idempotency.key(lock, "POST", path, body, generation=1)
    with emulator.lock:
        emulator.account.unlock(seeded.virtual)
    emulator.forget_idempotency_keys()
    for generation in range(idempotency.GENERATIONS):
        taken(generation)
    with pytest.raises(FatalError) as caught:
        connector.apply(lock)
    assert str(caught.value) == (
        "Brex refused to lock the card Travel (virtual, ending 4003) of alice@example.org (HTTP 409 CONFLICT: "
        "Idempotency-Key was already used with a different request): it says this request conflicts with an earlier "
        "one under the same Idempotency-Key, which offboard derives from the action and its body; nothing was changed "
        "by this request: run `offboard resume` to look again, or do it in the Brex dashboard")
    assert emulator.status_of(seeded.virtual) == "ACTIVE"


def test_a_refusal_brex_kept_from_an_earlier_suspension_is_not_the_last_word(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    connector = connect(emulator)
    lock = plan(connector)[0]
    with emulator.lock:
        emulator.account.lock(seeded.virtual, {"reason": "FRAUD"})  # in the dashboard, just before the run
    assert connector.apply_planned(lock).state is State.OK  # Brex refused the lock: the card was locked already
    with emulator.lock:
        emulator.account.unlock(seeded.virtual)  # the suspension ends (the card comes back by hand)
    again = plan(connector)[0]
    assert again.to_dict() == lock.to_dict()
    assert connector.apply_planned(again).state is State.CHANGED
    path = f"/v2/cards/{seeded.virtual}/lock"
    assert [r.status for r in emulator.requests("POST", path)] == [400, 400, 200]  # the kept refusal, then a new key
    assert emulator.status_of(seeded.virtual) == "LOCKED"


def test_the_engine_resumes_a_run_killed_mid_write_with_the_same_keys(emulator: BrexEmulator, tmp_path: Path) -> None:
    """A run dies after Brex suspended the account but before the answer came back; ``offboard resume`` runs it again."""
    from offboard.apply.engine import Engine
    from offboard.apply.journal import Journal

    seeded = seed(emulator)
    connector = connect(emulator)
    actions = plan(connector)
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.create_run("r1", "suspend", ALICE.id, ALICE.name, "tester", {}, [("brex", a) for a in actions])
    emulator.faults.script_match, emulator.faults.script_method = "/v2/users/", "PUT"
    emulator.faults.script.extend(["drop"] * 6)  # every answer to the suspension is lost: the action fails for now
    Engine(journal, {"brex": connector}, RetryPolicy(sleep=lambda s: None)).execute("r1", fresh=True)
    states = {row.action.id: row.state for row in journal.actions("r1")}
    assert states[f"brex:user-suspend:{seeded.uid}"] == State.FAILED.value
    assert emulator.status_of(seeded.uid) == "DISABLED"  # Brex did it, the answers were lost
    puts = emulator.requests("PUT")  # the engine's retries of the planned write: each under the same key
    assert len(puts) == 6 and len({r.headers["idempotency-key"] for r in puts}) == 1 and emulator.replays == 5
    emulator.faults.script.clear()
    journal.mark_intent("r1", "brex", f"brex:user-suspend:{seeded.uid}")  # as a crash leaves it
    Engine(journal, {"brex": connect(emulator)}, RetryPolicy(sleep=lambda s: None)).execute("r1")
    resumed = {row.action.id: (row.state, row.detail) for row in journal.actions("r1")}
    assert resumed[f"brex:user-suspend:{seeded.uid}"] == (State.OK.value, "found done when the run was resumed")
    assert len(emulator.requests("PUT")) == 6  # resumed: it looked, and sent nothing
