"""A fake system for engine tests: state in a JSON file, so a killed process leaves evidence.

Each user has access items. Faults are scripted per action id in the same file:
"retriable:RETRY_AFTER", "auth", "fatal", "crash" (raise a bug), "hang-before" / "hang-after"
(block forever before or after the side effect, for the kill test), "slow:SECONDS" (in flight a while),
and for a manual step "done" (a person did it just before it is applied). Every apply is listed in "applied".
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from offboard.spi import (
    Account,
    Action,
    AuthError,
    Capability,
    ConfigField,
    Connector,
    FatalError,
    ManualStep,
    Member,
    NotRestorable,
    Outcome,
    Phase,
    Restoration,
    RetriableError,
    registry,
)


class FakeSystem:
    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            self.save({"users": {}, "faults": {}, "effects": [], "writes": 0})

    @contextmanager
    def edit(self) -> Iterator[dict[str, Any]]:
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.load()
            yield state
            self.save(state)

    def load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())

    def save(self, state: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.path)

    def add_user(self, email: str, access: list[str]) -> None:
        with self.edit() as state:
            state["users"][email] = {"access": list(access)}

    def fault(self, action_id: str, *faults: str) -> None:
        with self.edit() as state:
            state["faults"].setdefault(action_id, []).extend(faults)

    @property
    def effects(self) -> list[str]:
        return self.load()["effects"]

    @property
    def writes(self) -> int:
        return self.load()["writes"]

    @property
    def applied(self) -> list[str]:
        """Every action id ``apply`` was called with, in order (whether it changed anything or not)."""
        return self.load().get("applied", [])


class FakeConnector(Connector):
    """Access items: "session" is cut (sign-out), "suspend" is cut after it, "group:X" is clean; "ui-only" and
    "by-hand" are manual steps (the system sees the first done, a person confirms the second); "after:STEP:X"
    is clean and depends on the action of item STEP (Slack's channel invites wait for the account to be back)."""

    name = "fake"
    title = "Fake System"
    version = "9.9.9"
    capabilities = frozenset({Capability.REVOKE, Capability.INVENTORY, Capability.RESTORE})
    config_fields = (
        ConfigField("state_file", "JSON file holding the fake system", required=True),
        ConfigField("token_env", "environment variable with the API token", secret=True),
    )
    max_concurrency = 3

    @property
    def system(self) -> FakeSystem:
        return FakeSystem(self.context.path(self.config["state_file"]))

    def resolve(self, member: Member) -> Account | None:
        with self.system.edit() as state:  # a fault scripted for "resolve": the system cannot be read
            faults = state["faults"].get("resolve", [])
            fault = faults.pop(0) if faults else None
        if fault == "auth":
            raise AuthError("environment variable FAKE_TOKEN is not set: export it with the admin token")
        email = member.identity_for(self.name)
        return Account(self.name, email, email) if email in self.system.load()["users"] else None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        access = self.system.load()["users"][account.id]["access"]
        actions = []
        for item in access:
            if item == "session":
                actions.append(Action("fake:session", self.name, "signout", "Sign out every session", Phase.CUT, False,
                                      "signed in", "signed out", account))
            elif item == "active":
                deps = ("fake:session",) if "session" in access else ()
                actions.append(Action("fake:suspend", self.name, "suspend", "Suspend the account", Phase.CUT, True,
                                      "active", "suspended", account, depends_on=deps))
            elif item == "ui-only":  # only a person can do it, in the system's own pages; the system shows it done
                actions.append(Action("fake:ui-only", self.name, "ui-only", "Turn off the account in the admin pages",
                                      Phase.MANUAL, True, "on", "off", account,
                                      manual=ManualStep("Turn it off in the admin pages", self_closing=True)))
            elif item == "by-hand":  # only a person can do it, and only a person can say it is done
                actions.append(Action("fake:by-hand", self.name, "by-hand", "Remove the member by hand", Phase.MANUAL,
                                      True, "on", "off", account, manual=ManualStep("Remove them by hand"),
                                      params={"item": item}))
            elif item.startswith("after:"):
                step, name = item[6:].rsplit(":", 1)
                actions.append(Action(f"fake:{item}", self.name, "after", f"Invite to {name}", Phase.CLEAN, True,
                                      "member", None, account, params={"item": item}, depends_on=(f"fake:{step}",)))
            elif item.startswith("group:"):
                actions.append(Action(f"fake:{item}", self.name, "group", f"Remove from {item[6:]}", Phase.CLEAN, True,
                                      "member", None, account, params={"item": item}))
        return actions

    def inventory(self) -> Iterator[Account]:
        """Every user; an account is active while it holds the "active" item (until suspended)."""
        for email, user in sorted(self.system.load()["users"].items()):
            yield Account(self.name, email, email, {"active": "active" in user["access"]})

    def _item(self, action: Action) -> str:
        known = {"fake:session": "session", "fake:suspend": "active", "fake:ui-only": "ui-only"}
        return known.get(action.id, action.params.get("item", ""))

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Each removed item that can come back is given back; a sign-out cannot be undone."""
        access = self.system.load()["users"][account.id]["access"]
        restoration = Restoration()
        for action in applied:
            item = self._item(action)
            if not action.reversible:
                restoration.lost.append(NotRestorable(action.id, "an ended session does not come back"))
            elif item not in access:
                restoration.actions.append(Action(f"fake:restore:{item}", self.name, "restore", f"Give back {item}",
                                                  Phase.CLEAN, True, None, item, account, params={"item": item}))
            else:
                restoration.already.append(action.id)
        return restoration

    def check(self, action: Action) -> bool:
        present = self._item(action) in self.system.load()["users"][action.account.id]["access"]
        return present if action.kind == "restore" else not present

    def apply(self, action: Action) -> Outcome:
        system = self.system
        with system.edit() as state:
            state.setdefault("applied", []).append(action.id)
            faults = state["faults"].get(action.id, [])
            fault = faults.pop(0) if faults else None
            if action.phase is Phase.MANUAL and fault == "done":
                state["users"][action.account.id]["access"].remove(self._item(action))
        if action.phase is Phase.MANUAL:
            return Outcome.ok() if self.check(action) else Outcome.manual("waiting for a person to turn it off")
        if fault and fault.startswith("retriable"):
            wait = fault.split(":")[1] if ":" in fault else ""
            raise RetriableError("429 Too Many Requests", retry_after=float(wait) if wait else None)
        if fault == "auth":
            raise AuthError("token lacks the admin scope: grant it in the admin console")
        if fault == "fatal":
            raise FatalError("400 invalid request")
        if fault == "crash":
            raise KeyError("bug")
        if fault == "hang-before":
            time.sleep(3600)
        if fault and fault.startswith("slow:"):  # in flight for a while, then done: for Ctrl-C tests
            time.sleep(float(fault.split(":")[1]))
        item = self._item(action)
        with system.edit() as state:
            access = state["users"][action.account.id]["access"]
            if (item in access) is (action.kind == "restore"):
                return Outcome.ok()
            access.append(item) if action.kind == "restore" else access.remove(item)
            state["effects"].append(action.id)
            state["writes"] += 1
        if fault == "hang-after":
            time.sleep(3600)
        return Outcome.changed()


def register_fake(monkeypatch: Any | None = None) -> None:
    """Make ``fake`` an installed connector, as an entry point would (undone after the test, with ``monkeypatch``)."""
    if monkeypatch is not None:
        monkeypatch.setattr(registry, "REGISTERED", dict(registry.REGISTERED))
    registry.register("fake", "tests.fakes:FakeConnector")
