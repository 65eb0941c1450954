"""A stateful fake Bitwarden on 127.0.0.1: its identity server and its API, as a self-hosted server lays them out.

``/identity/connect/token`` issues access tokens for the organization's API key (form post,
``client_credentials``, client id ``organization.<orgId>``, scope ``api.organization``, one hour),
with IdentityServer's error bodies (``{"error": "invalid_client"}``...). ``/api/public/...`` is the
Public API (``public_api``), Bearer tokens checked as the server does: none, unknown or expired is
401 with an empty body, a token without the organization scope is 403. ``/api/config`` and
``/api/alive`` answer anyone. Knobs: ``old_server`` (no revoke or restore, version 2025.12.1),
``enforce_rate_limits`` (the cloud's per-IP limits, 429 with ``Retry-After``), ``expire_tokens``,
``refuse`` (the next matching request gets a given 400 message), ``org.use_api`` (the organization's
API switched off), and the base class's faults.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

from offboard.testing.emulation import Emulator, Faults, LoggedRequest, Request, Response

from . import public_api
from .limits import API_RULES, IDENTITY_RULES, Limiter, quota_exceeded
from .state import Organization

SCOPE = "api.organization"
LIFETIME = 3600  # AccessTokenLifetime of OrganizationClientProvider
TOKEN_PATH = "/identity/connect/token"
NEW_VERSION, OLD_VERSION = "2026.8.0", "2025.12.1"  # revoke and restore came with 2026.2.0


class BitwardenEmulator(Emulator):
    """Fake Bitwarden (identity and API). ``org`` is the organization; ``client_id`` and ``client_secret`` its key."""

    name = "bitwarden"

    def __init__(self, org_name: str = "Example Volunteers", *, old_server: bool = False,
                 enforce_rate_limits: bool = False, faults: Faults | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(faults)
        self.org = Organization(org_name)
        self.old_server = old_server
        self.enforce_rate_limits = enforce_rate_limits
        self.clock = clock
        self.tokens: dict[str, tuple[float, frozenset[str]]] = {}  # access token -> (expiry, scopes)
        self._refusals: deque[tuple[str, str, str, int]] = deque()
        self._api_limits = Limiter(API_RULES, lambda: self.clock())
        self._identity_limits = Limiter(IDENTITY_RULES, lambda: self.clock())

    # ------------------------------------------------------------ what tests read

    @property
    def client_id(self) -> str:
        return f"organization.{self.org.id}"

    @property
    def client_secret(self) -> str:
        return self.org.api_key

    @property
    def version(self) -> str:
        return OLD_VERSION if self.old_server else NEW_VERSION

    def token_requests(self) -> list[LoggedRequest]:
        return self.requests("POST", TOKEN_PATH)

    def writes(self) -> list[LoggedRequest]:
        """Requests that change the organization: a token request is a POST that changes nothing."""
        with self.lock:
            return [r for r in self.log if r.is_write and r.path != TOKEN_PATH]

    # ------------------------------------------------------------ controls

    def issue_token(self, scopes: frozenset[str] = frozenset({SCOPE}), lifetime: float = LIFETIME) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (self.clock() + lifetime, scopes)
        return token

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (its hour is over, or the key was rotated)."""
        with self.lock:
            self.tokens.clear()

    def refuse(self, method: str, path_contains: str, message: str, status: int = 400) -> None:
        """The next ``method`` request whose path contains ``path_contains`` answers this ErrorResponseModel."""
        with self.lock:
            self._refusals.append((method, path_contains, message, status))

    # ------------------------------------------------------------ HTTP surface

    def handle(self, request: Request) -> Response:
        with self.lock:
            if request.path.startswith("/identity/"):
                return self._identity(request, request.path.removeprefix("/identity"))
            if request.path.startswith("/api/"):
                return self._api(request, request.path.removeprefix("/api"))
            return public_api.empty(404)

    def throttled(self, request: Request, retry_after: float) -> Response:
        return quota_exceeded("1s" if retry_after <= 1 else "1m", int(retry_after + 0.999))

    def server_error(self, request: Request, status: int) -> Response:
        if request.path.startswith("/identity/"):
            return Response(status, {"error": "server_error"})
        return public_api.error("An unhandled server error has occurred.", status)

    # ------------------------------------------------------------ identity

    def _identity(self, request: Request, path: str) -> Response:
        if self.enforce_rate_limits and (over := self._identity_limits.check(request.method, path)):
            return over
        if path.rstrip("/").lower() != "/connect/token":
            return public_api.empty(404)
        if request.method != "POST":
            return public_api.empty(405)
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return _oauth_error("invalid_request")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace"), keep_blank_values=True).items()}
        if (form.get("client_id") != self.client_id or not secrets.compare_digest(form.get("client_secret", ""),
                                                                                   self.org.api_key)
                or not self.org.use_api):
            return _oauth_error("invalid_client")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type")
        wanted = set((form.get("scope") or SCOPE).split())
        if not wanted <= {SCOPE}:
            return _oauth_error("invalid_scope")
        token = self.issue_token()
        return Response(200, {"access_token": token, "expires_in": LIFETIME, "token_type": "Bearer", "scope": SCOPE},
                        {"Cache-Control": "no-store, no-cache, max-age=0", "Pragma": "no-cache"})

    # ------------------------------------------------------------ API

    def _api(self, request: Request, path: str) -> Response:
        if self.enforce_rate_limits and (over := self._api_limits.check(request.method, path)):
            return over
        if path.rstrip("/").lower() in ("/config", "/alive"):
            if request.method != "GET":
                return public_api.empty(405, {"Allow": "GET"})
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            if path.rstrip("/").lower() == "/alive":
                return Response(200, now)
            return Response(200, {"object": "config", "version": self.version, "gitHash": "0000000",
                                  "server": None, "environment": {"cloudRegion": None}, "featureStates": {}})
        routed = public_api.route(path, request.method, self.old_server)
        handler, _, refused = routed
        if handler is None and refused is not None and refused.status in (404, 405):
            return refused  # routing answers before authentication and authorization
        denied = self._denied(request)
        if denied is not None:
            return denied
        for entry in list(self._refusals):
            method, fragment, message, status = entry
            if method == request.method and fragment in path:
                self._refusals.remove(entry)
                return public_api.error(message, status)
        return public_api.answer(self.org, request, path, self.old_server, routed)

    def _denied(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        expiry, scopes = self.tokens.get(token, (0.0, frozenset()))
        if not token or expiry <= self.clock():
            challenge = 'Bearer error="invalid_token"' if token else "Bearer"
            return public_api.empty(401, {"WWW-Authenticate": challenge})
        if SCOPE not in scopes:
            return public_api.empty(403)
        return None


def _oauth_error(code: str) -> Response:
    return Response(400, {"error": code}, {"Cache-Control": "no-store, no-cache, max-age=0", "Pragma": "no-cache"})
