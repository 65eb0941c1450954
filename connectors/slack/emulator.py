"""A stateful fake Slack on 127.0.0.1, for tests, benchmarks and ``offboard demo``.

It answers the Web API methods offboard uses (``/api/<method>``, form or JSON bodies,
Bearer tokens, cursor pagination, Slack's error codes, scopes in ``X-OAuth-Scopes``) and
SCIM v1 and v2 Users (``/scim/v1/...``, ``/scim/v2/...``, each with its error format).
A plan switch makes SCIM, user groups and admin.* answer as they do on Free, Pro,
Business+ and Enterprise Grid. Throttling comes in both of Slack's forms: HTTP 429 with
``Retry-After`` (per-minute limits by method tier, or the fault knobs) and HTTP 200 with
``{"ok": false, "error": "ratelimited"}`` (``ratelimit_soft``).
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from offboard.spi import Member
from offboard.testing.emulation import Emulator, Faults, LoggedRequest, Request, Response, Sandbox

from .tiers import METHOD_TIERS, PER_MINUTE
from .workspace import Channel, UserGroup, Workspace

PLANS = ("free", "pro", "business+", "enterprise")
SCIM_PLANS = frozenset({"business+", "enterprise"})

WRITE_METHODS = frozenset({"conversations.kick", "usergroups.users.update", "usergroups.disable",
                           "admin.users.session.reset", "chat.postMessage"})
ALL_SCOPES = ("users:read", "users:read.email", "channels:read", "groups:read", "channels:write", "groups:write",
              "usergroups:read", "usergroups:write", "admin", "admin.users:write", "chat:write")
SCIM_PATH = re.compile(r"^/scim/v([12])/(.*)$")


class Refusal(Exception):
    """A Web API error answer: ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


class SlackEmulator(Emulator):
    """Fake Slack. Controls: ``deactivate``, ``set_plan``, ``seed_member``, ``issue_token``, ``ratelimit_soft``."""

    name = "slack"

    def __init__(self, plan: str = "business+", domain: str = "offboard-demo", faults: Faults | None = None,
                 enforce_rate_limits: bool = True, admin_email: str = "") -> None:
        super().__init__(faults)
        self.workspace = Workspace(domain)
        self.plan = ""
        self.set_plan(plan)
        self.enforce_rate_limits = enforce_rate_limits
        self.tokens: dict[str, tuple[str, frozenset[str]]] = {}  # token -> (user id, scopes)
        self.session_resets: list[str] = []
        self.messages: list[dict[str, str]] = []  # chat.postMessage: {"channel": id, "user": id, "text": ...}
        self.admin_id = self.workspace.add_user("admin", admin_email or f"admin@{domain}.slack.test", "Workspace Admin",
                                                owner=True, primary_owner=True)
        self.admin_token = self.issue_token()
        self._soft: deque[tuple[str, float | None]] = deque()
        self._windows: dict[str, deque[float]] = {}
        self._methods: dict[str, Callable[[dict[str, str], str], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.conversations": self._users_conversations,
            "conversations.members": self._conversations_members,
            "conversations.kick": self._conversations_kick,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "usergroups.users.update": self._usergroups_users_update,
            "usergroups.disable": self._usergroups_disable,
            "admin.users.session.reset": self._admin_users_session_reset,
            "chat.postMessage": self._chat_post_message,
        }

    # ------------------------------------------------------------ controls

    def set_plan(self, plan: str) -> None:
        if plan not in PLANS:
            raise ValueError(f"unknown Slack plan {plan!r} (known: {', '.join(PLANS)})")
        with self.lock:
            self.plan = plan

    def issue_token(self, scopes: Sequence[str] = ALL_SCOPES, user: str | None = None, prefix: str = "xoxp-") -> str:
        """A token for ``user`` (the admin by default) with ``scopes``; bot tokens use ``prefix="xoxb-"``."""
        token = f"{prefix}{secrets.token_hex(12)}"
        with self.lock:
            self.tokens[token] = (user or self.admin_id, frozenset(scopes))
        return token

    def deactivate(self, user_id: str) -> None:
        """What an admin does in Manage members (the only way on Free and Pro)."""
        with self.lock:
            self.workspace.deactivate(user_id)

    def ratelimit_soft(self, times: int = 1, method: str = "", retry_after: float | None = None) -> None:
        """The next ``times`` calls of ``method`` (any when empty) answer HTTP 200 ``ratelimited``."""
        with self.lock:
            self._soft.extend([(method, retry_after)] * times)

    def seed_member(self, email: str, name: str = "", *, private_channels: int = 3, public_channels: int = 2,
                    usergroups: int = 1) -> str:
        """A member with realistic access; the admin shares the private channels and user groups (so can see them)."""
        with self.lock:
            ws = self.workspace
            handle = re.sub(r"[^a-z0-9]+", "-", (name or email.split("@")[0]).lower()).strip("-")
            uid = ws.add_user(handle, email, name or handle, title="Volunteer")
            for i in range(1, private_channels + 1):
                ws.add_channel(f"{handle}-private-{i}", private=True, members={uid, self.admin_id})
            for i in range(1, public_channels + 1):
                ws.add_channel(f"{handle}-public-{i}", private=False, members={uid})
            for i in range(1, usergroups + 1):
                ws.add_usergroup(f"{handle}-team-{i}", f"{name or handle} team {i}", [uid, self.admin_id])
            return uid

    # ------------------------------------------------------------ assertions

    def writes(self) -> list[LoggedRequest]:
        """Slack reads with POST too: a write is a call of a state-changing method, or a SCIM non-GET."""
        with self.lock:
            return [r for r in self.log if _is_write(r)]

    # ------------------------------------------------------------ HTTP surface

    def handle(self, request: Request) -> Response:
        with self.lock:
            if request.path.startswith("/api/"):
                return self._web(request.path.removeprefix("/api/"), request)
            if m := SCIM_PATH.match(request.path):
                return self._scim(int(m[1]), m[2], request)
            return Response(404, {"ok": False, "error": "unknown_method"})

    def throttled(self, request: Request, retry_after: float) -> Response:
        headers = {"Retry-After": str(max(1, int(retry_after + 0.999)))}
        if m := SCIM_PATH.match(request.path):
            return Response(429, _scim_error(int(m[1]), 429, "rate_limited"), headers)
        return Response(429, {"ok": False, "error": "ratelimited"}, headers)

    def server_error(self, request: Request, status: int) -> Response:
        if m := SCIM_PATH.match(request.path):
            return Response(status, _scim_error(int(m[1]), status, "internal_error"))
        return Response(status, {"ok": False, "error": "internal_error"})

    # -- Web API

    def _web(self, method: str, request: Request) -> Response:
        args = {k: str(v) for k, v in request.form().items()}
        token = _bearer(request) or args.pop("token", "")
        if method not in self._methods:
            return _answer({"ok": False, "error": "unknown_method"})
        if not token:
            return _answer({"ok": False, "error": "not_authed"})
        if token not in self.tokens:
            return _answer({"ok": False, "error": "invalid_auth"})
        caller, scopes = self.tokens[token]
        headers = {"X-OAuth-Scopes": ",".join(sorted(scopes))}
        if method in METHOD_TIERS and (wait := self._over_limit(method, PER_MINUTE[METHOD_TIERS[method]])):
            return self.throttled(request, wait)
        if self._soft and self._soft[0][0] in ("", method):
            _, wait = self._soft.popleft()
            soft_headers = {**headers, "Retry-After": str(int(wait))} if wait is not None else headers
            return _answer({"ok": False, "error": "ratelimited"}, soft_headers)
        try:
            channel = self.workspace.channels.get(args.get("channel", ""))
            private = channel.is_private if channel else True
            needed = [s for s in _scopes_needed(method, args, private) if s not in scopes]
            if needed:
                raise Refusal("missing_scope", needed=",".join(needed), provided=",".join(sorted(scopes)))
            if method.startswith("usergroups.") and self.plan == "free":
                raise Refusal("plan_upgrade_required")
            if method.startswith("admin.") and self.plan != "enterprise":
                raise Refusal("feature_not_enabled")
            body = {"ok": True, **self._methods[method](args, caller)}
        except Refusal as refusal:
            body = {"ok": False, "error": refusal.code, **refusal.extra}
        return _answer(body, headers)

    def _over_limit(self, key: str, per_minute: int) -> float | None:
        """Seconds to wait when ``key`` already had ``per_minute`` calls in the last minute."""
        if not self.enforce_rate_limits:
            return None
        now = time.monotonic()
        window = self._windows.setdefault(key, deque())
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= per_minute:
            return 60 - (now - window[0])
        window.append(now)
        return None

    def _user(self, uid: str | None, code: str = "user_not_found") -> dict[str, Any]:
        if not uid or uid not in self.workspace.users:
            raise Refusal(code)
        return self.workspace.users[uid]

    def _auth_test(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        ws = self.workspace
        data = {"url": f"https://{ws.domain}.slack.com/", "team": ws.domain, "user": ws.users[caller]["name"],
                "team_id": ws.team_id, "user_id": caller, "is_enterprise_install": False}
        if self.plan == "enterprise":
            data["enterprise_id"] = "E0EMULATE"
        return data

    def _users_lookup_by_email(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        found = self.workspace.by_email(args.get("email", ""))
        if found is None or found["deleted"]:  # Slack hides deactivated users here
            raise Refusal("users_not_found")
        return {"user": found}

    def _users_info(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        return {"user": self._user(args.get("user"))}

    def _users_list(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        members, cursor = _page(list(self.workspace.users.values()), args, "user")
        return {"members": members, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": cursor}}

    def _users_conversations(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        uid = args.get("user") or caller
        self._user(uid)
        types = set(args.get("types", "public_channel").split(","))
        if not types <= {"public_channel", "private_channel", "mpim", "im"}:
            raise Refusal("invalid_types")
        channels = [
            c.render() for c in self.workspace.channels.values()
            if uid in c.members and self.workspace.visible(c, caller)
            and ("private_channel" if c.is_private else "public_channel") in types
            and not (c.is_archived and _flag(args.get("exclude_archived")))
        ]
        page, cursor = _page(channels, args, "channel")
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def _channel(self, args: dict[str, str], caller: str) -> Channel:
        channel = self.workspace.channels.get(args.get("channel", ""))
        if channel is None or not self.workspace.visible(channel, caller):
            raise Refusal("channel_not_found")
        return channel

    def _conversations_members(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        channel = self._channel(args, caller)
        members, cursor = _page(sorted(channel.members), args, "member")
        return {"members": members, "response_metadata": {"next_cursor": cursor}}

    def _conversations_kick(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        channel = self._channel(args, caller)
        uid = args.get("user", "")
        self._user(uid)
        if uid == caller:
            raise Refusal("cant_kick_self")
        if channel.is_general:
            raise Refusal("cant_kick_from_general")
        if uid not in channel.members:
            raise Refusal("not_in_channel")
        channel.members.discard(uid)
        return {}

    def _group(self, args: dict[str, str]) -> UserGroup:
        group = self.workspace.usergroups.get(args.get("usergroup", ""))
        if group is None or (group.date_delete and not _flag(args.get("include_disabled"))):
            raise Refusal("no_such_subteam")
        return group

    def _usergroups_list(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        include_users = _flag(args.get("include_users"))
        groups = [g.render(self.workspace.team_id, include_users) for g in self.workspace.usergroups.values()
                  if not g.date_delete or _flag(args.get("include_disabled"))]
        return {"usergroups": groups}

    def _usergroups_users_list(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        return {"users": list(self._group(args).users)}

    def _usergroups_users_update(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        group = self._group({**args, "include_disabled": "1"})
        users = [u for u in args.get("users", "").split(",") if u]
        if not users:
            raise Refusal("no_users_provided")
        if any(u not in self.workspace.users for u in users):
            raise Refusal("invalid_users")
        group.users = users
        group.date_update = int(time.time())
        return {"usergroup": group.render(self.workspace.team_id, True)}

    def _usergroups_disable(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        group = self._group({**args, "include_disabled": "1"})
        group.date_delete = group.date_delete or int(time.time())
        return {"usergroup": group.render(self.workspace.team_id, True)}

    def _admin_users_session_reset(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        user = self._user(args.get("user_id"))
        if user["is_bot"]:
            raise Refusal("cannot_reset_bot")
        if user["is_primary_owner"]:
            raise Refusal("cannot_reset_primary_owner")
        self.session_resets.append(user["id"])
        return {}

    def _chat_post_message(self, args: dict[str, str], caller: str) -> dict[str, Any]:
        """Posting as the token's user: the channel by id or ``#name``, and the caller must be in it."""
        wanted = args.get("channel", "")
        channel = self.workspace.channels.get(wanted) or next(
            (c for c in self.workspace.channels.values() if c.name == wanted.removeprefix("#")), None)
        if channel is None or not self.workspace.visible(channel, caller):
            raise Refusal("channel_not_found")
        if channel.is_archived:
            raise Refusal("is_archived")
        if caller not in channel.members:
            raise Refusal("not_in_channel")
        if not args.get("text"):
            raise Refusal("no_text")
        ts = f"{time.time():.6f}"
        self.messages.append({"channel": channel.id, "user": caller, "text": args["text"], "ts": ts})
        return {"channel": channel.id, "ts": ts, "message": {"type": "message", "user": caller, "text": args["text"], "ts": ts}}

    # -- SCIM

    def _scim(self, version: int, rest: str, request: Request) -> Response:
        token = _bearer(request)
        if token not in self.tokens:
            return Response(401, _scim_error(version, 401, "invalid_authentication"))
        caller, scopes = self.tokens[token]
        if "admin" not in scopes:
            return Response(403, _scim_error(version, 403, "missing_scope: admin"))
        if self.plan not in SCIM_PLANS:
            return Response(403, _scim_error(version, 403, "SCIM is only available on Business+ and Enterprise Grid"))
        if request.method == "DELETE" and (wait := self._over_limit("scim_write", PER_MINUTE["scim_write"])):
            return self.throttled(request, wait)
        parts = rest.strip("/").split("/")
        if parts[0] in ("ServiceProviderConfig", "ServiceProviderConfigs") and request.method == "GET":
            return Response(200, {"patch": {"supported": True}, "filter": {"supported": True, "maxResults": 1000}})
        if parts[0] != "Users" or len(parts) > 2:
            return Response(404, _scim_error(version, 404, "not_found"))
        if len(parts) == 1 and request.method == "GET":
            return Response(200, self._scim_list(version, request))
        uid = parts[1] if len(parts) == 2 else ""
        if uid not in self.workspace.users:
            return Response(404, _scim_error(version, 404, "user_not_found"))
        if request.method == "GET":
            return Response(200, self.workspace.scim_user(uid, version))
        if request.method == "DELETE":
            target = self.workspace.users[uid]
            if target["is_primary_owner"] or (target["is_owner"] and not self.workspace.users[caller]["is_owner"]):
                return Response(403, _scim_error(version, 403, "cannot deactivate an owner with this token"))
            self.workspace.deactivate(uid)
            return Response(204, b"")
        return Response(405, _scim_error(version, 405, "method_not_allowed"))

    def _scim_list(self, version: int, request: Request) -> dict[str, Any]:
        users = [u["id"] for u in self.workspace.users.values() if not u["is_bot"]]
        if m := re.fullmatch(r'\s*(userName|email|emails)\s+eq\s+"([^"]*)"\s*', request.arg("filter") or ""):
            field, value = m[1], m[2].lower()
            users = [uid for uid in users if value == (
                self.workspace.users[uid]["name"] if field == "userName"
                else self.workspace.users[uid]["profile"]["email"]).lower()]
        start = max(1, int(request.arg("startIndex") or 1))
        count = min(1000, int(request.arg("count") or 100))
        page = [self.workspace.scim_user(uid, version) for uid in users[start - 1:start - 1 + count]]
        schema = "urn:scim:schemas:core:1.0" if version == 1 else "urn:ietf:params:scim:api:messages:2.0:ListResponse"
        return {"schemas": [schema], "totalResults": len(users), "itemsPerPage": len(page), "startIndex": start,
                "Resources": page}


# ---------------------------------------------------------------- helpers


def _answer(body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(200, dict(body), dict(headers or {}))


def _bearer(request: Request) -> str:
    value = request.headers.get("authorization", "")
    return value[7:].strip() if value.lower().startswith("bearer ") else ""


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
    if method == "conversations.members":
        return ["groups:read" if private else "channels:read"]
    if method == "conversations.kick":
        return ["groups:write" if private else "channels:write"]
    return {
        "users.lookupByEmail": ["users:read.email"],
        "users.info": ["users:read"],
        "users.list": ["users:read"],
        "usergroups.list": ["usergroups:read"],
        "usergroups.users.list": ["usergroups:read"],
        "usergroups.users.update": ["usergroups:write"],
        "usergroups.disable": ["usergroups:write"],
        "admin.users.session.reset": ["admin.users:write"],
        "chat.postMessage": ["chat:write"],
    }.get(method, [])


def _scim_error(version: int, status: int, description: str) -> dict[str, Any]:
    if version == 1:
        return {"Errors": {"description": description, "code": status}}
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": description, "status": status}


def _is_write(r: LoggedRequest) -> bool:
    if r.path.startswith("/api/"):
        return r.path.removeprefix("/api/") in WRITE_METHODS
    return r.path.startswith("/scim/") and r.method != "GET"


# ---------------------------------------------------------------- the demo's workspace


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator on Business+ with SCIM, so a demo run completes without a person.

    Every member gets realistic access: #general and two public channels, the shared
    private #coordination, a private project channel of their own, a private #lounge the
    admin is not in (deactivation still covers it), and user groups (@volunteers for
    all, @coordinators for the first member alone, so expelling them disables it).
    Former members are already deactivated; an orphan account matches no member; a bot
    is there too. ``workdir`` is unused: the config names no file.
    """
    emulator = SlackEmulator(plan="business+", domain=domain.split(".")[0], admin_email=f"slack-admin@{domain}")
    ws, admin = emulator.workspace, emulator.admin_id
    ids = {}
    for member in members:
        handle = member.email.split("@")[0].replace(".", "-")
        ids[member.id] = ws.add_user(handle, member.email, member.name, title="Volunteer")
    everyone = set(ids.values())
    orphan = ws.add_user("old-treasurer", f"old.treasurer@{domain}", "Old Treasurer", title="Treasurer")
    ws.add_user("deploybot", "", "Deploy Bot", bot=True)
    ws.add_channel("announcements", private=False, members=everyone | {admin, orphan})
    ws.add_channel("events", private=False, members=everyone)
    ws.add_channel("coordination", private=True, members=everyone | {admin, orphan})
    ws.add_channel("lounge", private=True, members=everyone)
    for member in members:
        ws.add_channel(f"{ws.users[ids[member.id]]['name']}-projects", private=True, members={ids[member.id], admin})
    ws.add_usergroup("volunteers", "Volunteers", sorted(everyone))
    if members:
        ws.add_usergroup("coordinators", "Coordinators", [ids[members[0].id]])
    for member in members:
        if member.status == "former":
            ws.deactivate(ids[member.id])
    emulator.start()
    config = {"token_env": "SLACK_ADMIN_TOKEN", "scim": True, "base_url": f"{emulator.url}/api/",
              "scim_base_url": f"{emulator.url}/scim/v2/"}
    return Sandbox(emulator, config, {"SLACK_ADMIN_TOKEN": emulator.admin_token})
