"""From the journal to a signed report in the ledger.

The signer is loaded before a run starts, so that a missing key or a wrong passphrase
stops the command before anything is revoked, not after.
"""

from __future__ import annotations

from typing import Any

from offboard.apply.journal import utc_now
from offboard.apply.runs import summarize
from offboard.errors import OffboardError
from offboard.operations.session import Workspace
from offboard.plans.plan import Plan
from offboard.report.ledger import Ledger, ReportFiles

FORMAT = "offboard-report/1"


def require_signing(ws: Workspace, unsigned: bool) -> None:
    """Refuse a real run without a signing key, unless the operator said ``--unsigned``."""
    if ws.signer is None and not unsigned:
        raise OffboardError(
            "no signing key is configured, so the report could not be signed: run `offboard keygen` and add the "
            "[signing] table it prints to the config, or pass --unsigned to go ahead with an unsigned report"
        )


def build_document(ws: Workspace, run_id: str) -> dict[str, Any]:
    """The report of a run as it stands now, without the ledger's seq/prev/signed fields."""
    summary = summarize(ws, run_id)
    run = summary.run
    plan = Plan.from_dict(run.plan)
    rows = ws.journal.actions(run_id)
    systems = []
    for system in plan.systems:
        systems.append({
            "name": system.system,
            "title": system.title,
            "account": system.account.label if system.account else None,
            "note": system.note,
            "actions": [
                {
                    "id": r.action.id, "summary": r.action.summary, "phase": r.action.phase.value,
                    "reversible": r.action.reversible, "before": r.action.before, "after": r.action.after,
                    "state": r.state, "detail": r.detail, "attempts": r.attempts, "last_error": r.last_error,
                    "started": r.started, "finished": r.finished,
                }
                for r in rows if r.system == system.system
            ],
        })
    confirmations = [
        {"action_id": f"{c.action_id}", "system": c.system, "by": c.by, "at": c.at, "reference": c.reference,
         "note": c.note, "evidence": c.evidence, "not_applicable": c.not_applicable, "reason": c.reason}
        for c in ws.journal.confirmations(run_id)
    ]
    return {
        "format": FORMAT,
        "kind": run.kind,
        "run_id": run.id,
        "org": ws.org,
        "member": {"id": run.member_id, "name": run.member_name},
        "playbook": {"name": plan.playbook["name"], "sha256": plan.playbook["sha256"]},
        "operator": run.operator,
        "started": run.started,
        "finished": run.finished or utc_now(),
        "status": summary.status,
        "summary": {state: summary.totals().get(state, 0) for state in ("changed", "ok", "failed", "skipped", "manual")},
        "systems": systems,
        "confirmations": confirmations,
    }


def issue_report(ws: Workspace, run_id: str) -> ReportFiles:
    """Append the run's report to the ledger (next seq) and remember where it is."""
    files = Ledger(ws.config.reports_dir).append(build_document(ws, run_id), ws.signer)
    ws.journal.add_report(run_id, files.seq, files.json_path)
    return files
