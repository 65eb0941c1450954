"""Checking a ledger: every signature, and the chain that links the reports in order.

Each problem is a sentence naming the file and what happened to it, because the person
reading it is a volunteer looking at a folder, not a cryptographer. A valid chain cannot show
that the newest reports were deleted: the journal of the machine that wrote them can (``recorded``),
and so can the latest report's SHA-256 recorded in the minutes.

Pinned (``namespace`` and ``principals``, from the config), a signature counts only when it is
made for this org's namespace by a key allowed_signers lists for the configured signer; unpinned
(a bare clone), any listed key counts, in the namespace of the report's own ``org.domain``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offboard.errors import OffboardError
from offboard.report.ledger import NAME, Entry, Ledger, entries, markdown_of, report_namespace
from offboard.report.signing.allowed_signers import verify_signature
from offboard.report.signing.sshsig import SignatureError


@dataclass(frozen=True)
class Problem:
    report: str | None  # the file name it is about, when there is one
    kind: str  # changed, missing, reordered, signer, namespace, unsigned, damaged, unsupported, markdown
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Verification:
    reports: int = 0
    problems: list[Problem] = field(default_factory=list)
    signers: set[str] = field(default_factory=set)
    unsigned: int = 0  # unsigned reports accepted with allow_unsigned
    unchecked: int = 0  # signed reports whose signature was not checked (allowed_signers=None)
    latest: tuple[str, str] | None = None  # (file name, sha256) of the newest report
    documents: list[dict[str, Any]] = field(default_factory=list)  # the reports, parsed from the bytes checked
    hashes: list[str] = field(default_factory=list)  # the SHA-256 of each document's file, in the same order
    namespace: str | None = None  # the namespace every signature had to be made for; None: each report's own
    principals: tuple[str, ...] | None = None  # who had to sign; None: any key in allowed_signers
    recorded: int | None = None  # reports of the journal cross-checked; None: no journal
    regenerated: list[str] = field(default_factory=list)  # .md files written again from their report

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


def _configured(principals: Sequence[str]) -> str:
    return " or ".join(principals)


def _signed_by(data: bytes, armored: str, namespace: str, allowed_signers: str,
               principals: Sequence[str] | None) -> str:
    """Who signed ``data``: with ``principals``, one of them (as ``ssh-keygen -Y verify -I``), else any listed key."""
    if principals is None:
        return verify_signature(data, armored, namespace, allowed_signers)
    refusal: SignatureError | None = None
    for principal in principals:
        try:
            return verify_signature(data, armored, namespace, allowed_signers, identity=principal)
        except SignatureError as exc:
            if exc.reason != "signer":
                raise
            refusal = exc
    try:
        actual = verify_signature(data, armored, namespace, allowed_signers)
    except SignatureError:
        assert refusal is not None
        raise refusal from None  # not listed at all, or not allowed here: that refusal says why
    raise SignatureError(f"signed by {actual}, not by the configured signer {_configured(principals)}", "principal")


def _check_signature(item: _Loaded, allowed_signers: str | None, allow_unsigned: bool, result: Verification) -> None:
    name, doc, sig_path = item.entry.path.name, item.document, item.entry.sig_path
    if doc is None:
        return  # already reported as damaged; its namespace cannot be known
    if not sig_path.exists():
        if doc.get("signed") is not False:
            message = f"{sig_path.name} is missing: {name} has no signature"
            result.problems.append(Problem(name, "missing", message))
        elif allow_unsigned:
            result.unsigned += 1
        elif result.principals:
            message = f"{name} is unsigned (written with --unsigned): it is not signed by {_configured(result.principals)}"
            result.problems.append(Problem(name, "unsigned", message))
        else:
            message = f"{name} is unsigned (written with --unsigned): nothing shows who wrote it"
            result.problems.append(Problem(name, "unsigned", message))
        return
    if allowed_signers is None:
        result.unchecked += 1  # an org without a report key: the ledger is unsigned, and says so
        return
    namespace = result.namespace or report_namespace(str((doc.get("org") or {}).get("domain") or ""))
    armored = sig_path.read_bytes().decode("utf-8", "replace")
    try:
        result.signers.add(_signed_by(item.data, armored, namespace, allowed_signers, result.principals))
    except SignatureError as exc:
        if exc.reason == "config":
            raise  # the allowed_signers file itself is wrong: no report can be judged
        messages = {
            "changed": f"{name} was changed after signing: its signature does not match its content",
            "damaged": f"{sig_path.name} is damaged: {exc}",
            "principal": f"{name} is {exc}",
        }
        kind = "signer" if exc.reason == "principal" else exc.reason
        result.problems.append(Problem(name, kind, messages.get(exc.reason, f"{name}: {exc}")))


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


def _orphans(directory: Path, names: set[str], result: Verification, beyond: int | None = None) -> None:
    """A .sig or .md whose report is gone: someone deleted the report itself.

    ``beyond``: the last report's seq, when the ledger is read under its lock; a .sig or .md after it
    was left by an append that crashed before its report was written (the next append clears it).
    """
    for path in sorted(directory.glob("*.json.sig")) + sorted(directory.glob("*.md")):
        report = path.name.removesuffix(".sig") if path.name.endswith(".sig") else path.stem + ".json"
        match = NAME.match(report)
        if match and beyond is not None and int(match.group(1)) > beyond:
            continue
        if match and report not in names:
            message = f"{report} is missing but {path.name} is still there: the report was deleted"
            result.problems.append(Problem(report, "missing", message))
            names.add(report)


def _check_attachments(items: list[_Loaded], result: Verification) -> None:
    """Each file a report names beside it (the exact bytes of a notice sent) is there, with its SHA-256."""
    for item in items:
        named = (item.document or {}).get("attachments") or {}
        for name, sha256 in sorted(named.items()) if isinstance(named, dict) else []:
            path = item.entry.path.parent / str(name)
            report = item.entry.path.name
            if "/" in str(name) or not path.is_file():
                result.problems.append(Problem(report, "attachment", f"{name}, which {report} names, is missing"))
            elif hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
                result.problems.append(Problem(report, "attachment", f"{name} is not the file {report} names: its "
                                                                     "SHA-256 differs (it was changed)"))


def _check_journal(items: list[_Loaded], recorded: Sequence[tuple[int, str, str | None]], result: Verification) -> None:
    """Every report the journal recorded writing is here, with the same bytes: shows the newest ones deleted."""
    by_seq = {item.entry.seq: item for item in items}
    newest = max(by_seq, default=0)
    for seq, name, sha256 in recorded:
        item = by_seq.get(seq)
        if item is None:
            why = "the newest reports were deleted" if seq > newest else "it was deleted"
            message = f"{name} (recorded by this machine's journal) is missing: {why}"
            result.problems.append(Problem(name, "missing", message))
            continue
        found = item.entry.path.name
        replaced = hashlib.sha256(item.data).hexdigest() != sha256 if sha256 else found != name
        if replaced:
            wrote = f"sha256 {sha256}" if sha256 else name
            message = (f"{found} is not the report this machine wrote as {seq:06d} (its journal recorded {wrote}): "
                       "it was replaced")
            result.problems.append(Problem(found, "changed", message))


def _check_markdown(items: list[_Loaded], fix: bool, result: Verification) -> None:
    """Each ``.md`` is what its report renders to now; ``fix`` writes it again from a report that verified."""
    troubled = {p.report for p in result.problems}
    for item in items:
        name, doc, md_path = item.entry.path.name, item.document, item.entry.md_path
        if doc is None or name in troubled:
            continue  # a report that does not verify is not rendered: its problem comes first
        expected = markdown_of(doc)
        present = md_path.read_bytes() if md_path.is_file() else None
        if present == expected:
            continue
        if fix:
            Ledger(md_path.parent).rewrite_markdown(item.entry, doc)
            result.regenerated.append(md_path.name)
            continue
        what = "is missing" if present is None else "does not match its report: it was edited (or written by an older offboard)"
        message = f"{md_path.name} {what}; regenerate it from the signed report with `offboard verify --fix-markdown`"
        result.problems.append(Problem(name, "markdown", message))


def verify_ledger(
    target: Path,
    allowed_signers: str | None,
    allow_unsigned: bool = False,
    *,
    namespace: str | None = None,
    principals: Sequence[str] | None = None,
    recorded: Sequence[tuple[int, str, str | None]] | None = None,
    check_markdown: bool = False,
    fix_markdown: bool = False,
    empty_ok: bool = False,
    locked: bool = False,
) -> Verification:
    """Check a reports directory, or one report (its signature, and its link to the one before).

    ``namespace`` and ``principals`` pin what a signature must be (else: each report's own namespace,
    any listed key); ``allowed_signers=None`` checks the chain only (an org without a report key).
    ``recorded``: (seq, file name, sha256) of the reports this machine's journal wrote, cross-checked.
    ``check_markdown``: each ``.md`` must be its report's rendering (``fix_markdown`` rewrites it instead).
    ``empty_ok``: a missing or empty directory is an empty ledger, not an error.
    ``locked``: read under the ledger's lock (``Ledger.reading``): leftovers of a crashed append are no problem.
    """
    result = Verification(namespace=namespace, principals=tuple(principals) if principals is not None else None)
    if target.is_dir() or (not target.exists() and (empty_ok or recorded)):
        found = entries(target)
        if not found and not (empty_ok or recorded):
            raise OffboardError(f"{target} holds no reports (NNNNNN-member-kind.json): check the path")
        items = [_load(e, result) for e in found]
        _check_links(items, result)
        if target.is_dir():
            beyond = (found[-1].seq if found else 0) if locked else None
            _orphans(target, {e.path.name for e in found}, result, beyond)
        if recorded is not None:
            _check_journal(items, recorded, result)
            result.recorded = len(recorded)
        result.documents = [i.document for i in items if i.document is not None]
        result.hashes = [hashlib.sha256(i.data).hexdigest() for i in items if i.document is not None]
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
    _check_attachments(items, result)
    if check_markdown or fix_markdown:
        _check_markdown(items, fix_markdown, result)
    result.problems.sort(key=lambda p: p.report or "")  # stable: per file, in the order found
    result.reports = len(items)
    if items:
        result.latest = (items[-1].entry.path.name, hashlib.sha256(items[-1].data).hexdigest())
    return result
