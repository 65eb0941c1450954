"""The approval statement: what an approver signs, where it is stored, and how it is read back."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offboard.approvals.principals import slug

if TYPE_CHECKING:
    from offboard.plans.plan import Plan

FORMAT = "offboard-approval/1"
FIELDS = ("at", "decision", "digest", "format", "kind", "member", "principal")
FOLDER_SUFFIX = ".approvals"
DECISION_LIMIT = 500
MAX_STATEMENT = 16 * 1024  # a statement is a few hundred bytes; anything larger is not one


def approval_namespace(domain: str) -> str:
    """The SSHSIG namespace of approvals: a key that approves can never be taken to have signed a report."""
    return f"offboard-approval@{domain}"


def approvals_dir(plan_path: Path) -> Path:
    """``FILE.approvals/``, beside the plan file."""
    return plan_path.with_name(plan_path.name + FOLDER_SUFFIX)


def statement_path(plan_path: Path, principal: str) -> Path:
    """``FILE.approvals/<slug>.json``: one approver's statement (its signature is ``<slug>.json.sig``)."""
    return approvals_dir(plan_path) / f"{slug(principal)}.json"


def signature_path(statement: Path) -> Path:
    return statement.with_name(statement.name + ".sig")


def decision_problem(decision: str) -> str | None:
    """Why ``decision`` cannot be signed, or None: it is one line of text, as the minutes name the decision."""
    if len(decision) > DECISION_LIMIT:
        return f"it is {len(decision)} characters long; keep it under {DECISION_LIMIT} (name the minutes and the item)"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
           for c in decision):
        return "it holds a line break or a control character; give it as one line"
    return None


def make_statement(plan: Plan, principal: str, decision: str, at: str) -> dict[str, str]:
    return {"format": FORMAT, "digest": plan.digest, "member": str(plan.member.get("id")), "kind": plan.kind,
            "principal": principal, "decision": decision, "at": at}


def statement_bytes(statement: dict[str, str]) -> bytes:
    """The exact bytes signed and stored: RFC 8785 (JCS), so every reader and signer agrees on them."""
    import rfc8785

    return bytes(rfc8785.dumps(statement))


def parse_statement(raw: bytes) -> dict[str, str]:
    """The statement in ``raw``; ``ValueError`` saying why it is not one (only the canonical bytes are)."""
    if len(raw) > MAX_STATEMENT:
        raise ValueError(f"it is {len(raw)} bytes, too large for an approval statement")
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"it is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"it is not an approval statement (format {FORMAT})")
    if sorted(data) != list(FIELDS) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"it does not hold exactly the text fields {', '.join(FIELDS)}")
    if statement_bytes(data) != raw:
        raise ValueError("its bytes are not the canonical (RFC 8785) form that offboard signs")
    try:
        datetime.fromisoformat(data["at"])
    except ValueError:
        raise ValueError(f"its time {data['at']!r} is not an ISO 8601 time") from None
    return data
