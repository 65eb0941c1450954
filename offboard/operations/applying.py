"""Applying a saved plan: planned again, applied only as saved, and only as approved where the org requires it."""

from __future__ import annotations

from pathlib import Path

from offboard.apply.runs import RunSummary
from offboard.errors import OffboardError, StalePlanError
from offboard.operations.approving import approval_record, require_quorum
from offboard.operations.interaction import Interaction, Silent
from offboard.operations.planning import plan_again
from offboard.operations.revoke import refuse_unread, suspension_terms
from offboard.operations.running import apply_new_plan, refuse_if_interrupted, require_signing
from offboard.operations.session import Session
from offboard.plans.plan import Plan
from offboard.plans.stale import refuse_if_stale, replan_command

APPLIES = ("expel", "suspend", "reinstate")  # the kinds of plan `offboard apply` takes


def apply_saved(session: Session, plan_file: Path, yes: bool = False, unsigned: bool = False,
                ui: Interaction | None = None, partial: bool = False, emergency: str | None = None) -> RunSummary:
    """Apply a saved plan: plan again, and apply the fresh plan only when it equals the saved one.

    Nothing is executed from the file itself: an edited plan (another user, another param, an
    added system) differs from the fresh plan and is refused, as is a plan the systems no longer match.
    Where ``[approvals] required`` is set, the saved plan's digest must carry that many approvals
    (``emergency``, a reason, where the org allows it: one), and the run's report records them.
    """
    ui = ui or Silent()
    saved = Plan.load(plan_file)
    if saved.kind not in APPLIES:
        raise StalePlanError(f"{plan_file} is a plan of kind {saved.kind!r}; `offboard apply` applies expel, suspend "
                             "and reinstate plans: nothing was applied")
    _check_emergency(session, emergency)
    quorum = require_quorum(session, plan_file, saved, emergency=emergency is not None)
    approvals = approval_record(quorum, plan_file, emergency, session.operator) if quorum.required else None
    require_signing(session, unsigned)
    person = session.member(str(saved.member.get("id")))
    if saved.kind == "suspend":
        _check_saved_terms(saved, plan_file)
    with session.member_lock(person.id):
        refuse_if_interrupted(session, person.id, "nothing was applied")
        fresh, connectors = plan_again(session, saved, person)
        refuse_if_stale(saved, fresh, plan_file)
        ui.show_plan(fresh)
        refuse_unread(fresh, partial)
        return apply_new_plan(session, fresh, connectors, yes, ui, approvals)


def _check_emergency(session: Session, emergency: str | None) -> None:
    """``--emergency --reason``: only where the org requires approvals and allows an emergency run."""
    if emergency is None:
        return
    settings = session.config.approvals
    if not settings.required:
        raise OffboardError("--emergency is for orgs whose plans need approvals ([approvals] required): without it, "
                            "`offboard apply FILE` applies the plan as it is")
    if not settings.emergency:
        raise OffboardError(f"{session.config.path.name} does not allow emergency runs: gather the {settings.required} "
                            "approvals, or set [approvals] emergency = true if the committee agreed to allow them")
    if not emergency.strip():
        raise OffboardError("--reason is empty: say why this cannot wait for the approvals (the report records it)")


def _check_saved_terms(saved: Plan, plan_file: Path) -> None:
    """A saved suspension has its terms, and has not ended meanwhile: it would suspend nobody for nothing."""
    terms = saved.suspension or {}
    try:
        suspension_terms(str(terms.get("until") or ""), str(terms.get("reason") or ""))
    except OffboardError as exc:
        raise StalePlanError(f"{plan_file} is a suspension whose terms do not hold ({str(exc).removeprefix('--')}): "
                             f"nothing was applied; plan again with: {replan_command(saved, plan_file)}") from None
