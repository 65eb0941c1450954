"""An audit's result: what each system showed, the findings and exceptions, its status, and its report document."""

from __future__ import annotations

import enum
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from offboard.audit.facts import Revocation
from offboard.audit.situations import ExceptionHit, Finding, Situation
from offboard.report.ledger import FORMAT


class AuditStatus(enum.StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"  # a system could not be read in full: the audit vouches for nothing there


@dataclass
class SystemAudit:
    name: str
    title: str
    accounts: int = 0
    active: int = 0
    linked: int = 0
    discovered: int = 0  # deactivated accounts of revoked members, read with discover
    note: str | None = None  # why it was not audited (no inventory)
    errors: list[str] = field(default_factory=list)

    @property
    def audited(self) -> bool:
        """Read in full: its absences (an exception that matched nothing) mean something."""
        return not self.errors and self.note is None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "accounts": self.accounts, "active": self.active,
                "linked": self.linked, "discovered": self.discovered, "note": self.note, "errors": list(self.errors)}


@dataclass
class AuditResult:
    started: str
    finished: str
    systems: list[SystemAudit]
    findings: list[Finding]
    exceptions: list[ExceptionHit]
    reports_read: int = 0
    audit_id: str = ""
    revoked: dict[str, Revocation] = field(default_factory=dict)  # member id -> revocation in force

    @property
    def status(self) -> AuditStatus:
        """``failed`` when a system could not be read in full: the audit then vouches for nothing there."""
        return AuditStatus.FAILED if any(s.errors for s in self.systems) else AuditStatus.COMPLETE

    @property
    def exit_code(self) -> int:
        """0 clean (exceptions alone are clean), 2 findings, 1 a system could not be read."""
        if self.status is AuditStatus.FAILED:
            return 1
        return 2 if self.findings else 0

    def counts(self) -> dict[Situation, int]:
        """Findings per situation, most severe first; situations without findings left out."""
        found = Counter(f.situation for f in self.findings)
        return {s: found[s] for s in Situation if found[s]}

    def revoked_but_active(self) -> list[Finding]:
        return [f for f in self.findings if f.situation is Situation.REVOKED_BUT_ACTIVE]

    def summary(self) -> dict[str, Any]:
        return {"accounts": sum(s.accounts for s in self.systems), "linked": sum(s.linked for s in self.systems),
                "findings": len(self.findings), "exceptions": len(self.exceptions),
                "situations": {s.value: n for s, n in self.counts().items()}}

    def to_document(self, org: Mapping[str, str], operator: str) -> dict[str, Any]:
        """The signed report's document (the ledger adds seq, prev_sha256 and signed)."""
        return {
            "format": FORMAT, "kind": "audit", "run_id": self.audit_id, "org": dict(org), "member": None,
            "operator": operator, "started": self.started, "finished": self.finished, "status": self.status.value,
            "summary": self.summary(), "systems": [s.to_dict() for s in self.systems],
            "findings": [f.to_dict() for f in self.findings], "exceptions": [e.to_dict() for e in self.exceptions],
        }


def new_audit_id() -> str:
    return f"audit-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
