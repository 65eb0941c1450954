"""The one way to read the ledger as facts: verified first, pinned to the config's signer and namespace.

Whatever believes the ledger (the audit and its ``--fix``, anything that asks who is expelled) reads
it here. The chain and every signature are checked against ``[signing] signer`` (the principal in
allowed_signers; a list is accepted, e.g. while a key is rotated) and the namespace
``offboard-report@<[org] domain>``, and the reports this machine's journal recorded writing must
still be there, unchanged. A single problem stops the command: an unsigned or foreign file is an
error, never a fact.

An org without a report key (``[signing] key`` unset: reports written with ``--unsigned``) has an
unsigned ledger: its unsigned reports are accepted, the chain is still checked, and every reader
says so (``TrustedLedger.warning``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offboard.config import Config
from offboard.errors import ConfigurationError, LedgerError
from offboard.report.ledger import Ledger, report_namespace

if TYPE_CHECKING:
    from offboard.apply.journal import Journal
    from offboard.report.verify import Problem

UNSIGNED_LEDGER = ("unsigned ledger: no [signing] key is configured, so reports are not signed and anyone with write "
                   "access to the reports folder can change them; run `offboard keygen` to sign them")


@dataclass(frozen=True)
class TrustedLedger:
    reports: list[dict[str, Any]]  # every report, in seq order, parsed from the bytes that verified
    namespace: str
    signers: tuple[str, ...]  # the configured signer principal(s); () when none is configured
    signed: bool  # the org signs its reports: every report had to be signed by one of ``signers``
    warning: str | None = None  # said by every reader of an unsigned ledger
    hashes: tuple[str, ...] = ()  # the SHA-256 of each report's .json, in the order of ``reports``

    def to_dict(self) -> dict[str, Any]:
        """What an audit report records of the ledger it believed."""
        return {"reports": len(self.reports), "signed": self.signed, "signers": list(self.signers),
                "namespace": self.namespace, "warning": self.warning}


def configured_signers(config: Config) -> tuple[str, ...]:
    """``[signing] signer``: one principal, or a list of them."""
    value = config.signing.get("signer")
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigurationError(f"{config.path.name}: [signing] signer must be the principal of the report key in "
                                 'allowed_signers ("cc@example.org"), or a list of them')
    return tuple(v.strip() for v in values)


def allowed_signers_file(config: Config) -> Path | None:
    """``[signing] allowed_signers``, else the ``allowed_signers`` beside the key file, else None."""
    table = config.signing
    if table.get("allowed_signers"):
        return config.resolve_path(str(table["allowed_signers"]))
    if table.get("key") and table["key"] != "agent":
        return config.resolve_path(str(table["key"])).parent / "allowed_signers"
    return None


def read_allowed_signers(path: Path, fix: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigurationError(f"cannot read allowed_signers file {path} ({why}): {fix}") from exc


def recorded_by(journal: Journal | None) -> list[tuple[int, str, str | None]] | None:
    """(seq, file name, sha256) of every report the journal recorded writing."""
    if journal is None:
        return None
    return journal.recorded_reports()


def trusted_ledger(config: Config, journal: Journal | None = None) -> TrustedLedger:
    """The verified ledger of ``config``; ``LedgerError`` naming the first bad file when it does not verify."""
    from offboard.report.verify import verify_ledger  # cryptography: imported when the ledger is read

    namespace = report_namespace(config.org_domain)
    signers = configured_signers(config)
    signed = bool(config.signing.get("key"))
    path = allowed_signers_file(config)
    name = config.path.name
    allowed: str | None = None
    if signed:
        if not signers:
            raise ConfigurationError(
                f"{name}: [signing] signer is not set, so the ledger cannot be checked against who signs it: set "
                '[signing] signer = "cc@example.org" (the principal of the report key in allowed_signers)')
        if path is None:
            raise ConfigurationError(f"{name}: which keys may sign the ledger? set [signing] allowed_signers "
                                     "(the file `offboard keygen` wrote)")
        allowed = read_allowed_signers(path, f"fix [signing] allowed_signers in {name}")
    elif signers and path is not None and path.is_file():
        allowed = read_allowed_signers(path, f"fix [signing] allowed_signers in {name}")
    with Ledger(config.reports_dir).reading():  # no append half-written while it is read
        result = verify_ledger(config.reports_dir, allowed, allow_unsigned=not signed, namespace=namespace,
                               principals=signers if allowed is not None else None, recorded=recorded_by(journal),
                               empty_ok=True, locked=True)
    if result.problems:
        raise refusal(result.problems)
    warning = None if signed else UNSIGNED_LEDGER
    return TrustedLedger(result.documents, namespace, signers, signed, warning, tuple(result.hashes))


def refusal(problems: Sequence[Problem]) -> LedgerError:
    """The first problem, what to do about it, and how many more ``offboard verify`` lists."""
    first = problems[0]
    if first.kind == "missing":
        advice = "Restore what was deleted from your ledger's history (git)"
    else:
        advice = f"Restore {first.report} from your ledger's history (git) or remove it"
    more = len(problems) - 1
    listed = f" (it lists {more} more problem{'s' if more != 1 else ''})" if more else ""
    return LedgerError(f"the ledger cannot be trusted, so nothing was read from it: {first.message}. "
                       f"{advice}, then run `offboard verify`{listed}.")
