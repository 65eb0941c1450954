"""The engine: applies a run's actions concurrently, retried and journaled.

Systems run in parallel, each with at most its connector's ``max_concurrency`` actions
in flight. Within a system the scheduler gives a free slot to a ready ``cut`` action
first, then to ``clean``, then to ``manual``:

- cut first: a ``clean`` action starts only when no ``cut`` action of its system is
  ready to start, and it never takes a slot that a ``cut`` action waiting on a running
  one will need (Google's suspension waits for every other cut action: when they are
  done, it starts at once). With ``max_concurrency`` 1, every cut action of a system
  has finished before its first clean action starts, as before; with more slots, clean
  work fills the slots cut work cannot use, so it finishes sooner without delaying the cut;
- ``manual`` last: a manual step starts when every cut and clean action of its system
  has finished (a self-closing manual step looks at what the others did);
- an action also waits for the actions it ``depends_on`` (ordering only: a failed
  dependency does not stop it, because suspending an account matters even when a
  sign-out before it failed). A connector whose clean action must follow its cut ones
  (a licence removed only once the mailbox settings are changed) says so with ``depends_on``;
- a closing connector's actions (the written notice) start once no ``cut`` action of any system is
  left to run: the member is told when their access is already gone;
- held for a person: an action depending (directly or through others) on a manual action of its system
  is left out of the manual rule; while that step is open it is ``held``, never sent, and it runs when
  the run is executed again after the step is closed (by the system or by a person).

Several runs (members planned together) are executed as one: each system's slots are shared, and the
rules above hold across them, so every member's ``cut`` actions come before any member's ``clean`` ones;
dependencies, holds, closing steps and ``on_failure: stop`` stay within each run.

Ctrl-C (``KeyboardInterrupt`` in the thread that waits) starts nothing new, lets the actions in
flight finish and be journaled, then raises ``RunInterrupted``; a second Ctrl-C raises it at once,
leaving what was in flight in ``intent`` for ``offboard resume`` to re-check.

A run executed right after it was planned (``fresh``) applies its pending actions with
``Connector.apply_planned``, which may skip the re-read a resumed action needs; an action
left in ``intent`` by a crash is always re-checked first. The engine never raises for one
action's failure: it records it and carries on with the rest.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from offboard.apply.holding import after_manual, hold
from offboard.apply.journal import ActionRow, Journal
from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.apply.scheduling import closing_refused, cut_left, next_actions
from offboard.apply.states import Progress
from offboard.errors import RunInterrupted
from offboard.spi import Action, Connector, ConnectorError, Outcome, Phase, State, describe

log = logging.getLogger(__name__)
NOT_CUT = ("not sent: a cut action failed, so the access is not ended everywhere yet; `offboard resume RUN` sends it "
           "once it is")


class Listener(Protocol):
    """Progress events, for the live display. Called from worker threads; but an optional ``cut_done()``,
    called once from the engine's thread when the last ``cut`` action of the run has finished."""

    def started(self, system: str, action: Action) -> None: ...

    def finished(self, system: str, action: Action, state: State) -> None: ...


class _Quiet:
    def started(self, system: str, action: Action) -> None:
        pass

    def finished(self, system: str, action: Action, state: State) -> None:
        pass


@dataclass(frozen=True)
class Result:
    state: State
    detail: str
    attempts: int
    observed: object = None
    last_error: str | None = None


def describe_error(error: BaseException) -> str:
    """One line for the journal and report; connector errors are written to hold no secret."""
    return f"{error.kind}: {error}" if isinstance(error, ConnectorError) else describe(error)


class Engine:
    def __init__(self, journal: Journal, connectors: Mapping[str, Connector], retry: RetryPolicy,
                 listener: Listener | None = None, stop_on_failure: Collection[tuple[str, str]] = (),
                 on_ctrl_c: Callable[[int], None] | None = None) -> None:
        self.journal = journal
        self.connectors = connectors
        self.retry = retry
        self.listener = listener or _Quiet()
        self.stop_on_failure = stop_on_failure  # (run, system): the playbook says on_failure: stop
        self._stopped_by: dict[str, str] = {}  # run -> the system whose failure stopped it
        self._fresh = False
        self._applied: set[tuple[str, str, str]] = set()  # actions applied by execute(), for refresh_manual
        self._ctrl_c = False  # a person pressed Ctrl-C: start nothing new
        self.on_ctrl_c = on_ctrl_c or (lambda in_flight: None)  # told how many actions are still in flight

    # -- the run

    def execute(self, *run_ids: str, fresh: bool = False) -> None:
        """Take every action of the runs that is not finished to an outcome.

        Several runs (members planned together) are executed as one: each system's slots are shared, and
        every run's cut actions come before any run's clean ones, so everyone's access ends first.
        ``fresh``: the runs' plans were observed moments ago (``offboard expel``, ``apply``), so pending
        actions go through ``apply_planned``; a resumed run leaves it False.
        """
        self._fresh = fresh
        with self._first_ctrl_c_stops_new_work():
            self._execute(run_ids)

    @contextmanager
    def _first_ctrl_c_stops_new_work(self) -> Iterator[None]:
        """The first Ctrl-C sets a flag the scheduling loop reads; the second raises ``KeyboardInterrupt``.

        Only the main thread can take signals: run elsewhere (a test, a library caller), Ctrl-C is left alone.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop_starting(signum: int, frame: object) -> None:
            if self._ctrl_c:
                raise KeyboardInterrupt
            self._ctrl_c = True

        previous = signal.signal(signal.SIGINT, stop_starting)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _execute(self, run_ids: Sequence[str]) -> None:
        rows = [row for run_id in run_ids for row in self.journal.actions(run_id)]
        waiting = [r for r in rows if isinstance(r.state, Progress)]
        finished = {r.key for r in rows if isinstance(r.state, State)}
        in_run = {r.key for r in rows}
        after = after_manual(rows)
        blocked = {r.key: r.action.summary for r in rows if r.state is State.MANUAL}  # open steps, held rows: what for
        slots = {system: max(1, c.max_concurrency) for system, c in self.connectors.items()}
        closing = {system for system, c in self.connectors.items() if c.closing}
        failed_cut = {r.key for r in rows if r.state is State.FAILED and r.action.phase is Phase.CUT}
        pools = {system: ThreadPoolExecutor(max_workers=n, thread_name_prefix=f"offboard-{system}")
                 for system, n in slots.items()}
        running: dict[Future[Result], ActionRow] = {}
        stopped: int | None = None  # after Ctrl-C: how many actions were never started
        done_here = 0
        cut_open = any(r.action.phase is Phase.CUT for r in waiting)  # the listener's cut_done() is still due
        step_opened = True  # a manual step was found open (or this is the first turn): look for what it holds
        try:
            while waiting or running:
                if self._ctrl_c and stopped is None:  # the first Ctrl-C: start nothing new, let what is in flight finish
                    stopped = len(waiting)
                    waiting.clear()
                    self.on_ctrl_c(len(running))
                for row in [r for r in waiting if r.run_id in self._stopped_by] if self._stopped_by else []:
                    waiting.remove(row)
                    self._record(row, Result(State.SKIPPED, self._stop_reason(row.run_id), 0))
                for row in closing_refused(waiting, list(running.values()), closing, failed_cut):
                    waiting.remove(row)
                    self._record(row, Result(State.FAILED, "", 0, last_error=NOT_CUT))
                for row, detail in hold(waiting, blocked) if step_opened else []:
                    self.journal.record_outcome(row.run_id, row.system, row.action.id, Progress.HELD, attempts=0,
                                                detail=detail)
                step_opened = False
                started = 0
                for row in next_actions(waiting, list(running.values()), finished, in_run, slots, after, closing):
                    waiting.remove(row)
                    pool = pools.get(row.system)
                    if pool is None:
                        missing = f"system {row.system} is not configured any more"
                        self._record(row, Result(State.FAILED, "", 0, last_error=missing))
                        finished.add(row.key)
                        started += 1
                        continue
                    running[pool.submit(self._apply, row)] = row
                    started += 1
                if not running:
                    if waiting and not started:  # nothing can start: a dependency cycle the connector declared
                        for row in waiting:
                            self._record(row, Result(State.SKIPPED, "dependency cycle in the plan", 0))
                        waiting.clear()
                    continue
                done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)  # short: Ctrl-C is looked at
                done_here += len(done)
                for future in done:
                    row = running.pop(future)
                    result = future.result()
                    finished.add(row.key)
                    if result.state is State.MANUAL:  # an open step: what depends on it is held
                        blocked[row.key] = row.action.summary
                        step_opened = True
                    self._applied.add(row.key)
                    if result.state is State.FAILED and row.action.phase is Phase.CUT:
                        failed_cut.add(row.key)
                    if result.state is State.FAILED and (row.run_id, row.system) in self.stop_on_failure:
                        self._stopped_by.setdefault(row.run_id, row.system)
                if cut_open and stopped is None and not cut_left(waiting, running.values()):
                    cut_open = False  # the last cut action finished: the moment the member's access ended
                    getattr(self.listener, "cut_done", lambda: None)()
        except KeyboardInterrupt:  # the second Ctrl-C: quit now, the journal resumes what was in flight
            raise RunInterrupted(run_ids, done_here, (stopped or 0) + len(running), at_once=True) from None
        finally:
            at_once = bool(running)  # a second Ctrl-C left actions in flight
            for pool in pools.values():
                pool.shutdown(wait=not at_once, cancel_futures=at_once)
        if stopped is not None:
            raise RunInterrupted(run_ids, done_here, stopped)

    def _stop_reason(self, run_id: str) -> str:
        return f"not started: a step of {self._stopped_by[run_id]} failed and the playbook says on_failure: stop"

    # -- one action (on a worker thread)

    def _apply(self, row: ActionRow) -> Result:
        connector = self.connectors[row.system]
        action = row.action
        self.listener.started(row.system, action)
        resuming = row.state is Progress.INTENT
        self.journal.mark_intent(row.run_id, row.system, action.id)  # committed before any side effect
        result = None
        if resuming:
            result = self._recheck(connector, action)
            unknown = connector.interrupted(action) if result is None else None  # a mail is never sent twice
            result = Result(unknown.state, unknown.detail, 0, unknown.observed) if unknown else result
        if result is None:
            planned = self._fresh and row.state is Progress.PENDING  # a held action was planned in an earlier execute
            result = self._attempt(lambda: connector.apply_planned(action) if planned else connector.apply(action))
        self._record(row, result)
        return result

    def _recheck(self, connector: Connector, action: Action) -> Result | None:
        """An interrupted action may have taken effect: look before doing it again."""
        checked = call_with_retries(lambda: connector.check(action), self.retry)
        if checked.error is None and checked.value is True:
            return Result(State.OK, "found done when the run was resumed", checked.attempts)
        return None

    def _attempt(self, call: Callable[[], Outcome]) -> Result:
        attempted = call_with_retries(call, self.retry)
        if attempted.error is not None:
            if not isinstance(attempted.error, ConnectorError):
                log.exception("connector raised an unexpected error", exc_info=attempted.error)
            return Result(State.FAILED, "", attempted.attempts, last_error=describe_error(attempted.error))
        outcome = attempted.value
        if not isinstance(outcome, Outcome):
            return Result(State.FAILED, "", attempted.attempts,
                          last_error=f"internal error in connector: apply returned {type(outcome).__name__}, not an Outcome")
        return Result(outcome.state, outcome.detail, attempted.attempts, outcome.observed)

    def _record(self, row: ActionRow, result: Result) -> None:
        self.journal.record_outcome(row.run_id, row.system, row.action.id, result.state, attempts=result.attempts,
                                    detail=result.detail, observed=result.observed, last_error=result.last_error)
        self.listener.finished(row.system, row.action, result.state)

    # -- manual steps the system itself can confirm

    def refresh_manual(self, run_id: str, skip_applied: bool = False) -> int:
        """Close manual actions whose connector now sees them done (Slack deactivated in the UI).

        ``skip_applied``: right after ``execute``, the manual steps it applied were looked at
        moments ago; only the older ones (a resumed run's) are asked again.
        """
        closed = 0
        for row in self.journal.actions(run_id):
            connector = self.connectors.get(row.system)
            if row.state is not State.MANUAL or connector is None or not _self_closing(row.action):
                continue
            if skip_applied and row.key in self._applied:
                continue
            checked = call_with_retries(partial(connector.check, row.action), self.retry)
            if checked.error is None and checked.value is True:
                self.journal.record_outcome(run_id, row.system, row.action.id, State.CHANGED,
                                            attempts=checked.attempts, detail="done by a person; confirmed by the system")
                closed += 1
        return closed


def _self_closing(action: Action) -> bool:
    """A manual step the system can see done; the others wait for ``offboard confirm``."""
    return action.manual is not None and action.manual.self_closing
