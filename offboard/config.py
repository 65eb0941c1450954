"""``offboard.toml``: where it is found, what it holds, and every problem reported at once."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offboard.errors import ConfigurationError

CONFIG_ENV = "OFFBOARD_CONFIG"
STATE_ENV = "OFFBOARD_STATE_DIR"
DEFAULT_NAME = "offboard.toml"
KNOWN_TABLES = {"org", "roster", "state", "connectors", "signing", "audit", "notify", "approvals", "notice"}
APPROVALS_KEYS = ("approvers", "emergency", "required")


@dataclass(frozen=True)
class ApprovalSettings:
    """``[approvals]``: how many distinct approvers a saved plan needs before it is applied (0: off)."""

    required: int = 0
    approvers: Path | None = None  # an allowed_signers file: one line per approver (CC member)
    emergency: bool = False  # one approver suffices with --emergency --reason

    @property
    def configured(self) -> bool:
        """Approvals can be made and checked: there is an approvers file."""
        return self.approvers is not None


@dataclass(frozen=True)
class Config:
    path: Path
    org_name: str
    org_domain: str
    roster_path: Path
    state_dir: Path
    roster_columns: Mapping[str, str] = field(default_factory=dict)  # [roster] columns: field -> the file's header
    connectors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    signing: Mapping[str, Any] = field(default_factory=dict)
    audit: Mapping[str, Any] = field(default_factory=dict)
    notify: Mapping[str, Any] = field(default_factory=dict)
    approvals: ApprovalSettings = field(default_factory=ApprovalSettings)
    notice: Mapping[str, Any] = field(default_factory=dict)  # [notice]: checked by the notice connector

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve_path(self, value: str) -> Path:
        """Config paths are relative to the config file, not to where the command runs."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def reports_dir(self) -> Path:
        return self.state_dir / "reports"

    @property
    def journal_path(self) -> Path:
        return self.state_dir / "journal.sqlite3"

    @property
    def locks_dir(self) -> Path:
        return self.state_dir / "locks"

    @property
    def state_folders(self) -> tuple[Path, ...]:
        """Where offboard writes its state: each must be the user's alone (``files.check_private_dir``)."""
        return (self.state_dir, self.locks_dir, self.reports_dir)


def find_config(explicit: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """``--config``, then ``$OFFBOARD_CONFIG``, then ``./offboard.toml``."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigurationError(f"config file {explicit} does not exist: check the path given to --config")
        return path.resolve()
    if environ.get(CONFIG_ENV):
        path = Path(environ[CONFIG_ENV])
        if not path.is_file():
            raise ConfigurationError(f"{CONFIG_ENV} names {path}, which does not exist: fix or unset it")
        return path.resolve()
    path = Path.cwd() / DEFAULT_NAME
    if path.is_file():
        return path
    raise ConfigurationError(
        f"no configuration found: pass --config FILE, set {CONFIG_ENV}, or create ./{DEFAULT_NAME} "
        "(`offboard demo --keep DIR` writes a sample to copy)"
    )


def read_bytes(path: Path, shown: str) -> bytes:
    """The bytes of an input file; one that cannot be read raises ConfigurationError naming it as ``shown``."""
    try:
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise ConfigurationError(f"{shown} is a folder, not a file: give the path of the file itself") from exc
    except OSError as exc:
        raise ConfigurationError(f"{shown} cannot be read ({exc.strerror or exc}): check that it is a file you may read") from exc


def decode_text(raw: bytes, shown: str, fix: str = "save it as UTF-8 and try again", encoding: str = "utf-8") -> str:
    """``raw`` as text; bytes that are not UTF-8 raise ConfigurationError naming ``shown`` and the line."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        data = exc.object if isinstance(exc.object, bytes) else raw  # utf-8-sig reports offsets past the BOM
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigurationError(f"{shown}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): {fix}") from exc


def load_config(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    path = find_config(explicit, environ)
    text = decode_text(read_bytes(path, str(path)), str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc}): fix the file and try again") from exc
    return parse_config(data, path, environ)


def parse_config(data: Mapping[str, Any], path: Path, environ: Mapping[str, str] = os.environ) -> Config:
    """Validate the whole document; raise one error listing every problem."""
    problems: list[str] = []

    def table(name: str) -> Mapping[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, Mapping):
            problems.append(f"[{name}] must be a table")
            return {}
        return value

    def text(tbl: Mapping[str, Any], tname: str, key: str, default: str | None = None) -> str:
        value = tbl.get(key, default)
        if value is None:
            problems.append(f"[{tname}] {key} is missing")
            return ""
        if not isinstance(value, str) or not value.strip():
            problems.append(f"[{tname}] {key} must be a non-empty string")
            return ""
        return value.strip()

    for key in data:
        if key not in KNOWN_TABLES:
            problems.append(f"unknown table [{key}] (known: {', '.join(sorted(KNOWN_TABLES))})")
    org, roster, state = table("org"), table("roster"), table("state")
    org_name = text(org, "org", "name")
    domain = text(org, "org", "domain")
    if domain and ("." not in domain or "@" in domain or "/" in domain):
        problems.append(f"[org] domain '{domain}' is not a domain name like example.org")
    roster_value = text(roster, "roster", "path")
    roster_columns = _roster_columns(roster, problems)
    state_origin = f"${STATE_ENV}" if environ.get(STATE_ENV) else "[state] dir"
    state_value = environ.get(STATE_ENV) or text(state, "state", "dir", ".offboard")
    connectors = table("connectors")
    for name, value in connectors.items():
        if not isinstance(value, Mapping):
            problems.append(f"[connectors.{name}] must be a table")
    signing, audit, notify, notice = table("signing"), table("audit"), table("notify"), table("notice")
    base = path.parent

    def resolve(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    if state_value:
        problem = _not_a_folder(resolve(state_value))
        if problem:
            problems.append(f"{state_origin} '{state_value}' {problem}; point {state_origin} at a folder "
                            "(it is created if missing)")
    approvals = _approvals(table("approvals"), resolve, problems)
    if problems:
        raise ConfigurationError(f"{path}: " + "; ".join(problems))

    return Config(
        path=path,
        org_name=org_name,
        org_domain=domain.lower(),
        roster_path=resolve(roster_value),
        state_dir=resolve(state_value),
        roster_columns=roster_columns,
        connectors={k: dict(v) for k, v in connectors.items()},
        signing=dict(signing),
        audit=dict(audit),
        notify=dict(notify),
        approvals=approvals,
        notice=dict(notice),
    )


def _roster_columns(roster: Mapping[str, Any], problems: list[str]) -> dict[str, str]:
    """``[roster] columns = { id = "Member ID" }``: which header of the file holds which field."""
    for key in sorted(set(roster) - {"path", "columns"}):
        problems.append(f"[roster]: unknown key '{key}' (known: path, columns)")
    columns = roster.get("columns", {})
    example = '[roster] columns = { id = "Member ID", email = "E-mail" }'
    if not isinstance(columns, Mapping):
        problems.append(f"[roster] columns must be a table of field = \"header\", e.g. {example}")
        return {}
    bad = [k for k, v in columns.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        problems.append(f"[roster] columns: {', '.join(bad)} must name a column header as text, e.g. {example}")
    return {k: v for k, v in columns.items() if k not in bad}


def _approvals(table: Mapping[str, Any], resolve: Callable[[str], Path], problems: list[str]) -> ApprovalSettings:
    """``[approvals]``: each bad value is one problem, saying what to write instead."""
    unknown = sorted(set(table) - set(APPROVALS_KEYS))
    if unknown:
        problems.append(f"[approvals]: unknown key {', '.join(repr(k) for k in unknown)} (known: {', '.join(APPROVALS_KEYS)})")
    required = table.get("required", 0)
    if isinstance(required, bool) or not isinstance(required, int) or required < 0:
        problems.append(f"[approvals] required must be a whole number of approvers, 0 or more (0 turns approvals off), "
                        f"not {required!r}")
        required = 0
    emergency = table.get("emergency", False)
    if not isinstance(emergency, bool):
        problems.append(f"[approvals] emergency must be true or false, not {emergency!r}")
        emergency = False
    value = table.get("approvers")
    approvers: Path | None = None
    if value is None:
        if required > 0:
            problems.append(f"[approvals] required = {required} but approvers is missing: set approvers to the "
                            'allowed_signers file of the approvers, e.g. approvers = "keys/approvers"')
    elif not isinstance(value, str) or not value.strip():
        problems.append('[approvals] approvers must be the path of an allowed_signers file, e.g. "keys/approvers"')
    else:
        approvers = resolve(value.strip())
    return ApprovalSettings(int(required), approvers, emergency)


def _not_a_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot be (or become) a folder: it, or the nearest existing parent, is a file."""
    current = folder
    while not os.path.lexists(current) and current != current.parent:
        current = current.parent
    if current.is_dir():
        return None
    kind = "a file, not a folder" if current.is_file() else "not a folder"
    return f"is {kind}" if current == folder else f"cannot be a folder: {current} is {kind}"
