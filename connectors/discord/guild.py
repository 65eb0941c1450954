"""Reading the guild (read-only): the server and its roles, one member, one ban, the bot; and what they mean.

Each read goes through ``DiscordApi.read`` (the engine retries it on its own). A missing member or ban
is ``None``, never an error: "not in the server" is an answer. The permission bits and the hierarchy
rule are those of developers/topics/permissions.mdx: the highest role is the one with the greatest
position (@everyone is 0 and its id is the guild's), and ADMINISTRATOR stands for every permission.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from offboard.spi import ACTIVE, Account

from .api import DiscordApi
from .errors import UNKNOWN_BAN, UNKNOWN_MEMBER, UNKNOWN_USER, DiscordNotFound

NAME = "discord"
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28
MODERATE_MEMBERS = 1 << 40
EVERY_PERMISSION = (1 << 63) - 1
LONGEST_TIMEOUT = timedelta(days=28) - timedelta(minutes=1)  # Discord's limit, less a margin for clocks apart
CLOSE_ENOUGH = timedelta(hours=1)  # a timeout ending this much before the wanted end is taken as the wanted one


@dataclass(frozen=True)
class Server:
    """The guild as ``GET /guilds/{id}`` shows it: name, owner and roles by id."""

    id: str
    name: str
    owner_id: str
    roles: Mapping[str, Mapping[str, Any]]

    def role_name(self, rid: str) -> str:
        return str(self.roles[rid]["name"]) if rid in self.roles else rid

    def position(self, rid: str) -> int:
        return int(self.roles[rid].get("position") or 0) if rid in self.roles else 0

    def top(self, role_ids: Iterable[str]) -> int:
        """The position of the highest of ``role_ids`` (0, @everyone's, for none)."""
        return max((self.position(r) for r in role_ids if r in self.roles), default=0)

    def top_role(self, role_ids: Iterable[str]) -> str:
        """The name of the highest of ``role_ids``, or @everyone."""
        ids = [r for r in role_ids if r in self.roles]
        return self.role_name(max(ids, key=self.position)) if ids else "@everyone"

    def permissions(self, user_id: str, role_ids: Iterable[str]) -> int:
        """The member's server-wide permissions: @everyone's and their roles' bits; all of them for the owner
        and for an administrator."""
        if user_id == self.owner_id:
            return EVERY_PERMISSION
        bits = 0
        for rid in [self.id, *role_ids]:
            try:
                bits |= int(self.roles.get(rid, {}).get("permissions") or 0)
            except ValueError:
                continue
        return EVERY_PERMISSION if bits & ADMINISTRATOR else bits

    def managed(self, rid: str) -> bool:
        """A role an integration or Discord owns (a bot's role, the Server Booster role): nobody gives or takes it."""
        return bool(self.roles.get(rid, {}).get("managed"))


def server(api: DiscordApi) -> Server:
    data = api.read(api.guild, "read the server")
    return Server(str(data["id"]), str(data.get("name") or data["id"]), str(data.get("owner_id") or ""),
                  {str(r["id"]): r for r in data.get("roles") or []})


def member(api: DiscordApi, uid: str) -> dict[str, Any] | None:
    """The guild member (with ``user``), or None when they are not in the server."""
    try:
        return dict(api.read(f"{api.guild}/members/{uid}", f"read the member {uid}"))
    except DiscordNotFound as exc:
        if exc.code in (UNKNOWN_MEMBER, UNKNOWN_USER):
            return None
        raise


def ban(api: DiscordApi, uid: str) -> dict[str, Any] | None:
    """The ban (``{reason, user}``), or None when they are not banned."""
    try:
        return dict(api.read(f"{api.guild}/bans/{uid}", f"read the ban of {uid}", permission="Ban Members"))
    except DiscordNotFound as exc:
        if exc.code in (UNKNOWN_BAN, UNKNOWN_USER):
            return None
        raise


def user(api: DiscordApi, uid: str) -> dict[str, Any] | None:
    """The Discord user (``GET /users/{id}``), member of the server or not; None when Discord knows no such user."""
    try:
        return dict(api.read(f"/users/{uid}", f"read the Discord user {uid}"))
    except DiscordNotFound as exc:
        if exc.code == UNKNOWN_USER:
            return None
        raise


def bot_user(api: DiscordApi) -> dict[str, Any]:
    return dict(api.read("/users/@me", "read the bot's own user"))


def label(user: Mapping[str, Any]) -> str:
    """What people recognise: "Bob Example (@bob)"; a pre-2023 name keeps its #discriminator."""
    name = str(user.get("username") or user.get("id") or "?")
    discriminator = str(user.get("discriminator") or "0")
    handle = f"@{name}" if discriminator in ("0", "0000") else f"{name}#{discriminator}"
    display = user.get("global_name")
    return f"{display} ({handle})" if display and display != name else handle


def account(user: Mapping[str, Any], found: Mapping[str, Any] | None, banned: bool) -> Account:
    """A member is active (can use the server); a user who is not a member (banned, or gone but free to come back
    with an invite link) is an inactive account."""
    return Account(NAME, str(user["id"]), label(user), {
        ACTIVE: found is not None,
        "member": found is not None,
        "banned": banned,
        "username": str(user.get("username") or ""),
        "name": str(user.get("global_name") or user.get("username") or ""),
        "bot": bool(user.get("bot")),
        "roles": [str(r) for r in (found or {}).get("roles") or []],
    })


def now() -> datetime:
    return datetime.now(UTC)


def timeout_end(found: Mapping[str, Any] | None) -> datetime | None:
    """When the member's timeout ends, if they are timed out now; else None."""
    value = (found or {}).get("communication_disabled_until")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment if moment > now() else None


def wanted_end(days: int) -> datetime:
    """When a timeout of ``days`` days from now ends (at most 28 days, less a minute, ahead)."""
    return now() + min(timedelta(days=days), LONGEST_TIMEOUT)


def long_enough(found: Mapping[str, Any] | None, days: int) -> bool:
    """Is the member timed out already until about ``days`` days from now (or longer)? One rule for discovery,
    apply and check, so that a second apply moments later is "ok"."""
    end = timeout_end(found)
    return end is not None and end >= wanted_end(days) - CLOSE_ENOUGH


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def timeout_matches(found: Mapping[str, Any], until: str | None) -> bool:
    """Is the member's timeout the one wanted: none (``until`` None or past), or one ending about ``until``?"""
    end, wanted = timeout_end(found), timeout_end({"communication_disabled_until": until})
    if wanted is None:
        return end is None
    return end is not None and abs(end - wanted) <= CLOSE_ENOUGH
