"""Fixtures: a fresh emulator per test, a connector wired to it through the real slack-sdk, and the emulator's full state."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.slack import SlackConnector
from offboard.connectors.slack.emulator import SCIM_PLANS, SlackEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import Action, ConnectorContext, Member, NotRestorable

ALICE = Member("m-alice", "Alice Liddell", "alice@example.org")
CHANNEL = re.compile(r"#([a-z0-9_-]+)")  # a channel named in a sentence, as the restore plan names it


@pytest.fixture
def make_emulator(start_emulator: Callable[[SlackEmulator], SlackEmulator]) -> Callable[..., SlackEmulator]:
    return lambda plan="business+", **kwargs: start_emulator(SlackEmulator(plan=plan, **kwargs))


def connect(emulator: SlackEmulator, *, scim: bool | None = None, token: str | None = None,
            environ: dict[str, str] | None = None, pacer: Pacer | None = None, **config: Any) -> SlackConnector:
    """A connector for the emulator; SCIM on when the plan has it, unless told otherwise."""
    context = ConnectorContext(
        org_name="Example Org",
        org_domain="example.org",
        base_dir=Path("."),
        environ=environ if environ is not None else {"SLACK_ADMIN_TOKEN": token or emulator.admin_token},
        pacer=pacer or Pacer(),  # paces nothing: tests do not sleep
    )
    table = {
        "scim": emulator.plan in SCIM_PLANS if scim is None else scim,
        "base_url": f"{emulator.url}/api/",
        "scim_base_url": f"{emulator.url}/scim/v2/",
        "insecure_endpoint": True,
        **config,
    }
    return SlackConnector(table, context)


@pytest.fixture
def emulator(make_emulator: Callable[..., SlackEmulator]) -> SlackEmulator:
    return make_emulator("business+")


def state(emulator: SlackEmulator) -> dict[str, Any]:
    """The emulator's full state that a run can touch, one part per fact: each user's deleted flag
    ("user:U1"), each channel's archived flag ("channel:C1"), each channel membership ("member:C1:U1"),
    each user group's members and enabled flag ("usergroup:S1")."""
    ws = emulator.workspace
    with emulator.lock:
        return {
            **{f"user:{uid}": user["deleted"] for uid, user in ws.users.items()},
            **{f"channel:{c.id}": c.is_archived for c in ws.channels.values()},
            **{f"member:{c.id}:{uid}": True for c in ws.channels.values() for uid in c.members},
            **{f"usergroup:{g.id}": (sorted(g.users), not g.date_delete) for g in ws.usergroups.values()},
        }


def lost_parts(emulator: SlackEmulator, uid: str) -> Callable[[Action, NotRestorable], Collection[str]]:
    """The parts of ``state`` a change listed as lost leaves changed: the member's membership of the channel a
    kick names, or of each channel the reason names (a deactivation ended many); a user group; none for ended
    sessions."""
    def parts(action: Action, item: NotRestorable) -> Collection[str]:
        if action.kind == "channel-kick":
            return {f"member:{action.params['channel']}:{uid}"}
        if action.kind == "usergroup":
            return {f"usergroup:{action.params['usergroup']}"}
        with emulator.lock:
            ids = {c.name: c.id for c in emulator.workspace.channels.values()}
        return {f"member:{ids[name]}:{uid}" for name in CHANNEL.findall(item.reason) if name in ids}
    return parts
