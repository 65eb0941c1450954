"""How plans, run summaries and progress look to a person at a terminal."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from offboard.apply.states import SHOWN_ORDER, RunStatus
from offboard.spi import Action, Phase, State
from offboard.text import for_terminal

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.apply.journal import ActionRow, RunRow
    from offboard.apply.runs import HeldItem, ManualItem, RunSummary
    from offboard.plans.plan import Plan


def put(console: Console, text: str | Text) -> None:
    """One line for a person. Names, summaries and errors in it come from outside (members, services), so
    it is printed as a Rich ``Text`` (no markup, no emoji codes) with its control characters shown escaped."""
    console.print(text if isinstance(text, Text) else Text(for_terminal(text)))


def brief(value: Any, limit: int = 70) -> str:
    """A before/after value on one short line."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_text(before: Any, after: Any) -> str:
    """What changes, in a few words: only the keys that differ, and nothing for a removal
    (the sentence says it). The full before/after stays in the saved plan and the report."""
    if after is None or (before is None and isinstance(after, dict)):  # a removal, or an item put back
        return ""
    if isinstance(before, dict) and isinstance(after, dict):  # only what both name: the sentence says the rest
        changed = [k for k in after if k in before and before[k] != after[k]]
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


def _playbook(playbook: dict[str, str]) -> str:
    ref = playbook.get("ref") or "a file outside the config's folder"
    where = "" if ref == playbook["name"] else f" ({ref})"
    return f"{playbook['name']}{where}, sha256 {playbook['sha256'][:12]}"


def show_plan(console: Console, plan: Plan) -> None:
    member = plan.member
    put(console, f"Plan: {plan.kind} {member['id']} {member['name']} <{member['email']}>")
    put(console, f"Playbook: {_playbook(plan.playbook)}")
    if plan.suspension:
        put(console, f"Until: {plan.suspension.get('until')} (the end of that day, UTC). "
                     f"Reason: {plan.suspension.get('reason')}")
    if plan.reverses:
        put(console, f"Reverses: report {int(plan.reverses.get('seq') or 0):06d} ({plan.reverses.get('kind')}, "
                     f"run {plan.reverses.get('run_id')})")
    for system in plan.systems:
        account = f" ({system.account.label})" if system.account else ""
        console.print()
        rest = f" - {system.title}{account}" + (f": {system.note}" if system.note else "")
        red = "red" if system.error else ""  # could not be read: never "nothing to do"
        put(console, Text(for_terminal(system.system), style=f"bold {red}".strip()) + Text(for_terminal(rest), style=red))
        if system.attention:
            put(console, Text(for_terminal(f"  ! {system.attention}"), style="red"))
        for phase in Phase:
            actions = [a for a in system.actions if a.phase is phase]
            if actions:
                put(console, f"  {phase.value}")
                for action in actions:
                    put(console, f"    - {action_line(action)}")
                    for line in _how(action):
                        put(console, f"        {line}")
                    for line in action.preview.splitlines():  # the notice, exactly as it will be sent
                        put(console, f"        | {line}".rstrip())
        if system.already:
            put(console, "  already as it was")
            for summary in system.already:
                put(console, f"    - {summary}")
        if system.lost:
            put(console, "  does not come back")
            for item in system.lost:
                put(console, f"    - {item.reason}")
    counts = plan.counts()
    unread = sum(1 for s in plan.systems if s.error)
    skipped = sum(1 for s in plan.systems if s.note and not s.actions and not s.error)
    console.print()
    if plan.reverses:
        lost = sum(len(s.lost) for s in plan.systems)
        tally = (f"{counts['cut'] + counts['clean']} to put back, {counts['manual']} manual steps, "
                 f"{lost} that cannot come back")
    else:
        tally = f"{counts['cut']} to cut, {counts['clean']} to clean, {counts['manual']} manual steps"
    console.print(f"{tally}, across {len(plan.systems)} systems ({skipped} with nothing to do"
                  + (f", {unread} could not be read)." if unread else ")."))


def _how(action: Action) -> list[str]:
    """A manual step's instructions and links, as the playbook gives them."""
    step = action.manual
    if step is None or action.phase is not Phase.MANUAL:
        return []
    return step.instructions.splitlines() + list(step.links)


def show_summary(console: Console, summary: RunSummary) -> None:
    console.print()
    put(console, f"Run {summary.run.id}: {summary.run.kind} {summary.run.member_id} {summary.run.member_name}")
    for system, counts in summary.counts.items():
        parts = [f"{counts[s]} {s}" for s in SHOWN_ORDER if counts.get(s)]
        note = summary.notes.get(system)
        put(console, f"  {system:<12} {', '.join(parts) or note or 'nothing to do'}")
    if summary.failures:
        console.print()
        console.print("Failed:")
        for failure in summary.failures:
            put(console, f"  {failure.system}: {failure.action}: {failure.error}")
    if summary.manual:
        console.print()
        show_manual(console, summary.run.id, summary.manual)
    if summary.held:
        console.print()
        show_held(console, summary.held)
    console.print()
    put(console, f"Status: {summary.status.upper()}. " + _next_step(summary))
    for path in summary.reports[-1:]:
        put(console, f"Report: {path}")


def show_manual(console: Console, run_id: str, manual: list[ManualItem]) -> None:
    console.print("Waiting on a person:")
    for item in manual:
        put(console, f"  {item.action_id}: {item.title} (needs {item.needs})")
        for line in item.instructions.splitlines():
            put(console, f"      {line}")
        for link in item.links:
            put(console, f"      {link}")
    put(console, f"  Record each with: offboard confirm {run_id} STEP --by NAME [--evidence FILE] [--reference TEXT]")


def show_held(console: Console, held: list[HeldItem]) -> None:
    console.print("Held until a manual step is closed:")
    for item in held:
        put(console, f"  {item.action_id}: {item.title} ({item.waits})")


def show_waiting(console: Console, waiting: list[RunSummary], closed: dict[str, int]) -> None:
    """Every unfinished run with what it waits on: steps for people first, then what to run."""
    for run_id, count in closed.items():
        put(console, f"Run {run_id}: {count} step(s) its systems now show done were closed.")
    for summary in waiting:
        run = summary.run
        put(console, f"Run {run.id} ({run.kind} {run.member_id} {run.member_name}) is {summary.status}:")
        for item in summary.manual:
            proof = " --reference TEXT" if item.evidence and not item.confirmed_by else ""  # or --evidence FILE
            put(console, f"  offboard confirm {run.id} {item.action_id} --by NAME{proof}  # {item.title} (needs {item.needs})")
        for held in summary.held:
            put(console, f"  held: {held.action_id}: {held.title} ({held.waits})")
        if summary.status is not RunStatus.INCOMPLETE:
            put(console, f"  {_next_step(summary)}")
    if waiting or closed:
        console.print()


def _next_step(summary: RunSummary) -> str:
    if summary.status is RunStatus.COMPLETE:
        if summary.run.kind == "reinstate":
            return "Everything that could come back is back; the report lists what could not."
        return "Every access in the playbook is ended."
    if summary.status is RunStatus.FAILED:
        return f"Fix what failed, then finish the run with: offboard resume {summary.run.id} (done steps are not repeated)."
    if summary.status is RunStatus.INCOMPLETE and summary.held:
        return "The run is complete once every manual step is confirmed; `offboard resume` then runs the actions they hold."
    if summary.status is RunStatus.INCOMPLETE:
        return "The run is complete once every manual step is confirmed."
    return f"The run was interrupted: finish it with `offboard resume {summary.run.id}`."



def show_run_list(console: Console, runs: list[tuple[RunRow, RunStatus]]) -> None:
    if not runs:
        console.print("No runs yet. Start one with: offboard expel MEMBER --dry-run")
    for r, status in runs:
        put(console, f"{r.id}  {r.kind:<8} {r.member_id:<10} {status:<11} {r.started[:19].replace('T', ' ')} UTC")


def show_run_detail(console: Console, summary: RunSummary, rows: list[ActionRow]) -> None:
    run = summary.run
    if summary.manual:
        show_manual(console, run.id, summary.manual)
        console.print()
    put(console, f"Run {run.id}: {run.kind} {run.member_id} {run.member_name}, by {run.operator}, status {summary.status}")
    for row in rows:
        error = f" - {row.last_error}" if row.last_error else ""
        detail = f" ({row.detail})" if row.detail and not error else ""
        put(console, f"  {row.state:<8} {row.system:<12} {row.action.summary}{detail}{error}")
    for path in summary.reports[-1:]:
        put(console, f"Report: {path}")


def run_rows_json(rows: list[ActionRow]) -> list[dict[str, Any]]:
    return [{"system": r.system, "id": r.action.id, "summary": r.action.summary, "state": r.state.value,
             "attempts": r.attempts, "detail": r.detail, "last_error": r.last_error} for r in rows]

class LiveProgress:
    """A progress bar per system while a run applies (only on a terminal)."""

    def __init__(self, console: Console, totals: dict[str, int]) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("{task.description:<14}", markup=False), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[last]}", markup=False), TimeElapsedColumn(), console=console,
                                  transient=False)
        self._tasks: dict[str, Any] = {
            system: self._progress.add_task(for_terminal(system), total=total, last="")
            for system, total in totals.items() if total
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
                self._progress.update(self._tasks[system], advance=1, last=for_terminal(f"{state}: {action.summary[:40]}"))
