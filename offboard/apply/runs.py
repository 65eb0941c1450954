"""Runs: start, execute, finish and summarize, on top of the plan, the journal and the engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from offboard.apply.engine import Engine, Listener
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
                listener: Listener | None = None, fresh: bool = False) -> RunSummary:
    """Apply (or finish applying) a run, then record its status.

    ``fresh``: the run was planned moments ago, so its actions may skip their re-read
    (``Connector.apply_planned``); leave it False when resuming.
    """
    plan = Plan.from_dict(get_run(journal, run_id).plan)
    stop = {s.system: s.on_failure == "stop" for s in plan.systems}
    engine = Engine(journal, connectors, retry, listener, stop)
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
    summary = summarize(journal, run_id)
    journal.finish_run(run_id, summary.status)
    summary.run = get_run(journal, run_id)  # the row now holds the status and finish time
    return summary


def is_interrupted(journal: Journal, run_id: str) -> bool:
    """Some of the run's actions never reached an outcome."""
    return any(isinstance(r.state, Progress) for r in journal.actions(run_id))


def unfinished_run(journal: Journal, member_id: str | None = None) -> RunRow | None:
    """The latest interrupted run (of the member, when given)."""
    interrupted = journal.interrupted_runs(member_id)
    return interrupted[0] if interrupted else None


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


def summarize(journal: Journal, run_id: str) -> RunSummary:
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
    manual = [ManualItem(r.system, r.action.id, r.action.summary, _needs(r, confirmations))
              for r in rows if r.state is State.MANUAL]
    if any(isinstance(r.state, Progress) for r in rows):
        status = RunStatus.INTERRUPTED
    elif failures:
        status = RunStatus.FAILED
    elif manual:
        status = RunStatus.INCOMPLETE
    else:
        status = RunStatus.COMPLETE
    reports = [path for _, path in journal.reports(run_id)]
    return RunSummary(run, status, counts, notes, failures, manual, reports)


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
