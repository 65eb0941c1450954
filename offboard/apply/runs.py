"""Runs: start, execute, resume, confirm and summarize, on top of the plan and the engine.

This is the library the CLI is a thin layer over.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offboard.apply.engine import Engine, Listener
from offboard.apply.journal import INTENT, PENDING, ActionRow, Confirmation, RunRow, utc_now
from offboard.errors import OffboardError
from offboard.operations.session import Workspace
from offboard.plans.plan import Plan
from offboard.spi import Connector, ManualStep, Phase, State

COMPLETE, INCOMPLETE, FAILED, INTERRUPTED = "complete", "incomplete", "failed", "interrupted"
EXIT_CODES = {COMPLETE: 0, FAILED: 2, INCOMPLETE: 3, INTERRUPTED: 1}
STATES = [s.value for s in State]


@dataclass(frozen=True)
class ManualItem:
    system: str
    action_id: str
    title: str
    needs: str  # what is still missing: "confirmation", "a second confirmer"


@dataclass
class RunSummary:
    run: RunRow
    status: str
    counts: dict[str, Counter[str]]  # per system: state -> n
    notes: dict[str, str]  # per system: why it has nothing to do, or could not be read
    failures: list[tuple[str, str, str]]  # system, action summary, last error
    manual: list[ManualItem]
    reports: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counter in self.counts.values():
            total.update(counter)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run.id, "status": self.status, "member": {"id": self.run.member_id, "name": self.run.member_name},
            "systems": {s: {"counts": dict(c), "note": self.notes.get(s)} for s, c in self.counts.items()},
            "failed": [{"system": s, "action": a, "error": e} for s, a, e in self.failures],
            "manual": [{"system": m.system, "step": m.action_id, "title": m.title, "needs": m.needs} for m in self.manual],
            "reports": self.reports,
        }


def new_run_id(member_id: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{member_id}-{secrets.token_hex(2)}"


def start_run(ws: Workspace, plan: Plan, operator: str) -> str:
    """Record the plan and its actions as ``pending`` in the journal; returns the run id."""
    run_id = new_run_id(plan.member["id"])
    ws.journal.create_run(run_id, plan.kind, plan.member["id"], plan.member["name"], operator, plan.to_dict(),
                          plan.actions)
    return run_id


def execute_run(ws: Workspace, run_id: str, connectors: Mapping[str, Connector],
                listener: Listener | None = None, fresh: bool = False) -> RunSummary:
    """Apply (or finish applying) a run, then record its status.

    ``fresh``: the run was planned moments ago, so its actions may skip their re-read
    (``Connector.apply_planned``); leave it False when resuming.
    """
    run = _run(ws, run_id)
    plan = Plan.from_dict(run.plan)
    stop = {s.system: s.on_failure == "stop" for s in plan.systems}
    engine = Engine(ws.journal, connectors, ws.retry, listener, stop)
    engine.execute(run_id, fresh=fresh)
    engine.refresh_manual(run_id, skip_applied=True)
    return finish(ws, run_id)


def refresh_run(ws: Workspace, run_id: str, connectors: Mapping[str, Connector]) -> int:
    """Close manual steps the systems now show done; returns how many were closed."""
    closed = Engine(ws.journal, connectors, ws.retry).refresh_manual(run_id)
    if closed:
        finish(ws, run_id)
    return closed


def finish(ws: Workspace, run_id: str) -> RunSummary:
    """Compute and store the run's status (reports are issued by the caller)."""
    summary = summarize(ws, run_id)
    ws.journal.finish_run(run_id, summary.status)
    summary.run = ws.journal.run(run_id) or summary.run  # the row now holds the status and finish time
    return summary


def is_interrupted(ws: Workspace, run_id: str) -> bool:
    """Some of the run's actions never reached an outcome."""
    return any(r.state in (PENDING, INTENT) for r in ws.journal.actions(run_id))


def unfinished_run(ws: Workspace, member_id: str | None = None) -> RunRow | None:
    """The latest interrupted run (of the member, when given)."""
    interrupted = ws.journal.interrupted_runs(member_id)
    return interrupted[0] if interrupted else None


def find_run(ws: Workspace, run_id: str | None) -> RunRow:
    """A run by id or unique prefix; without an id, the latest run."""
    if run_id is None:
        runs = ws.journal.runs(limit=1)
        if not runs:
            raise OffboardError("no runs yet: start one with `offboard expel MEMBER`")
        return runs[0]
    matches = ws.journal.find_run(run_id)
    if not matches:
        raise OffboardError(f"no run '{run_id}': list runs with `offboard status`")
    if len(matches) > 1:
        shown = ", ".join(r.id for r in matches[:3])
        raise OffboardError(f"'{run_id}' matches {len(matches)} runs ({shown}): give more of the id")
    return matches[0]


def _run(ws: Workspace, run_id: str) -> RunRow:
    run = ws.journal.run(run_id)
    if run is None:
        raise OffboardError(f"no run '{run_id}': list runs with `offboard status`")
    return run


def summarize(ws: Workspace, run_id: str) -> RunSummary:
    run = _run(ws, run_id)
    plan = Plan.from_dict(run.plan)
    rows = ws.journal.actions(run_id)
    confirmations = ws.journal.confirmations(run_id)
    counts: dict[str, Counter[str]] = {s.system: Counter() for s in plan.systems}
    for row in rows:
        counts.setdefault(row.system, Counter())[row.state] += 1
    notes = {s.system: s.note for s in plan.systems if s.note}
    unreadable = [s for s in plan.systems if s.error]
    failures = [(r.system, r.action.summary, r.last_error or r.detail) for r in rows if r.state == State.FAILED.value]
    failures += [(s.system, "read the current access", s.note or "") for s in unreadable]
    manual = [ManualItem(r.system, r.action.id, r.action.summary, _needs(r, confirmations))
              for r in rows if r.state == State.MANUAL.value]
    if any(r.state in (PENDING, INTENT) for r in rows):
        status = INTERRUPTED
    elif failures:
        status = FAILED
    elif manual:
        status = INCOMPLETE
    else:
        status = COMPLETE
    reports = [path for _, path in ws.journal.reports(run_id)]
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


# ---------------------------------------------------------------- manual confirmations


def find_step(rows: Sequence[ActionRow], step_id: str) -> ActionRow:
    """A step by its full id (``bank:remove-signer``) or its unique last part (``remove-signer``)."""
    exact = [r for r in rows if r.action.id == step_id]
    if exact:
        return exact[0]
    tail = [r for r in rows if r.action.id.split(":", 1)[-1] == step_id or r.action.id.endswith(f":{step_id}")]
    manual_ids = ", ".join(r.action.id for r in rows if r.action.phase is Phase.MANUAL) or "none"
    if not tail:
        raise OffboardError(f"no step '{step_id}' in this run (manual steps: {manual_ids})")
    if len(tail) > 1:
        raise OffboardError(f"'{step_id}' matches several steps ({', '.join(r.action.id for r in tail)}): give the full id")
    return tail[0]


def hash_evidence(paths: Sequence[Path]) -> list[dict[str, str]]:
    """SHA-256 of each evidence file: the file stays where it is, the hash proves which it was."""
    hashed = []
    for path in paths:
        if not path.is_file():
            raise OffboardError(f"evidence file {path} does not exist: check the path")
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        hashed.append({"name": path.name, "sha256": digest.hexdigest()})
    return hashed


@dataclass(frozen=True)
class ConfirmRequest:
    step_id: str
    by: str
    evidence: tuple[Path, ...] = ()
    reference: str | None = None
    note: str | None = None
    not_applicable: bool = False
    reason: str | None = None


def confirm_step(ws: Workspace, run_id: str, request: ConfirmRequest) -> tuple[ActionRow, bool]:
    """Record a person's confirmation; returns the step and whether it is now closed."""
    if not request.by.strip():
        raise OffboardError("--by needs the name of the person confirming")
    if request.not_applicable and not (request.reason or "").strip():
        raise OffboardError("--not-applicable needs --reason TEXT saying why the step does not apply")
    rows = ws.journal.actions(run_id)
    row = find_step(rows, request.step_id)
    if row.state != State.MANUAL.value:
        raise OffboardError(
            f"step {row.action.id} is not waiting for a person (it is {row.state}); see `offboard status {run_id}`"
        )
    step = row.action.manual or ManualStep(row.action.summary)
    needed = list(step.evidence)
    if needed and not request.not_applicable and not request.evidence and not request.reference:
        raise OffboardError(
            f"step {row.action.id} needs evidence ({'; '.join(needed)}): pass --evidence FILE or --reference TEXT"
        )
    evidence = hash_evidence(request.evidence)
    earlier = [c for c in ws.journal.confirmations(run_id) if c.system == row.system and c.action_id == row.action.id]
    if any(c.by.strip().lower() == request.by.strip().lower() for c in earlier):
        raise OffboardError(f"{request.by} already confirmed step {row.action.id}: a second, different person must confirm it")
    ws.journal.add_confirmation(Confirmation(
        run_id, row.system, row.action.id, request.by.strip(), utc_now(), request.reference, request.note, evidence,
        request.not_applicable, request.reason,
    ))
    required = 2 if step.second_confirmer else 1
    people = [*(c.by for c in earlier), request.by.strip()]
    if len(people) < required:
        ws.journal.record_outcome(run_id, row.system, row.action.id, State.MANUAL.value, attempts=0,
                                  detail=f"confirmed by {people[0]}; waiting for a second confirmer")
        return row, False
    if request.not_applicable or any(c.not_applicable for c in earlier):
        state, detail = State.SKIPPED.value, f"not applicable: {request.reason or earlier[0].reason} (by {' and '.join(people)})"
    else:
        state, detail = State.CHANGED.value, f"done, confirmed by {' and '.join(people)}"
    ws.journal.record_outcome(run_id, row.system, row.action.id, state, attempts=0, detail=detail)
    finish(ws, run_id)
    return row, True
