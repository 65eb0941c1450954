"""Manual steps: systems with no API (bank signers, X delegates, shared logins).

Each step of a playbook's ``connector: manual`` entry becomes a ``manual`` action. The
connector never changes anything: a person does the work and records it with
``offboard confirm``; the engine keeps those confirmations in the journal.

At reinstatement each step a person did becomes its reverse: the step's ``reinstate:``
block in the playbook ("Re-add the member as bank signer"), carried in the action's
params so that the reverse is the one the suspension was planned with; without one, a
generic "Undo: <title>".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offboard.spi import Account, Action, Capability, Connector, ManualStep, Member, Outcome, Phase, Restoration


class ManualConnector(Connector):
    name = "manual"
    title = "Manual checklist"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.RESTORE})
    needs_config = False
    max_concurrency = 1

    def resolve(self, member: Member) -> Account:
        return Account(self.name, member.id, member.name)

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        options = options or {}
        system = options.get("system", self.name)
        return [
            Action(
                id=f"{system}:{step['id']}",
                connector=self.name,
                kind="manual",
                summary=step["title"],
                phase=Phase.MANUAL,
                reversible=False,
                account=account,
                params={"reinstate": step["reinstate"]} if step.get("reinstate") else {},
                manual=ManualStep.from_dict(step),
            )
            for step in options.get("steps", [])
        ]

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """One manual step per step a person did: its ``reinstate`` block, else "Undo: <title>"."""
        return Restoration([_reverse(account, action) for action in applied if action.kind == "manual"])

    def apply(self, action: Action) -> Outcome:
        return Outcome.manual("waiting for a person to do it and run `offboard confirm`")


def _reverse(account: Account, done: Action) -> Action:
    system, _, step_id = done.id.partition(":")
    block = done.params.get("reinstate")
    if isinstance(block, Mapping) and block.get("title"):
        step = ManualStep.from_dict(block)
    else:
        was = done.manual.instructions if done.manual else ""
        step = ManualStep(f"Undo: {done.summary}", "Put back what this step ended, as it was before."
                          + (f" The step was:\n{was}" if was else ""))
    return Action(id=f"{system}:undo:{step_id}", connector=done.connector, kind="manual", summary=step.title,
                  phase=Phase.MANUAL, reversible=False, account=account, manual=step)
