"""Checking a ledger: every signature, and the chain that links the reports in order.

Each problem is a sentence naming the file and what happened to it, because the person
reading it is a volunteer looking at a folder, not a cryptographer. A valid chain cannot show
that the newest reports were deleted: compare the latest report's SHA-256 with the one
recorded in the minutes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offboard.errors import OffboardError
from offboard.report.ledger import NAME, Entry, entries, report_namespace
from offboard.report.signing.allowed_signers import verify_signature
from offboard.report.signing.sshsig import SignatureError


@dataclass(frozen=True)
class Problem:
    report: str | None  # the file name it is about, when there is one
    kind: str  # changed, missing, reordered, signer, namespace, unsigned, damaged, unsupported
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Verification:
    reports: int = 0
    problems: list[Problem] = field(default_factory=list)
    signers: set[str] = field(default_factory=set)
    unsigned: int = 0  # unsigned reports accepted with allow_unsigned
    latest: tuple[str, str] | None = None  # (file name, sha256) of the newest report

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Loaded:
    entry: Entry
    data: bytes
    document: dict[str, Any] | None


def _load(entry: Entry, result: Verification) -> _Loaded:
    data = entry.path.read_bytes()
    try:
        document = json.loads(data)
        if not isinstance(document, dict) or not isinstance(document.get("seq"), int):
            raise ValueError("no seq")
        return _Loaded(entry, data, document)
    except ValueError:
        message = f"{entry.path.name} is not a readable report: it was damaged or edited"
        result.problems.append(Problem(entry.path.name, "damaged", message))
        return _Loaded(entry, data, None)


def _check_signature(item: _Loaded, allowed_signers: str, allow_unsigned: bool, result: Verification) -> None:
    name, doc, sig_path = item.entry.path.name, item.document, item.entry.sig_path
    if doc is None:
        return  # already reported as damaged; its namespace cannot be known
    if not sig_path.exists():
        if doc.get("signed") is not False:
            message = f"{sig_path.name} is missing: {name} has no signature"
            result.problems.append(Problem(name, "missing", message))
        elif allow_unsigned:
            result.unsigned += 1
        else:
            message = f"{name} is unsigned (written with --unsigned): nothing shows who wrote it"
            result.problems.append(Problem(name, "unsigned", message))
        return
    namespace = report_namespace(str((doc.get("org") or {}).get("domain") or ""))
    armored = sig_path.read_bytes().decode("utf-8", "replace")
    try:
        result.signers.add(verify_signature(item.data, armored, namespace, allowed_signers))
    except SignatureError as exc:
        if exc.reason == "config":
            raise  # the allowed_signers file itself is wrong: no report can be judged
        messages = {
            "changed": f"{name} was changed after signing: its signature does not match its content",
            "damaged": f"{sig_path.name} is damaged: {exc}",
        }
        result.problems.append(Problem(name, exc.reason, messages.get(exc.reason, f"{name}: {exc}")))


def _check_links(items: list[_Loaded], result: Verification, first: int = 1) -> None:
    """Contiguous from ``first``, names matching contents, each prev_sha256 the previous file's hash."""
    previous: _Loaded | None = None
    for item in items:
        name, doc = item.entry.path.name, item.document
        if doc is not None and doc["seq"] != item.entry.seq:
            message = f"{name} holds report {doc['seq']:06d}: the file was renamed or the reports reordered"
            result.problems.append(Problem(name, "reordered", message))
        expected = previous.entry.seq + 1 if previous else first
        if previous and item.entry.seq == previous.entry.seq:
            message = f"{previous.entry.path.name} and {name} both claim number {item.entry.seq:06d}"
            result.problems.append(Problem(name, "reordered", message))
        elif item.entry.seq != expected:
            gap = f"{expected:06d}" if item.entry.seq == expected + 1 else f"{expected:06d} to {item.entry.seq - 1:06d}"
            what = f"report {gap} is" if item.entry.seq == expected + 1 else f"reports {gap} are"
            where = f"jumps from {previous.entry.seq:06d} to" if previous else "starts at"
            message = f"{what} missing: the chain {where} {item.entry.seq:06d}"
            result.problems.append(Problem(name, "missing", message))
        elif doc is not None and (previous or first == 1):
            want = hashlib.sha256(previous.data).hexdigest() if previous else None
            if doc.get("prev_sha256") != want:
                if previous:
                    before = previous.entry.path.name
                    message = f"{name} does not follow {before}: {before} was changed or replaced since"
                else:
                    message = f"{name} is the first report but points to an earlier one: reports before it were removed"
                result.problems.append(Problem(name, "changed", message))
        previous = item


def _orphans(directory: Path, names: set[str], result: Verification) -> None:
    """A .sig or .md whose report is gone: someone deleted the report itself."""
    for path in sorted(directory.glob("*.json.sig")) + sorted(directory.glob("*.md")):
        report = path.name.removesuffix(".sig") if path.name.endswith(".sig") else path.stem + ".json"
        if NAME.match(report) and report not in names:
            message = f"{report} is missing but {path.name} is still there: the report was deleted"
            result.problems.append(Problem(report, "missing", message))
            names.add(report)


def verify_ledger(target: Path, allowed_signers: str, allow_unsigned: bool = False) -> Verification:
    """Check a reports directory, or one report (its signature, and its link to the one before)."""
    result = Verification()
    if target.is_dir():
        found = entries(target)
        if not found:
            raise OffboardError(f"{target} holds no reports (NNNNNN-member-kind.json): check the path")
        items = [_load(e, result) for e in found]
        _check_links(items, result)
        _orphans(target, {e.path.name for e in found}, result)
    elif target.is_file():
        match = NAME.match(target.name)
        if not match:
            raise OffboardError(f"{target.name} is not named like a report (NNNNNN-member-kind.json)")
        entry = Entry(target, int(match.group(1)))
        items = [_load(entry, result)]
        before = [_load(e, Verification()) for e in entries(target.parent) if e.seq == entry.seq - 1][:1]
        links = Verification()
        _check_links(before + items, links, first=(before + items)[0].entry.seq)
        result.problems += [p for p in links.problems if p.report == target.name]
    else:
        raise OffboardError(f"{target} does not exist: pass a report file or the reports directory")
    for item in items:
        _check_signature(item, allowed_signers, allow_unsigned, result)
    result.problems.sort(key=lambda p: p.report or "")  # stable: per file, in the order found
    result.reports = len(items)
    result.latest = (items[-1].entry.path.name, hashlib.sha256(items[-1].data).hexdigest())
    return result
