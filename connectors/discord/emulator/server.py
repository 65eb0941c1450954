"""A stateful fake Discord (API v10, one guild, one bot) on 127.0.0.1, for tests and ``offboard demo``.

It answers the guild routes offboard uses under ``/api/v10`` with Discord's status codes and error
bodies (``{"message", "code"}``, form errors 50035), checks the bot token (``Authorization: Bot
<token>``, else 401) and the ``DiscordBot (...)`` User-Agent, enforces the role hierarchy (403
50013), models the privileged Server Members intent (without it listing members answers 403
50001: UNCONFIRMED, conservative), paces per-route buckets and the global limit with the real
headers and 429 bodies, and records every audit-log reason decoded (``audit_log``).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from offboard.testing.emulation import Emulator, Faults, Request, Response

from . import routes
from .limits import GLOBAL_PER_SECOND, Limits, too_many
from .state import BOT_PERMISSIONS, Guild, Refused

PREFIX = "/api/v10"


class DiscordEmulator(Emulator):
    """Fake Discord. Controls: ``add_member``, ``join``, ``leave``, ``ban``, ``delete_role``, ``move_role``,
    ``set_bot_permissions``, ``seed_members``, ``members_intent``, ``limits.limit_route``."""

    name = "discord"

    def __init__(self, guild_name: str = "Example Volunteers", faults: Faults | None = None, *,
                 route_limit: tuple[int, float] | None = (50, 1.0), global_limit: int | None = GLOBAL_PER_SECOND,
                 members_intent: bool = True, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(faults)
        self.guild = Guild(guild_name)
        self.bot_id = self.guild.add_user("offboard", None, bot=True)
        self.bot_role = self.guild.add_role("offboard", BOT_PERMISSIONS, managed=True, bot_id=self.bot_id)
        self.guild.join(self.bot_id, [self.bot_role])
        self.bot_token = f"{base64.b64encode(self.bot_id.encode()).decode().rstrip('=')}.{secrets.token_urlsafe(5)}" \
                         f".{secrets.token_urlsafe(27)}"
        self.members_intent = members_intent
        self.limits = Limits(route_limit, global_limit)
        self.now = now or (lambda: datetime.now(UTC))

    @property
    def guild_id(self) -> str:
        return self.guild.id

    @property
    def api_url(self) -> str:
        return f"{self.url}{PREFIX}"

    @property
    def audit_log(self) -> list[dict[str, Any]]:
        """Every change the bot made: ``{"action_type", "target_id", "user_id", "reason" (decoded), "changes"}``."""
        with self.lock:
            return list(self.guild.audit_log)

    # ------------------------------------------------------------ controls (what people do in Discord)

    def add_role(self, name: str, permissions: int = 0, *, position: int | None = None) -> str:
        """A role; without ``position``, above every other (the bot's role is moved back on top)."""
        with self.lock:
            rid = self.guild.add_role(name, permissions, position=position)
            if position is None:
                self.guild.roles[self.bot_role].position = self.guild.roles[rid].position + 1
            return rid

    def add_member(self, username: str, global_name: str | None = None, roles: Sequence[str] = (), *,
                   user_id: str | None = None, nick: str | None = None) -> str:
        with self.lock:
            uid = self.guild.add_user(username, global_name, user_id=user_id)
            self.guild.join(uid, list(roles), nick)
            return uid

    def seed_members(self, count: int, roles: Sequence[str] = ()) -> list[str]:
        """``count`` plain members (for paging)."""
        return [self.add_member(f"member{i:05d}", None, roles) for i in range(count)]

    def join(self, uid: str) -> None:
        """What the person does with an invite link: back in the server, with no role (a banned user cannot)."""
        with self.lock:
            self.guild.join(uid)
            self.guild.members[uid].rejoined = True

    def leave(self, uid: str) -> None:
        with self.lock:
            self.guild.members.pop(uid, None)

    def ban(self, uid: str, reason: str | None = None) -> None:
        """A moderator bans someone in the Discord app."""
        with self.lock:
            self.guild.members.pop(uid, None)
            self.guild.bans[uid] = reason

    def delete_role(self, rid: str) -> None:
        with self.lock:
            del self.guild.roles[rid]
            for member in self.guild.members.values():
                if rid in member.roles:
                    member.roles.remove(rid)

    def move_role(self, rid: str, position: int) -> None:
        with self.lock:
            self.guild.roles[rid].position = position

    def transfer_ownership(self, uid: str) -> None:
        """``uid`` owns the server now; the placeholder owner the guild was made with leaves it."""
        with self.lock:
            previous, self.guild.owner_id = self.guild.owner_id, uid
            if self.guild.users[previous].username == "owner":
                self.guild.members.pop(previous, None)
                del self.guild.users[previous]

    def set_bot_permissions(self, permissions: int) -> None:
        with self.lock:
            self.guild.roles[self.bot_role].permissions = permissions

    # ------------------------------------------------------------ HTTP surface

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(PREFIX + "/"):
            return Response(404, {"message": "404: Not Found", "code": 0})
        try:
            template, handler, ids = routes.route(request.method, request.path[len(PREFIX):])
            self._check_client(request)
            if ids.get("guild", self.guild.id) != self.guild.id:
                raise Refused(404, 10004, "Unknown Guild")
        except Refused as refused:
            return Response(refused.status, refused.body())
        headers, throttled = self.limits.take(template, ids.get("guild", ""))
        if throttled is not None:
            return throttled
        with self.lock:
            try:
                response = handler(self, request, ids)
            except Refused as refused:
                response = Response(refused.status, refused.body())
        response.headers.update(headers)
        return response

    def _check_client(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        if auth != f"Bot {self.bot_token}":
            raise Refused(401, 0, "401: Unauthorized")
        if not request.headers.get("user-agent", "").startswith("DiscordBot ("):
            raise Refused(400, 0, "User-Agent must be DiscordBot ($url, $versionNumber)")

    def throttled(self, request: Request, retry_after: float) -> Response:
        return too_many(retry_after, {})

    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, {"message": f"{status}: Internal Server Error", "code": 0})
