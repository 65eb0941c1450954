"""How plans, run summaries and progress look to a person at a terminal."""

from __future__ import annotations

import json
import threading
from typing import Any

from rich.console import Console

from offboard.apply.journal import ActionRow, RunRow
from offboard.apply.runs import ManualItem, RunSummary
from offboard.apply.states import OUTCOME_ORDER, RunStatus
from offboard.plans.plan import Plan
from offboard.spi import Action, Phase, State


def brief(value: Any, limit: int = 70) -> str:
    """A before/after value on one short line."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_text(before: Any, after: Any) -> str:
    """What changes, in a few words: only the keys that differ, and nothing for a removal
    (the sentence says it). The full before/after stays in the saved plan and the report."""
    if after is None:
        return ""
    if isinstance(before, dict) and isinstance(after, dict):
        changed = [k for k in after if before.get(k) != after[k]]
        return ", ".join(f"{k} {brief(before.get(k), 30)} → {brief(after[k], 30)}" for k in changed)
    return f"{brief(before)} → {brief(after)}"


def action_line(action: Action) -> str:
    if action.phase is Phase.MANUAL:
        step = action.manual
        needs = list(step.evidence) if step else []
        if step and step.second_confirmer:
            needs.append("a second confirmer")
        return f"{action.summary}" + (f" (needs: {'; '.join(needs)})" if needs else "")
    change = change_text(action.before, action.after)
    undo = "can be undone" if action.reversible else "cannot be undone"
    return f"{action.summary}" + (f": {change}" if change else "") + f" [{undo}]"


def show_plan(console: Console, plan: Plan) -> None:
    member = plan.member
    console.print(f"Plan: {plan.kind} {member['id']} {member['name']} <{member['email']}>")
    console.print(f"Playbook: {plan.playbook['name']} ({plan.playbook['path']})")
    for system in plan.systems:
        account = f" ({system.account.label})" if system.account else ""
        console.print()
        console.print(f"[bold]{system.system}[/bold] - {system.title}{account}" + (f": {system.note}" if system.note else ""))
        for phase in Phase:
            actions = [a for a in system.actions if a.phase is phase]
            if actions:
                console.print(f"  {phase.value}")
                for action in actions:
                    console.print(f"    - {action_line(action)}", markup=False)
    counts = plan.counts()
    skipped = sum(1 for s in plan.systems if s.note and not s.actions)
    console.print()
    console.print(
        f"{counts['cut']} to cut, {counts['clean']} to clean, {counts['manual']} manual steps, "
        f"across {len(plan.systems)} systems ({skipped} with nothing to do)."
    )


def show_summary(console: Console, summary: RunSummary) -> None:
    console.print()
    console.print(f"Run {summary.run.id}: {summary.run.kind} {summary.run.member_id} {summary.run.member_name}")
    for system, counts in summary.counts.items():
        parts = [f"{counts[s]} {s}" for s in OUTCOME_ORDER if counts.get(s)]
        note = summary.notes.get(system)
        console.print(f"  {system:<12} {', '.join(parts) or note or 'nothing to do'}", markup=False)
    if summary.failures:
        console.print()
        console.print("Failed:")
        for failure in summary.failures:
            console.print(f"  {failure.system}: {failure.action}: {failure.error}", markup=False)
    if summary.manual:
        console.print()
        show_manual(console, summary.run.id, summary.manual)
    console.print()
    console.print(f"Status: {summary.status.upper()}. " + _next_step(summary))
    for path in summary.reports[-1:]:
        console.print(f"Report: {path}")


def show_manual(console: Console, run_id: str, manual: list[ManualItem]) -> None:
    console.print("Waiting on a person:")
    for item in manual:
        console.print(f"  {item.action_id}: {item.title} (needs {item.needs})", markup=False)
    console.print(f"  Record each with: offboard confirm {run_id} STEP --by NAME [--evidence FILE] [--reference TEXT]")


def _next_step(summary: RunSummary) -> str:
    if summary.status is RunStatus.COMPLETE:
        return "Every access in the playbook is ended."
    if summary.status is RunStatus.FAILED:
        return f"Fix what failed, then run `offboard expel {summary.run.member_id}` again: done steps are skipped."
    if summary.status is RunStatus.INCOMPLETE:
        return "The run is complete once every manual step is confirmed."
    return f"The run was interrupted: finish it with `offboard resume {summary.run.id}`."



def show_run_list(console: Console, runs: list[RunRow]) -> None:
    if not runs:
        console.print("No runs yet. Start one with: offboard expel MEMBER --dry-run")
    for r in runs:
        console.print(f"{r.id}  {r.kind:<8} {r.member_id:<10} {r.status:<11} {r.started[:19].replace('T', ' ')} UTC",
                      markup=False)


def show_run_detail(console: Console, summary: RunSummary, rows: list[ActionRow]) -> None:
    run = summary.run
    if summary.manual:
        show_manual(console, run.id, summary.manual)
        console.print()
    console.print(f"Run {run.id}: {run.kind} {run.member_id} {run.member_name}, by {run.operator}, status {summary.status}",
                  markup=False)
    for row in rows:
        error = f" - {row.last_error}" if row.last_error else ""
        detail = f" ({row.detail})" if row.detail and not error else ""
        console.print(f"  {row.state:<8} {row.system:<12} {row.action.summary}{detail}{error}", markup=False)
    for path in summary.reports[-1:]:
        console.print(f"Report: {path}", markup=False)


def run_rows_json(rows: list[ActionRow]) -> list[dict[str, Any]]:
    return [{"system": r.system, "id": r.action.id, "summary": r.action.summary, "state": r.state.value,
             "attempts": r.attempts, "detail": r.detail, "last_error": r.last_error} for r in rows]

class LiveProgress:
    """A progress bar per system while a run applies (only on a terminal)."""

    def __init__(self, console: Console, totals: dict[str, int]) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=console, transient=False)
        self._tasks: dict[str, Any] = {
            system: self._progress.add_task(system, total=total, last="") for system, total in totals.items() if total
        }
        self._lock = threading.Lock()

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def started(self, system: str, action: Action) -> None:
        pass

    def finished(self, system: str, action: Action, state: State) -> None:
        with self._lock:
            if system in self._tasks:
                self._progress.update(self._tasks[system], advance=1, last=f"{state}: {action.summary[:40]}")
