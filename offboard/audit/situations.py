"""The situations an account (or a manual step) can be in, their severities, and the findings that report them.

midPoint's reconciliation situations, plus ours. ``linked`` (one active member's account) is
fine and only counted, so it is no situation here. Declared exceptions (bots, service accounts,
accepted cases) are shown with their reason as ``ExceptionHit``, never as findings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from offboard.audit.settings import AccountException


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Situation(enum.StrEnum):
    """Most severe first: findings are listed in this order."""

    REVOKED_BUT_ACTIVE = "revoked-but-active"  # the member is expelled or suspended, the account still works
    LEFTOVER_ACCESS = "leftover-access"  # revoked and deactivated, but still in groups, channels...
    UNCONFIRMED_MANUAL = "unconfirmed-manual"  # a manual step of an expulsion or suspension nobody confirmed
    EMERGENCY_RUN = "emergency-run"  # applied in an emergency, still short of the approvals the org requires
    DISPUTED = "disputed"  # an active account matches several members
    SUSPENSION_ENDED = "suspension-ended"  # a suspension's until has passed and no reinstatement followed
    STALE = "stale"  # a former member's account still works
    ORPHAN = "orphan"  # an active account matches no member
    ROSTER_OUTDATED = "roster-outdated"  # the ledger records a reinstatement, the roster still says expelled/suspended
    EXCEPTION_UNUSED = "exception-unused"  # a declared exception matches no account

    @property
    def severity(self) -> Severity:
        return SEVERITY[self]

    @property
    def rank(self) -> int:
        """0 for the most severe."""
        return RANK[self]


SEVERITY: dict[Situation, Severity] = {
    Situation.REVOKED_BUT_ACTIVE: Severity.CRITICAL,
    Situation.LEFTOVER_ACCESS: Severity.CRITICAL,
    Situation.UNCONFIRMED_MANUAL: Severity.HIGH,
    Situation.EMERGENCY_RUN: Severity.HIGH,
    Situation.DISPUTED: Severity.HIGH,
    Situation.SUSPENSION_ENDED: Severity.MEDIUM,
    Situation.STALE: Severity.MEDIUM,
    Situation.ORPHAN: Severity.MEDIUM,
    Situation.ROSTER_OUTDATED: Severity.LOW,
    Situation.EXCEPTION_UNUSED: Severity.LOW,
}
RANK = {situation: rank for rank, situation in enumerate(Situation)}


@dataclass(frozen=True)
class Finding:
    situation: Situation
    system: str  # a member's own situations name where the fact is: "ledger" (suspension-ended), "roster"
    account: str  # the account's label (email, @handle); empty for a manual step or a member's own situation
    member: str | None  # member id; several ids for a disputed account ("m043, m044")
    name: str  # member name(s), for people
    detail: str

    @property
    def severity(self) -> Severity:
        return self.situation.severity

    def sort_key(self) -> tuple[int, str, str, str]:
        return self.situation.rank, self.system, self.account, self.member or ""

    def to_dict(self) -> dict[str, Any]:
        return {"situation": self.situation.value, "severity": self.severity.value, "system": self.system,
                "account": self.account, "member": self.member, "name": self.name, "detail": self.detail}


@dataclass(frozen=True)
class ExceptionHit:
    """A declared exception and the account it matched."""

    rule: AccountException
    account_id: str
    label: str
    member: str | None  # the member the account would otherwise link to, if one

    def to_dict(self) -> dict[str, Any]:
        return {"system": self.rule.system, "account": self.label, "account_id": self.account_id,
                "kind": self.rule.kind, "reason": self.rule.reason, "member": self.member}
