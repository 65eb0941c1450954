"""The stale check: a saved plan is applied only while the systems still match it (Terraform's model)."""

from __future__ import annotations

from pathlib import Path

from offboard.errors import StalePlanError
from offboard.plans.plan import Plan


def differences(saved: Plan, fresh: Plan) -> list[str]:
    """What changed between a saved plan and a fresh observation, as sentences."""
    changes = []
    if saved.playbook["sha256"] != fresh.playbook["sha256"]:
        changes.append(f"the playbook {fresh.playbook['name']} was edited since the plan was made")
    saved_systems = {s.system: s for s in saved.systems}
    fresh_systems = {s.system: s for s in fresh.systems}
    for name in sorted(saved_systems.keys() | fresh_systems.keys()):
        old, new = saved_systems.get(name), fresh_systems.get(name)
        if old is None or new is None:
            changes.append(f"{name}: {'added to' if old is None else 'removed from'} the playbook")
            continue
        if (old.note or "") != (new.note or "") and not (old.actions or new.actions):
            changes.append(f"{name}: was '{old.note}', now '{new.note}'")
        old_actions = {a.id: a for a in old.actions}
        new_actions = {a.id: a for a in new.actions}
        for action_id in sorted(old_actions.keys() - new_actions.keys()):
            changes.append(f"{name}: no longer needed: {old_actions[action_id].summary}")
        for action_id in sorted(new_actions.keys() - old_actions.keys()):
            changes.append(f"{name}: new: {new_actions[action_id].summary}")
        for action_id in sorted(old_actions.keys() & new_actions.keys()):
            if old_actions[action_id].before != new_actions[action_id].before:
                changes.append(f"{name}: changed since planning: {new_actions[action_id].summary}")
    return changes


def refuse_if_stale(saved: Plan, fresh: Plan, plan_path: Path) -> None:
    changes = differences(saved, fresh)
    if changes:
        shown = "; ".join(changes[:8]) + (f"; and {len(changes) - 8} more" if len(changes) > 8 else "")
        raise StalePlanError(
            f"the plan in {plan_path} is stale, nothing was applied. What changed: {shown}. "
            f"Plan again with: offboard expel {saved.member['id']} --save-plan {plan_path}"
        )
