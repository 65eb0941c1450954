"""A stateful fake Ramp on 127.0.0.1, for tests and ``offboard demo``: tokens, rate limits and the test controls.

The token endpoint takes HTTP Basic client credentials and a form (``grant_type=
client_credentials&scope=...``) and, as Ramp does, issues a token carrying only the asked
scopes the API client is allowed (saying which in ``scope`` unless ``report_scope`` is off).
Every other path needs ``Authorization: Bearer``: no token or an unknown one is 401
DEVELOPER_7002, an expired one 401 DEVELOPER_7028, a scope the token lacks 403 DEVELOPER_7100
naming it. Ramp's limit is kept: 200 requests in any 10 seconds, then a minute locked out that
each further call starts again, answered 429 (with ``Retry-After`` only when
``retry_after_header`` is on: Ramp documents none). ``routes`` answers the resources;
``state`` holds the business.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from offboard.testing.emulation import Emulator, Faults, LoggedRequest, Request, Response

from . import routes
from .state import Org

TOKEN_PATH = "/developer/v1/token"
ALL_SCOPES = ("users:read", "users:write", "cards:read", "cards:write", "transactions:read", "business:read")
WINDOW, WINDOW_LIMIT, LOCKOUT = 10.0, 200, 60.0  # Ramp: 200 requests per rolling 10 s, then a minute


class RampEmulator(Emulator):
    """Fake Ramp. Controls: ``org`` (users, cards, tasks and the knobs ``task_polls``, ``task_error``,
    ``deactivation_suspends_cards``), ``issue_client``, ``expire_tokens``, and the attributes below."""

    name = "ramp"

    def __init__(self, faults: Faults | None = None, *, task_polls: int = 1, token_lifetime: int = 864000,
                 report_scope: bool = True, retry_after_header: bool = False, enforce_rate_limits: bool = True,
                 admin_email: str = "ramp-admin@example.org", clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(faults)
        self.org = Org(task_polls=task_polls)
        self.token_lifetime = token_lifetime  # seconds, in expires_in (client credentials: ten days)
        self.report_scope = report_scope
        self.retry_after_header = retry_after_header
        self.enforce_rate_limits = enforce_rate_limits
        self.clock = clock
        self.clients: dict[str, tuple[str, frozenset[str], frozenset[str]]] = {}  # id -> (secret, scopes, grants)
        self.tokens: dict[str, tuple[str, frozenset[str], float]] = {}  # token -> (client id, scopes, good until)
        self.admin_id = self.org.add_user(admin_email, "Ramp", "Admin", role="BUSINESS_ADMIN")
        self.client_id, self.client_secret = self.issue_client()
        self._window: deque[float] = deque()
        self._locked_until = 0.0

    # ------------------------------------------------------------ controls

    def issue_client(self, scopes: Iterable[str] = ALL_SCOPES,
                     grants: Iterable[str] = ("client_credentials",)) -> tuple[str, str]:
        """A new API client (an app in Company > Developer) allowed ``scopes``: its id and secret."""
        client_id, secret = f"ramp_id_{secrets.token_hex(10)}", f"ramp_sec_{secrets.token_hex(16)}"
        with self.lock:
            self.clients[client_id] = (secret, frozenset(scopes), frozenset(grants))
        return client_id, secret

    def expire_tokens(self) -> None:
        """Every token issued so far runs out now."""
        with self.lock:
            self.tokens = {t: (c, s, 0.0) for t, (c, s, _) in self.tokens.items()}

    def task_requests(self) -> list[LoggedRequest]:
        """The card task submissions received (POST .../deferred/...), in order."""
        return [r for r in self.requests("POST") if "/deferred/" in r.path]

    # ------------------------------------------------------------ assertions

    def writes(self) -> list[LoggedRequest]:
        """Requests that change Ramp: task submissions and user switches (a token request changes nothing)."""
        with self.lock:
            return [r for r in self.log if r.is_write and r.path != TOKEN_PATH]

    # ------------------------------------------------------------ HTTP surface

    def handle(self, request: Request) -> Response:
        with self.lock:
            if (throttled := self._over_limit()) is not None:
                return throttled
            if request.path == TOKEN_PATH:
                return self._token(request) if request.method == "POST" else \
                    routes.error(405, "DEVELOPER_7001", f"The method {request.method} is not allowed for this URL")
            found = routes.route(request.method, request.path)
            if isinstance(found, Response):
                return found
            route, groups = found
            caller = self._caller(request, route.scope)
            if isinstance(caller, Response):
                return caller
            return route.answer(routes.Call(self.org, groups, request, caller, self.url))

    def throttled(self, request: Request, retry_after: float) -> Response:
        """A 429 the fault knobs ask for (with the knob's Retry-After, to test that it is honoured)."""
        response = routes.error(429, "DEVELOPER_7429", "Too many requests")
        response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        return response

    def server_error(self, request: Request, status: int) -> Response:
        return routes.error(status, "DEVELOPER_7500", "An internal error occurred")

    def _over_limit(self) -> Response | None:
        """Ramp's limit: over 200 in 10 s locks out for a minute, and each call during it starts the minute again."""
        if not self.enforce_rate_limits:
            return None
        now = self.clock()
        if now >= self._locked_until:
            while self._window and now - self._window[0] >= WINDOW:
                self._window.popleft()
            self._window.append(now)
            if len(self._window) <= WINDOW_LIMIT:
                return None
        self._locked_until = now + LOCKOUT
        response = routes.error(429, "DEVELOPER_7429", "Too many requests")
        if self.retry_after_header:
            response.headers["Retry-After"] = str(int(LOCKOUT))
        return response

    def _token(self, request: Request) -> Response:
        client = _basic(request.headers.get("authorization", ""))
        known = self.clients.get(client[0]) if client else None
        if client is None or known is None or not secrets.compare_digest(known[0], client[1]):
            return routes.error(401, "DEVELOPER_7002", "Client authentication failed")
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return routes.invalid({"grant_type": ["Missing data for required field."]})
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        grant, asked = form.get("grant_type"), form.get("scope")
        if grant not in ("authorization_code", "client_credentials", "refresh_token"):
            return routes.invalid({"grant_type": ["Must be one of: authorization_code, client_credentials, refresh_token."]})
        if grant not in known[2]:
            return routes.error(400, "DEVELOPER_7001", f"The grant type {grant} is not allowed for this application")
        if not asked:
            return routes.invalid({"scope": ["Field is required if grant_type=client_credentials."]})
        scopes = frozenset(asked.split()) & known[1]  # asked but not allowed: left out, not refused
        token = f"ramp_tok_{secrets.token_urlsafe(24)}"
        self.tokens[token] = (client[0], scopes, self.clock() + self.token_lifetime)
        body: dict[str, object] = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        if self.report_scope:
            body["scope"] = " ".join(sorted(scopes))
        return Response(200, body)

    def _caller(self, request: Request, scope: str) -> str | Response:
        """The acting user for a bearer token holding ``scope``; else Ramp's 401 or 403."""
        value = request.headers.get("authorization", "")
        token = value[7:].strip() if value.lower().startswith("bearer ") else ""
        if token not in self.tokens:
            return routes.error(401, "DEVELOPER_7002", "No valid auth token was found for this request")
        _, scopes, good_until = self.tokens[token]
        if self.clock() >= good_until:
            return routes.error(401, "DEVELOPER_7028", "The access token has expired")
        if scope not in scopes:
            return routes.error(403, "DEVELOPER_7100", f"These scopes are not allowed for this token: {scope}")
        return self.admin_id


def _basic(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return client_id, secret
