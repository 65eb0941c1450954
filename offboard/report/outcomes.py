"""A run's report sorted for people: each step with its system, by where it stands, and the member's privacy.

The member's personal address is needed once, to say where the written notice went. Everywhere else
(a step's summary, a service's answer, an account label) it is replaced before anything is rendered,
so no section, appendix or future rendering can show it by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from offboard.report.wording import plain

PERSONAL = "the member's personal address"
NOTICE_SYSTEM = "notice"  # the system of the written notice (the playbooks' ``- connector: notice``)
UNFINISHED = ("pending", "intent", "running")  # the run stopped before these got an outcome


@dataclass(frozen=True)
class Step:
    """One action of the report, with the system it belongs to."""

    system: Mapping[str, Any]
    action: Mapping[str, Any]

    @property
    def where(self) -> str:
        return plain(self.system.get("title") or self.system.get("name")) or "A system"

    @property
    def what(self) -> str:
        return plain(self.action.get("summary")).rstrip(". ") or "a step"

    @property
    def state(self) -> str:
        return plain(self.action.get("state"))

    @property
    def is_notice(self) -> bool:
        return self.system.get("name") == NOTICE_SYSTEM


class Outcomes:
    """The document with the personal address left out, and its steps by state."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.addresses = personal_addresses(document)
        self.notices: list[Mapping[str, Any]] = list(document.get("notices") or [])  # as sent: the one place
        self.document: Mapping[str, Any] = conceal(document, self.addresses)
        self.steps = [Step(system, action) for system in self.systems for action in system.get("actions") or []]

    @property
    def kind(self) -> str:
        return plain(self.document.get("kind"))

    @property
    def systems(self) -> list[Mapping[str, Any]]:
        return list(self.document.get("systems") or [])

    def where(self, *states: str) -> list[Step]:
        return [step for step in self.steps if step.state in states]

    def unread(self) -> list[Mapping[str, Any]]:
        """The systems that could not be read, so were not touched."""
        return [system for system in self.systems if system.get("error")]

    @property
    def missing_approvals(self) -> int:
        """Approvals an emergency run still waits for."""
        approvals = self.document.get("approvals") or {}
        return int(approvals.get("missing") or 0) if approvals.get("emergency") else 0


def personal_addresses(document: Mapping[str, Any]) -> list[str]:
    """Where notices went: each notice's ``to``, and each step's ``sent_to`` (a notice planned but not sent)."""
    found = {plain(n.get("to")) for n in document.get("notices") or []}
    for system in document.get("systems") or []:
        for action in system.get("actions") or []:
            for value in (action.get("before"), action.get("after")):
                if isinstance(value, Mapping) and value.get("sent_to"):
                    found.add(plain(value["sent_to"]))
    return sorted((a for a in found if a.strip()), key=len, reverse=True)


def conceal(value: Any, addresses: list[str]) -> Any:
    """``value`` (a document, a list, a string) with each address replaced, in any case, wherever it occurs."""
    if not addresses:
        return value
    pattern = re.compile("|".join(re.escape(a) for a in addresses), re.IGNORECASE)
    return _replace(value, pattern)


def _replace(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(PERSONAL, value)
    if isinstance(value, Mapping):
        return {_replace(k, pattern): _replace(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, pattern) for v in value]
    return value
