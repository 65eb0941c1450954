"""Ramp's deferred card tasks: submitted once per idempotency key, followed without waiting, told truthfully.

Suspending, unsuspending or terminating a card is a task: ``POST /developer/v1/cards/{id}/
deferred/{suspension|unsuspension|termination}`` with ``{"idempotency_key": ...}`` answers
``{"id": task}``, and ``GET /developer/v1/cards/deferred/status/{task}`` says STARTED,
IN_PROGRESS, ERROR or SUCCESS (with ``data.error`` on ERROR).

How this fits the engine, which alone waits and retries:

- The status read is a read like any other (``ConnectorContext.read``): while the task runs it
  raises ``TaskPending``, a ``RetriableError`` asking for a short wait, so the engine's retry of
  one read polls again after that wait. The connector never sleeps or loops waiting.
- When the engine's read budget runs out first, the action fails with "not finished yet": the run
  is never reported as cut while Ramp has not said SUCCESS. ``offboard resume`` applies it again.
- An action is plain data and cannot hold the task's id, so the idempotency key can: it is derived
  from the action (uuid5 over its id and its ``before``). A retried or resumed action sends the
  same key, which Ramp "uses to recognize subsequent retries of the same request", so one task is
  followed instead of a second being made.
- That key is the same for a later decision about the same card (the same ``before``). A SUCCESS
  that left the card as it was is therefore an earlier decision's task: the key's next generation
  is sent (uuid5 over id, ``before`` and 1, 2...), a bounded handful of submissions, none a wait.
- ERROR is a failure with Ramp's message, unless the card is as wanted anyway (deactivation or a
  person suspended it meanwhile): then it is ``ok``.
- SUCCESS is ``changed`` only once the card itself reads as wanted.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from offboard.spi import Action, FatalError, Outcome, RetriableError

from . import observe
from .api import RampApi

STATUS = "/developer/v1/cards/deferred/status"
RUNNING = frozenset({"STARTED", "IN_PROGRESS"})
SUCCESS, ERROR = "SUCCESS", "ERROR"
POLL_WAIT = 2.0  # seconds the engine waits before it reads a running task again
GENERATIONS = 5  # keys tried for one action: earlier decisions' tasks are passed over, at most this many
NAMESPACE = uuid.UUID("7b0f3c52-3b53-4c55-9f8f-5a6f0d3f6a11")  # offboard's Ramp idempotency keys


@dataclass(frozen=True)
class Operation:
    """One kind of card task: the path's last part, the states that count as done, and its words."""

    path: str
    wanted: frozenset[str]
    verb: str  # "suspend"
    doing: str  # "suspending"
    did: str  # "suspended"
    done: str  # the card's state in words once done: "suspended", "active"
    gone_is_done: bool  # a card that no longer exists is as good as done


SUSPENSION = Operation("suspension", frozenset({observe.SUSPENDED, observe.TERMINATED}), "suspend", "suspending",
                       "suspended", "suspended", True)
UNSUSPENSION = Operation("unsuspension", frozenset({"ACTIVE", "CHIP_LOCKED"}), "unsuspend", "unsuspending",
                         "unsuspended", "active", False)
TERMINATION = Operation("termination", frozenset({observe.TERMINATED}), "terminate", "terminating", "terminated",
                        "terminated", True)


class TaskPending(RetriableError):
    """Ramp's task is still running: the engine reads its status again after a short wait."""


def idempotency_key(action: Action, generation: int = 0) -> str:
    """The same for every try of this action (and generation): Ramp then follows one task, not two."""
    material = json.dumps([action.id, action.before, generation], sort_keys=True, separators=(",", ":"))
    return str(uuid.uuid5(NAMESPACE, material))


def poll(api: RampApi, task_id: str, op: Operation, label: str) -> dict[str, Any]:
    """The task once it has finished; ``TaskPending`` while it runs (an unknown status counts as running)."""
    task = api.call("GET", f"{STATUS}/{task_id}", what=f"read the task {op.doing} card {label}", scope="cards:write")
    status = str((task or {}).get("status") or "")
    if status not in (SUCCESS, ERROR):
        raise TaskPending(f"Ramp has not finished {op.doing} card {label} (task {task_id} is {status or 'unknown'}): "
                          f"it is not reported {op.did} until Ramp says so; `offboard resume` looks again",
                          retry_after=POLL_WAIT)
    return dict(task)


def follow(api: RampApi, action: Action, card_id: str, op: Operation, label: str) -> Outcome:
    """Submit the task (or find it again by its key), follow it to its end, and check the card itself."""
    for generation in range(GENERATIONS):
        answer = api.call("POST", f"{observe.CARDS}/{card_id}/deferred/{op.path}", what=f"{op.verb} card {label}",
                          scope="cards:write", body={"idempotency_key": idempotency_key(action, generation)})
        task_id = str((answer or {}).get("id") or "")
        if not task_id:
            raise FatalError(f"Ramp accepted the request to {op.verb} card {label} but named no task to follow")
        task = api.retrying(partial(poll, api, task_id, op, label))
        status, error = task["status"], observe.plain((task.get("data") or {}).get("error") or "")
        state = observe.card_state(api, card_id)
        observed = {"state": state, "task": task_id}
        if state in op.wanted or (state is None and op.gone_is_done):
            if status == SUCCESS:
                return Outcome.changed(f"{op.did} card {label} (Ramp task {task_id})", observed)
            return Outcome.ok(f"card {label} is {op.done} already (Ramp's task said: {error or 'ERROR'})", observed)
        if status == SUCCESS:  # an earlier decision's task, found by its key: this one needs the next key
            continue
        raise FatalError(f"Ramp could not {op.verb} card {label}: {error or 'its task ended in ERROR without a reason'} "
                         f"(task {task_id}); {op.verb} it by hand in Ramp's Cards page, then run `offboard resume`: "
                         f"offboard sees the card {op.done} and closes this action")
    raise FatalError(f"Ramp keeps answering the request to {op.verb} card {label} with an earlier, finished task: "
                     f"{op.verb} it by hand in Ramp's Cards page, then run `offboard resume`")
