"""The ledger: a directory of signed, chained reports (``NNNNNN-<member>-<kind>.json``).

Each report is RFC 8785 canonical JSON; its ``.json.sig`` is an SSHSIG over the file's exact
bytes and its ``.md`` a rendering for people. ``prev_sha256`` is the SHA-256 of the previous
report file, so an edited, deleted or reordered report shows. The directory is meant to be
shared (a git clone per CC member); the audit reads it to learn who was expelled and when.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rfc8785

from offboard.files import private_dir, write_atomic

if TYPE_CHECKING:  # cryptography costs 20 ms of start-up: imported when a report is signed
    from offboard.report.signing.keys import Signer

NAME = re.compile(r"^(\d{6,})-(.+)-([a-z0-9_]+)\.json$")
FORMAT = "offboard-report/1"  # of every document the ledger holds: runs' reports and audits
ADDED_FIELDS = ("seq", "prev_sha256", "signed", "attachments")
LOCK_NAME = ".lock"


def report_namespace(domain: str) -> str:
    """The SSHSIG namespace: a report key signs reports of this org and nothing else."""
    return f"offboard-report@{domain}"


@dataclass(frozen=True)
class ReportFiles:
    seq: int
    json_path: Path
    sig_path: Path | None  # None for an unsigned report
    md_path: Path
    sha256: str  # of the .json file's bytes: what the next report's prev_sha256 holds


@dataclass(frozen=True)
class Entry:
    """A report file found on disk, named ``NNNNNN-member-kind.json``."""

    path: Path
    seq: int  # from the file name

    @property
    def sig_path(self) -> Path:
        return self.path.with_name(self.path.name + ".sig")

    @property
    def md_path(self) -> Path:
        return self.path.with_suffix(".md")


def _slug(text: str, fallback: str) -> str:
    """A file-name-safe form of a member id or kind; the report itself keeps the real value."""
    return re.sub(r"[^A-Za-z0-9._]+", "_", text).strip("._") or fallback


def entries(directory: Path) -> list[Entry]:
    """Report files in name order; files not named like reports are not part of the chain."""
    found = []
    for path in directory.glob("*.json") if directory.is_dir() else ():
        match = NAME.match(path.name)
        if match:
            found.append(Entry(path, int(match.group(1))))
    return sorted(found, key=lambda e: (e.seq, e.path.name))


def markdown_of(document: Mapping[str, Any]) -> bytes:
    """The ``.md`` beside a report: derived from its document, so ``verify`` can re-render and compare it.

    Its renderer is imported here, when a report is written: ``offboard expel`` loads this module before
    its first request, and the renderer's blocks are not needed until the cut is over."""
    from offboard.report import markdown as report_markdown

    return report_markdown.render(document).encode()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Ledger:
    """Appends reports under a lock and reads them back in order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One appender at a time across processes, so two runs never take the same seq."""
        private_dir(self.directory)
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def append(self, document: Mapping[str, Any], signer: Signer | None,
               attachments: Mapping[str, bytes] | None = None) -> ReportFiles:
        """Number, chain, sign and write ``document``; ``signer=None`` writes it unsigned.

        ``document`` must hold ``kind`` and ``org.domain`` and none of the fields added here.
        ``attachments`` (``"notice.eml"`` -> bytes) are written beside it as ``NNNNNN-MEMBER-notice.eml``
        (0600), and the signed report names each with its SHA-256 (``attachments``), which verify checks.
        """
        clash = [k for k in ADDED_FIELDS if k in document]
        if clash:
            raise ValueError(f"the ledger sets {', '.join(clash)} itself")
        kind, domain = document["kind"], document["org"]["domain"]
        member = (document.get("member") or {}).get("id") or "org"
        with self._locked():
            existing = entries(self.directory)
            last = existing[-1] if existing else None
            seq = last.seq + 1 if last else 1
            self._clear_slot(seq)
            stem = f"{seq:06d}-{_slug(member, 'member')}"
            files = {f"{stem}-{suffix}": data for suffix, data in (attachments or {}).items()}
            full = {
                **document,
                **({"attachments": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
                   if files else {}),
                "seq": seq,
                "prev_sha256": sha256_file(last.path) if last else None,
                "signed": signer is not None,
            }
            data = rfc8785.dumps(full)
            for name, content in files.items():  # before the report: it exists only once all it names does
                write_atomic(self.directory / name, content)
            base = self.directory / f"{stem}-{_slug(kind.lower(), 'report')}"
            entry = Entry(base.with_suffix(".json"), seq)
            write_atomic(entry.md_path, markdown_of(json.loads(data)))  # of the signed bytes: what verify re-renders
            if signer is not None:
                write_atomic(entry.sig_path, signer.sign(data, report_namespace(domain)).encode())
            write_atomic(entry.path, data)  # last: the report exists only once it is complete
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return ReportFiles(
            seq=seq,
            json_path=entry.path,
            sig_path=entry.sig_path if signer is not None else None,
            md_path=entry.md_path,
            sha256=hashlib.sha256(data).hexdigest(),
        )

    def _clear_slot(self, seq: int) -> None:
        """Remove what an append that crashed before writing its ``.json`` left behind.

        Called under the lock, so no other append is half-way; without this, its ``.sig`` or
        ``.md`` would later read as the traces of a deleted report.
        """
        for path in self.directory.glob(f"{seq:06d}-*"):
            if path.name.endswith((".json.sig", ".md", ".eml")):
                path.unlink()
        for path in self.directory.glob(".*.tmp"):
            path.unlink()

    def reading(self) -> AbstractContextManager[None]:
        """Hold the appenders' lock while the ledger is read: no append is then half-written (``.md`` and
        ``.sig`` before the ``.json``), so what is beyond the last report was left by an append that crashed."""
        return self._locked()

    def rewrite_markdown(self, entry: Entry, document: Mapping[str, Any]) -> None:
        """Write ``entry``'s ``.md`` again from its (verified) document, under the ledger's lock."""
        with self._locked():
            write_atomic(entry.md_path, markdown_of(document))

    def reports(self) -> Iterator[dict[str, Any]]:
        """Every report, parsed, in seq order, NOT verified: anything that believes the ledger reads it through
        ``offboard.report.trusted.trusted_ledger`` instead."""
        for entry in entries(self.directory):
            yield json.loads(entry.path.read_bytes())
