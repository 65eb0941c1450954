"""Each write's ``Idempotency-Key``, and the one way a write is sent: under its key, then confirmed by a read.

Brex replays the answer to a request whose key it has seen, without a second change (developer.brex.com,
Idempotency). The key must therefore be the same for every send of one action (a retry after a lost
answer, a run resumed a day later) and differ from the key of any other change. Nothing run-specific
reaches a connector (an ``Action`` carries no run id, and a random key in ``params`` would make every
fresh plan differ from its saved, approved copy), so the key is derived from what the journal keeps
of the action, exactly as planned: its id (system, kind and object), its ``before`` (the state
observed when it was planned) and the request itself (method, path, body). A resumed or retried
action sends the same key; two different actions, or one body and another, never share one.

What this cannot tell apart: the same change planned again later from the same state (a member
suspended, reinstated, and suspended again: the card was ACTIVE both times). If Brex still holds the
first key it replays the first answer, and nothing changes. So no answer is trusted alone: after a
write the object is read back, and when it is not as wanted the write goes again under the next
*generation* of the key (a key no earlier send of this action used). A resumed action still reuses
its keys in the same order, and looks first, so it never changes anything twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from offboard.spi import Action, ConnectorError, NotFoundError, Outcome, State

from .api import BrexApi
from .errors import BrexRefused

GENERATIONS = 3  # keys tried for one action before it fails: replays of two earlier identical changes at most
Look = Callable[[], tuple[bool, Any]]  # (is the change in place?, what was seen), read from Brex


def key(action: Action, method: str, path: str, body: Mapping[str, Any] | None, generation: int = 0) -> str:
    """The action's key for this request: a digest of its id, kind, ``before``, the request, and the generation."""
    basis = {"action": action.id, "kind": action.kind, "before": action.before,
             "request": [method, path, dict(body) if body is not None else None], "generation": generation}
    canonical = json.dumps(basis, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return "offboard-" + hashlib.sha256(canonical.encode()).hexdigest()[:48]


def send_confirmed(api: BrexApi, action: Action, method: str, path: str, what: str, look: Look, *,
                   changed: str, already: Callable[[Any], str], body: Mapping[str, Any] | None = None,
                   look_first: bool = True) -> Outcome:
    """Look (``ok`` when in place), send the write under the action's key, then look: ``changed`` once Brex shows it.

    ``look_first`` off (``apply_planned``, moments after discovery saw the state) skips the first read.

    A refusal (4xx) or a 404 is looked into too: the change may be in place already (an apply that did
    not look first, or someone in the dashboard), which is ``ok``, said by ``already(seen)``. When it is
    not, the refusal may itself be a replay (Brex keeps the answer it gave a key, refusals included, or
    refuses a key another request used): the next generation's key is tried, and the last refusal raised.
    """
    seen: Any = None
    if look_first:
        done, seen = look()
        if done:
            return Outcome.ok(already(seen), seen)
    refusal: ConnectorError | None = None
    for generation in range(GENERATIONS):
        try:
            api.write(method, path, what, key(action, method, path, body, generation), body)
            refusal = None
        except (BrexRefused, NotFoundError) as exc:
            refusal = exc
        done, seen = look()
        if done:
            return Outcome.ok(already(seen), seen) if refusal is not None else Outcome.changed(changed, seen)
    if refusal is not None:
        raise refusal
    return Outcome(State.FAILED, f"Brex answered the request to {what} {GENERATIONS} times, yet it is not in place: "
                   "Brex may be replaying the answers to identical earlier requests; do it in the Brex dashboard, "
                   "or run `offboard resume` later", seen)
