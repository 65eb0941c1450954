"""What a new run does to the member's earlier runs, so that no person is asked twice and nothing waits in vain.

A run that revokes (expel, suspend) takes over the manual steps of the member's earlier revoking runs
(``carry_over``); so does a reinstatement, of earlier reinstatements. A step done before the direction
changed is never carried: after a reinstatement the bank signer is back, and a new suspension must
remove them again. A run also closes what the runs of the other direction just before it would still
do (``supersede``): a step nobody did is no longer needed once the member is back, and an undo step
is no longer wanted once they are suspended again.
"""

from __future__ import annotations

from dataclasses import replace

from offboard.apply.holding import holds
from offboard.apply.journal import ActionRow, Journal
from offboard.apply.runs import finish, get_run
from offboard.apply.states import Progress
from offboard.spi import Phase, State

REINSTATE = "reinstate"
OPEN = (State.MANUAL, State.FAILED, Progress.HELD, Progress.PENDING, Progress.INTENT)  # what a run would still do


def carry_over(journal: Journal, run_id: str) -> list[str]:
    """Manual steps of the member's earlier runs, brought into this new run, so that none is asked twice.

    A step a person closed in an earlier run (confirmed, or not applicable) is closed here too, naming
    that run; a step an earlier run still waits on is handed over: it waits here, and the earlier run
    records it as carried over. Returns the earlier runs that changed (their reports are due).
    """
    run = get_run(journal, run_id)
    mine = {r.action.id: r for r in journal.actions(run_id, Phase.MANUAL)}
    changed: list[str] = []
    since = _runs_back(journal, run.member_id, run.kind, same=True, exclude=run.id)
    for earlier in journal.member_steps(run.member_id):
        row = mine.get(earlier.action.id)
        if earlier.run_id not in since or row is None or row.system != earlier.system \
                or row.action.manual != earlier.action.manual:  # another step under the same id: asked again
            continue
        if earlier.state is State.MANUAL:
            given = [(c, proof) for c, proof in zip(journal.confirmations(earlier.run_id),
                                                    journal.confirmation_proofs(earlier.run_id), strict=True)
                     if c.system == earlier.system and c.action_id == earlier.action.id]
            for confirmation, proof in given:  # a first confirmer's word (and signature) is kept: only the second is asked
                moved = replace(confirmation, run_id=run_id)
                if proof is not None:  # its signed statement names the run it was given in: that is what it signed
                    journal.add_confirmation_with_proof(moved, proof)
                else:
                    journal.add_confirmation(moved)
            if given:
                journal.record_outcome(run_id, row.system, row.action.id, State.MANUAL, attempts=0, detail=earlier.detail)
            journal.record_outcome(earlier.run_id, earlier.system, earlier.action.id, State.SKIPPED, attempts=0,
                                   detail=f"carried over to run {run_id}")
            _drop_held(journal, earlier, run_id)
            finish(journal, earlier.run_id)
            changed.append(earlier.run_id)
        elif earlier.state in (State.CHANGED, State.SKIPPED) and _closed_by_people(journal, earlier):
            journal.record_outcome(run_id, row.system, row.action.id, earlier.state, attempts=0,
                                   detail=f"{earlier.detail} (in run {earlier.run_id})")
    return sorted(set(changed))


def _drop_held(journal: Journal, step: ActionRow, run_id: str) -> None:
    """The actions an earlier run held for a step it hands over are never sent there: the step is still to do."""
    held = [r for r in journal.actions(step.run_id) if r.state is Progress.HELD]
    for _, system, action_id in holds(held, {step.key: step.action.summary}):
        journal.record_outcome(step.run_id, system, action_id, State.SKIPPED, attempts=0,
                               detail=f"not sent: the step it waits for was carried over to run {run_id}")


def _closed_by_people(journal: Journal, row: ActionRow) -> bool:
    return any(c.system == row.system and c.action_id == row.action.id for c in journal.confirmations(row.run_id))


def _runs_back(journal: Journal, member_id: str, kind: str, same: bool, exclude: str = "") -> set[str]:
    """The member's latest runs of ``kind``'s direction (``same``) or of the other one, newest first, back to
    the first run that is not: the revocation in force, or the reinstatement just before it."""
    runs: set[str] = set()
    for earlier in journal.runs(member_id, limit=10_000):  # newest first
        if earlier.id == exclude:
            continue
        if ((earlier.kind == REINSTATE) == (kind == REINSTATE)) != same:
            break
        runs.add(earlier.id)
    return runs


def notices_sent(journal: Journal, member_id: str, kind: str) -> list[str]:
    """The decisions (``template|until``) the notices of the member's earlier runs of this direction told of, by
    their ``observed`` proof: a new run of the same decision, on any day, does not tell them again."""
    sent = []
    for run_id in sorted(_runs_back(journal, member_id, kind, same=True)):
        for row in journal.actions(run_id):
            proof = row.observed.get("notice") if isinstance(row.observed, dict) else None
            if isinstance(proof, dict) and proof.get("key"):
                sent.append(str(proof["key"]))
    return sent


def supersede(journal: Journal, run_id: str) -> list[str]:
    """The member's runs of the other direction just before this one (the suspension a reinstatement reverses,
    the reinstatement a new suspension follows): whatever they still wait on or would still do (steps, held,
    failed or unsent actions) is no longer wanted, and is closed saying why. Returns the runs that changed
    (their reports are due)."""
    run = get_run(journal, run_id)
    word = "reinstated" if run.kind == REINSTATE else "revoked again"
    changed = []
    for earlier in sorted(_runs_back(journal, run.member_id, run.kind, same=False, exclude=run.id)):
        rows = [r for r in journal.actions(earlier) if r.state in OPEN]
        for row in rows:
            journal.record_outcome(earlier, row.system, row.action.id, State.SKIPPED, attempts=0,
                                   detail=f"no longer needed: the member was {word} by run {run_id}")
        if rows:
            finish(journal, earlier)
            changed.append(earlier)
    return changed
