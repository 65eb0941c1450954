"""``offboard init``: a new org's folder, from a few answers: config, roster template, signing key, .gitignore.

It never overwrites a file: every file it would write is checked before the first is written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from offboard.config import DEFAULT_NAME
from offboard.errors import Aborted, OffboardError
from offboard.members.roster import REQUIRED, load_roster
from offboard.operations.ledger import KeygenRequest, NewKey, keygen
from offboard.spi import ConfigField, registry

STATE_DIR = ".offboard"
KEY = "keys/offboard_ed25519"
ALLOWED_SIGNERS = "keys/allowed_signers"
ROSTER = "roster.csv"
GITIGNORE = ".gitignore"
PLACEHOLDER = "CHANGE-ME"
#: optional fields a table cannot do without once it is there (the notice is sent as someone)
NEEDED_IN_TABLE = {"notice": ("from",)}


class Asking(Protocol):
    def can_ask(self) -> bool:
        """Someone is there to answer."""

    def ask(self, question: str) -> str:
        """The answer typed."""

    def note(self, text: str) -> None:
        """Something to read before a question."""


@dataclass(frozen=True)
class InitRequest:
    directory: Path = Path(".")
    org_name: str | None = None
    domain: str | None = None
    systems: tuple[str, ...] | None = None  # None: not given (asked); () : none
    roster: Path | None = None  # an existing roster; None: a roster.csv template is written
    yes: bool = False  # ask nothing, confirm nothing


@dataclass
class InitResult:
    directory: Path
    config_path: Path
    written: list[Path]
    key: NewKey
    roster_path: Path
    roster_template: bool
    systems: tuple[str, ...]
    to_fill: list[str] = field(default_factory=list)  # "[connectors.google] admin": placeholders to replace


def domain_problem(domain: str) -> str | None:
    """The rule of ``[org] domain`` in ``offboard.config``."""
    if "." not in domain or "@" in domain or "/" in domain:
        return f"domain '{domain}' is not a domain name like example.org"
    return None


def configurable_systems() -> dict[str, str]:
    """Installed systems with a config table, name -> title (the notice as "written notice")."""
    found = {}
    for name in sorted(registry.available()):
        try:
            cls = registry.load(name)
        except OffboardError:
            continue  # `offboard connectors` names a broken plugin
        if cls.config_fields:
            found[name] = "written notice" if cls.config_table == "notice" else cls.title
    return found


def init(request: InitRequest, ui: Asking) -> InitResult:
    """Write the org's folder; the signing key is made by ``keygen``, from the config just written."""
    asking = ui.can_ask() and not request.yes
    missing = [flag for flag, value in (("--org-name TEXT", request.org_name), ("--domain DOMAIN", request.domain),
                                        ("--systems NAME,...", request.systems)) if value is None]
    if missing and not asking:
        why = "--yes asks nothing" if request.yes and ui.can_ask() else "there is no terminal to ask at"
        raise OffboardError(f"missing {', '.join(missing)} ({why}): pass them, e.g. "
                            "offboard init DIR --org-name 'Example Volunteers' --domain example.org --systems google,slack")
    org_name = (request.org_name if request.org_name is not None else ui.ask("Organization name")).strip()
    if not org_name:
        raise OffboardError("the organization name is empty: pass --org-name TEXT")
    domain = (request.domain if request.domain is not None else ui.ask("Domain (e.g. example.org)")).strip().lower()
    problem = domain_problem(domain)
    if problem:
        raise OffboardError(f"{problem}: pass --domain example.org")
    offered = configurable_systems()
    systems = request.systems if request.systems is not None else _ask_systems(ui, org_name, offered)
    systems = _checked_systems(systems)
    roster_given = request.roster
    if roster_given is None and asking:
        answer = ui.ask(f"Roster (an existing CSV; Enter: write {ROSTER} with the header)").strip()
        roster_given = Path(answer).expanduser() if answer else None
    directory = request.directory
    config_path = directory / DEFAULT_NAME
    roster_path = _existing_roster(roster_given) if roster_given else directory / ROSTER
    planned = [config_path, *([] if roster_given else [roster_path]), directory / GITIGNORE, directory / KEY,
               directory / (KEY + ".pub"), directory / ALLOWED_SIGNERS]
    _refuse_existing(directory, planned)
    if asking:
        ui.note(f"offboard init will write in {directory}: " + ", ".join(str(p.relative_to(directory)) for p in planned))
        if ui.ask("Write them? [Y/n]").strip().lower() not in {"", "y", "yes"}:
            raise Aborted("nothing was written")
    text, to_fill = config_text(org_name, domain, _relative(roster_path, directory), systems)
    directory.mkdir(parents=True, exist_ok=True)
    _write_new(config_path, text)
    if not roster_given:
        _write_new(roster_path, ",".join(REQUIRED) + "\n")
    _write_new(directory / GITIGNORE, gitignore_text())
    key = keygen(KeygenRequest(config=str(config_path)))
    return InitResult(directory, config_path, planned, key, roster_path, not roster_given, systems, to_fill)


def _ask_systems(ui: Asking, org_name: str, offered: dict[str, str]) -> tuple[str, ...]:
    width = max((len(name) for name in offered), default=0)
    listing = "\n".join(f"  {name.ljust(width)}  {title}" for name, title in offered.items())
    ui.note(f"Systems with a config table:\n{listing}\n(manual steps need none: they come with the playbook)")
    answer = ui.ask(f"Which does {org_name} use? (names, comma-separated; Enter: none)")
    return _split(answer)


def _split(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))


def split_systems(text: str) -> tuple[str, ...]:
    """``--systems google,slack``."""
    return _split(text)


def _checked_systems(systems: tuple[str, ...]) -> tuple[str, ...]:
    installed = registry.available()
    unknown = [name for name in systems if name not in installed]
    if unknown:
        raise OffboardError(f"no system named {', '.join(repr(n) for n in unknown)} is installed "
                            f"(installed: {', '.join(sorted(installed))}): fix --systems")
    return systems


def _existing_roster(path: Path) -> Path:
    if not path.is_file():
        raise OffboardError(f"roster {path} does not exist: give an existing CSV, or leave out --roster "
                            f"to get a {ROSTER} with the header")
    load_roster(path)  # its header is checked now, not at the first expulsion
    return path.resolve()


def _refuse_existing(directory: Path, planned: list[Path]) -> None:
    if directory.exists() and not directory.is_dir():
        raise OffboardError(f"{directory} is a file, not a folder: give the folder to write the org's files in")
    for path in planned:
        if os.path.lexists(path):
            raise OffboardError(f"{path} already exists: init never overwrites a file, so nothing was written; "
                                "move it away or choose another folder")


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": never over a file that appeared meanwhile
        handle.write(text)


def _relative(path: Path, directory: Path) -> str:
    try:
        return path.resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def gitignore_text() -> str:
    return (f"# written by `offboard init`: never commit these\n"
            f"{STATE_DIR}/\n"
            f"{KEY}\n"
            "secrets/\n"
            "sandbox.env\n")


def config_text(org_name: str, domain: str, roster: str, systems: tuple[str, ...]) -> tuple[str, list[str]]:
    """``offboard.toml``: the org, then one commented table per chosen system; and the placeholders to fill."""
    lines = [
        "# offboard's configuration, written by `offboard init`. Relative paths are relative to this file.",
        "",
        "[org]",
        f"name = {_toml(org_name)}",
        f"domain = {_toml(domain)}",
        "",
        "[roster]",
        f"path = {_toml(roster)}  # columns: {', '.join(REQUIRED)}",
        "",
        "[state]",
        f'dir = "{STATE_DIR}"  # the journal, locks and the ledger of signed reports',
        "",
        "[signing]",
        f'key = "{KEY}"  # the private key: never commit it (.gitignore)',
        f'signer = "cc@{domain}"  # the identity of the key in allowed_signers',
        f'allowed_signers = "{ALLOWED_SIGNERS}"  # publish it: anyone can check a report with ssh-keygen',
    ]
    to_fill: list[str] = []
    for name in systems:
        cls = registry.load(name)
        if not cls.config_fields:
            continue  # a checklist (manual): nothing to configure
        table = cls.config_table or f"connectors.{name}"
        lines += ["", f"# {cls.title}", f"[{table}]"]
        for item in cls.config_fields:
            needed = item.required or item.name in NEEDED_IN_TABLE.get(name, ())
            lines += _field_lines(item, needed, domain)
            if needed:
                to_fill.append(f"[{table}] {item.name}")
    return "\n".join(lines) + "\n", to_fill


def _field_lines(item: ConfigField, needed: bool, domain: str) -> list[str]:
    description = " ".join(item.description.split())
    if needed:
        return [f"# REQUIRED, replace {PLACEHOLDER}: {description}",
                f"{_toml_key(item.name)} = {_toml(_placeholder(item, domain))}"]
    if item.secret:  # where the secret is read from (an environment variable's name, a file): never the secret
        return [f"# {description}", f"{_toml_key(item.name)} = {_toml(item.default)}"]
    return [f"# {description}", f"# {_toml_key(item.name)} = {_toml(item.default)}"]


def _placeholder(item: ConfigField, domain: str) -> Any:
    if item.type is not str:
        return item.default if item.default is not None else item.type()
    words = item.description.lower()
    if "email" in words or "mailbox" in words or "@" in words:
        return f"{PLACEHOLDER}@{domain}"
    return PLACEHOLDER


def _toml_key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() and name.isascii() else json.dumps(name)


def _toml(value: Any) -> str:
    """A TOML value (a JSON string is a valid TOML basic string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # DEL: TOML wants it escaped
