"""The plan: what will change, as data that can be printed, saved, approved and applied.

Building a plan only reads (``resolve`` and ``discover``). A saved plan is the contract:
applying it re-observes first and refuses it if anything changed (Terraform's model).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offboard.errors import ConfigurationError
from offboard.files import write_atomic
from offboard.spi import Account, Action, NotRestorable, Phase

FORMAT = "offboard-plan/1"
NOT_CONFIGURED = "not configured: skipped"


@dataclass
class SystemPlan:
    system: str
    connector: str
    title: str
    account: Account | None = None
    actions: list[Action] = field(default_factory=list)
    note: str | None = None  # why there is nothing to do, or why it could not be read
    error: bool = False  # discovery failed: the run must not report success
    on_failure: str = "continue"
    # A reinstatement's: the changes that cannot come back (and why), and those already as they were.
    lost: list[NotRestorable] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # the applied actions' summaries
    attention: str | None = None  # what a person must see before applying (no personal email for the notice)

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "system": self.system, "connector": self.connector, "title": self.title,
            "account": self.account.to_dict() if self.account else None,
            "actions": [a.to_dict() for a in self.actions], "note": self.note, "error": self.error,
            "on_failure": self.on_failure,
        }
        if self.lost:
            document["lost"] = [{"action_id": n.action_id, "reason": n.reason} for n in self.lost]
        if self.already:
            document["already"] = list(self.already)
        if self.attention:
            document["attention"] = self.attention
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SystemPlan:
        return cls(
            data["system"], data["connector"], data["title"],
            Account.from_dict(data["account"]) if data.get("account") else None,
            [Action.from_dict(a) for a in data.get("actions", [])], data.get("note"), bool(data.get("error")),
            data.get("on_failure", "continue"),
            [NotRestorable(str(n["action_id"]), str(n["reason"])) for n in data.get("lost") or []],
            [str(text) for text in data.get("already") or []],
            data.get("attention"),
        )


@dataclass
class Plan:
    kind: str
    created: str
    org: dict[str, str]
    member: dict[str, str]
    playbook: dict[str, str]
    systems: list[SystemPlan]
    suspension: dict[str, str] | None = None  # a suspension's terms: {"until": "YYYY-MM-DD", "reason": ...}
    reverses: dict[str, Any] | None = None  # a reinstatement's: the report it reverses {seq, sha256, run_id, kind}

    @property
    def actions(self) -> list[tuple[str, Action]]:
        return [(s.system, a) for s in self.systems for a in s.actions]

    def counts(self) -> dict[str, int]:
        phases = {p.value: 0 for p in Phase}
        for _, action in self.actions:
            phases[action.phase.value] += 1
        return phases

    def to_dict(self) -> dict[str, Any]:
        document = {"format": FORMAT, "kind": self.kind, "created": self.created, "org": self.org,
                    "member": self.member, "playbook": self.playbook, "systems": [s.to_dict() for s in self.systems]}
        if self.suspension is not None:
            document["suspension"] = dict(self.suspension)
        if self.reverses is not None:
            document["reverses"] = dict(self.reverses)
        return document

    @property
    def digest(self) -> str:
        """SHA-256 of the plan's RFC 8785 bytes: every field, every action with its params. What approvals sign."""
        import rfc8785

        return "sha256:" + hashlib.sha256(rfc8785.dumps(self.to_dict())).hexdigest()

    def content(self) -> dict[str, Any]:
        """What a fresh observation must repeat for a saved plan to be applied: all but the time it was made."""
        document = self.to_dict()
        del document["created"]
        return document

    def structural_problems(self) -> list[str]:
        """What no plan this tool writes has: a system or an action id twice."""
        problems = []
        systems = [s.system for s in self.systems]
        problems += [f"system {name} appears {systems.count(name)} times" for name in sorted(set(systems))
                     if systems.count(name) > 1]
        for system in self.systems:
            ids = [a.id for a in system.actions]
            problems += [f"action {action_id} appears {ids.count(action_id)} times in {system.system}"
                         for action_id in sorted(set(ids)) if ids.count(action_id) > 1]
        return problems

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        if data.get("format") != FORMAT:
            raise ConfigurationError(f"not an offboard plan (format {data.get('format')!r}, expected {FORMAT})")
        return cls(data["kind"], data["created"], dict(data["org"]), dict(data["member"]), dict(data["playbook"]),
                   [SystemPlan.from_dict(s) for s in data["systems"]],
                   dict(data["suspension"]) if data.get("suspension") is not None else None,
                   dict(data["reverses"]) if data.get("reverses") is not None else None)

    @staticmethod
    def check_save_path(path: Path) -> None:
        """Refuse a path the plan cannot be saved to (``save`` checks it too); writes nothing."""
        where = f"cannot save the plan to {path}"
        if path.is_dir():
            raise ConfigurationError(f"{where}: it is a folder; give a file name, like {path / 'plan.json'}")
        folder = path.parent
        if not folder.exists():
            raise ConfigurationError(f"{where}: the folder {folder} does not exist; create it (mkdir -p {folder}) "
                                     "or give another path")
        if not folder.is_dir():
            raise ConfigurationError(f"{where}: {folder} is a file, not a folder; give another path")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigurationError(f"{where}: you may not write in the folder {folder}; give another path")

    def save(self, path: Path) -> None:
        """Write the plan atomically (all of it or nothing) and private (0600: it names the member's accounts)."""
        self.check_save_path(path)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
        try:
            write_atomic(path, text.encode("utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"cannot save the plan to {path} ({exc.strerror or exc}): give another path") from exc

    @classmethod
    def load(cls, path: Path) -> Plan:
        again = "pass a plan saved with `offboard expel MEMBER --save-plan FILE`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"plan file {path} does not exist") from None
        except IsADirectoryError:
            raise ConfigurationError(f"plan file {path} is a folder: give the plan file saved with --save-plan") from None
        except OSError as exc:
            raise ConfigurationError(f"plan file {path} cannot be read ({exc.strerror or exc}): check its permissions") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"plan file {path} is not valid JSON ({exc}): save it again with --save-plan") from None
        if not isinstance(data, dict):
            kind = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}.get(type(data), "a number")
            raise ConfigurationError(f"plan file {path} is not an offboard plan (it holds {kind}, not an object): {again}")
        if data.get("format") != FORMAT:
            raise ConfigurationError(f"plan file {path} is not an offboard plan (its format is "
                                     f"{json.dumps(data.get('format'))}, not \"{FORMAT}\"): {again}")
        try:
            plan = cls.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigurationError(f"plan file {path} is damaged ({exc}): save it again with --save-plan") from None
        problems = plan.structural_problems()
        if problems:
            raise ConfigurationError(f"plan file {path} was not written by offboard ({'; '.join(problems[:3])}): "
                                     "nothing was applied; plan again with --save-plan")
        return plan
