"""Finding one report in the verified ledger, as a person names it: a run id, a report number, or its file.

It looks only among the reports that verified (``TrustedLedger``), so whatever it finds has been
checked; an error says what was not found and what to pass instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offboard.errors import OffboardError
from offboard.report.ledger import NAME, entries
from offboard.report.trusted import TrustedLedger

SUFFIXES = (".json.sig", ".json", ".md", ".html")
HOW = "pass a run id (see `offboard status`), a report number (000003) or a report file of the ledger"


@dataclass(frozen=True)
class Found:
    document: dict[str, Any]
    path: Path  # the report's .json in the ledger


def find_report(ledger: TrustedLedger, target: str, directory: Path) -> Found:
    """The report ``target`` names: a file of the ledger, a report number, else a run id or its start (its
    latest report)."""
    text = target.strip()
    if not text:
        raise OffboardError(f"which report? {HOW}")
    if text.endswith(SUFFIXES) or os.sep in text:
        return _at(ledger, _seq_of_file(Path(text), directory), directory)
    if text.isdigit() and any(d.get("seq") == int(text) for d in ledger.reports):
        return _at(ledger, int(text), directory)
    runs = {str(d.get("run_id")) for d in ledger.reports if d.get("run_id") == text} or \
        {str(d.get("run_id")) for d in ledger.reports if str(d.get("run_id") or "").startswith(text)}
    if len(runs) > 1:
        shown = ", ".join(sorted(runs)[:3])
        raise OffboardError(f"'{text}' matches {len(runs)} runs ({shown}): give more of the id")
    if not runs:
        held = f"the ledger holds reports 000001 to {len(ledger.reports):06d}" if ledger.reports else \
            "the ledger holds no reports yet"
        raise OffboardError(f"no report of '{text}' in the ledger ({held}): {HOW}")
    (run_id,) = runs
    return _at(ledger, max(int(d["seq"]) for d in ledger.reports if d.get("run_id") == run_id), directory)


def _seq_of_file(path: Path, directory: Path) -> int:
    """The report number of a file of the ledger (its .json, .json.sig, .md or .html)."""
    name = path.name
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            name = name.removesuffix(suffix) + ".json"
            break
    match = NAME.match(name)
    if not path.exists() or not match:
        raise OffboardError(f"{path} is not a report file (NNNNNN-member-kind.json): {HOW}")
    if path.resolve().parent != directory.resolve():
        raise OffboardError(f"{path} is not in the ledger ({directory}): `offboard report` shows only reports it can "
                            "verify there; check another with `offboard verify FILE`")
    return int(match.group(1))


def _at(ledger: TrustedLedger, seq: int, directory: Path) -> Found:
    document = next((d for d in ledger.reports if d.get("seq") == seq), None)
    entry = next((e for e in entries(directory) if e.seq == seq), None)
    if document is None or entry is None:
        raise OffboardError(f"there is no report {seq:06d} in the ledger ({directory}): {HOW}")
    return Found(document, entry.path)
