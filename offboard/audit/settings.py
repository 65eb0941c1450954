"""The ``[audit]`` and ``[notify]`` tables: declared exceptions and where summaries go.

```toml
[[audit.exceptions]]
system = "slack"
account = "U0BOT"          # the account's id or label (email, @handle), any case
kind = "bot"               # bot, service or exception
reason = "posts deploy notices; owned by the web team"

[notify]
slack_channel = "#cc"      # offboard audit --notify posts its summary here
```

Every problem is reported at once, in one line that names the table and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from offboard.config import Config
from offboard.errors import ConfigurationError

EXCEPTION_KINDS = ("bot", "service", "exception")
EXCEPTION_KEYS = ("system", "account", "kind", "reason")
AUDIT_KEYS = ("exceptions",)
NOTIFY_KEYS = ("slack_channel",)


@dataclass(frozen=True)
class AccountException:
    """An account the audit must show as accepted, never as a finding, and never hide."""

    system: str
    account: str
    kind: str
    reason: str

    def matches(self, system: str, account_id: str, label: str) -> bool:
        wanted = self.account.lower()
        return system == self.system and wanted in (account_id.lower(), label.lower())

    def to_dict(self) -> dict[str, str]:
        return {"system": self.system, "account": self.account, "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class AuditSettings:
    exceptions: tuple[AccountException, ...] = ()


@dataclass(frozen=True)
class NotifySettings:
    slack_channel: str = ""


def _unknown(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> list[str]:
    return [f"{where}: unknown key '{key}' (known: {', '.join(sorted(known))})" for key in table if key not in known]


def audit_settings(config: Config) -> AuditSettings:
    table = config.audit
    problems = _unknown(table, AUDIT_KEYS, "[audit]")
    entries = table.get("exceptions", [])
    if not isinstance(entries, list):
        problems.append("[audit] exceptions must be an array of tables: [[audit.exceptions]]")
        entries = []
    found: list[AccountException] = []
    for number, entry in enumerate(entries, 1):
        where = f"[[audit.exceptions]] #{number}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where} must be a table")
            continue
        problems += _unknown(entry, EXCEPTION_KEYS, where)
        values: dict[str, str] = {}
        for key in EXCEPTION_KEYS:
            value = entry.get(key)
            if value is None:
                why = " (say why this account is accepted)" if key == "reason" else ""
                problems.append(f"{where}: '{key}' is missing{why}")
            elif not isinstance(value, str) or not value.strip():
                problems.append(f"{where}: '{key}' must be a non-empty string")
            else:
                values[key] = value.strip()
        kind = values.get("kind")
        if kind is not None and kind not in EXCEPTION_KINDS:
            problems.append(f"{where}: kind '{kind}' is not one of {', '.join(EXCEPTION_KINDS)}")
        if len(values) == len(EXCEPTION_KEYS):
            found.append(AccountException(values["system"], values["account"], values["kind"], values["reason"]))
    if problems:
        raise ConfigurationError(f"{config.path.name}: " + "; ".join(problems))
    return AuditSettings(tuple(found))


def notify_settings(config: Config) -> NotifySettings:
    table = config.notify
    problems = _unknown(table, NOTIFY_KEYS, "[notify]")
    channel = table.get("slack_channel", "")
    if not isinstance(channel, str):
        problems.append("[notify] slack_channel must be a string such as \"#cc\"")
        channel = ""
    if problems:
        raise ConfigurationError(f"{config.path.name}: " + "; ".join(problems))
    return NotifySettings(channel.strip())
