"""The demo's Discord: a started emulator seeded with the server "Example Volunteers" from the roster."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

from .server import DiscordEmulator
from .state import KICK_MEMBERS, MODERATE_MEMBERS, READ_MESSAGE_HISTORY, SEND_MESSAGES, VIEW_CHANNEL

SYSTEM = "discord"
TOKEN_ENV = "DISCORD_BOT_TOKEN"
CHAT = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY


def username(member: Member) -> str:
    """A Discord-style username (lowercase letters, digits, ``_`` and ``.``) from the member's email."""
    return re.sub(r"[^a-z0-9_.]", "_", member.email.split("@")[0].lower())[:32] or "member"


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator: roles @everyone, Member, Moderator, Coordinator and the bot's role on top.

    Only members whose roster row has a ``discord`` user id are in the server (no one is guessed
    from an email); former members have left it. Every member has the Member role; the first one
    owns the server and is a Coordinator, the second a Moderator. An orphan account (a former
    treasurer nobody removed) matches no member. ``domain`` and ``workdir`` are unused: the guild is
    named after the demo org, and the config names no file.
    """
    emulator = DiscordEmulator("Example Volunteers")
    member_role = emulator.add_role("Member", CHAT)
    moderator = emulator.add_role("Moderator", CHAT | KICK_MEMBERS | MODERATE_MEMBERS)
    coordinator = emulator.add_role("Coordinator", CHAT | KICK_MEMBERS | MODERATE_MEMBERS)
    seeded: list[str] = []
    for member in members:
        uid = member.identities.get(SYSTEM, "").strip()
        if not uid.isdigit() or member.status == "former":
            continue
        extra = [coordinator] if not seeded else [moderator] if len(seeded) == 1 else []
        seeded.append(emulator.add_member(username(member), member.name, [member_role, *extra], user_id=uid))
    if seeded:
        emulator.transfer_ownership(seeded[0])
    emulator.add_member("old.treasurer", "Old Treasurer", [member_role])
    emulator.start()
    config = {"token_env": TOKEN_ENV, "guild_id": emulator.guild_id, "api_url": emulator.api_url,
              "insecure_endpoint": True}
    return Sandbox(emulator, config, {TOKEN_ENV: emulator.bot_token})
