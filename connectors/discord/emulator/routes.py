"""The routes of the Discord emulator: each answers one documented request (developers/resources/guild.mdx).

A handler gets the emulator (its guild, the bot, the clock), the request and the path's ids, and
returns the answer or raises ``Refused``. Only the routes offboard uses are here, each with the
methods Discord accepts on it; the router answers 404 or 405 for the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from offboard.testing.emulation import Request, Response

from .state import BAN_MEMBERS, MANAGE_ROLES, Refused, form_error

if TYPE_CHECKING:
    from .server import DiscordEmulator

Handler = Callable[["DiscordEmulator", Request, dict[str, str]], Response]
MEMBER_FIELDS = {"nick", "roles", "mute", "deaf", "channel_id", "communication_disabled_until", "flags"}
NO_CONTENT = 204


def no_content() -> Response:
    return Response(NO_CONTENT)


def body_of(request: Request) -> dict[str, Any]:
    """The JSON object sent, ``{}`` for none; Discord's 50035/50109 for a wrong Content-Type or bad JSON."""
    if not request.body:
        return {}
    if "application/json" not in request.headers.get("content-type", ""):
        raise Refused(400, 50035, "Invalid Form Body")
    try:
        data = json.loads(request.body)
    except ValueError:
        raise Refused(400, 50109, "The request body contains invalid JSON.") from None
    if not isinstance(data, dict):
        raise form_error("_errors", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    return data


def reason_of(request: Request) -> str | None:
    """``X-Audit-Log-Reason``, URL-decoded (1-512 characters: developers/resources/audit-log.mdx)."""
    raw = request.headers.get("x-audit-log-reason")
    if raw is None:
        return None
    reason = unquote(raw)
    if not 1 <= len(reason) <= 512:
        raise form_error("audit_log_reason", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 512 in length.")
    return reason


def limit_of(request: Request, default: int) -> int:
    raw = request.arg("limit", str(default)) or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise form_error("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 1000.")
    return int(raw)


def snowflake_arg(request: Request, name: str) -> int:
    raw = request.arg(name, "0") or "0"
    if not raw.isdigit():
        raise form_error(name, "NUMBER_TYPE_COERCE", f"Value \"{raw[:40]}\" is not snowflake.")
    return int(raw)


# ---------------------------------------------------------------- handlers


def me(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    return Response(200, emu.guild.users[emu.bot_id].render())


def get_user(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    """Get User (developers/resources/user.mdx): any user Discord knows, in the server or not; else 10013."""
    return Response(200, emu.guild.user(ids["user"]).render())


def get_guild(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    return Response(200, emu.guild.render())


def get_roles(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    return Response(200, emu.guild.render()["roles"])


def list_members(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    """Needs the privileged Server Members intent; without it, 403 Missing Access (UNCONFIRMED, conservative)."""
    if not emu.members_intent:
        raise Refused(403, 50001, "Missing Access")
    limit, after = limit_of(request, 1), snowflake_arg(request, "after")
    found = sorted((uid for uid in emu.guild.members if int(uid) > after), key=int)[:limit]
    return Response(200, [emu.guild.render_member(uid) for uid in found])


def get_member(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    emu.guild.member(ids["user"])
    return Response(200, emu.guild.render_member(ids["user"]))


def modify_member(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    body, reason, uid = body_of(request), reason_of(request), ids["user"]
    guild, member = emu.guild, emu.guild.member(uid)
    if "roles" in body:
        wanted = body["roles"]
        if not isinstance(wanted, list) or not all(isinstance(r, str) and r.isdigit() for r in wanted):
            raise form_error("roles", "BASE_TYPE_BAD_TYPE", "Must be an array of snowflakes.")
        for rid in wanted:
            guild.role(rid)
        guild.require(emu.bot_id, MANAGE_ROLES)
        for rid in set(wanted) ^ set(member.roles):
            guild.may_manage_role(emu.bot_id, guild.roles[rid])
        for rid in [r for r in member.roles if r not in wanted]:
            guild.remove_member_role(emu.bot_id, uid, rid, reason)
        for rid in [r for r in wanted if r not in member.roles]:
            guild.add_member_role(emu.bot_id, uid, rid, reason)
    if "communication_disabled_until" in body:
        until = body["communication_disabled_until"]
        if until is not None and not isinstance(until, str):
            raise form_error("communication_disabled_until", "DATE_TIME_TYPE_PARSE", "Could not parse ISO8601 date time.")
        guild.set_timeout(emu.bot_id, uid, until, emu.now(), reason)
    return Response(200, guild.render_member(uid))


def add_member(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    """Only with the person's own OAuth2 token (scope guilds.join): a bot has none, so it cannot add anyone back."""
    if "access_token" not in body_of(request):
        raise form_error("access_token", "BASE_TYPE_REQUIRED", "This field is required")
    raise Refused(403, 50025, "Invalid OAuth2 access token")


def kick(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    emu.guild.kick(emu.bot_id, ids["user"], reason_of(request))
    return no_content()


def add_role(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    emu.guild.add_member_role(emu.bot_id, ids["user"], ids["role"], reason_of(request))
    return no_content()


def remove_role(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    emu.guild.remove_member_role(emu.bot_id, ids["user"], ids["role"], reason_of(request))
    return no_content()


def list_bans(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    emu.guild.require(emu.bot_id, BAN_MEMBERS)
    limit = limit_of(request, 1000)
    before, after = snowflake_arg(request, "before"), snowflake_arg(request, "after")
    found = sorted(emu.guild.bans, key=int)
    found = [u for u in found if int(u) < before][-limit:] if before else [u for u in found if int(u) > after][:limit]
    return Response(200, [{"reason": emu.guild.bans[u], "user": emu.guild.users[u].render()} for u in found])


def get_ban(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    emu.guild.require(emu.bot_id, BAN_MEMBERS)
    if ids["user"] not in emu.guild.bans:
        raise Refused(404, 10026, "Unknown Ban")
    return Response(200, {"reason": emu.guild.bans[ids["user"]], "user": emu.guild.users[ids["user"]].render()})


def ban(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    body = body_of(request)
    seconds = body.get("delete_message_seconds", 0)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= 604800:
        raise form_error("delete_message_seconds", "NUMBER_TYPE_MAX", "int value should be between 0 and 604800.")
    emu.guild.ban(emu.bot_id, ids["user"], reason_of(request))
    return no_content()


def unban(emu: DiscordEmulator, request: Request, ids: dict[str, str]) -> Response:
    emu.guild.unban(emu.bot_id, ids["user"], reason_of(request))
    return no_content()


# ---------------------------------------------------------------- the router

SNOWFLAKE = r"\d{1,20}"
ROUTES: list[tuple[str, dict[str, Handler]]] = [
    ("/users/@me", {"GET": me}),
    ("/users/{user}", {"GET": get_user}),
    ("/guilds/{guild}", {"GET": get_guild}),
    ("/guilds/{guild}/roles", {"GET": get_roles}),
    ("/guilds/{guild}/members", {"GET": list_members}),
    ("/guilds/{guild}/members/{user}", {"GET": get_member, "PATCH": modify_member, "PUT": add_member, "DELETE": kick}),
    ("/guilds/{guild}/members/{user}/roles/{role}", {"PUT": add_role, "DELETE": remove_role}),
    ("/guilds/{guild}/bans", {"GET": list_bans}),
    ("/guilds/{guild}/bans/{user}", {"GET": get_ban, "PUT": ban, "DELETE": unban}),
]
_COMPILED = [(t, re.compile("^" + re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>{SNOWFLAKE})", t) + "$"), h)
             for t, h in ROUTES]


def route(method: str, path: str) -> tuple[str, Handler, dict[str, str]]:
    """The route template (``"PUT /guilds/{guild}/bans/{user}"``), its handler and the path's ids."""
    for template, pattern, handlers in _COMPILED:
        if match := pattern.match(path):
            if method not in handlers:
                raise Refused(405, 0, "405: Method Not Allowed")
            return f"{method} {template}", handlers[method], match.groupdict()
    raise Refused(404, 0, "404: Not Found")
