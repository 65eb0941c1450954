"""Manual steps confirmed by people: evidence hashed, two distinct people where the playbook asks.

Who confirmed is told apart in one of two ways. Without ``[approvals] approvers``, by the name typed after
``--by``, compared in canonical form (NFKC, case folded; a name mixing scripts is refused, see
``offboard.approvals.confirmation``). With approvers configured, a step that needs a second confirmer takes
signed confirmations only (``--key PATH|agent``): two different principals of the approvers file, with two
different keys. Every confirmation records the user who ran the command (``os_user``) beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from offboard.apply.journal import ActionRow, Confirmation, Journal
from offboard.apply.runs import finish
from offboard.approvals.confirmation import SignedConfirmation, confirmation_statement, name_problem, sign_confirmation
from offboard.approvals.principals import canonical
from offboard.clock import utc_now
from offboard.errors import OffboardError
from offboard.spi import ManualStep, Phase, State

if TYPE_CHECKING:
    from offboard.approvals.principals import Approvers
    from offboard.report.signing.keys import Signer


@dataclass(frozen=True)
class ConfirmRequest:
    step_id: str
    by: str  # who did it; with a key it may be empty (the principal signing is then the name)
    evidence: tuple[Path, ...] = ()
    reference: str | None = None
    note: str | None = None
    not_applicable: bool = False
    reason: str | None = None
    key: str | None = None  # sign with this private key file, or "agent"; needs [approvals] approvers
    as_principal: str | None = None  # sign as this approver (a key listed for several)
    also: tuple[str, ...] = ()  # more steps the same person confirms with the same evidence: one batch, one report

    @property
    def batch(self) -> list[ConfirmRequest]:
        """One request per step named: the step, then each of ``also``."""
        return [self, *(replace(self, step_id=step, also=()) for step in self.also)]


@dataclass(frozen=True)
class Signing:
    """``[approvals] approvers`` is configured: a step that needs a second confirmer takes signed confirmations only."""

    namespace: str  # offboard-approval@<domain>
    approvers: Approvers | None = None  # with ``signer``: the file the signature must satisfy
    signer: Signer | None = None  # None: this confirmation is not signed
    principal: str = ""  # whom ``signer`` signs as, spelled as in the approvers file


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
class _Checked:
    """One confirmation that passed every check, ready to be recorded."""

    row: ActionRow
    by: str
    people: tuple[str, ...]  # who confirmed it, this person last
    needed: int  # people the step needs
    not_applicable: bool  # this confirmation or an earlier one says the step does not apply
    reason: str  # why not
    evidence: list[dict[str, str]]
    proof: dict[str, str | None]
    at: str


def confirm_step(journal: Journal, run_id: str, request: ConfirmRequest, *, os_user: str | None = None,
                 signing: Signing | None = None) -> tuple[ActionRow, bool]:
    """Record a person's confirmation; returns the step and whether it is now closed.

    ``os_user`` (who ran the command) is recorded beside it, and the signature where ``signing`` has a
    signer. Nothing is recorded when anything is refused. Actions ``held`` for the step are not run here
    (there are no connectors): the run is then interrupted, and ``offboard resume`` runs them."""
    ((row, closed),) = confirm_steps(journal, run_id, [request], os_user=os_user, signing=signing)
    return row, closed


def confirm_steps(journal: Journal, run_id: str, requests: Sequence[ConfirmRequest], *, os_user: str | None = None,
                  signing: Signing | None = None) -> list[tuple[ActionRow, bool]]:
    """Record one person's confirmation of several steps (one batch): all are checked before any is recorded,
    so a refusal of one records none. Returns each step and whether it is now closed."""
    checked: list[_Checked] = []
    for request in requests:
        item = _check(journal, run_id, request, os_user, signing)
        if any(c.row.action.id == item.row.action.id for c in checked):
            raise OffboardError(f"step {item.row.action.id} is named twice: name each step once")
        checked.append(item)
    return [(item.row, _record(journal, run_id, request, item)) for item, request in zip(checked, requests, strict=True)]


def _check(journal: Journal, run_id: str, request: ConfirmRequest, os_user: str | None,
           signing: Signing | None) -> _Checked:
    signer = signing.signer if signing else None
    by = request.by.strip() or (signing.principal if signing and signer else "")
    if not by:
        how = " (or sign with --key PATH|agent)" if signing else ""
        raise OffboardError(f"--by needs the name of the person confirming{how}")
    problem = name_problem(request.by.strip()) if request.by.strip() else None
    if problem:
        raise OffboardError(f"--by {request.by.strip()!r} cannot tell a person apart: {problem}")
    if request.not_applicable and not (request.reason or "").strip():
        raise OffboardError("--not-applicable needs --reason TEXT saying why the step does not apply")
    row = find_step(journal.actions(run_id), request.step_id)
    if row.state is not State.MANUAL:
        raise OffboardError(
            f"step {row.action.id} is not waiting for a person (it is {row.state}); see `offboard status {run_id}`"
        )
    step = row.action.manual or ManualStep(row.action.summary)
    keyed = signing is not None and step.second_confirmer  # only signed confirmations count
    if keyed and signer is None:
        raise OffboardError(f"step {row.action.id} needs two people, each signing with their own key, since [approvals] "
                            "approvers is configured: pass --key PATH (your own SSH private key) or --key agent")
    earlier = [(c, p) for c, p in zip(journal.confirmations(run_id), journal.confirmation_proofs(run_id), strict=True)
               if c.system == row.system and c.action_id == row.action.id]
    signed = [p for _, p in earlier if p and p.get("signature")]
    counted = [c for c, p in earlier if not keyed or (p and p.get("signature"))]  # keyed: unsigned ones do not count
    # the evidence comes with the first confirmation; a second confirmer vouches for it
    if step.evidence and not earlier and not request.not_applicable and not request.evidence and not request.reference:
        raise OffboardError(
            f"step {row.action.id} needs evidence ({'; '.join(step.evidence)}): pass --evidence FILE or --reference TEXT"
        )
    evidence = hash_evidence(request.evidence)
    if signing is not None and signer is not None:
        _distinct(row, signing, signer, signed)
    if any(canonical(c.by) == canonical(by) for c in counted):
        raise OffboardError(f"{by} already confirmed step {row.action.id}: a second, different person must confirm it")
    proof: dict[str, str | None] = {"os_user": os_user}
    at = utc_now()
    if signing is not None and signer is not None:
        proof.update(_sign(run_id, row, request, signing, signer, at, evidence).to_dict())
    not_applicable = request.not_applicable or any(c.not_applicable for c in counted)
    reason = (request.reason or next((c.reason for c in counted if c.not_applicable), "")) if not_applicable else ""
    return _Checked(row, by, (*(c.by for c in counted), by), 2 if step.second_confirmer else 1, not_applicable,
                    reason or "", evidence, proof, at)


def _record(journal: Journal, run_id: str, request: ConfirmRequest, item: _Checked) -> bool:
    """Write one checked confirmation; close its step when it has all the people it needs."""
    row, people = item.row, item.people
    journal.add_confirmation_with_proof(Confirmation(
        run_id, row.system, row.action.id, item.by, item.at, request.reference, request.note, item.evidence,
        request.not_applicable, request.reason,
    ), item.proof)
    if len(people) < item.needed:
        journal.record_outcome(run_id, row.system, row.action.id, State.MANUAL, attempts=0,
                               detail=f"confirmed by {people[0]}; waiting for a second confirmer")
        return False
    if item.not_applicable:
        state, detail = State.SKIPPED, f"not applicable: {item.reason} (by {' and '.join(people)})"
    else:
        state, detail = State.CHANGED, f"done, confirmed by {' and '.join(people)}"
    journal.record_outcome(run_id, row.system, row.action.id, state, attempts=0, detail=detail)
    finish(journal, run_id)
    return True


def _distinct(row: ActionRow, signing: Signing, signer: Signer, earlier: Sequence[dict[str, str | None]]) -> None:
    """A second signed confirmation is by another principal, with another key."""
    for proof in earlier:
        if canonical(proof.get("principal") or "") == canonical(signing.principal):
            raise OffboardError(f"{signing.principal} already confirmed step {row.action.id} (with key "
                                f"{proof.get('fingerprint')}): a second, different person must confirm it with their own key")
        if proof.get("fingerprint") == signer.fingerprint:
            raise OffboardError(f"key {signer.fingerprint} already confirmed step {row.action.id} (as "
                                f"{proof.get('principal')}): a second person must confirm it with their own key")


def _sign(run_id: str, row: ActionRow, request: ConfirmRequest, signing: Signing, signer: Signer, at: str,
          evidence: list[dict[str, str]]) -> SignedConfirmation:
    assert signing.approvers is not None  # a signer always comes with the approvers file it is checked against
    statement = confirmation_statement(
        run_id=run_id, system=row.system, step=row.action.id, principal=signing.principal, at=at, evidence=evidence,
        reference=request.reference, not_applicable=request.not_applicable, reason=request.reason)
    return sign_confirmation(statement, signer, signing.namespace, signing.approvers)
