"""What a new run does to the member's earlier runs, so that no person is asked twice and nothing waits in vain.

A run that revokes (expel, suspend) takes over the manual steps of the member's earlier revoking runs
(``carry_over``); so does a reinstatement, of earlier reinstatements. A step done before the direction
changed is never carried: after a reinstatement the bank signer is back, and a new suspension must
remove them again. A reinstatement also closes what the runs it reverses still wait on (``supersede``):
a step nobody did is no longer needed once the member is back.
"""

from __future__ import annotations

from dataclasses import replace

from offboard.apply.holding import holds
from offboard.apply.journal import ActionRow, Journal, RunRow
from offboard.apply.runs import finish, get_run
from offboard.apply.states import Progress
from offboard.spi import Phase, State

REINSTATE = "reinstate"


def carry_over(journal: Journal, run_id: str) -> list[str]:
    """Manual steps of the member's earlier runs, brought into this new run, so that none is asked twice.

    A step a person closed in an earlier run (confirmed, or not applicable) is closed here too, naming
    that run; a step an earlier run still waits on is handed over: it waits here, and the earlier run
    records it as carried over. Returns the earlier runs that changed (their reports are due).
    """
    run = get_run(journal, run_id)
    mine = {r.action.id: r for r in journal.actions(run_id) if r.action.phase is Phase.MANUAL}
    changed: list[str] = []
    since = _same_direction_since(journal, run)
    for earlier in journal.member_steps(run.member_id):
        row = mine.get(earlier.action.id)
        if earlier.run_id not in since or row is None or row.system != earlier.system:
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
    for system, action_id in holds(held, {step.key: step.action.summary}):
        journal.record_outcome(step.run_id, system, action_id, State.SKIPPED, attempts=0,
                               detail=f"not sent: the step it waits for was carried over to run {run_id}")


def _closed_by_people(journal: Journal, row: ActionRow) -> bool:
    return any(c.system == row.system and c.action_id == row.action.id for c in journal.confirmations(row.run_id))


def _same_direction_since(journal: Journal, run: RunRow) -> set[str]:
    """The member's earlier runs of this run's direction, back to the last run of the other one."""
    return _runs_since(journal, run.member_id, run.kind, exclude=run.id)


def _runs_since(journal: Journal, member_id: str, kind: str, exclude: str = "") -> set[str]:
    since: set[str] = set()
    for earlier in journal.runs(member_id, limit=10_000):  # newest first
        if earlier.id == exclude:
            continue
        if (earlier.kind == REINSTATE) != (kind == REINSTATE):
            break
        since.add(earlier.id)
    return since


def notices_sent(journal: Journal, member_id: str, kind: str) -> list[str]:
    """The Message-IDs of the notices the member's earlier runs of this direction sent (their ``observed`` proof):
    a new run of the same decision does not tell them again."""
    sent = []
    for run_id in sorted(_runs_since(journal, member_id, kind)):
        for row in journal.actions(run_id):
            proof = row.observed.get("notice") if isinstance(row.observed, dict) else None
            if isinstance(proof, dict) and proof.get("message_id"):
                sent.append(str(proof["message_id"]))
    return sent


def supersede(journal: Journal, run_id: str, reversed_runs: list[str]) -> list[str]:
    """A reinstatement's runs it reverses: their open steps and held actions are no longer needed. Returns
    the runs that changed (their reports are due)."""
    changed = []
    for earlier in reversed_runs:
        rows = [r for r in journal.actions(earlier) if r.state in (State.MANUAL, Progress.HELD)]
        for row in rows:
            journal.record_outcome(earlier, row.system, row.action.id, State.SKIPPED, attempts=0,
                                   detail=f"no longer needed: the member was reinstated by run {run_id}")
        if rows:
            finish(journal, earlier)
            changed.append(earlier)
    return changed
