"""The report key and the ledger: ``keygen`` makes the key, ``verify`` checks every report.

Both work from a bare clone of the ledger too, without an ``offboard.toml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from offboard.config import CONFIG_ENV, DEFAULT_NAME, Config, load_config
from offboard.errors import OffboardError
from offboard.report.ledger import report_namespace

if TYPE_CHECKING:  # cryptography: imported when a report is checked
    from offboard.apply.journal import Journal
    from offboard.report.verify import Verification


def optional_config(explicit: str | None) -> Config | None:
    """The config when there is one."""
    if explicit or os.environ.get(CONFIG_ENV) or (Path.cwd() / DEFAULT_NAME).is_file():
        return load_config(explicit)
    return None


@dataclass(frozen=True)
class KeygenRequest:
    out: Path | None = None  # default: [signing] key
    signer: str | None = None  # default: [signing] signer
    passphrase_env: str | None = None
    config: str | None = None


@dataclass
class NewKey:
    private_path: Path
    public_path: Path
    fingerprint: str
    identity: str
    allowed_signers_line: str
    allowed_signers_path: Path
    namespace: str | None
    config_name: str  # where the [signing] table goes
    base: Path  # paths are shown relative to it
    passphrase_env: str | None


def keygen(request: KeygenRequest) -> NewKey:
    """Create the Ed25519 report key and add its line to allowed_signers (created if missing)."""
    from offboard.report.signing.keys import DEFAULT_KEY, generate_key  # cryptography: only for this command

    config = optional_config(request.config)
    table = config.signing if config else {}
    base = config.base_dir if config else Path.cwd()
    configured = table.get("key") if table.get("key") != "agent" else None
    path = request.out or (config.resolve_path(configured or DEFAULT_KEY) if config else Path(DEFAULT_KEY))
    if request.signer:
        identity: str | None = request.signer
    else:
        from offboard.report.trusted import configured_signers

        identity = next(iter(configured_signers(config)), None) if config else None  # a list: the first signs
    if not identity:
        raise OffboardError("who signs? pass --signer EMAIL (the identity for allowed_signers, e.g. cc@example.org)")
    passphrase = os.environ.get(request.passphrase_env, "") if request.passphrase_env else None
    if request.passphrase_env and not passphrase:
        raise OffboardError(f"${request.passphrase_env} is empty: export the passphrase in it, then run keygen again")
    key = generate_key(path, identity, passphrase)
    namespace = report_namespace(config.org_domain) if config else None
    line = key.allowed_signers_line(identity, namespace)
    if config and table.get("allowed_signers"):
        signers_path = config.resolve_path(str(table["allowed_signers"]))
    else:
        signers_path = path.parent / "allowed_signers"
    _append_line(signers_path, line)
    return NewKey(key.private_path, key.public_path, key.fingerprint, identity, line, signers_path, namespace,
                  config.path.name if config else DEFAULT_NAME, base, request.passphrase_env)


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    ends_open = bool(existing) and not existing.endswith("\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(("\n" if ends_open else "") + line + "\n")


@dataclass(frozen=True)
class VerifyRequest:
    target: Path | None = None  # a report or a reports folder; default: the config's ledger
    allowed_signers: Path | None = None
    allow_unsigned: bool = False
    config: str | None = None
    namespace: str | None = None  # default: the config's; without a config, each report's own
    signers: tuple[str, ...] = ()  # default: the config's [signing] signer; without a config, any listed key
    fix_markdown: bool = False  # write each .md that does not match its (verified) report again


def verify(request: VerifyRequest) -> Verification:
    """Check every report's signature, the chain that links them, their ``.md`` and this machine's journal.

    With a config, a signature counts only in the config's namespace and by a key listed for the
    configured signer; without one (a bare clone), ``--namespace`` and ``--signer`` pin them.
    """
    from offboard.report.trusted import configured_signers, recorded_by

    needs_config = request.config or not (request.target and request.allowed_signers)
    config = optional_config(request.config) if needs_config else None
    target = request.target
    if target is None:
        if config is None:
            raise OffboardError("no offboard.toml here, so which reports? run `offboard verify DIR --allowed-signers FILE`")
        target = config.reports_dir
    signers_path = _allowed_signers_path(request.allowed_signers, config)
    try:
        signers_text = signers_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OffboardError(
            f"cannot read allowed_signers file {signers_path} ({exc.strerror}): pass --allowed-signers FILE"
        ) from exc
    namespace = request.namespace or (report_namespace(config.org_domain) if config else None)
    principals = request.signers or (configured_signers(config) if config else ())
    from offboard.report.verify import verify_ledger  # cryptography: only for this command

    journal = _journal(config, target)
    try:
        return verify_ledger(target, signers_text, request.allow_unsigned, namespace=namespace,
                             principals=principals or None, recorded=recorded_by(journal), check_markdown=True,
                             fix_markdown=request.fix_markdown)
    finally:
        if journal is not None:
            journal.close()


def _journal(config: Config | None, target: Path) -> Journal | None:
    """This machine's journal, when it exists and ``target`` is the ledger it wrote to (never created here)."""
    if config is None or not config.journal_path.is_file():
        return None
    if target.is_file() or target.resolve() != config.reports_dir.resolve():
        return None
    from offboard.apply.journal import Journal

    return Journal(config.journal_path)


def _allowed_signers_path(option: Path | None, config: Config | None) -> Path:
    if option:
        return option
    table = config.signing if config else {}
    if config and table.get("allowed_signers"):
        return config.resolve_path(str(table["allowed_signers"]))
    if config and table.get("key") and table["key"] != "agent":
        return config.resolve_path(str(table["key"])).parent / "allowed_signers"
    raise OffboardError(
        "which keys may sign? pass --allowed-signers FILE, or set [signing] allowed_signers in offboard.toml"
    )
