"""The state behind the Discord emulator: one guild's roles, members, bans and audit log, with Discord's rules.

Plain data and the rules Discord applies to it (developers/topics/permissions.mdx, "Permission
Hierarchy"): a bot may give or take only roles below its own highest role, and may kick, ban or
time out only members whose highest role is below its own; nobody can act on the owner; an
administrator or the owner cannot be timed out (Modify Guild Member). A ban removes the member
(and so every role they had); a member who joins again starts with no role. A refusal is
``Refused`` with Discord's status, code and message; ``server`` turns it into the error body.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_ROLES = 1 << 28
MODERATE_MEMBERS = 1 << 40
EVERYONE_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY
BOT_PERMISSIONS = KICK_MEMBERS | BAN_MEMBERS | MANAGE_ROLES | MODERATE_MEMBERS | EVERYONE_PERMISSIONS
MAX_TIMEOUT = timedelta(days=28)

# Audit log event types (developers/resources/audit-log.mdx)
MEMBER_KICK, MEMBER_BAN_ADD, MEMBER_BAN_REMOVE, MEMBER_UPDATE, MEMBER_ROLE_UPDATE = 20, 22, 23, 24, 25


class Refused(Exception):
    """What Discord answers instead: HTTP status, JSON error code, message (and form errors for 50035)."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def missing_permissions() -> Refused:
    return Refused(403, 50013, "Missing Permissions")


def form_error(field_name: str, code: str, message: str) -> Refused:
    return Refused(400, 50035, "Invalid Form Body", {field_name: {"_errors": [{"code": code, "message": message}]}})


@dataclass
class Role:
    id: str
    name: str
    position: int
    permissions: int
    managed: bool = False
    bot_id: str | None = None

    def render(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "name": self.name, "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False, "icon": None, "unicode_emoji": None, "position": self.position,
            "permissions": str(self.permissions), "managed": self.managed, "mentionable": False, "flags": 0,
        }
        if self.bot_id:
            data["tags"] = {"bot_id": self.bot_id}
        return data


@dataclass
class User:
    id: str
    username: str
    global_name: str | None = None
    bot: bool = False

    def render(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "username": self.username, "discriminator": "0",
                                "global_name": self.global_name, "avatar": None, "public_flags": 0}
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class GuildMember:
    user_id: str
    roles: list[str] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=lambda: iso(datetime.now(UTC)))
    communication_disabled_until: str | None = None
    rejoined: bool = False


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Guild:
    """One server: its roles (by id), every user the emulator knows, the members, bans and audit log."""

    def __init__(self, name: str, owner_name: str = "owner") -> None:
        self._ids = itertools.count(1)
        self.id = self.snowflake()
        self.name = name
        self.roles: dict[str, Role] = {self.id: Role(self.id, "@everyone", 0, EVERYONE_PERMISSIONS)}
        self.users: dict[str, User] = {}
        self.members: dict[str, GuildMember] = {}
        self.bans: dict[str, str | None] = {}  # user id -> reason
        self.audit_log: list[dict[str, Any]] = []
        self.owner_id = self.add_user(owner_name, "Server Owner")
        self.join(self.owner_id)

    def snowflake(self) -> str:
        """A realistic id: milliseconds since Discord's epoch, shifted, with a counter for uniqueness."""
        return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF))

    # -- seeding

    def add_role(self, name: str, permissions: int = 0, *, managed: bool = False, bot_id: str | None = None,
                 position: int | None = None) -> str:
        rid = self.snowflake()
        top = max(r.position for r in self.roles.values())
        self.roles[rid] = Role(rid, name, top + 1 if position is None else position, permissions, managed, bot_id)
        return rid

    def add_user(self, username: str, global_name: str | None = None, *, bot: bool = False, user_id: str | None = None) -> str:
        uid = user_id or self.snowflake()
        self.users[uid] = User(uid, username, global_name, bot)
        return uid

    def join(self, uid: str, roles: tuple[str, ...] | list[str] = (), nick: str | None = None) -> None:
        """The user joins (an invite): with no role but those given (a seed); a banned user cannot."""
        if uid in self.bans:
            raise ValueError(f"user {uid} is banned from the guild and cannot join")
        self.members[uid] = GuildMember(uid, list(roles), nick)

    # -- reading

    def member(self, uid: str) -> GuildMember:
        if uid not in self.members:
            raise Refused(404, 10007, "Unknown Member")
        return self.members[uid]

    def user(self, uid: str) -> User:
        if uid not in self.users:
            raise Refused(404, 10013, "Unknown User")
        return self.users[uid]

    def role(self, rid: str) -> Role:
        if rid not in self.roles or rid == self.id:
            raise Refused(404, 10011, "Unknown Role")
        return self.roles[rid]

    def top(self, uid: str) -> int:
        """The position of the member's highest role (@everyone: 0)."""
        member = self.members.get(uid)
        return max((self.roles[r].position for r in (member.roles if member else []) if r in self.roles), default=0)

    def permissions(self, uid: str) -> int:
        if uid == self.owner_id:
            return -1  # every bit
        member = self.members.get(uid)
        bits = self.roles[self.id].permissions
        for rid in member.roles if member else []:
            bits |= self.roles[rid].permissions if rid in self.roles else 0
        return -1 if bits & ADMINISTRATOR else bits

    def timed_out(self, uid: str, now: datetime) -> bool:
        until = self.members[uid].communication_disabled_until if uid in self.members else None
        return until is not None and parse_time(until) > now

    def render_member(self, uid: str) -> dict[str, Any]:
        m = self.members[uid]
        return {"user": self.users[uid].render(), "nick": m.nick, "avatar": None, "banner": None, "roles": list(m.roles),
                "joined_at": m.joined_at, "premium_since": None, "deaf": False, "mute": False,
                "flags": 1 if m.rejoined else 0, "pending": False,
                "communication_disabled_until": m.communication_disabled_until}

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "icon": None, "description": None, "owner_id": self.owner_id,
                "roles": [r.render() for r in sorted(self.roles.values(), key=lambda r: r.position)],
                "features": [], "mfa_level": 0, "verification_level": 0, "premium_tier": 0,
                "preferred_locale": "en-US", "max_members": 250000}

    # -- the rules

    def require(self, actor: str, permission: int) -> None:
        if not self.permissions(actor) & permission:
            raise missing_permissions()

    def may_manage_role(self, actor: str, role: Role) -> None:
        """Give or take a role: Manage Roles, the role below the actor's highest, not an integration's role."""
        self.require(actor, MANAGE_ROLES)
        if actor != self.owner_id and (role.managed or role.position >= self.top(actor)):
            raise missing_permissions()

    def may_moderate(self, actor: str, target: str, permission: int) -> None:
        """Kick, ban, time out: the permission, never the owner, and the target's highest role below the actor's."""
        self.require(actor, permission)
        if target == self.owner_id or (actor != self.owner_id and self.top(target) >= self.top(actor)):
            raise missing_permissions()

    def record(self, actor: str, action_type: int, target: str, reason: str | None, **changes: Any) -> None:
        self.audit_log.append({"action_type": action_type, "target_id": target, "user_id": actor, "reason": reason,
                               "changes": changes})

    # -- the changes

    def add_member_role(self, actor: str, uid: str, rid: str, reason: str | None) -> None:
        role = self.role(rid)
        member = self.member(uid)
        self.may_manage_role(actor, role)
        if rid not in member.roles:
            member.roles.append(rid)
            self.record(actor, MEMBER_ROLE_UPDATE, uid, reason, added=[rid])

    def remove_member_role(self, actor: str, uid: str, rid: str, reason: str | None) -> None:
        role = self.role(rid)
        member = self.member(uid)
        self.may_manage_role(actor, role)
        if rid in member.roles:
            member.roles.remove(rid)
            self.record(actor, MEMBER_ROLE_UPDATE, uid, reason, removed=[rid])

    def kick(self, actor: str, uid: str, reason: str | None) -> None:
        self.member(uid)
        self.may_moderate(actor, uid, KICK_MEMBERS)
        del self.members[uid]
        self.record(actor, MEMBER_KICK, uid, reason)

    def ban(self, actor: str, uid: str, reason: str | None) -> None:
        """A member or any known user (a ban before they join); the member leaves the server, losing every role."""
        self.user(uid)
        if uid in self.members:
            self.may_moderate(actor, uid, BAN_MEMBERS)
        else:
            self.require(actor, BAN_MEMBERS)
        self.members.pop(uid, None)
        self.bans[uid] = reason
        self.record(actor, MEMBER_BAN_ADD, uid, reason)

    def unban(self, actor: str, uid: str, reason: str | None) -> None:
        self.require(actor, BAN_MEMBERS)
        if uid not in self.bans:
            raise Refused(404, 10026, "Unknown Ban")
        del self.bans[uid]
        self.record(actor, MEMBER_BAN_REMOVE, uid, reason)

    def set_timeout(self, actor: str, uid: str, until: str | None, now: datetime, reason: str | None) -> None:
        """Time out until ``until`` (at most 28 days ahead), or end a timeout (None)."""
        member = self.member(uid)
        if until is not None:
            try:
                moment = parse_time(until)
            except ValueError:
                raise form_error("communication_disabled_until", "DATE_TIME_TYPE_PARSE",
                                 "Could not parse ISO8601 date time.") from None
            if moment - now > MAX_TIMEOUT:
                raise form_error("communication_disabled_until", "COMMUNICATION_DISABLED_TIMESTAMP_TOO_LATE",
                                 "Timeout cannot be more than 28 days in the future.")
        self.may_moderate(actor, uid, MODERATE_MEMBERS)
        if self.permissions(uid) == -1:  # an administrator or the owner is never timed out
            raise missing_permissions()
        if member.communication_disabled_until != until:
            member.communication_disabled_until = until
            self.record(actor, MEMBER_UPDATE, uid, reason, communication_disabled_until=until)
