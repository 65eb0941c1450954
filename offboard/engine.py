"""The engine: applies a run's actions concurrently, retried and journaled.

Systems run in parallel, each with at most its connector's ``max_concurrency`` actions
in flight. Within a system, ``cut`` actions go first, then ``clean``, then ``manual``;
an action also waits for the actions it ``depends_on`` (ordering only: a failed
dependency does not stop it, because suspending an account matters even when a
sign-out before it failed). The engine never raises for one action's failure: it
records it and carries on with the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from offboard.journal import INTENT, PENDING, TERMINAL, ActionRow, Journal
from offboard.retry import RetryPolicy, call_with_retries
from offboard.spi import Action, Connector, ConnectorError, Outcome, Phase, State

log = logging.getLogger(__name__)
PHASE_RANK = {Phase.CUT: 0, Phase.CLEAN: 1, Phase.MANUAL: 2}


class Listener(Protocol):
    """Progress events, for the live display. Called from worker threads."""

    def started(self, system: str, action: Action) -> None: ...

    def finished(self, system: str, action: Action, state: str) -> None: ...


class _Quiet:
    def started(self, system: str, action: Action) -> None:
        pass

    def finished(self, system: str, action: Action, state: str) -> None:
        pass


@dataclass(frozen=True)
class Result:
    state: str
    detail: str
    attempts: int
    observed: object = None
    last_error: str | None = None


def describe_error(error: BaseException) -> str:
    """One line for the journal and report; connector errors are written to hold no secret."""
    if isinstance(error, ConnectorError):
        return f"{error.kind}: {error}"
    return f"internal error in connector: {type(error).__name__}: {error}"


class Engine:
    def __init__(self, journal: Journal, connectors: Mapping[str, Connector], retry: RetryPolicy,
                 listener: Listener | None = None, stop_on_failure: Mapping[str, bool] | None = None) -> None:
        self.journal = journal
        self.connectors = connectors
        self.retry = retry
        self.listener = listener or _Quiet()
        self.stop_on_failure = stop_on_failure or {}
        self._stopped_by: str | None = None

    # -- the run

    def execute(self, run_id: str) -> None:
        """Take every action of the run that is not finished to an outcome."""
        rows = self.journal.actions(run_id)
        waiting = [r for r in rows if r.state in (PENDING, INTENT)]
        finished = {r.key for r in rows if r.state in TERMINAL}
        in_run = {r.key for r in rows}
        pools = {
            system: ThreadPoolExecutor(max_workers=max(1, c.max_concurrency), thread_name_prefix=f"offboard-{system}")
            for system, c in self.connectors.items()
        }
        running: dict[Future[Result], ActionRow] = {}
        try:
            while waiting or running:
                if self._stopped_by is not None:
                    for row in waiting:
                        self._record(run_id, row, Result(State.SKIPPED.value, self._stop_reason(), 0))
                    waiting.clear()
                ready = [r for r in waiting if self._ready(r, waiting, running.values(), finished, in_run)]
                for row in ready:
                    waiting.remove(row)
                    pool = pools.get(row.system)
                    if pool is None:
                        missing = f"system {row.system} is not configured any more"
                        self._record(run_id, row, Result(State.FAILED.value, "", 0, last_error=missing))
                        finished.add(row.key)
                        continue
                    running[pool.submit(self._apply, run_id, row)] = row
                if not running:
                    if waiting and not ready:  # nothing can start: a dependency cycle the connector declared
                        for row in waiting:
                            self._record(run_id, row, Result(State.SKIPPED.value, "dependency cycle in the plan", 0))
                        waiting.clear()
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    row = running.pop(future)
                    result = future.result()
                    finished.add(row.key)
                    if result.state == State.FAILED.value and self.stop_on_failure.get(row.system):
                        self._stopped_by = self._stopped_by or row.system
        finally:
            for pool in pools.values():
                pool.shutdown(wait=True)

    def _ready(self, row: ActionRow, waiting: list[ActionRow], running: object, finished: set[tuple[str, str]],
               in_run: set[tuple[str, str]]) -> bool:
        rank = PHASE_RANK[row.action.phase]
        unfinished = [r for r in (*waiting, *running) if r.system == row.system and r is not row]  # type: ignore[misc]
        if any(PHASE_RANK[r.action.phase] < rank for r in unfinished):
            return False
        return all((row.system, dep) in finished or (row.system, dep) not in in_run for dep in row.action.depends_on)

    def _stop_reason(self) -> str:
        return f"not started: a step of {self._stopped_by} failed and the playbook says on_failure: stop"

    # -- one action (on a worker thread)

    def _apply(self, run_id: str, row: ActionRow) -> Result:
        connector = self.connectors[row.system]
        action = row.action
        self.listener.started(row.system, action)
        resuming = row.state == INTENT
        self.journal.mark_intent(run_id, row.system, action.id)  # committed before any side effect
        result = None
        if resuming:
            result = self._recheck(connector, action)
        if result is None:
            result = self._attempt(lambda: connector.apply(action))
        self._record(run_id, row, result)
        return result

    def _recheck(self, connector: Connector, action: Action) -> Result | None:
        """An interrupted action may have taken effect: look before doing it again."""
        checked = call_with_retries(lambda: connector.check(action), self.retry)
        if checked.error is None and checked.value is True:
            return Result(State.OK.value, "found done when the run was resumed", checked.attempts)
        return None

    def _attempt(self, call: Callable[[], Outcome]) -> Result:
        attempted = call_with_retries(call, self.retry)
        if attempted.error is not None:
            if not isinstance(attempted.error, ConnectorError):
                log.exception("connector raised an unexpected error", exc_info=attempted.error)
            return Result(State.FAILED.value, "", attempted.attempts, last_error=describe_error(attempted.error))
        outcome = attempted.value
        if not isinstance(outcome, Outcome):
            return Result(State.FAILED.value, "", attempted.attempts,
                          last_error=f"internal error in connector: apply returned {type(outcome).__name__}, not an Outcome")
        return Result(outcome.state.value, outcome.detail, attempted.attempts, outcome.observed)

    def _record(self, run_id: str, row: ActionRow, result: Result) -> None:
        self.journal.record_outcome(run_id, row.system, row.action.id, result.state, attempts=result.attempts,
                                    detail=result.detail, observed=result.observed, last_error=result.last_error)
        self.listener.finished(row.system, row.action, result.state)

    # -- manual steps the system itself can confirm

    def refresh_manual(self, run_id: str) -> int:
        """Close manual actions whose connector now sees them done (Slack deactivated in the UI)."""
        closed = 0
        for row in self.journal.actions(run_id):
            connector = self.connectors.get(row.system)
            if row.state != State.MANUAL.value or connector is None or row.action.connector == "manual":
                continue
            checked = call_with_retries(lambda c=connector, a=row.action: c.check(a), self.retry)
            if checked.error is None and checked.value is True:
                self.journal.record_outcome(run_id, row.system, row.action.id, State.CHANGED.value,
                                            attempts=checked.attempts, detail="done by a person; confirmed by the system")
                closed += 1
        return closed
