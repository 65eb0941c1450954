"""The report's facts for the record: numbers, keys, hashes and exact times, as the signed JSON holds them.

Runs' reports keep these in their appendix, audits at their top. Values are quoted as recorded (ISO
times, full hashes), so that each can be searched for in the JSON beside the report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from offboard.report.blocks import Block, Bullets, Code, Item, Line, Paragraph, Rule, Section, Table, bullets, line
from offboard.report.wording import plain

Hide = Callable[[str], str]  # leaves the member's personal address out of a text


def _keep(text: str) -> str:
    return text


def facts(document: Mapping[str, Any], hide: Hide = _keep) -> Bullets:
    """Organization, report number and signature, run, operator, times, playbook and the decision's terms."""
    org = document.get("org") or {}
    playbook = document.get("playbook") or {}
    signed = "signed" if document.get("signed") else "UNSIGNED (written with --unsigned)"
    items = [
        Item(line(f"Organization: {plain(org.get('name'))} ({plain(org.get('domain'))})")),
        Item(line(f"Report {int(document.get('seq') or 0):06d}, {signed}; run {plain(document.get('run_id'))}")),
        Item(line(hide(f"Operator: {plain(document.get('operator'))}"))),
        Item(line(f"Started {plain(document.get('started'))}, finished {plain(document.get('finished'))}")),
    ]
    if playbook:
        items.append(Item(line(f"Playbook: {plain(playbook.get('name'))} (sha256 {plain(playbook.get('sha256'))})")))
    suspension = document.get("suspension") or {}
    if suspension:
        items.append(Item(line(hide(f"Suspended until {plain(suspension.get('until'))} (the end of that day, UTC); "
                                    f"reason: {plain(suspension.get('reason'))}"))))
    items += _approvals(document.get("approvals") or {}, hide)
    reverses = document.get("reverses") or {}
    if reverses:
        items.append(Item(line(f"Reverses report {int(reverses.get('seq') or 0):06d} ({plain(reverses.get('kind'))}, "
                               f"sha256 {plain(reverses.get('sha256'))})")))
    return Bullets(tuple(items))


def _approvals(approvals: Mapping[str, Any], hide: Hide) -> list[Item]:
    """The plan's digest, each approver's key, time and decision, and an emergency's reason."""
    if not approvals:
        return []
    approved = approvals.get("approved") or []
    under = tuple(line(hide(f"{plain(a.get('principal'))}, key {plain(a.get('fingerprint'))}, {plain(a.get('at'))}"
                            + (f": {plain(a.get('decision'))}" if a.get("decision") else ""))) for a in approved)
    items = [Item(line(f"Approved plan {plain(approvals.get('digest'))}: {len(approved)} of "
                       f"{plain(approvals.get('required'))} required approvals"), under)]
    emergency = approvals.get("emergency") or {}
    if emergency:
        missing = int(approvals.get("missing") or 0)
        then: Line = (f"; {missing} approval(s) still missing (", Code("offboard approve --run"), ")") if missing else \
            ("; the missing approvals were added afterwards",)
        items.append(Item((hide(f"Emergency run by {plain(emergency.get('by'))}: {plain(emergency.get('reason'))}"),
                           *then)))
    return items


def confirmations(document: Mapping[str, Any], hide: Hide = _keep) -> list[Block]:
    """Who confirmed each manual step, when, as which OS user, with which key, reference and evidence."""
    items: list[Line] = []
    for c in document.get("confirmations") or []:
        by = plain(c.get("by")) + (f" and {plain(c.get('second_by'))}" if c.get("second_by") else "")
        what = "not applicable" if c.get("not_applicable") else "done"
        user = f" (OS user {plain(c.get('os_user'))})" if c.get("os_user") else ""
        text = f" {what}, confirmed by {by}{user} at {plain(c.get('at'))}"
        signed = c.get("signed") or {}
        if signed:
            text += f"; signed by {plain(signed.get('principal'))} with key {plain(signed.get('fingerprint'))}"
        for label in ("reference", "reason", "note"):
            if c.get(label):
                text += f"; {label}: {plain(c.get(label))}"
        for evidence in c.get("evidence") or []:
            text += f"; evidence {plain(evidence.get('name'))} (sha256 {plain(evidence.get('sha256'))})"
        items.append(line(Code(plain(c.get("action_id"))), hide(text)))
    if not items:
        return []
    blocks: list[Block] = [bullets(items)]
    if any(c.get("signed") for c in document.get("confirmations") or []):
        blocks.append(Paragraph(line(
            "Each signed confirmation's statement and signature are in the JSON report: check one with ",
            Code("ssh-keygen -Y verify -f APPROVERS -I PRINCIPAL -n NAMESPACE -s SIGNATURE < STATEMENT"), ".")))
    return blocks


def notices(document: Mapping[str, Any]) -> list[Line]:
    """Each notice sent: its Message-ID, how it went, and the file of its exact bytes (never the address)."""
    files = document.get("attachments") or {}
    lines: list[Line] = []
    for n in document.get("notices") or []:
        stored = next((name for name, sha in files.items() if sha == n.get("sha256")), None) if n.get("sha256") else None
        via = f"Gmail message {plain(n.get('gmail_id'))}" if n.get("gmail_id") else plain(n.get("server_reply"))
        where: Line = ("; stored as ", Code(stored), f" (sha256 {plain(n.get('sha256'))})") if stored else \
            ("; found already sent, its exact bytes were not kept",)
        lines.append(line("Message-ID ", Code(plain(n.get("message_id"))), f", from {plain(n.get('from'))}, "
                          f"{plain(n.get('sent_at'))} ({via})", *where))
    return lines


def findings(document: Mapping[str, Any], title: str = "Findings", level: int = 2) -> list[Block]:
    keys = ("situation", "system", "account", "member", "detail")
    rows = tuple(tuple(line(plain(f.get(k))) for k in keys) for f in document.get("findings") or [])
    if not rows:
        return []
    return [Section(title, (Table(("Situation", "System", "Account", "Member", "Detail"), rows),), level)]


def chain(document: Mapping[str, Any]) -> list[Block]:
    """The footnote: the hash of the report before this one, and how to check the chain."""
    prev = plain(document.get("prev_sha256")) or "none (first report)"
    return [Rule(), Paragraph(line(f"Previous report sha256: {prev}. Check with ", Code("offboard verify"), "."))]
