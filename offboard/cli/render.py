"""How run summaries and the list of runs look to a person at a terminal (plans: ``render_plan``).

Colour carries meaning and only on a terminal (rich drops it elsewhere, and with NO_COLOR): done in green,
failed in red, waiting on a person in yellow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from offboard.apply.states import SHOWN_ORDER, Progress, RunStatus
from offboard.spi import State
from offboard.text import for_terminal

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.apply.journal import ActionRow, RunRow
    from offboard.apply.runs import HeldItem, ManualItem, RunSummary

# what each colour means, everywhere
CHANGE, IRREVERSIBLE = "cyan", "bold magenta"  # what a plan changes; what cannot be undone
DONE, FAILED, WAITING = "green", "red", "yellow"  # done; failed; waiting on a person
STATE_STYLE = {State.CHANGED: DONE, State.OK: DONE, State.FAILED: FAILED, State.MANUAL: WAITING, Progress.HELD: WAITING}
STATUS_STYLE = {RunStatus.COMPLETE: DONE, RunStatus.FAILED: FAILED, RunStatus.INCOMPLETE: WAITING,
                RunStatus.INTERRUPTED: WAITING}


def put(console: Console, text: str | Text) -> None:
    """One line for a person. Names, summaries and errors in it come from outside (members, services), so
    it is printed as a Rich ``Text`` (no markup, no emoji codes) with its control characters shown escaped."""
    console.print(text if isinstance(text, Text) else Text(for_terminal(text)))


def show_summary(console: Console, summary: RunSummary) -> None:
    """A finished run: each system's outcomes, what failed, what waits on a person, its status, its report,
    and one count line last."""
    console.print()
    put(console, f"Run {summary.run.id}: {summary.run.kind} {summary.run.member_id} {summary.run.member_name}")
    for system, counts in summary.counts.items():
        parts = [Text(f"{counts[s]} {s}", style=STATE_STYLE.get(s, "")) for s in SHOWN_ORDER if counts.get(s)]
        note = summary.notes.get(system)
        shown = Text(", ").join(parts) if parts else Text(for_terminal(note or "nothing to do"))
        put(console, Text(for_terminal(f"  {system:<12} ")) + shown)
    if summary.failures:
        console.print()
        put(console, Text("Failed:", style=FAILED))
        for failure in summary.failures:
            put(console, Text(for_terminal(f"  {failure.system}: {failure.action}: {failure.error}"), style=FAILED))
    if summary.manual:
        console.print()
        show_manual(console, summary.run.id, summary.manual)
    if summary.held:
        console.print()
        show_held(console, summary.held)
    console.print()
    put(console, Text.assemble((f"Status: {summary.status.upper()}.", STATUS_STYLE.get(summary.status, "")),
                               " " + for_terminal(_next_step(summary))))
    for path in summary.reports[-1:]:
        put(console, f"Report: {path}")
    put(console, run_count(summary))


def run_count(summary: RunSummary) -> Text:
    """The run's last line: "Done: 12 changed, 0 failed, 3 waiting on a person." What was already so, held or
    skipped is named only when there is some."""
    from offboard.cli.documents import run_counts

    n = run_counts(summary)
    parts = [Text(f"{n['changed']} changed", style=DONE if n["changed"] else "")]
    if n["ok"]:
        parts.append(Text(f"{n['ok']} already so", style=DONE))
    parts.append(Text(f"{n['failed']} failed", style=FAILED if n["failed"] else ""))
    parts.append(Text(f"{n['waiting']} waiting on a person", style=WAITING if n["waiting"] else ""))
    if n["held"]:
        parts.append(Text(f"{n['held']} held for a step", style=WAITING))
    if n["skipped"]:
        parts.append(Text(f"{n['skipped']} skipped"))
    return Text("Done: ") + Text(", ").join(parts) + Text(".")


def show_manual(console: Console, run_id: str, manual: list[ManualItem]) -> None:
    put(console, Text("Waiting on a person:", style=WAITING))
    for item in manual:
        put(console, f"  {item.action_id}: {item.title} (needs {item.needs})")
        for line in item.instructions.splitlines():
            put(console, f"      {line}")
        for link in item.links:
            put(console, f"      {link}")
    put(console, f"  Record each with: offboard confirm {run_id} STEP --by NAME [--evidence FILE] [--reference TEXT]")


def show_held(console: Console, held: list[HeldItem]) -> None:
    put(console, Text("Held until a manual step is closed:", style=WAITING))
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
        put(console, Text(for_terminal(f"{r.id}  {r.kind:<8} {r.member_id:<10} "))
            + Text(f"{status:<11}", style=STATUS_STYLE.get(status, "")) + Text(f" {r.started[:19].replace('T', ' ')} UTC"))


def show_run_detail(console: Console, summary: RunSummary, rows: list[ActionRow]) -> None:
    run = summary.run
    if summary.manual:
        show_manual(console, run.id, summary.manual)
        console.print()
    put(console, f"Run {run.id}: {run.kind} {run.member_id} {run.member_name}, by {run.operator}, status {summary.status}")
    for row in rows:
        error = f" - {row.last_error}" if row.last_error else ""
        detail = f" ({row.detail})" if row.detail and not error else ""
        put(console, Text(f"  {row.state:<8}", style=STATE_STYLE.get(row.state, ""))
            + Text(for_terminal(f" {row.system:<12} {row.action.summary}{detail}{error}")))
    for path in summary.reports[-1:]:
        put(console, f"Report: {path}")
