"""The fields of each ``--json`` document kind (docs/json.md); ``app.print_json`` adds kind, format, exit_code.

The counts a person reads on a plan's and a run's last line are computed here, once, for both. What they
need is imported when they are called: every command module imports this one, and `offboard --help` stays quick.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.apply.journal import ActionRow
    from offboard.apply.runs import RunSummary
    from offboard.approvals import Quorum
    from offboard.operations import (
        ApproveResult,
        AuditOutcome,
        Checkup,
        ConfirmResult,
        DueResult,
        InitResult,
        InstalledConnector,
        NewKey,
        PlanResult,
        ResumeResult,
        RunList,
    )
    from offboard.operations.demo import DemoResult
    from offboard.operations.reporting import ShownReport
    from offboard.plans.plan import Plan
    from offboard.report.verify import Verification


def plan_counts(plan: Plan) -> dict[str, int]:
    """What the plan's count line says: changes (and how many cannot be undone), steps for a person, what
    cannot come back (a reinstatement), systems not configured or not read."""
    from offboard.plans.plan import NOT_CONFIGURED
    from offboard.spi import Phase

    changes = [a for _, a in plan.actions if a.phase is not Phase.MANUAL]
    return {"changes": len(changes), "irreversible": sum(1 for a in changes if not a.reversible),
            "steps": sum(1 for _, a in plan.actions if a.phase is Phase.MANUAL),
            "lost": sum(len(s.lost) for s in plan.systems),
            "not_configured": sum(1 for s in plan.systems if s.note == NOT_CONFIGURED),
            "unread": sum(1 for s in plan.systems if s.error)}


def run_counts(summary: RunSummary) -> dict[str, int]:
    """What the run's count line says."""
    from offboard.apply.states import Progress
    from offboard.spi import State

    totals = summary.totals()
    return {"changed": totals[State.CHANGED], "ok": totals[State.OK], "failed": len(summary.failures),
            "waiting": len(summary.manual), "held": totals[Progress.HELD], "skipped": totals[State.SKIPPED]}


def plan_fields(result: PlanResult) -> dict[str, Any]:
    plan = result.plan
    assert plan is not None
    return {"plan": plan.to_dict(), "digest": plan.digest, "counts": plan_counts(plan),
            "saved_to": str(result.saved_to) if result.saved_to else None, "unread": [s.system for s in result.unread]}


def together_fields(result: PlanResult) -> dict[str, Any]:
    """Members planned together: each one's plan, and each one's run when they were applied."""
    return {"plans": [plan_fields(each) for each in result.each],
            "runs": [run_fields(each.run) for each in result.each if each.run is not None]}


def run_fields(summary: RunSummary) -> dict[str, Any]:
    return {**summary.to_dict(), "run_kind": summary.run.kind, "counts": run_counts(summary)}


def run_detail_fields(summary: RunSummary, rows: Sequence[ActionRow]) -> dict[str, Any]:
    """``status RUN``: the run, and each of its actions where it stands."""
    actions = [{"system": r.system, "id": r.action.id, "summary": r.action.summary, "state": r.state.value,
                "attempts": r.attempts, "detail": r.detail, "last_error": r.last_error} for r in rows]
    return {**run_fields(summary), "actions": actions}


def status_fields(shown: RunList) -> dict[str, Any]:
    return {"member": shown.member.id if shown.member else None,
            "runs": [{"run_id": r.id, "kind": r.kind, "member": r.member_id, "status": status.value, "started": r.started}
                     for r, status in shown.runs],
            "waiting": [run_fields(s) for s in shown.waiting], "closed": dict(shown.closed)}


def due_fields(result: DueResult) -> dict[str, Any]:
    return {"members": [{"member": d.member_id, "until": d.until, "error": d.error,
                         "run": run_fields(d.result.run) if d.result and d.result.run else None} for d in result.members]}


def resume_fields(result: ResumeResult) -> dict[str, Any]:
    """``resume`` when there was nothing to resume (a run finished is a ``run`` document)."""
    named = result.not_interrupted
    return {"not_interrupted": {"run_id": named.run.id, "status": named.status.value} if named else None,
            "closed": dict(result.closed)}


def audit_fields(outcome: AuditOutcome, fix: bool) -> dict[str, Any]:
    """The signed audit report's content, where it was written, and with ``--fix`` what each member got."""
    document: dict[str, Any] = {**outcome.document, "report_format": outcome.document.get("format"),
                                "seq": outcome.report.seq if outcome.report else None,
                                "report": str(outcome.report.json_path) if outcome.report else None,
                                "notify_error": outcome.notify_error}
    if fix:
        document["fix"] = [{"member": f.member_id, "error": f.error} if f.error else
                           {"member": f.member_id, "run": run_fields(f.run)} if f.run else
                           {"member": f.member_id, "plan": f.plan.to_dict() if f.plan else None} for f in outcome.fixes]
    return document


def verify_fields(result: Verification) -> dict[str, Any]:
    return {"ok": result.ok, "reports": result.reports, "unsigned": result.unsigned,
            "problems": [{"report": p.report, "kind": p.kind, "message": p.message} for p in result.problems],
            "signers": sorted(result.signers), "principals": list(result.principals) if result.principals else None,
            "namespace": result.namespace, "latest": {"report": result.latest[0], "sha256": result.latest[1]}
            if result.latest else None, "recorded": result.recorded, "regenerated": list(result.regenerated)}


def doctor_fields(checkup: Checkup) -> dict[str, Any]:
    settings = checkup.config
    return {"config": str(settings.path), "roster": str(settings.roster_path), "members": checkup.members,
            "roster_columns": {header: name for header, name in checkup.roster_columns},
            "state": str(settings.state_dir), "state_problems": list(checkup.state_problems),
            "signing": bool(settings.signing.get("key")),
            "systems": {name: {"ok": not found, "problems": list(found),
                               "endpoints": [{"name": e.name, "url": e.url, "note": e.note}
                                             for e in checkup.endpoints.get(name, [])]}
                        for name, found in checkup.problems.items()}}


def confirm_fields(done: ConfirmResult) -> dict[str, Any]:
    return {"run_id": done.summary.run.id, "step": done.step.action.id, "by": done.by, "closed": done.closed,
            "steps": [{"step": row.action.id, "closed": closed} for row, closed in done.steps],
            "status": done.summary.status.value, "principal": done.principal or None,
            "fingerprint": done.fingerprint or None, "waiting": len(done.summary.manual),
            "report": done.summary.reports[-1] if done.summary.reports else None}


def approve_fields(result: ApproveResult, plan_file: Path) -> dict[str, Any]:
    return {"plan": str(plan_file), **result.to_dict()}


def approvals_fields(quorum: Quorum, plan_file: Path) -> dict[str, Any]:
    return {"plan": str(plan_file), **quorum.to_dict()}


def connectors_fields(rows: Sequence[InstalledConnector]) -> dict[str, Any]:
    return {"connectors": [{"name": r.name, "error": r.error} if r.error else
                           {"name": r.name, "title": r.title, "version": r.version, "distribution": r.distribution,
                            "capabilities": [c.value for c in r.capabilities], "error": None} for r in rows]}


def keygen_fields(key: NewKey) -> dict[str, Any]:
    return {"private_key": str(key.private_path), "public_key": str(key.public_path), "fingerprint": key.fingerprint,
            "signer": key.identity, "allowed_signers": str(key.allowed_signers_path),
            "allowed_signers_line": key.allowed_signers_line, "namespace": key.namespace,
            "passphrase_env": key.passphrase_env}


def init_fields(result: InitResult) -> dict[str, Any]:
    return {"directory": str(result.directory), "config": str(result.config_path), "roster": str(result.roster_path),
            "roster_template": result.roster_template, "systems": list(result.systems),
            "written": [str(p) for p in result.written], "to_fill": list(result.to_fill), "key": keygen_fields(result.key)}


def demo_fields(result: DemoResult, kept: bool) -> dict[str, Any]:
    runs = {"expel": result.run, "suspend": result.suspension, "reinstate": result.reinstatement}
    checked = result.verified
    return {"root": str(result.root) if kept else None,
            "runs": {kind: run_fields(r.run) if r is not None and r.run is not None else None for kind, r in runs.items()},
            "verified": {"ok": checked.ok, "reports": checked.reports, "problems": [str(p) for p in checked.problems]},
            "signer": result.signer, "namespace": result.namespace}


def report_fields(shown: ShownReport) -> dict[str, Any]:
    """``report``: the verified report's content; where the rendering was written, if it was."""
    return {"report": str(shown.report), "document": shown.document,
            "written": str(shown.written) if shown.written else None, "warning": shown.warning}
