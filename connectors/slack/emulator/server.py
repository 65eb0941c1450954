"""A stateful fake Slack on 127.0.0.1, for tests, benchmarks and ``offboard demo``: its HTTP side.

It answers the Web API methods offboard uses (``/api/<method>``, form or JSON bodies,
Bearer tokens, cursor pagination, Slack's error codes, scopes in ``X-OAuth-Scopes``) and
SCIM v1 and v2 Users (``/scim/v1/...``, ``/scim/v2/...``, each with its error format).
A plan switch makes SCIM, user groups and admin.* answer as they do on Free, Pro,
Business+ and Enterprise Grid. Throttling comes in both of Slack's forms: HTTP 429 with
``Retry-After`` (per-minute limits by method tier, or the fault knobs) and HTTP 200 with
``{"ok": false, "error": "ratelimited"}`` (``ratelimit_soft``).

This module owns tokens, throttling and the test controls; ``web`` and ``scim`` answer
the calls, ``state`` holds the workspace.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from offboard.testing.emulation import Emulator, Faults, LoggedRequest, Request, Response

from ..tiers import METHOD_TIERS, PER_MINUTE
from . import scim, web
from .state import Workspace


class SlackEmulator(Emulator):
    """Fake Slack. Controls: ``deactivate``, ``reactivate``, ``archive``, ``set_plan``, ``seed_member``,
    ``issue_token``, ``ratelimit_soft``."""

    name = "slack"

    def __init__(self, plan: str = "business+", domain: str = "offboard-demo", faults: Faults | None = None,
                 enforce_rate_limits: bool = True, admin_email: str = "") -> None:
        super().__init__(faults)
        self.workspace = Workspace(domain, plan)
        self.enforce_rate_limits = enforce_rate_limits
        self.tokens: dict[str, tuple[str, frozenset[str]]] = {}  # token -> (user id, scopes)
        self.admin_id = self.workspace.add_user("admin", admin_email or f"admin@{domain}.slack.test", "Workspace Admin",
                                                owner=True, primary_owner=True)
        self.admin_token = self.issue_token()
        self._soft: deque[tuple[str, float | None]] = deque()
        self._windows: dict[str, deque[float]] = {}
        self.clock: Callable[[], float] = time.monotonic  # when a call arrives, for the per-minute windows

    @property
    def plan(self) -> str:
        return self.workspace.plan

    @property
    def session_resets(self) -> list[str]:
        """User ids that admin.users.session.reset signed out."""
        return self.workspace.session_resets

    @property
    def messages(self) -> list[dict[str, str]]:
        """chat.postMessage's posts: ``{"channel": id, "user": id, "text": ..., "ts": ...}`` and the options
        sent with it (``link_names``, ``unfurl_links``, ``unfurl_media``, ``parse``, ``mrkdwn``), as sent."""
        return self.workspace.messages

    # ------------------------------------------------------------ controls

    def set_plan(self, plan: str) -> None:
        with self.lock:
            self.workspace.set_plan(plan)

    def issue_token(self, scopes: Sequence[str] = web.ALL_SCOPES, user: str | None = None, prefix: str = "xoxp-") -> str:
        """A token for ``user`` (the admin by default) with ``scopes``; bot tokens use ``prefix="xoxb-"``."""
        token = f"{prefix}{secrets.token_hex(12)}"
        with self.lock:
            self.tokens[token] = (user or self.admin_id, frozenset(scopes))
        return token

    def deactivate(self, user_id: str) -> None:
        """What an admin does in Manage members (the only way on Free and Pro)."""
        with self.lock:
            self.workspace.deactivate(user_id)

    def reactivate(self, user_id: str) -> None:
        """What an admin does in Manage members ("Activate account"): active again, in no channel."""
        with self.lock:
            self.workspace.reactivate(user_id)

    def archive(self, channel_id: str) -> None:
        """What a channel manager does in Slack: the channel is archived, its members stay listed."""
        with self.lock:
            self.workspace.channels[channel_id].is_archived = True

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
            if m := scim.PATH.match(request.path):
                return self._scim(int(m[1]), m[2], request)
            return Response(404, {"ok": False, "error": "unknown_method"})

    def throttled(self, request: Request, retry_after: float) -> Response:
        headers = {"Retry-After": str(max(1, int(retry_after + 0.999)))}
        if m := scim.PATH.match(request.path):
            return Response(429, scim.error(int(m[1]), 429, "rate_limited"), headers)
        return Response(429, {"ok": False, "error": "ratelimited"}, headers)

    def server_error(self, request: Request, status: int) -> Response:
        if m := scim.PATH.match(request.path):
            return Response(status, scim.error(int(m[1]), status, "internal_error"))
        return Response(status, {"ok": False, "error": "internal_error"})

    def _web(self, method: str, request: Request) -> Response:
        args = {k: str(v) for k, v in request.form().items()}
        token = _bearer(request) or args.pop("token", "")
        if method not in web.METHODS:
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
        return _answer(web.answer(self.workspace, method, args, caller, scopes), headers)

    def _scim(self, version: int, rest: str, request: Request) -> Response:
        token = _bearer(request)
        if token not in self.tokens:
            return Response(401, scim.error(version, 401, "invalid_authentication"))
        caller, scopes = self.tokens[token]
        if refused := scim.refusal(self.workspace, version, scopes):
            return refused
        if request.method != "GET" and (wait := self._over_limit("scim_write", PER_MINUTE["scim_write"])):
            return self.throttled(request, wait)
        return scim.answer(self.workspace, version, rest, request, caller)

    def _over_limit(self, key: str, per_minute: int) -> float | None:
        """Seconds to wait when ``key`` already had ``per_minute`` calls in the last minute."""
        if not self.enforce_rate_limits:
            return None
        now = self.clock()
        window = self._windows.setdefault(key, deque())
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= per_minute:
            return 60 - (now - window[0])
        window.append(now)
        return None


def _answer(body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(200, dict(body), dict(headers or {}))


def _bearer(request: Request) -> str:
    value = request.headers.get("authorization", "")
    return value[7:].strip() if value.lower().startswith("bearer ") else ""


def _is_write(r: LoggedRequest) -> bool:
    if r.path.startswith("/api/"):
        return r.path.removeprefix("/api/") in web.WRITE_METHODS
    return r.path.startswith("/scim/") and r.method != "GET"
