"""A stateful fake Brex Team API on 127.0.0.1, for tests, the contract kit and ``offboard demo``: its HTTP side.

What it checks, in Brex's order as far as it is known: the path and method; the Bearer token (401
``UNAUTHORIZED`` "PERMISSION_DENIED: Invalid or Revoked Token" for an unknown one, 403 "Expired token"
for an expired one, 403 for a missing scope: ``users``/``cards`` to write, or their ``.readonly`` form
to read); the rate limit (1,000 requests in 60 seconds per token, 429 with ``Retry-After``); the
``Idempotency-Key`` of a POST or PUT; then the request itself (``routes``). Errors are Brex's
``{type, message, code?}``.

Idempotency (developer.brex.com, Idempotency): a repeat of a request under the same key gets the
first answer again and changes nothing. Two things there are UNCONFIRMED and the emulator takes the
harsher reading: a key is remembered for ever (``forget_idempotency_keys`` plays its expiry), and
the same key with another method, path or body is refused with 409 ``CONFLICT``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from offboard.testing.emulation import Emulator, Faults, Request, Response

from . import routes
from .state import Account, Refused

SCOPES = ("users", "users.readonly", "cards", "cards.readonly")
RATE_LIMIT = (1000, 60.0)  # requests, seconds (developer.brex.com, Rate limits)
INVALID_TOKEN = Refused(401, "UNAUTHORIZED", "PERMISSION_DENIED: Invalid or Revoked Token")
EXPIRED_TOKEN = Refused(403, "FORBIDDEN", "Expired token")  # the Error codes page's 403 "Expired token"; type UNCONFIRMED


@dataclass
class Token:
    user_id: str
    scopes: frozenset[str]
    expired: bool = False


class BrexEmulator(Emulator):
    """Fake Brex. Controls: ``account`` (users and cards), ``issue_token``, ``expire``, ``forget_idempotency_keys``,
    ``rate_limit``; ``replays`` counts the answers given again under a known key."""

    name = "brex"

    def __init__(self, faults: Faults | None = None, admin_email: str = "admin@example.org",
                 rate_limit: tuple[int, float] = RATE_LIMIT) -> None:
        super().__init__(faults)
        self.account = Account()
        self.rate_limit = rate_limit
        self.tokens: dict[str, Token] = {}
        self.admin_id = self.account.add_user("Finance", "Admin", admin_email)
        self.admin_token = self.issue_token()
        self.replays = 0
        self._keys: dict[str, tuple[tuple[str, str, Any], Response]] = {}
        self._windows: dict[str, deque[float]] = {}

    # ------------------------------------------------------------ controls

    def issue_token(self, scopes: Sequence[str] = ("users", "cards"), user: str | None = None) -> str:
        """A user token (``bxt_...``) of ``user`` (the admin by default) with ``scopes``."""
        token = f"bxt_{secrets.token_urlsafe(24)}"
        with self.lock:
            self.tokens[token] = Token(user or self.admin_id, frozenset(scopes))
        return token

    def expire(self, token: str) -> None:
        """What Brex does to a user token left unused too long."""
        with self.lock:
            self.tokens[token].expired = True

    def forget_idempotency_keys(self) -> None:
        """Brex's retention of keys ending (its length is UNCONFIRMED)."""
        with self.lock:
            self._keys.clear()

    def status_of(self, object_id: str) -> str:
        """A user's or a card's status, for assertions."""
        with self.lock:
            found = self.account.users.get(object_id) or self.account.cards[object_id]
            return found.status

    # ------------------------------------------------------------ HTTP surface

    def handle(self, request: Request) -> Response:
        with self.lock:
            try:
                return self._handle(request)
            except Refused as refused:
                return _refusal(refused)

    def throttled(self, request: Request, retry_after: float) -> Response:
        headers = {"Retry-After": str(max(1, int(retry_after + 0.999)))}  # Retry-After itself UNCONFIRMED
        return Response(429, {"type": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"}, headers)

    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, {"type": "INTERNAL_SERVER_ERROR", "message": "Internal Server Error"})

    def _handle(self, request: Request) -> Response:
        handler, area, writes, object_id = routes.route(request.method, request.path)
        token = self._token(request)
        wanted = {area} if writes else {area, f"{area}.readonly"}
        if not token.scopes & wanted:
            raise Refused(403, "FORBIDDEN", "PERMISSION_DENIED: Insufficient scopes")  # message UNCONFIRMED
        if wait := self._over_limit(request):
            return self.throttled(request, wait)
        key = request.headers.get("idempotency-key") if writes else None  # "no effect" on GET (Idempotency page)
        body = _json(request) if writes else None
        fingerprint = (request.method, request.path, body)
        if key is not None and key in self._keys:
            seen, answer = self._keys[key]
            if seen != fingerprint:
                raise Refused(409, "CONFLICT", "Idempotency-Key was already used with a different request")
            self.replays += 1
            return Response(answer.status, answer.body, dict(answer.headers))
        call = routes.Call({k: v[-1] for k, v in request.query.items()}, body, token.user_id)
        try:
            status, payload = handler(self.account, object_id, call)
            answer = Response(status, payload)
        except Refused as refused:
            answer = _refusal(refused)
        if key is not None and answer.status < 500:
            self._keys[key] = (fingerprint, answer)
        return answer

    def _token(self, request: Request) -> Token:
        value = request.headers.get("authorization", "")
        token = self.tokens.get(value[7:].strip()) if value.lower().startswith("bearer ") else None
        if token is None:
            raise INVALID_TOKEN
        if token.expired:
            raise EXPIRED_TOKEN
        return token

    def _over_limit(self, request: Request) -> float | None:
        """Seconds to wait when this token already made ``rate_limit`` requests in the window."""
        limit, seconds = self.rate_limit
        now = time.monotonic()
        window = self._windows.setdefault(request.headers.get("authorization", ""), deque())
        while window and now - window[0] >= seconds:
            window.popleft()
        if len(window) >= limit:
            return seconds - (now - window[0])
        window.append(now)
        return None


def _json(request: Request) -> Any:
    """The JSON body of a write; None when it has none. Brex reads JSON only (UNCONFIRMED: the status it gives)."""
    if not request.body:
        return None
    if "application/json" not in request.headers.get("content-type", ""):
        raise Refused(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
    try:
        return json.loads(request.body)
    except ValueError:
        raise Refused(400, "BAD_REQUEST", "Request body is not valid JSON") from None


def _refusal(refused: Refused) -> Response:
    return Response(refused.status, refused.body())
