"""Turn Brex's answers and requests' exceptions into offboard's error taxonomy, as sentences that say what to do.

Brex answers a failure with ``{"type", "message", "code"?}`` (developer.brex.com, Error codes): 401 for an
invalid or revoked token, 403 for an expired token and for what the token may not do, 404 with a ``code``
such as ``USER_NOT_FOUND``, 400 "[Field name] is invalid" when a free-text field holds more than ASCII,
429 over 1,000 requests in 60 seconds. Messages are built from the status, Brex's ``type``/``message``/
``code`` and the action's own words: never from the request, whose headers carry the token.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

import requests

from offboard.spi import AuthError, ConnectorError, FatalError, NotFoundError, RetriableError

# Brex's window is 60 seconds: when a 429 names no wait, half a window gets out of it without stalling a run long.
DEFAULT_RATELIMIT_WAIT = 30.0
TOKEN_STEPS = ("sign in to dashboard.brex.com as an account admin or card admin, open Developer > Settings, "
               "click Create Token, give it the scopes users and cards (not only their .readonly forms), "
               "and put the new token in {env}")
MESSAGE_LIMIT = 200  # Brex's message is shown to people; a proxy's HTML page is not


class BrexRefused(FatalError):
    """Brex refused a request (4xx but 401/403/404/429); ``status`` and ``type`` let callers tell cases apart."""

    def __init__(self, message: str, status: int, kind: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = kind


def scope_for(method: str, path: str) -> str:
    """The scope a request needs (Team API reference): ``users``/``cards``, or their ``.readonly`` form for a read."""
    area = "cards" if path.startswith("/v2/cards") else "users"
    return f"{area}.readonly or {area}" if method == "GET" else area


def from_response(what: str, method: str, path: str, response: requests.Response, token_env: str) -> ConnectorError:
    """Classify an answer that was not 2xx; ``what`` is the action in words ("lock card Travel ending 4242")."""
    status = response.status_code
    body = _body(response)
    kind, message, code = (str(body.get(k) or "") for k in ("type", "message", "code"))
    said = _said(status, kind, message, code)
    steps = TOKEN_STEPS.format(env=token_env)
    if status == 401:
        return AuthError(f"Brex refused the token in {token_env} ({said}): it is wrong, revoked or expired; {steps}")
    if status == 403 and "expired" in f"{kind} {message}".lower():
        return AuthError(f"Brex says the token in {token_env} expired ({said}): user tokens expire when left unused; "
                         f"{steps}")
    if status == 403:
        return AuthError(f"Brex refused to {what} ({said}): the token in {token_env} lacks the scope "
                         f"{scope_for(method, path)}, or its user is not an account admin or card admin; {steps}")
    if status == 404:
        return NotFoundError(f"Brex could not {what}: not found ({said})")
    if status == 429:
        return RetriableError(f"Brex throttled the request to {what} ({said}; Brex allows 1,000 requests a minute)",
                              retry_after=retry_after(response.headers, DEFAULT_RATELIMIT_WAIT))
    if status >= 500:
        return RetriableError(f"Brex could not {what} for now ({said})", retry_after=retry_after(response.headers))
    if status == 409:
        return BrexRefused(f"Brex refused to {what} ({said}): it says this request conflicts with an earlier one "
                           "under the same Idempotency-Key, which offboard derives from the action and its body; "
                           "nothing was changed by this request: run `offboard resume` to look again, or do it in "
                           "the Brex dashboard", status, kind)
    if status == 400 and message.rstrip(".").endswith("is invalid"):
        return BrexRefused(f"Brex refused to {what} ({said}): Brex accepts only ASCII characters in free-text "
                           "fields; this is a bug in offboard's Brex connector: report it, and do this step in the "
                           "Brex dashboard meanwhile", status, kind)
    return BrexRefused(f"Brex refused to {what} ({said}): report it as a bug in offboard's Brex connector (or a "
                       "change in Brex's API), and do this step in the Brex dashboard meanwhile", status, kind)


def from_exception(what: str, exc: requests.RequestException) -> ConnectorError:
    """A request that got no answer: a timeout or a reset connection may be retried, the rest is a bug."""
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"Brex did not answer in time to {what}")
    if isinstance(exc, requests.ConnectionError):
        return RetriableError(f"could not reach Brex to {what} ({type(exc).__name__})")
    return FatalError(f"the request to {what} could not be sent ({type(exc).__name__})")


def retry_after(headers: Mapping[str, str], default: float | None = None) -> float | None:
    """``Retry-After`` in seconds (a number, or an HTTP date); ``default`` when absent or unreadable."""
    value = headers.get("Retry-After")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def _body(response: requests.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _said(status: int, kind: str, message: str, code: str) -> str:
    """What Brex said, on one line: "HTTP 404 NOT_FOUND: Not Found, code USER_NOT_FOUND"."""
    words = " ".join(message.split())[:MESSAGE_LIMIT]
    said = f"HTTP {status}" + (f" {kind}" if kind else "") + (f": {words}" if words else "")
    return said + (f", code {code}" if code else "")
