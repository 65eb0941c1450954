"""Signing one approval, and reading all of a plan's approvals into a quorum: what counts, what does not and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offboard.approvals.principals import Approvers, canonical
from offboard.approvals.statement import (
    MAX_STATEMENT,
    approvals_dir,
    make_statement,
    parse_statement,
    signature_path,
    statement_bytes,
    statement_path,
)
from offboard.clock import utc_now
from offboard.errors import ConfigurationError, OffboardError
from offboard.files import private_dir, write_atomic
from offboard.report.signing import sshsig
from offboard.report.signing.allowed_signers import verify_signature
from offboard.report.signing.sshsig import SignatureError

if TYPE_CHECKING:
    from offboard.plans.plan import Plan
    from offboard.report.signing.keys import Signer


class QuorumNotMet(OffboardError):
    """Fewer distinct approvers signed this plan than ``[approvals] required``: nothing is applied."""


@dataclass(frozen=True)
class Approval:
    principal: str  # as spelled in the approvers file
    fingerprint: str  # SHA256:... of the key that signed
    decision: str
    at: str  # when the approver signed (UTC, their clock)
    file: str  # the statement's file name in FILE.approvals/

    def to_dict(self) -> dict[str, str]:
        return {"principal": self.principal, "fingerprint": self.fingerprint, "decision": self.decision,
                "at": self.at, "file": self.file}


@dataclass(frozen=True)
class Rejected:
    file: str
    reason: str  # for people: what is wrong and, where it helps, what to do
    code: str  # for scripts and tests: unreadable, bad-signature, wrong-namespace, unknown-key, unknown-principal,
    #            not-allowed, other-plan, mismatch, duplicate-principal, duplicate-key

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason, "code": self.code}


@dataclass(frozen=True)
class Quorum:
    required: int
    digest: str = ""
    namespace: str = ""
    approved: list[Approval] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(0, self.required - len(self.approved))

    @property
    def met(self) -> bool:
        return self.missing == 0

    def to_dict(self) -> dict[str, Any]:
        """What the signed report records: the digest, each approver, their key, decision and time."""
        return {"digest": self.digest, "namespace": self.namespace, "required": self.required, "met": self.met,
                "missing": self.missing, "approved": [a.to_dict() for a in self.approved],
                "rejected": [r.to_dict() for r in self.rejected]}


class _Reject(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def sign_approval(plan_path: Path, plan: Plan, principal: str, decision: str, signer: Signer, namespace: str,
                  approvers: Approvers | None = None, at: str | None = None) -> Path:
    """Sign ``plan``'s digest as ``principal`` and write ``FILE.approvals/<slug>.json`` and its ``.json.sig``.

    With ``approvers``, the signature is checked against it first: one it would not count is not written.
    An approval by the same principal already there is replaced. Returns the statement's path.
    """
    data = statement_bytes(make_statement(plan, principal, decision, at or utc_now()))
    armored = signer.sign(data, namespace)
    if approvers is not None:
        try:
            verify_signature(data, armored, namespace, approvers.text, identity=principal)
        except SignatureError as exc:
            raise OffboardError(f"the approvers file {approvers.source} would not count this approval ({exc}): "
                                "nothing was written") from exc
    path = statement_path(plan_path, principal)
    try:
        private_dir(path.parent)
        write_atomic(path, data)
        write_atomic(signature_path(path), armored.encode())
    except OSError as exc:
        raise ConfigurationError(f"cannot write the approval to {path} ({exc.strerror or exc}): make the plan's folder "
                                 "writable, or copy the plan somewhere you may write") from exc
    return path


def read_approvals(plan_path: Path, digest: str, approvers_text: str, namespace: str, *, required: int = 0,
                   member: str | None = None, kind: str | None = None, source: str = "approvers") -> Quorum:
    """Verify every approval in ``FILE.approvals/`` for the plan whose digest is ``digest``.

    An approval counts when its signature is good, made for ``namespace`` by a key the approvers file
    lists under the statement's principal, over a statement naming ``digest``; each principal and each
    key counts once. Everything else is listed in ``rejected`` with the reason. A malformed approvers
    file raises ConfigurationError: nothing can be counted against it.
    """
    approvers = Approvers.parse(approvers_text, source)
    folder = approvals_dir(plan_path)
    quorum = Quorum(required, digest, namespace)
    if not folder.exists():
        return quorum
    if not folder.is_dir():
        quorum.rejected.append(Rejected(folder.name, f"{folder.name} is not a folder: approvals go in files inside it",
                                        "unreadable"))
        return quorum
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    for name in names:
        if name.endswith(".json.sig") and name[: -len(".sig")] not in names:
            quorum.rejected.append(Rejected(name, f"there is no statement {name[:-4]} beside it", "unreadable"))
    by_principal: dict[str, Approval] = {}
    by_key: dict[str, Approval] = {}
    for name in (n for n in names if n.endswith(".json")):
        try:
            approval = _check(folder / name, digest, namespace, approvers, member, kind)
            if canonical(approval.principal) in by_principal:
                earlier = by_principal[canonical(approval.principal)]
                raise _Reject("duplicate-principal", f"{approval.principal} already approved in {earlier.file}: "
                                                     "each approver counts once")
            if approval.fingerprint in by_key:
                earlier = by_key[approval.fingerprint]
                raise _Reject("duplicate-key", f"key {approval.fingerprint} already approved as {earlier.principal} "
                                               f"in {earlier.file}: each key counts once")
        except _Reject as reject:
            quorum.rejected.append(Rejected(name, reject.reason, reject.code))
            continue
        by_principal[canonical(approval.principal)] = by_key[approval.fingerprint] = approval
        quorum.approved.append(approval)
    return quorum


_SIGNATURE_CODES = {"namespace": "wrong-namespace", "signer": "not-allowed"}


def _check(path: Path, digest: str, namespace: str, approvers: Approvers, member: str | None,
           kind: str | None) -> Approval:
    """The approval in ``path`` (and its ``.sig``), or ``_Reject`` saying why it does not count."""
    sig_path = signature_path(path)
    if not sig_path.exists():
        raise _Reject("unreadable", f"its signature {sig_path.name} is missing")
    try:
        raw = _read_small(path)
        armored = _read_small(sig_path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else "the signature is not text"
        raise _Reject("unreadable", f"it cannot be read ({why})") from None
    try:
        statement = parse_statement(raw)
        signature = sshsig.Signature.parse(armored)
    except (ValueError, SignatureError) as exc:
        raise _Reject("unreadable", f"it is not an approval: {exc}") from None
    fingerprint = sshsig.fingerprint(signature.public_key)
    listed = approvers.principals_for(signature.public_key)
    if not listed:
        raise _Reject("unknown-key", f"it is signed by key {fingerprint}, which the approvers file does not list")
    spelling = approvers.spelling(statement["principal"])
    if spelling is None:
        raise _Reject("unknown-principal", f"{statement['principal']!r} is not an approver in the approvers file "
                                           f"(key {fingerprint} is listed for {', '.join(listed)})")
    try:
        verify_signature(raw, armored, namespace, approvers.text, identity=spelling)
    except SignatureError as exc:
        raise _Reject(_SIGNATURE_CODES.get(exc.reason, "bad-signature"), str(exc)) from None
    if statement["digest"] != digest:
        raise _Reject("other-plan", f"it approves another plan ({statement['digest']}), not this one ({digest}): the "
                                    "plan was changed after it was approved, or the approval belongs to another plan")
    for field_name, expected in (("member", member), ("kind", kind)):
        if expected is not None and statement[field_name] != expected:
            raise _Reject("mismatch", f"it names {field_name} {statement[field_name]!r}, but the plan's is {expected!r}")
    return Approval(spelling, fingerprint, statement["decision"], statement["at"], path.name)


def _read_small(path: Path) -> bytes:
    """A regular file's first bytes, enough for any statement or signature (a link to a device is not read)."""
    if not path.is_file():
        raise OSError(0, "not a regular file")
    with path.open("rb") as handle:
        return handle.read(MAX_STATEMENT + 1)
