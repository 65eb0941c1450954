"""The plan: what will change, as data that can be printed, saved, approved and applied.

Building a plan only reads (``resolve`` and ``discover``). A saved plan is the contract:
applying it re-observes first and refuses it if anything changed (Terraform's model).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offboard.apply.journal import utc_now
from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.errors import ConfigurationError, StalePlanError
from offboard.plans.playbook import Playbook, Step
from offboard.spi import Account, Action, Connector, ConnectorError, Member, Phase

FORMAT = "offboard-plan/1"
NOT_CONFIGURED = "not configured: skipped"


@dataclass
class SystemPlan:
    system: str
    connector: str
    title: str
    account: Account | None = None
    actions: list[Action] = field(default_factory=list)
    note: str | None = None  # why there is nothing to do, or why it could not be read
    error: bool = False  # discovery failed: the run must not report success
    on_failure: str = "continue"

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system, "connector": self.connector, "title": self.title,
            "account": self.account.to_dict() if self.account else None,
            "actions": [a.to_dict() for a in self.actions], "note": self.note, "error": self.error,
            "on_failure": self.on_failure,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SystemPlan:
        return cls(
            data["system"], data["connector"], data["title"],
            Account.from_dict(data["account"]) if data.get("account") else None,
            [Action.from_dict(a) for a in data.get("actions", [])], data.get("note"), bool(data.get("error")),
            data.get("on_failure", "continue"),
        )


@dataclass
class Plan:
    kind: str
    created: str
    org: dict[str, str]
    member: dict[str, str]
    playbook: dict[str, str]
    systems: list[SystemPlan]

    @property
    def actions(self) -> list[tuple[str, Action]]:
        return [(s.system, a) for s in self.systems for a in s.actions]

    def counts(self) -> dict[str, int]:
        phases = {p.value: 0 for p in Phase}
        for _, action in self.actions:
            phases[action.phase.value] += 1
        return phases

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "kind": self.kind, "created": self.created, "org": self.org, "member": self.member,
                "playbook": self.playbook, "systems": [s.to_dict() for s in self.systems]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        if data.get("format") != FORMAT:
            raise ConfigurationError(f"not an offboard plan (format {data.get('format')!r}, expected {FORMAT})")
        return cls(data["kind"], data["created"], dict(data["org"]), dict(data["member"]), dict(data["playbook"]),
                   [SystemPlan.from_dict(s) for s in data["systems"]])

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Plan:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"plan file {path} does not exist") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"plan file {path} is not valid JSON ({exc}): save it again with --save-plan") from None
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"plan file {path} is damaged ({exc}): save it again with --save-plan") from None


def discover_system(step: Step, connector: Connector | None, member: Member, retry: RetryPolicy) -> SystemPlan:
    """Resolve and discover one system, read-only; problems become a note, not an exception."""
    title = step.title or (type(connector).title if connector else _title(step.connector))
    plan = SystemPlan(step.system, step.connector, title, on_failure=step.on_failure)
    if connector is None:
        plan.note = NOT_CONFIGURED
        return plan
    resolved = call_with_retries(lambda: connector.resolve(member), retry)
    if resolved.error is not None:
        plan.note, plan.error = f"could not be read: {_describe(resolved.error)}", True
        return plan
    if resolved.value is None:
        plan.note = f"no account for {member.identity_for(step.connector)}: nothing to do"
        return plan
    plan.account = resolved.value
    found = call_with_retries(lambda: connector.discover(plan.account, step.discover_options()), retry)
    if found.error is not None:
        plan.note, plan.error = f"could not be read: {_describe(found.error)}", True
        return plan
    actions: list[Action] = list(found.value)
    if step.actions:
        actions = [a for a in actions if a.kind in step.actions]
    plan.actions = actions
    if not actions:
        plan.note = "nothing to do: no access found"
    return plan


def build_plan(kind: str, org: Mapping[str, str], member: Member, playbook: Playbook,
               connectors: Mapping[str, Connector], retry: RetryPolicy) -> Plan:
    """Discover every system of the playbook at once (they are independent)."""
    with ThreadPoolExecutor(max_workers=max(1, len(playbook.steps))) as pool:
        systems = list(pool.map(lambda s: discover_system(s, connectors.get(s.system), member, retry), playbook.steps))
    return Plan(
        kind=kind, created=utc_now(), org=dict(org),
        member={"id": member.id, "name": member.name, "email": member.email},
        playbook={"name": playbook.name, "path": str(playbook.path), "sha256": playbook.sha256},
        systems=systems,
    )


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


def _title(connector_name: str) -> str:
    from offboard.spi import registry

    try:
        return registry.load(connector_name).title
    except Exception:  # an unloadable plugin still gets a name in the plan
        return connector_name


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectorError):
        return str(error)
    return f"internal error {type(error).__name__}: {error}"
