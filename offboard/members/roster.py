"""The roster: who the members are, and who they are in each system.

CSV or TOML. Required: ``id, name, email, personal_email, status``. Any other column
is an identity override named after a system (``slack = U024BE7LH``). Headers spelled
otherwise (``Member ID``, ``E-mail``) are mapped by ``offboard.members.columns``.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offboard.config import decode_text, read_bytes
from offboard.errors import ConfigurationError, MemberNotFound
from offboard.members.columns import ColumnMap, map_columns
from offboard.spi import Member

REQUIRED = ("id", "name", "email", "personal_email", "status")
STATUSES = ("active", "suspended", "expelled", "former")
# A member id names files (the member's lock, reports) and run ids: no '/', no leading '.', so never '..'.
MEMBER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Roster:
    path: Path
    members: tuple[Member, ...]
    columns: ColumnMap = field(default_factory=lambda: ColumnMap({}))  # how the file's headers were read

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def find(self, query: str) -> Member:
        """The one member whose id, org email or personal email is ``query``."""
        needle = query.strip().lower()
        if not needle:
            raise MemberNotFound("no member given: pass a member id or email")
        by_id = [m for m in self.members if m.id.lower() == needle]
        if by_id:
            return by_id[0]
        by_email = [m for m in self.members if needle in {m.email.lower(), m.personal_email.lower()}]
        if len(by_email) == 1:
            return by_email[0]
        if len(by_email) > 1:
            names = ", ".join(f"{m.id} ({m.name})" for m in by_email)
            raise MemberNotFound(f"'{query}' matches several members: {names}; use the member id")
        raise MemberNotFound(self._not_found_message(query))

    def _not_found_message(self, query: str) -> str:
        keys: dict[str, Member] = {}
        for m in self.members:
            words = [*m.name.split(), m.email.split("@")[0], m.personal_email.split("@")[0]]
            for key in (m.id, m.email, m.personal_email, m.name, *words):
                if key:
                    keys.setdefault(key.lower(), m)
        close = difflib.get_close_matches(query.lower(), list(keys), n=3, cutoff=0.6)
        hints = list(dict.fromkeys(f"{keys[k].id} ({keys[k].name}, {keys[k].email})" for k in close))
        suggestion = f"; did you mean {' or '.join(hints)}?" if hints else f"; check {self.path.name}"
        return f"no member '{query}' in the roster{suggestion}"


def load_roster(path: Path, columns: Mapping[str, str] | None = None) -> Roster:
    """Read the roster; ``columns`` is the config's ``[roster] columns`` (field -> the file's header)."""
    if not path.is_file():
        raise ConfigurationError(f"roster {path} does not exist: fix [roster] path in the config")
    if path.suffix.lower() == ".toml":
        rows = _toml_rows(path)
        headers = list(dict.fromkeys(h for _, row in rows for h in row))
    elif path.suffix.lower() == ".csv":
        headers, rows = _csv_rows(path)
    else:
        raise ConfigurationError(f"roster {path}: use a .csv or .toml file")
    mapping = map_columns(headers, columns or {}, path.name)
    missing = [c for c in REQUIRED if c not in mapping.fields.values()]
    if missing and path.suffix.lower() == ".csv":  # a TOML member is checked field by field
        raise ConfigurationError(f"{path.name}: missing column(s) {', '.join(missing)}; the header needs "
                                 f"{','.join(REQUIRED)}, or name your own columns in the config: "
                                 f'[roster] columns = {{ {missing[0]} = "Your header" }}')
    return Roster(path, tuple(_members(path, [(where, mapping.apply(row)) for where, row in rows])), mapping)


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    text = decode_text(read_bytes(path, f"roster {path.name}"), path.name, encoding="utf-8-sig",
                       fix='save it as UTF-8 (a spreadsheet\'s "CSV UTF-8") and try again')
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        headers = list(reader.fieldnames or [])
        return headers, [(f"{path.name}:{reader.line_num}", dict(row)) for row in reader]
    except csv.Error as exc:
        raise ConfigurationError(f"{path.name}:{reader.line_num}: not valid CSV ({exc}): fix the line and try again") from exc


def _toml_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    text = decode_text(read_bytes(path, f"roster {path.name}"), path.name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path.name}: not valid TOML ({exc})") from exc
    members = data.get("members")
    if not isinstance(members, list):
        raise ConfigurationError(f"{path.name}: expected [[members]] tables")
    rows = []
    problems = []
    for index, entry in enumerate(members, 1):
        where = f"{path.name} member #{index}"
        if not isinstance(entry, dict):
            problems.append(f"{where} is {_toml_kind(entry)}, not a table: write each member as a [[members]] table "
                            "with id, name, email, personal_email and status")
            continue
        fields = dict(entry)
        identities = fields.pop("identities", {})
        if not isinstance(identities, dict):
            problems.append(f"{where}: identities is {_toml_kind(identities)}, not a table: write it as "
                            'identities = { slack = "U024BE7LH" }, one key per system')
            identities = {}
        for key, value in [*fields.items(), *((f"identities.{k}", v) for k, v in identities.items())]:
            if isinstance(value, (dict, list)):
                problems.append(f"{where}: {key} is {_toml_kind(value)}: give it as a text")
        rows.append((where, {**fields, **identities}))
    if problems:
        raise ConfigurationError(f"roster {path.name}: " + "; ".join(_first_ten(problems)))
    return rows


def _toml_kind(value: object) -> str:
    """What a TOML value is, in the words of the TOML spec."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the date {value}"


def _first_ten(problems: list[str]) -> list[str]:
    return problems[:10] + ([f"and {len(problems) - 10} more"] if len(problems) > 10 else [])


def _members(path: Path, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[Member]:
    seen: dict[str, str] = {}
    problems: list[str] = []
    members: list[Member] = []
    for where, row in rows:
        values = {k.strip(): str(v or "").strip() for k, v in row.items() if k}
        for column in ("id", "name", "email"):
            if not values.get(column):
                problems.append(f"{where}: {column} is empty")
        status = values.get("status", "").lower() or "active"
        if status not in STATUSES:
            problems.append(f"{where}: status '{values['status']}' is not one of {', '.join(STATUSES)}")
        if values.get("email") and "@" not in values["email"]:
            problems.append(f"{where}: email '{values['email']}' is not an email address")
        member_id = values.get("id", "")
        if member_id and not MEMBER_ID.match(member_id):
            problems.append(f"{where}: member id {member_id!r} cannot name the member's files: use up to 64 letters, "
                            "digits, '.', '_' or '-', starting with a letter or digit")
        if member_id.lower() in seen:
            problems.append(f"{where}: id '{member_id}' repeats {seen[member_id.lower()]}")
        seen[member_id.lower()] = where
        identities = {k: v for k, v in values.items() if k not in REQUIRED and v}
        members.append(
            Member(member_id, values.get("name", ""), values.get("email", ""), values.get("personal_email", ""),
                   status, identities)
        )
    if problems:
        raise ConfigurationError(f"roster {path.name}: " + "; ".join(_first_ten(problems)))
    return iter(members)
