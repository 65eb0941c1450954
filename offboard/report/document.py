"""A run's report document, built from the journal: what the ledger signs."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from offboard.apply.journal import Journal
from offboard.apply.runs import summarize
from offboard.apply.states import OUTCOME_ORDER
from offboard.clock import utc_now
from offboard.plans.plan import Plan
from offboard.report.ledger import FORMAT


def build_document(journal: Journal, org: Mapping[str, str], run_id: str) -> dict[str, Any]:
    """The report of a run as it stands now, without the ledger's seq/prev/signed fields."""
    summary = summarize(journal, run_id, finishing=True)  # the report is what records the end
    run = summary.run
    plan = Plan.from_dict(run.plan)
    rows = journal.actions(run_id)
    systems = []
    for system in plan.systems:
        systems.append({
            "name": system.system,
            "title": system.title,
            "account": system.account.label if system.account else None,
            "note": system.note,
            "error": system.error,  # could not be read: not touched
            **({"lost": [{"action_id": n.action_id, "reason": n.reason} for n in system.lost]} if system.lost else {}),
            **({"already": list(system.already)} if system.already else {}),
            "actions": [
                {
                    "id": r.action.id, "summary": r.action.summary, "phase": r.action.phase.value,
                    "reversible": r.action.reversible, "before": r.action.before, "after": r.action.after,
                    "state": r.state.value, "detail": r.detail, "attempts": r.attempts, "last_error": r.last_error,
                    "started": r.started, "finished": r.finished,
                    **({"instructions": r.action.manual.instructions, "links": list(r.action.manual.links)}
                       if r.action.manual else {}),
                }
                for r in rows if r.system == system.system
            ],
        })
    # os_user: who ran `offboard confirm` (None: carried over from an earlier run, or recorded before it was kept);
    # signed: the principal, key, namespace, statement and SSHSIG, for `ssh-keygen -Y verify` with the approvers file
    confirmations = [
        {"action_id": c.action_id, "system": c.system, "by": c.by, "at": c.at, "reference": c.reference,
         "note": c.note, "evidence": c.evidence, "not_applicable": c.not_applicable, "reason": c.reason,
         "os_user": (proof or {}).get("os_user"),
         "signed": {k: proof[k] for k in ("principal", "fingerprint", "namespace", "statement", "signature")}
         if proof and proof.get("signature") else None}
        for c, proof in zip(journal.confirmations(run_id), journal.confirmation_proofs(run_id), strict=True)
    ]
    totals = summary.totals()
    notices = [row.observed["notice"] for row in rows if _sent_notice(row.observed)]
    terms = {key: value for key, value in (("suspension", plan.suspension), ("reverses", plan.reverses),
                                           ("approvals", journal.approvals(run_id))) if value}
    return {
        "format": FORMAT,
        "kind": run.kind,
        "run_id": run.id,
        "org": dict(org),
        "member": {"id": run.member_id, "name": run.member_name},
        "playbook": {"name": plan.playbook["name"], "sha256": plan.playbook["sha256"]},
        "operator": run.operator,
        "started": run.started,
        "finished": run.finished or utc_now(),
        "status": summary.status.value,
        "summary": {state.value: totals.get(state, 0) for state in OUTCOME_ORDER},
        "systems": systems,
        "confirmations": confirmations,
        **({"notices": notices} if notices else {}),
        **terms,
    }


def attachments_of(journal: Journal, run_id: str) -> dict[str, bytes]:
    """The files the ledger stores beside the run's report: the exact bytes of each notice sent ("notice.eml")."""
    sent = [row.observed for row in journal.actions(run_id) if _sent_notice(row.observed) and row.observed.get("eml")]
    names = ["notice.eml" if i == 0 else f"notice-{i + 1}.eml" for i in range(len(sent))]
    return {name: base64.b64decode(observed["eml"]) for name, observed in zip(names, sent, strict=True)}


def _sent_notice(observed: Any) -> bool:
    return isinstance(observed, Mapping) and isinstance(observed.get("notice"), Mapping)
