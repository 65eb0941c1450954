"""Binding a saved plan to what is applied: the fresh observation runs, and only when it equals the saved plan.

Terraform's model, made strict: ``offboard apply`` never executes actions read from a file. It plans
again from the roster and the playbook and applies that fresh plan, only when its canonical content
(every field but the time it was made) equals the saved one. Anything else (the systems moved on, the
roster entry changed, or the file was edited) is refused, naming what differs.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from offboard.errors import StalePlanError
from offboard.plans.plan import Plan, SystemPlan
from offboard.spi import Action

SHOWN = 5  # differences named in the refusal, so that it fits a screen; the rest are counted ("and 3 more")


def differences(saved: Plan, fresh: Plan) -> list[str]:
    """What differs between a saved plan and a fresh one, as sentences, the likeliest cause first."""
    changes = []
    if saved.kind != fresh.kind:
        changes.append(f"the plan is a {saved.kind} plan, the fresh one a {fresh.kind} plan")
    for term in ("suspension", "reverses"):
        if getattr(saved, term) != getattr(fresh, term):
            changes.append(f"the plan's {term} is not the fresh plan's ({json.dumps(getattr(saved, term))} in the "
                           f"file, {json.dumps(getattr(fresh, term))} now)")
    if saved.member != fresh.member:
        changes.append(f"the roster entry of {saved.member.get('id')} is not the one in the plan "
                       f"({_fields(saved.member, fresh.member)} differ)")
    if saved.org != fresh.org:
        changes.append(f"the org is not the one in the plan ({_fields(saved.org, fresh.org)} differ)")
    if saved.playbook != fresh.playbook:
        changes.append(f"the playbook {fresh.playbook['name']} is not the one the plan was made with "
                       f"({_fields(saved.playbook, fresh.playbook)} differ)")
    saved_systems = {s.system: s for s in saved.systems}
    fresh_systems = {s.system: s for s in fresh.systems}
    for name in sorted(saved_systems.keys() | fresh_systems.keys()):
        old, new = saved_systems.get(name), fresh_systems.get(name)
        if old is None or new is None:
            changes.append(f"{name}: {'not in the plan' if old is None else 'not in the playbook any more'}")
            continue
        changes += _system_differences(name, old, new)
    if not changes and saved.content() != fresh.content():
        changes.append("the plan file holds something a fresh plan does not")
    return changes


def _system_differences(name: str, old: SystemPlan, new: SystemPlan) -> list[str]:
    changes = []
    if (old.note or "") != (new.note or "") and not (old.actions or new.actions):
        changes.append(f"{name}: was '{old.note}', now '{new.note}'")
    header = {k: v for k, v in old.to_dict().items() if k != "actions"}
    if header != {k: v for k, v in new.to_dict().items() if k != "actions"} and not changes:
        changes.append(f"{name}: {_fields(header, new.to_dict())} differ")
    old_actions = {a.id: a for a in old.actions}
    new_actions = {a.id: a for a in new.actions}
    for action_id in sorted(old_actions.keys() - new_actions.keys()):
        changes.append(f"{name}: no longer needed: {old_actions[action_id].summary}")
    for action_id in sorted(new_actions.keys() - old_actions.keys()):
        changes.append(f"{name}: new: {new_actions[action_id].summary}")
    for action_id in sorted(old_actions.keys() & new_actions.keys()):
        changed = _action_difference(old_actions[action_id], new_actions[action_id])
        if changed:
            changes.append(f"{name}: {changed}")
    if [a.id for a in old.actions] != [a.id for a in new.actions] and not changes:
        changes.append(f"{name}: the actions are in another order")
    return changes


def _action_difference(old: Action, new: Action) -> str | None:
    if old.before != new.before:
        return f"changed since planning: {new.summary}"
    if old.to_dict() != new.to_dict():
        return f"{new.summary}: {_fields(old.to_dict(), new.to_dict())} differ from a fresh plan"
    return None


def _fields(old: dict[str, Any], new: dict[str, Any]) -> str:
    return ", ".join(sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)))


def refuse_if_stale(saved: Plan, fresh: Plan, plan_path: Path) -> None:
    """Raise unless the fresh plan is the saved plan, naming at most ``SHOWN`` differences."""
    changes = differences(saved, fresh)
    if changes:
        shown = "; ".join(changes[:SHOWN]) + (f"; and {len(changes) - SHOWN} more" if len(changes) > SHOWN else "")
        raise StalePlanError(
            f"the plan in {plan_path} is not what the systems show now, nothing was applied: {shown}. "
            f"Plan again with: {replan_command(saved, plan_path)}"
        )


def replan_command(saved: Plan, plan_path: Path) -> str:
    """The command that makes a plan of the same kind again, for the same member and terms."""
    member = shlex.quote(str(saved.member.get("id", "MEMBER")))
    terms = ""
    if saved.kind == "suspend" and saved.suspension:
        until, reason = (shlex.quote(str(saved.suspension.get(key))) for key in ("until", "reason"))
        terms = f" --until {until} --reason {reason}"
    return f"offboard {saved.kind} {member}{terms} --save-plan {shlex.quote(str(plan_path))}"
