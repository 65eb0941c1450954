"""What an audit's report says: where things stand, each system read, the findings and the exceptions.

An audit is about the organization, not one member's decision: it keeps its record at the top and its
tables as they are, for whoever acts on the findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.report import record
from offboard.report.blocks import Block, Item, Paragraph, Reading, Section, Table, bullets, line
from offboard.report.wording import plain


def audit_reading(document: Mapping[str, Any]) -> Reading:
    blocks: list[Block] = [Paragraph(line(_status(document)), strong=True), record.facts(document)]
    blocks += _systems(document) + record.findings(document) + _exceptions(document) + record.chain(document)
    return Reading(line("Audit"), tuple(blocks))


def _status(document: Mapping[str, Any]) -> str:
    situations = (document.get("summary") or {}).get("situations") or {}
    # most severe first, as the findings are listed, whatever order the canonical JSON keeps the counts in
    order = list(dict.fromkeys(str(f.get("situation")) for f in document.get("findings") or []))
    ranked = sorted(situations.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    counts = ", ".join(f"{plain(n)} {plain(s)}" for s, n in ranked)
    found = len(document.get("findings") or [])
    if str(document.get("status") or "") == "failed":
        return f"Incomplete: not every system could be read; {found} finding(s) in the rest."
    return f"{found} finding(s): {counts}." if found else "Clean: no findings."


def _systems(document: Mapping[str, Any]) -> list[Block]:
    items = []
    for s in document.get("systems") or []:
        title = plain(s.get("title") or s.get("name"))
        said = plain(s["note"]) if s.get("note") else (
            f"{plain(s.get('accounts', 0))} accounts, {plain(s.get('active', 0))} active, "
            f"{plain(s.get('linked', 0))} linked to active members")
        errors = tuple(line(f"could not be read: {plain(e)}") for e in s.get("errors") or [])
        items.append(Item(line(f"{title}: {said}"), errors))
    return [Section("Systems", (bullets(items),))] if items else []


def _exceptions(document: Mapping[str, Any]) -> list[Block]:
    keys = ("system", "account", "kind", "reason")
    rows = tuple(tuple(line(plain(e.get(k))) for k in keys) for e in document.get("exceptions") or [])
    if not rows:
        return []
    return [Section("Exceptions", (Table(("System", "Account", "Kind", "Reason"), rows),))]
