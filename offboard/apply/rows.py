"""The journal's rows as the program sees them: a run, one of its actions, a person's confirmation."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from offboard.apply.states import ActionState, RunStatus, action_state
from offboard.spi import Action


@dataclass(frozen=True)
class RunRow:
    id: str
    kind: str
    member_id: str
    member_name: str
    operator: str
    status: RunStatus
    started: str
    finished: str | None
    plan: dict[str, Any]


@dataclass(frozen=True)
class ActionRow:
    run_id: str
    position: int
    system: str
    action: Action
    state: ActionState
    attempts: int
    detail: str
    observed: Any
    last_error: str | None
    started: str | None
    finished: str | None

    @cached_property  # (run, system, action id): unique across runs executed together; asked for at every turn
    def key(self) -> tuple[str, str, str]:
        return (self.run_id, self.system, self.action.id)


@dataclass(frozen=True)
class Confirmation:
    run_id: str
    system: str
    action_id: str
    by: str
    at: str
    reference: str | None
    note: str | None
    evidence: list[dict[str, str]]
    not_applicable: bool
    reason: str | None


def run_row(row: sqlite3.Row) -> RunRow:
    return RunRow(row["id"], row["kind"], row["member_id"], row["member_name"], row["operator"], RunStatus(row["status"]),
                  row["started"], row["finished"], json.loads(row["plan"]))


def action_row(row: sqlite3.Row) -> ActionRow:
    return ActionRow(
        row["run_id"], row["position"], row["system"], Action.from_dict(json.loads(row["action"])), action_state(row["state"]),
        row["attempts"], row["detail"], json.loads(row["observed"]) if row["observed"] else None, row["last_error"],
        row["started"], row["finished"],
    )
