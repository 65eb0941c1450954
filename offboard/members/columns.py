"""Which roster column is which: the headers people actually have, mapped to the fields offboard reads.

A spreadsheet says ``Member ID``, ``E-mail`` or ``Personal email``; offboard reads ``id``, ``email`` and
``personal_email``. Headers are compared without case, spacing or punctuation, a few common names are
known (``E-mail`` is ``email``), and ``[roster] columns`` in the config names the rest
(``columns = { id = "Membership no.", slack = "Slack user" }``). The mapping is reported, so a
wrong guess shows before a member is expelled under the wrong address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from offboard.errors import ConfigurationError

# Common spellings of the required columns, after ``normalize``.
ALIASES = {
    "member_id": "id", "member_no": "id", "member_number": "id", "membership_number": "id",
    "full_name": "name", "member_name": "name",
    "e_mail": "email", "email_address": "email", "org_email": "email", "work_email": "email",
    "personal_e_mail": "personal_email", "private_email": "personal_email", "private_e_mail": "personal_email",
    "home_email": "personal_email", "personal_email_address": "personal_email",
    "membership_status": "status",
}


def normalize(header: str) -> str:
    """``" E-Mail "`` -> ``"e_mail"``: lower case, every run of other characters one ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnMap:
    """Header in the file -> field offboard reads, for every header that is read."""

    fields: Mapping[str, str]

    @property
    def renamed(self) -> list[tuple[str, str]]:
        """The headers that are not already spelled as the field (for ``doctor`` to show)."""
        return [(header, name) for header, name in self.fields.items() if header != name]

    def apply(self, row: Mapping[str, object]) -> dict[str, object]:
        return {self.fields[h]: v for h, v in row.items() if h in self.fields}


def map_columns(headers: Iterable[str], configured: Mapping[str, str], where: str) -> ColumnMap:
    """Map a file's headers: the config's ``columns`` first, then known names, then the header itself.

    Raises ``ConfigurationError`` when a configured header is not in the file or two headers would
    fill the same field, naming the file's headers so the fix is one edit away.
    """
    headers = [h for h in headers if h and h.strip()]
    by_normal = {normalize(h): h for h in headers}
    fields: dict[str, str] = {}
    problems = []
    for name, header in configured.items():
        found = by_normal.get(normalize(header))
        if found is None:
            problems.append(f"[roster] columns says {name} is the column '{header}', but {where} has no such column "
                            f"(its columns: {', '.join(headers)})")
        else:
            fields[found] = name
    taken = {name: header for header, name in fields.items()}
    for header in headers:
        if header in fields:
            continue
        name = normalize(header)
        name = ALIASES.get(name, name)
        if name in taken:
            problems.append(f"{where}: columns '{taken[name]}' and '{header}' both read as {name}: rename one, or "
                            f"name the right one in the config: [roster] columns = {{ {name} = \"...\" }}")
            continue
        fields[header], taken[name] = name, header
    if problems:
        raise ConfigurationError("; ".join(problems))
    return ColumnMap(fields)
