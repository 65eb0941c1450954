"""Runs: start, execute, finish and summarize, on top of the plan, the journal and the engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from offboard.apply.engine import Engine, Listener
from offboard.apply.journal import ActionRow, Confirmation, Journal, RunRow
from offboard.apply.retry import RetryPolicy
from offboard.apply.states import ActionState, Progress, RunStatus
from offboard.clock import new_run_id
from offboard.errors import ExitCode, OffboardError
from offboard.plans.plan import Plan
from offboard.spi import Connector, Phase, State


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
            "reports": self.reports,
        }


def start_run(journal: Journal, plan: Plan, operator: str) -> str:
    """Record the plan and its actions as ``pending`` in the journal; returns the run id."""
    run_id = new_run_id(plan.member["id"])
    journal.create_run(run_id, plan.kind, plan.member["id"], plan.member["name"], operator, plan.to_dict(), plan.actions)
    return run_id


def execute_run(journal: Journal, run_id: str, connectors: Mapping[str, Connector], retry: RetryPolicy,
                listener: Listener | None = None, fresh: bool = False,
                on_ctrl_c: Callable[[int], None] | None = None) -> RunSummary:
    """Apply (or finish applying) a run, then record its status.

    ``fresh``: the run was planned moments ago, so its actions may skip their re-read
    (``Connector.apply_planned``); leave it False when resuming.
    """
    plan = Plan.from_dict(get_run(journal, run_id).plan)
    stop = {s.system: s.on_failure == "stop" for s in plan.systems}
    engine = Engine(journal, connectors, retry, listener, stop, on_ctrl_c)
    engine.execute(run_id, fresh=fresh)
    engine.refresh_manual(run_id, skip_applied=True)
    return finish(journal, run_id)


def refresh_run(journal: Journal, run_id: str, connectors: Mapping[str, Connector], retry: RetryPolicy) -> int:
    """Close manual steps the systems now show done; returns how many were closed."""
    closed = Engine(journal, connectors, retry).refresh_manual(run_id)
    if closed:
        finish(journal, run_id)
    return closed


def finish(journal: Journal, run_id: str) -> RunSummary:
    """Compute and store the run's status (reports are issued by the caller)."""
    summary = summarize(journal, run_id, finishing=True)
    journal.finish_run(run_id, summary.status)
    summary.run = get_run(journal, run_id)  # the row now holds the status and finish time
    return summary


def is_interrupted(journal: Journal, run_id: str) -> bool:
    """The run stopped before its end: an action without an outcome, the end never recorded, or no report."""
    return run_id in {r.id for r in journal.interrupted_runs(get_run(journal, run_id).member_id)}


def unfinished_run(journal: Journal, member_id: str | None = None) -> RunRow | None:
    """The latest interrupted run (of the member, when given): one stopped before its end."""
    interrupted = journal.interrupted_runs(member_id)
    return interrupted[0] if interrupted else None


def carry_over(journal: Journal, run_id: str) -> list[str]:
    """Manual steps of the member's earlier runs, brought into this new run, so that none is asked twice.

    A step a person closed in an earlier run (confirmed, or not applicable) is closed here too, naming
    that run; a step an earlier run still waits on is handed over: it waits here, and the earlier run
    records it as carried over. Returns the earlier runs that changed (their reports are due).
    """
    run = get_run(journal, run_id)
    mine = {r.action.id: r for r in journal.actions(run_id) if r.action.phase is Phase.MANUAL}
    changed: list[str] = []
    for earlier in journal.member_steps(run.member_id):
        row = mine.get(earlier.action.id)
        if earlier.run_id == run_id or row is None or row.system != earlier.system:
            continue
        if earlier.state is State.MANUAL:
            given = [c for c in journal.confirmations(earlier.run_id)
                     if c.system == earlier.system and c.action_id == earlier.action.id]
            for confirmation in given:  # a first confirmer's word is kept: only the second is still asked
                journal.add_confirmation(replace(confirmation, run_id=run_id))
            if given:
                journal.record_outcome(run_id, row.system, row.action.id, State.MANUAL, attempts=0, detail=earlier.detail)
            journal.record_outcome(earlier.run_id, earlier.system, earlier.action.id, State.SKIPPED, attempts=0,
                                   detail=f"carried over to run {run_id}")
            finish(journal, earlier.run_id)
            changed.append(earlier.run_id)
        elif earlier.state in (State.CHANGED, State.SKIPPED) and _closed_by_people(journal, earlier):
            journal.record_outcome(run_id, row.system, row.action.id, earlier.state, attempts=0,
                                   detail=f"{earlier.detail} (in run {earlier.run_id})")
    return sorted(set(changed))


def _closed_by_people(journal: Journal, row: ActionRow) -> bool:
    return any(c.system == row.system and c.action_id == row.action.id for c in journal.confirmations(row.run_id))


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
    ``interrupted``; ``finishing``: the end and the report are being recorded now, judge by the actions alone."""
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
    stopped = run.status is RunStatus.RUNNING or not journal.reports(run_id)
    if any(isinstance(r.state, Progress) for r in rows) or (stopped and not finishing):
        status = RunStatus.INTERRUPTED
    elif failures:
        status = RunStatus.FAILED
    elif manual:
        status = RunStatus.INCOMPLETE
    else:
        status = RunStatus.COMPLETE
    reports = [path for _, path in journal.reports(run_id)]
    return RunSummary(run, status, counts, notes, failures, manual, reports)


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
