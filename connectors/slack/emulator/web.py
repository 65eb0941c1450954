"""The emulator's Web API methods: what each answers, and the scopes and plan it asks for.

Each method is a function of the workspace state, the form arguments and the caller's
user id, so the HTTP side (tokens, throttling, fault knobs) stays in ``server``. A
method refuses by raising ``Refusal``, which becomes ``{"ok": false, "error": code}``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from typing import Any

from .state import Channel, UserGroup, Workspace

WRITE_METHODS = frozenset({"conversations.kick", "conversations.invite", "usergroups.users.update", "usergroups.disable",
                           "usergroups.enable",
                           "admin.users.session.reset", "chat.postMessage"})
ALL_SCOPES = ("users:read", "users:read.email", "channels:read", "groups:read", "channels:write", "groups:write",
              "usergroups:read", "usergroups:write", "admin", "admin.users:write", "chat:write")

Args = dict[str, str]
POST_OPTIONS = ("link_names", "unfurl_links", "unfurl_media", "parse", "mrkdwn")  # chat.postMessage records them


class Refusal(Exception):
    """A Web API error answer: ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def answer(ws: Workspace, method: str, args: Args, caller: str, scopes: frozenset[str]) -> dict[str, Any]:
    """The body Slack sends for a call of a known ``method`` by an authenticated caller."""
    try:
        channel = ws.channels.get(args.get("channel", ""))
        private = channel.is_private if channel else True
        needed = [s for s in _scopes_needed(method, args, private) if s not in scopes]
        if needed:
            raise Refusal("missing_scope", needed=",".join(needed), provided=",".join(sorted(scopes)))
        if method.startswith("usergroups.") and ws.plan == "free":
            raise Refusal("plan_upgrade_required")
        if method.startswith("admin.") and ws.plan != "enterprise":
            raise Refusal("feature_not_enabled")
        return {"ok": True, **METHODS[method](ws, args, caller)}
    except Refusal as refusal:
        return {"ok": False, "error": refusal.code, **refusal.extra}


# ---------------------------------------------------------------- users


def _user(ws: Workspace, uid: str | None, code: str = "user_not_found") -> dict[str, Any]:
    if not uid or uid not in ws.users:
        raise Refusal(code)
    return ws.users[uid]


def _auth_test(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    data = {"url": f"https://{ws.domain}.slack.com/", "team": ws.domain, "user": ws.users[caller]["name"],
            "team_id": ws.team_id, "user_id": caller, "is_enterprise_install": False}
    if ws.plan == "enterprise":
        data["enterprise_id"] = "E0EMULATE"
    return data


def _users_lookup_by_email(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    found = ws.by_email(args.get("email", ""))
    if found is None or found["deleted"]:  # Slack hides deactivated users here
        raise Refusal("users_not_found")
    return {"user": found}


def _users_info(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    return {"user": _user(ws, args.get("user"))}


def _users_list(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    members, cursor = _page(list(ws.users.values()), args, "user")
    return {"members": members, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": cursor}}


def _admin_users_session_reset(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    user = _user(ws, args.get("user_id"))
    if user["is_bot"]:
        raise Refusal("cannot_reset_bot")
    if user["is_primary_owner"]:
        raise Refusal("cannot_reset_primary_owner")
    ws.session_resets.append(user["id"])
    return {}


# ---------------------------------------------------------------- conversations


def _users_conversations(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    uid = args.get("user") or caller
    _user(ws, uid)
    types = set(args.get("types", "public_channel").split(","))
    if not types <= {"public_channel", "private_channel", "mpim", "im"}:
        raise Refusal("invalid_types")
    channels = [
        c.render() for c in ws.channels.values()
        if uid in c.members and ws.visible(c, caller)
        and ("private_channel" if c.is_private else "public_channel") in types
        and not (c.is_archived and _flag(args.get("exclude_archived")))
    ]
    page, cursor = _page(channels, args, "channel")
    return {"channels": page, "response_metadata": {"next_cursor": cursor}}


def _channel(ws: Workspace, args: Args, caller: str) -> Channel:
    channel = ws.channels.get(args.get("channel", ""))
    if channel is None or not ws.visible(channel, caller):
        raise Refusal("channel_not_found")
    return channel


def _conversations_members(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    channel = _channel(ws, args, caller)
    members, cursor = _page(sorted(channel.members), args, "member")
    return {"members": members, "response_metadata": {"next_cursor": cursor}}


def _conversations_kick(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    channel = _channel(ws, args, caller)
    uid = args.get("user", "")
    _user(ws, uid)
    if uid == caller:
        raise Refusal("cant_kick_self")
    if channel.is_general:
        raise Refusal("cant_kick_from_general")
    if uid not in channel.members:
        raise Refusal("not_in_channel")
    channel.members.discard(uid)
    return {}


def _conversations_info(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    """The channel as the caller sees it: ``is_member`` is the caller's own membership."""
    channel = _channel(ws, args, caller)
    return {"channel": {**channel.render(), "is_member": caller in channel.members}}


def _conversations_invite(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    """Invite users (a comma list); the caller must be in the channel, and a deactivated user cannot be invited."""
    channel = _channel(ws, args, caller)
    if channel.is_archived:
        raise Refusal("is_archived")
    if caller not in channel.members:
        raise Refusal("not_in_channel")
    users = [u for u in args.get("users", "").split(",") if u]
    if not users:
        raise Refusal("no_user")
    if caller in users:
        raise Refusal("cant_invite_self")
    if any(u not in ws.users for u in users):
        raise Refusal("user_not_found")
    if any(ws.users[u]["deleted"] or ws.users[u]["is_bot"] for u in users):
        raise Refusal("cant_invite")
    if any(u in channel.members for u in users):
        raise Refusal("already_in_channel")
    channel.members.update(users)
    return {"channel": {**channel.render(), "is_member": True}}


def _chat_post_message(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    """Posting as the token's user: the channel by id or ``#name``, and the caller must be in it."""
    wanted = args.get("channel", "")
    channel = ws.channels.get(wanted) or next(
        (c for c in ws.channels.values() if c.name == wanted.removeprefix("#")), None)
    if channel is None or not ws.visible(channel, caller):
        raise Refusal("channel_not_found")
    if channel.is_archived:
        raise Refusal("is_archived")
    if caller not in channel.members:
        raise Refusal("not_in_channel")
    if not args.get("text"):
        raise Refusal("no_text")
    ts = f"{time.time():.6f}"
    options = {k: args[k] for k in POST_OPTIONS if k in args}  # as sent: "0"/"1" (form) or "False"/"True" (JSON)
    ws.messages.append({"channel": channel.id, "user": caller, "text": args["text"], "ts": ts, **options})
    return {"channel": channel.id, "ts": ts, "message": {"type": "message", "user": caller, "text": args["text"], "ts": ts}}


# ---------------------------------------------------------------- user groups


def _group(ws: Workspace, args: Args) -> UserGroup:
    group = ws.usergroups.get(args.get("usergroup", ""))
    if group is None or (group.date_delete and not _flag(args.get("include_disabled"))):
        raise Refusal("no_such_subteam")
    return group


def _usergroups_list(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    include_users = _flag(args.get("include_users"))
    groups = [g.render(ws.team_id, include_users) for g in ws.usergroups.values()
              if not g.date_delete or _flag(args.get("include_disabled"))]
    return {"usergroups": groups}


def _usergroups_users_list(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    return {"users": list(_group(ws, args).users)}


def _usergroups_users_update(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    group = _group(ws, {**args, "include_disabled": "1"})
    users = [u for u in args.get("users", "").split(",") if u]
    if not users:
        raise Refusal("no_users_provided")
    if any(u not in ws.users for u in users):
        raise Refusal("invalid_users")
    group.users = users
    group.date_update = int(time.time())
    return {"usergroup": group.render(ws.team_id, True)}


def _usergroups_enable(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    group = _group(ws, {**args, "include_disabled": "1"})
    group.date_delete = 0
    group.date_update = int(time.time())
    return {"usergroup": group.render(ws.team_id, True)}


def _usergroups_disable(ws: Workspace, args: Args, caller: str) -> dict[str, Any]:
    group = _group(ws, {**args, "include_disabled": "1"})
    group.date_delete = group.date_delete or int(time.time())
    return {"usergroup": group.render(ws.team_id, True)}


METHODS: dict[str, Callable[[Workspace, Args, str], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "users.lookupByEmail": _users_lookup_by_email,
    "users.info": _users_info,
    "users.list": _users_list,
    "users.conversations": _users_conversations,
    "conversations.members": _conversations_members,
    "conversations.kick": _conversations_kick,
    "conversations.info": _conversations_info,
    "conversations.invite": _conversations_invite,
    "usergroups.list": _usergroups_list,
    "usergroups.users.list": _usergroups_users_list,
    "usergroups.users.update": _usergroups_users_update,
    "usergroups.disable": _usergroups_disable,
    "usergroups.enable": _usergroups_enable,
    "admin.users.session.reset": _admin_users_session_reset,
    "chat.postMessage": _chat_post_message,
}


# ---------------------------------------------------------------- helpers


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _page(items: list[Any], args: Mapping[str, str], kind: str) -> tuple[list[Any], str]:
    """Slack's cursor pagination: an opaque base64 cursor, empty ``next_cursor`` on the last page."""
    try:
        limit = int(args.get("limit") or 100)
        start = int(base64.b64decode(args["cursor"]).decode().split(":")[1]) if args.get("cursor") else 0
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise Refusal("invalid_cursor") from exc
    limit = min(max(limit, 1), 1000)
    end = start + limit
    cursor = base64.b64encode(f"{kind}:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], cursor


def _scopes_needed(method: str, args: Mapping[str, str], private: bool) -> list[str]:
    """The scopes Slack asks of a user token for this call (conversation methods depend on the channel type)."""
    if method == "users.conversations":
        types = args.get("types", "public_channel")
        return [s for t, s in (("public_channel", "channels:read"), ("private_channel", "groups:read")) if t in types]
    if method in ("conversations.members", "conversations.info"):
        return ["groups:read" if private else "channels:read"]
    if method in ("conversations.kick", "conversations.invite"):
        return ["groups:write" if private else "channels:write"]
    return {
        "users.lookupByEmail": ["users:read.email"],
        "users.info": ["users:read"],
        "users.list": ["users:read"],
        "usergroups.list": ["usergroups:read"],
        "usergroups.users.list": ["usergroups:read"],
        "usergroups.users.update": ["usergroups:write"],
        "usergroups.disable": ["usergroups:write"],
        "usergroups.enable": ["usergroups:write"],
        "admin.users.session.reset": ["admin.users:write"],
        "chat.postMessage": ["chat:write"],
    }.get(method, [])
