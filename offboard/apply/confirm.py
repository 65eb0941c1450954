"""Manual steps confirmed by people: evidence hashed, two distinct people where the playbook asks."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from offboard.apply.journal import ActionRow, Confirmation, Journal
from offboard.apply.runs import finish
from offboard.clock import utc_now
from offboard.errors import OffboardError
from offboard.spi import ManualStep, Phase, State


@dataclass(frozen=True)
class ConfirmRequest:
    step_id: str
    by: str
    evidence: tuple[Path, ...] = ()
    reference: str | None = None
    note: str | None = None
    not_applicable: bool = False
    reason: str | None = None


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


def confirm_step(journal: Journal, run_id: str, request: ConfirmRequest) -> tuple[ActionRow, bool]:
    """Record a person's confirmation; returns the step and whether it is now closed."""
    if not request.by.strip():
        raise OffboardError("--by needs the name of the person confirming")
    if request.not_applicable and not (request.reason or "").strip():
        raise OffboardError("--not-applicable needs --reason TEXT saying why the step does not apply")
    row = find_step(journal.actions(run_id), request.step_id)
    if row.state is not State.MANUAL:
        raise OffboardError(
            f"step {row.action.id} is not waiting for a person (it is {row.state}); see `offboard status {run_id}`"
        )
    step = row.action.manual or ManualStep(row.action.summary)
    earlier = [c for c in journal.confirmations(run_id) if c.system == row.system and c.action_id == row.action.id]
    # the evidence comes with the first confirmation; a second confirmer vouches for it
    if step.evidence and not earlier and not request.not_applicable and not request.evidence and not request.reference:
        raise OffboardError(
            f"step {row.action.id} needs evidence ({'; '.join(step.evidence)}): pass --evidence FILE or --reference TEXT"
        )
    evidence = hash_evidence(request.evidence)
    if any(c.by.strip().lower() == request.by.strip().lower() for c in earlier):
        raise OffboardError(f"{request.by} already confirmed step {row.action.id}: a second, different person must confirm it")
    journal.add_confirmation(Confirmation(
        run_id, row.system, row.action.id, request.by.strip(), utc_now(), request.reference, request.note, evidence,
        request.not_applicable, request.reason,
    ))
    people = [*(c.by for c in earlier), request.by.strip()]
    if len(people) < (2 if step.second_confirmer else 1):
        journal.record_outcome(run_id, row.system, row.action.id, State.MANUAL, attempts=0,
                               detail=f"confirmed by {people[0]}; waiting for a second confirmer")
        return row, False
    if request.not_applicable or any(c.not_applicable for c in earlier):
        state, detail = State.SKIPPED, f"not applicable: {request.reason or earlier[0].reason} (by {' and '.join(people)})"
    else:
        state, detail = State.CHANGED, f"done, confirmed by {' and '.join(people)}"
    journal.record_outcome(run_id, row.system, row.action.id, state, attempts=0, detail=detail)
    finish(journal, run_id)
    return row, True
