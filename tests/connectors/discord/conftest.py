"""Fixtures: a fresh Discord emulator per test, a connector wired to it over real HTTP, and the guild's whole state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from offboard.connectors.discord import DiscordConnector
from offboard.connectors.discord.emulator import DiscordEmulator
from offboard.connectors.discord.emulator.sandbox import CHAT
from offboard.connectors.discord.emulator.state import KICK_MEMBERS, MODERATE_MEMBERS

from offboard.apply.pacing import Pacer
from offboard.spi import Account, Action, ConnectorContext, Member

BOB_ID = "80351110224678912"
BOB = Member("m042", "Bob Example", "bob@example.org", identities={"discord": BOB_ID})
BAN: dict[str, Any] = {}  # the expel playbook's defaults
KICK = {"ban": False}
SUSPEND = {"ban": False, "kick": False, "timeout_days": 7}


@pytest.fixture
def make_emulator(start_emulator: Callable[[DiscordEmulator], DiscordEmulator]) -> Callable[..., DiscordEmulator]:
    def make(**kwargs: Any) -> DiscordEmulator:
        kwargs.setdefault("global_limit", None)  # tests do not pace (Pacer()): the global limit has its own tests
        return start_emulator(DiscordEmulator(**kwargs))

    return make


class Org:
    """The server of the tests: roles Member < Moderator < Coordinator < the bot's, and Bob with three roles."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.member = emulator.add_role("Member", CHAT)
        self.moderator = emulator.add_role("Moderator", CHAT | KICK_MEMBERS | MODERATE_MEMBERS)
        self.coordinator = emulator.add_role("Coordinator", CHAT)
        self.alice = emulator.add_member("alice", "Alice Admin", [self.member, self.coordinator])
        self.bob = emulator.add_member("bob", "Bob Example", [self.member, self.moderator, self.coordinator],
                                       user_id=BOB_ID)
        self.carol = emulator.add_member("carol", None, [self.member])

    def roles_of(self, uid: str) -> set[str]:
        with self.emulator.lock:
            return set(self.emulator.guild.members[uid].roles)


@pytest.fixture
def emulator(make_emulator: Callable[..., DiscordEmulator]) -> DiscordEmulator:
    return make_emulator()


@pytest.fixture
def org(emulator: DiscordEmulator) -> Org:
    return Org(emulator)


def connect(emulator: DiscordEmulator, *, token: str | None = None, environ: dict[str, str] | None = None,
            pacer: Pacer | None = None, cls: type[DiscordConnector] = DiscordConnector, **config: Any) -> DiscordConnector:
    context = ConnectorContext(
        org_name="Example Volunteers", org_domain="example.org", base_dir=Path("."),
        environ=environ if environ is not None else {"DISCORD_BOT_TOKEN": token or emulator.bot_token},
        pacer=pacer or Pacer(),  # paces nothing: tests do not sleep
    )
    table = {"guild_id": emulator.guild_id, "api_url": emulator.api_url, "insecure_endpoint": True, **config}
    return cls(table, context)


def with_options(options: Mapping[str, Any]) -> type[DiscordConnector]:
    """The connector as a playbook step with ``options`` calls it (the contract kit calls discover without)."""

    class Playbook(DiscordConnector):
        step_options: ClassVar[Mapping[str, Any]] = dict(options)

        def discover(self, account: Account, given: Mapping[str, Any] | None = None) -> list[Action]:
            return super().discover(account, {**options, **(given or {})})

    return Playbook


def state(emulator: DiscordEmulator) -> dict[str, Any]:
    """The guild's state a run can touch, one part per fact: membership ("member:U"), each role held
    ("role:U:R"), bans ("ban:U"), timeouts ("timeout:U") and the roles that exist ("exists:R")."""
    g = emulator.guild
    with emulator.lock:
        return {
            **{f"member:{uid}": True for uid in g.members},
            **{f"role:{uid}:{rid}": True for uid, m in g.members.items() for rid in m.roles},
            **{f"ban:{uid}": True for uid in g.bans},
            **{f"timeout:{uid}": m.communication_disabled_until for uid, m in g.members.items()
               if m.communication_disabled_until},
            **{f"exists:{rid}": r.position for rid, r in g.roles.items()},
        }

