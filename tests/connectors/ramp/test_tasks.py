"""Ramp's deferred card tasks: followed through the engine's retries, never reported done before SUCCESS, one task
per action however often it is tried or resumed, and an ERROR task a failure with Ramp's reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from offboard.connectors.ramp import RampConnector
from offboard.connectors.ramp.emulator import RampEmulator
from offboard.connectors.ramp.tasks import POLL_WAIT, SUSPENSION, TaskPending, follow, idempotency_key

from offboard.apply.engine import Engine
from offboard.apply.journal import ActionRow, Journal
from offboard.apply.retry import RetryPolicy
from offboard.spi import Action, FatalError, RetriableError, State
from offboard.testing.contract import order_for_apply
from tests.connectors.ramp.conftest import ALICE, Seeded, Waits, connect, seed


def suspension_of(connector: RampConnector, card_id: str) -> Action:
    account = connector.resolve(ALICE)
    assert account is not None
    return next(a for a in connector.discover(account) if a.id == f"ramp:card-suspend:{card_id}")


def label(emulator: RampEmulator, card_id: str) -> str:
    card = emulator.org.cards[card_id]
    return f"{card['display_name']} ••••{card['last_four']} ({'physical' if card['is_physical'] else 'virtual'})"


def keys_sent(emulator: RampEmulator) -> list[str]:
    return [json.loads(r.body)["idempotency_key"] for r in emulator.task_requests()]


def test_a_running_task_is_read_again_by_the_engine_after_its_wait(emulator: RampEmulator) -> None:
    s = seed(emulator)
    emulator.org.task_polls = 3
    waits = Waits()
    connector = connect(emulator, waits=waits)
    outcome = connector.apply(suspension_of(connector, s.virtual))
    (task_id,) = emulator.org.tasks
    assert outcome.state is State.CHANGED
    assert outcome.detail == f"suspended card {label(emulator, s.virtual)} (Ramp task {task_id})"
    assert outcome.observed == {"state": "SUSPENDED", "task": task_id}
    assert len(emulator.requests("GET", "/deferred/status/")) == 4  # three IN_PROGRESS, then SUCCESS
    assert len(waits.seconds) == 3 and all(wait >= POLL_WAIT for wait in waits.seconds)  # the engine waits, not Ramp's client


def test_a_task_still_running_is_never_reported_done(emulator: RampEmulator) -> None:
    s = seed(emulator)
    emulator.org.task_polls = 10
    connector = connect(emulator, engine=False)  # each read tried once: the pending answer comes straight out
    suspend = suspension_of(connector, s.virtual)
    with pytest.raises(RetriableError) as caught:
        connector.apply(suspend)
    (task_id,) = emulator.org.tasks
    assert isinstance(caught.value, TaskPending) and caught.value.retry_after == POLL_WAIT
    assert str(caught.value) == (f"Ramp has not finished suspending card {label(emulator, s.virtual)} (task {task_id} is "
                                 "IN_PROGRESS): it is not reported suspended until Ramp says so; `offboard resume` looks again")
    assert emulator.org.cards[s.virtual]["state"] == "ACTIVE"
    assert connector.check(suspend) is False


def run(tmp_path: Path, connector: RampConnector, actions: list[Action], waits: Waits, journal: Journal | None = None,
        run_id: str = "run-1") -> tuple[Journal, dict[str, ActionRow]]:
    """The engine applies the actions as a run (or resumes ``run_id`` when ``journal`` already holds it)."""
    if journal is None:
        journal = Journal(tmp_path / "journal.db")
        journal.create_run(run_id, "suspend", ALICE.id, ALICE.name, "tester", {}, [("ramp", a) for a in actions])
    Engine(journal, {"ramp": connector}, RetryPolicy(max_attempts=3, sleep=waits)).execute(run_id, fresh=True)
    return journal, {r.action.id: r for r in journal.actions(run_id)}


def test_the_run_fails_the_card_while_ramp_works_and_resume_follows_the_same_task(emulator: RampEmulator,
                                                                                   tmp_path: Path) -> None:
    s = seed(emulator)
    emulator.org.task_polls = 5  # longer than the engine's three reads of it
    waits = Waits()
    connector = connect(emulator, waits=waits, attempts=3)
    account = connector.resolve(ALICE)
    assert account is not None
    planned = order_for_apply(connector.discover(account))
    journal, rows = run(tmp_path, connector, planned, waits)
    card = rows[f"ramp:card-suspend:{s.virtual}"]
    assert card.state is State.FAILED and card.attempts == 1  # the read's budget is spent: not tried again at once
    assert card.last_error is not None and card.last_error.startswith(
        f"retriable: Ramp has not finished suspending card {label(emulator, s.virtual)} (task ")
    assert rows[f"ramp:deactivate:{s.alice}"].state is State.CHANGED
    assert emulator.org.cards[s.virtual]["state"] == "ACTIVE"
    # `offboard resume` in another process: a new connector, the failed action applied again, looking first
    assert journal.retry_failed("run-1") >= 1
    resumed = connect(emulator, waits=waits, attempts=3)
    _, rows = run(tmp_path, resumed, planned, waits, journal)
    card = rows[f"ramp:card-suspend:{s.virtual}"]
    assert card.state is State.CHANGED and emulator.org.cards[s.virtual]["state"] == "SUSPENDED"
    virtual_tasks = [t for t in emulator.org.tasks.values() if t.card_id == s.virtual]
    assert len(virtual_tasks) == 1, "the resumed action found its task again by its key: no second task"
    sent = [json.loads(r.body)["idempotency_key"] for r in emulator.task_requests() if s.virtual in r.path]
    assert len(sent) == 2 and set(sent) == {idempotency_key(next(a for a in planned if a.id == card.action.id))}


def test_the_key_is_the_same_in_every_process_and_differs_between_actions(emulator: RampEmulator) -> None:
    s = seed(emulator)
    first, second = connect(emulator), connect(emulator)
    one, again = suspension_of(first, s.virtual), suspension_of(second, s.virtual)
    other = suspension_of(first, s.physical)
    assert idempotency_key(one) == idempotency_key(again) != idempotency_key(other)
    assert idempotency_key(one) != idempotency_key(one, 1)


def test_an_error_task_fails_the_action_with_ramps_reason(emulator: RampEmulator) -> None:
    s = seed(emulator)
    emulator.org.task_error = "Card program does not allow suspension"
    connector = connect(emulator)
    suspend = suspension_of(connector, s.virtual)
    with pytest.raises(FatalError) as caught:
        connector.apply(suspend)
    (task_id,) = emulator.org.tasks
    assert str(caught.value) == (f"Ramp could not suspend card {label(emulator, s.virtual)}: Card program does not allow "
                                 f"suspension (task {task_id}); suspend it by hand in Ramp's Cards page, then run "
                                 "`offboard resume`: offboard sees the card suspended and closes this action")
    assert emulator.org.cards[s.virtual]["state"] == "ACTIVE"
    emulator.org.cards[s.virtual]["state"] = "SUSPENDED"  # a person suspends it by hand
    assert connector.check(suspend) is True
    assert connector.apply(suspend).state is State.OK


def test_an_error_task_on_a_card_already_as_wanted_is_ok(emulator: RampEmulator) -> None:
    """Ramp refuses to suspend a suspended card: when something else suspended it meanwhile, that is fine."""
    s = seed(emulator)
    emulator.org.task_polls = 1
    connector = connect(emulator, engine=False)
    suspend = suspension_of(connector, s.virtual)
    with pytest.raises(TaskPending):
        connector.apply(suspend)
    emulator.org.cards[s.virtual]["state"] = "SUSPENDED"  # deactivation, or a person, got there first
    outcome = follow(connector.api, suspend, s.virtual, SUSPENSION, "T&E")
    assert outcome.state is State.OK
    assert outcome.detail == "card T&E is suspended already (Ramp's task said: Card is already suspended)"


def test_a_second_decision_about_the_same_card_gets_a_task_of_its_own(emulator: RampEmulator) -> None:
    """The same action (id and before) months later: its key names the first decision's finished task, so the
    next key is sent, and the card is really suspended again."""
    s: Seeded = seed(emulator)
    connector = connect(emulator)
    first = suspension_of(connector, s.virtual)
    assert connector.apply(first).state is State.CHANGED
    restore = connector.plan_restore(connector.resolve(ALICE), [first])  # type: ignore[arg-type]
    for action in restore.actions:
        assert connector.apply(action).state is State.CHANGED
    second = suspension_of(connector, s.virtual)
    assert second == first
    outcome = connector.apply(second)
    assert outcome.state is State.CHANGED and emulator.org.cards[s.virtual]["state"] == "SUSPENDED"
    suspensions = [t for t in emulator.org.tasks.values() if t.operation == "suspension"]
    assert len(suspensions) == 2
    assert keys_sent(emulator)[-2:] == [idempotency_key(first), idempotency_key(first, 1)]
