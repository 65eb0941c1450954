"""Runs: start, execute, finish and summarize, on top of the plan, the journal and the engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from offboard.apply.engine import Engine, Listener
from offboard.apply.holding import released, still_held
from offboard.apply.journal import ActionRow, Confirmation, Journal, RunRow
from offboard.apply.retry import RetryPolicy
from offboard.apply.states import ActionState, Progress, RunStatus
from offboard.clock import new_run_id
from offboard.errors import ExitCode, OffboardError
from offboard.plans.plan import Plan
from offboard.spi import Connector, State


@dataclass(frozen=True)
class ManualItem:
    system: str
    action_id: str
    title: str
    needs: str  # what is still missing: "confirmation", "a second confirmer"
    instructions: str = ""  # from the playbook: how to do it
    links: tuple[str, ...] = ()
    confirmed_by: tuple[str, ...] = ()  # who confirmed it so far
    evidence: tuple[str, ...] = ()  # what the first confirmation must bring (a file or a reference)


@dataclass(frozen=True)
class HeldItem:
    """An action held until a manual step of its run is closed (a person's or the system's)."""

    system: str
    action_id: str
    title: str  # the action's sentence
    step: str  # the title of the manual step it waits for

    @property
    def waits(self) -> str:
        return f"waits for {self.step}"


@dataclass(frozen=True)
class Failure:
    system: str
    action: str  # the action's sentence
    error: str


@dataclass
class RunSummary:
    run: RunRow
    status: RunStatus
    counts: dict[str, Counter[ActionState]]  # per system
    notes: dict[str, str]  # per system: why it has nothing to do, or could not be read
    failures: list[Failure]
    manual: list[ManualItem]
    reports: list[str] = field(default_factory=list)
    held: list[HeldItem] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return self.status.exit_code

    def totals(self) -> Counter[ActionState]:
        total: Counter[ActionState] = Counter()
        for counter in self.counts.values():
            total.update(counter)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run.id, "status": self.status.value,
            "member": {"id": self.run.member_id, "name": self.run.member_name},
            "systems": {s: {"counts": {k.value: n for k, n in c.items()}, "note": self.notes.get(s)}
                        for s, c in self.counts.items()},
            "failed": [{"system": f.system, "action": f.action, "error": f.error} for f in self.failures],
            "manual": [{"system": m.system, "step": m.action_id, "title": m.title, "needs": m.needs} for m in self.manual],
            "held": [{"system": h.system, "action": h.action_id, "title": h.title, "waits": h.waits} for h in self.held],
            "reports": self.reports,
        }


def start_run(journal: Journal, plan: Plan, operator: str, approvals: dict[str, Any] | None = None) -> str:
    """Record the plan, its actions as ``pending`` and the approvals it is applied under; returns the run id."""
    run_id = new_run_id(plan.member["id"])
    journal.create_run(run_id, plan.kind, plan.member["id"], plan.member["name"], operator, plan.to_dict(), plan.actions,
                       approvals)
    return run_id


def execute_runs(journal: Journal, run_ids: Sequence[str], connectors: Mapping[str, Connector], retry: RetryPolicy,
                 listener: Listener | None = None, fresh: bool = False,
                 on_ctrl_c: Callable[[int], None] | None = None) -> list[RunSummary]:
    """Apply (or finish applying) runs, together (every run's cut first), then record each one's status.

    ``fresh``: the runs were planned moments ago, so their actions may skip their re-read
    (``Connector.apply_planned``); leave it False when resuming.
    """
    stop = {(run_id, str(system.get("system"))) for run_id in run_ids  # read from the recorded plan as it is
            for system in get_run(journal, run_id).plan.get("systems") or [] if system.get("on_failure") == "stop"}
    engine = Engine(journal, connectors, retry, listener, stop, on_ctrl_c)
    engine.execute(*run_ids, fresh=fresh)
    for run_id in run_ids:
        _close_steps(engine, journal, run_id)
    return [finish(journal, run_id) for run_id in run_ids]


def refresh_run(journal: Journal, run_id: str, connectors: Mapping[str, Connector], retry: RetryPolicy) -> int:
    """Close manual steps the systems now show done, and run the actions they held; returns how many were closed."""
    closed = _close_steps(Engine(journal, connectors, retry), journal, run_id)
    if closed:
        finish(journal, run_id)
    return closed


def _close_steps(engine: Engine, journal: Journal, run_id: str) -> int:
    """Close the self-closing steps the systems show done (but those ``engine`` applied just now) and execute the
    actions they held, until no step closes; returns how many closed. An interrupted run's actions (``pending``,
    in ``intent``) are left for ``offboard resume``: only its steps are closed."""
    total = 0
    while closed := engine.refresh_manual(run_id, skip_applied=True):
        total += closed
        rows = journal.actions(run_id)
        if not released(rows) or any(r.state in (Progress.PENDING, Progress.INTENT) for r in rows):
            break
        engine.execute(run_id)
    return total


def finish(journal: Journal, run_id: str) -> RunSummary:
    """Compute and store the run's status (reports are issued by the caller)."""
    summary = summarize(journal, run_id, finishing=True)
    journal.finish_run(run_id, summary.status)
    summary.run = get_run(journal, run_id)  # the row now holds the status and finish time
    return summary


def is_interrupted(journal: Journal, run_id: str) -> bool:
    """The run stopped before its end: an action without an outcome, the end never recorded, or no report;
    or actions a closed manual step released are still to run."""
    return run_id in {r.id for r in interrupted_runs(journal, get_run(journal, run_id).member_id)}


def unfinished_run(journal: Journal, member_id: str | None = None) -> RunRow | None:
    """The latest interrupted run (of the member, when given): one stopped before its end."""
    interrupted = interrupted_runs(journal, member_id)
    return interrupted[0] if interrupted else None


def interrupted_runs(journal: Journal, member_id: str | None = None) -> list[RunRow]:
    """``Journal.interrupted_runs``, and the runs with actions a closed manual step released (``offboard
    confirm`` closed it): both have work left for ``offboard resume``. Newest first."""
    runs = journal.interrupted_runs(member_id)
    known = {r.id for r in runs}
    runs += [r for r in journal.held_runs(member_id) if r.id not in known and released(journal.actions(r.id))]
    return sorted(runs, key=lambda r: r.started, reverse=True)


def _interrupted(rows: Sequence[ActionRow]) -> bool:
    """An action never reached an outcome and waits for no person: ``pending``, in ``intent``, or released."""
    still = still_held(rows)
    return any(isinstance(r.state, Progress) and r.key not in still for r in rows)


def find_run(journal: Journal, run_id: str | None) -> RunRow:
    """A run by id or unique prefix; without an id, the latest run."""
    if run_id is None:
        latest = journal.runs(limit=1)
        if not latest:
            raise OffboardError("no runs yet: start one with `offboard expel MEMBER`")
        return latest[0]
    matches = journal.find_run(run_id)
    if not matches:
        raise OffboardError(f"no run '{run_id}': list runs with `offboard status`")
    if len(matches) > 1:
        shown = ", ".join(r.id for r in matches[:3])
        raise OffboardError(f"'{run_id}' matches {len(matches)} runs ({shown}): give more of the id")
    return matches[0]


def get_run(journal: Journal, run_id: str) -> RunRow:
    run = journal.run(run_id)
    if run is None:
        raise OffboardError(f"no run '{run_id}': list runs with `offboard status`")
    return run


def summarize(journal: Journal, run_id: str, finishing: bool = False) -> RunSummary:
    """Where the run stands. A run stopped before its end was recorded, or before its report was written, is
    ``interrupted``; ``finishing``: the end and the report are being recorded now, judge by the actions alone.
    Actions ``held`` for a manual step still open are not interrupted: the run waits on a person (``incomplete``)."""
    run = get_run(journal, run_id)
    plan = Plan.from_dict(run.plan)
    rows = journal.actions(run_id)
    confirmations = journal.confirmations(run_id)
    counts: dict[str, Counter[ActionState]] = {s.system: Counter() for s in plan.systems}
    for row in rows:
        counts.setdefault(row.system, Counter())[row.state] += 1
    notes = {s.system: s.note for s in plan.systems if s.note}
    failures = [Failure(r.system, r.action.summary, r.last_error or r.detail) for r in rows if r.state is State.FAILED]
    failures += [Failure(s.system, "read the current access", s.note or "") for s in plan.systems if s.error]
    manual = [_manual_item(r, confirmations) for r in rows if r.state is State.MANUAL]
    still = still_held(rows)
    held = [HeldItem(r.system, r.action.id, r.action.summary, still[r.key]) for r in rows if r.key in still]
    stopped = run.status is RunStatus.RUNNING or not journal.reports(run_id)
    if _interrupted(rows) or (stopped and not finishing):
        status = RunStatus.INTERRUPTED
    elif failures:
        status = RunStatus.FAILED
    elif manual:
        status = RunStatus.INCOMPLETE
    else:
        status = RunStatus.COMPLETE
    reports = [path for _, path in journal.reports(run_id)]
    return RunSummary(run, status, counts, notes, failures, manual, reports, held)


def _manual_item(row: ActionRow, confirmations: Sequence[Confirmation]) -> ManualItem:
    step = row.action.manual
    by = tuple(c.by for c in confirmations if c.system == row.system and c.action_id == row.action.id)
    return ManualItem(row.system, row.action.id, row.action.summary, _needs(row, confirmations),
                      step.instructions if step else "", step.links if step else (), by, step.evidence if step else ())


def _needs(row: ActionRow, confirmations: Sequence[Confirmation]) -> str:
    done = [c for c in confirmations if c.system == row.system and c.action_id == row.action.id]
    if done:
        return f"a second confirmer (confirmed by {done[0].by})"
    step = row.action.manual
    if step is None or step.self_closing:
        return "done by a person (the system closes it when it sees it done)"
    if step.second_confirmer:
        return "confirmation by two people"
    return "confirmation"
