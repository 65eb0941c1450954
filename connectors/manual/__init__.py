"""Manual steps: systems with no API (bank signers, X delegates, shared logins).

Each step of a playbook's ``connector: manual`` entry becomes a ``manual`` action. The
connector never changes anything: a person does the work and records it with
``offboard confirm``; the engine keeps those confirmations in the journal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.spi import Account, Action, Capability, Connector, ManualStep, Member, Outcome, Phase


class ManualConnector(Connector):
    name = "manual"
    title = "Manual checklist"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE})
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
                manual=ManualStep.from_dict(step),
            )
            for step in options.get("steps", [])
        ]

    def apply(self, action: Action) -> Outcome:
        return Outcome.manual("waiting for a person to do it and run `offboard confirm`")
