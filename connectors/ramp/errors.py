"""Turn Ramp's answers into offboard's error taxonomy, in sentences that say what to do.

Ramp answers an error with ``{"error_v2": {"error_code": "DEVELOPER_7002", "message": ...,
"fields_validation": {...}}, "error": {"message": ..., "details": {...}}}``. The HTTP status
decides the class (the same code, DEVELOPER_7002, is "not found" on a 404 and "no valid auth
token" on a 401); the code and message are quoted so a person can look them up. A missing
scope is 403 DEVELOPER_7100, whose message names the scope ("These scopes are not allowed for
this token: cards:write"). Throttling is 429: Ramp's documentation promises no Retry-After and
says the limit comes back "after a minute", each call meanwhile restarting the clock, so that
minute is the wait when the header is absent. Messages never carry a token or the client secret.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

import requests

from offboard.spi import AuthError, ConnectorError, FatalError, NotFoundError, RetriableError

SCOPES = ("users:read", "users:write", "cards:read", "cards:write")
MISSING_SCOPE = "DEVELOPER_7100"
RATE_LIMIT_WAIT = 60.0  # Ramp: "After a minute, the request limit will be replenished"
WHERE = "in Ramp, open Company > Developer (on older accounts Settings > Developer API)"
_SCOPE_IN_MESSAGE = re.compile(r"[a-z_]+:[a-z_]+")
_LONG = 200  # characters of Ramp's message quoted at most


class RefusedError(FatalError):
    """Ramp refused a request with an error code callers may want to tell apart."""

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def create_client_hint(id_env: str, secret_env: str) -> str:
    """How an admin makes the API client offboard needs, and where its credentials go."""
    return (f"{WHERE}, create an app (Create New App) with the Client Credentials grant type and the scopes "
            f"{' '.join(SCOPES)}, then export its client id in {id_env} and its client secret in {secret_env}")


def scope_hint(scopes: str) -> str:
    return (f"{WHERE}, select offboard's app and enable {scopes} under Scopes (Configure allowed scopes); "
            "the next token offboard asks for carries it")


def _one_line(text: object) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= _LONG else value[: _LONG - 1] + "…"


def body_of(response: requests.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def details(body: Mapping[str, Any]) -> tuple[str, str, str]:
    """Ramp's error code, its message, and its field errors as ``field: problem; ...``."""
    v2: Mapping[str, Any] = body["error_v2"] if isinstance(body.get("error_v2"), Mapping) else {}
    v1: Mapping[str, Any] = body["error"] if isinstance(body.get("error"), Mapping) else {}
    code = str(v2.get("error_code") or "")
    message = _one_line(v2.get("message") or v1.get("message") or "")
    fields = v2.get("fields_validation") or v1.get("details") or {}
    shown = []
    if isinstance(fields, Mapping):
        for name, problem in fields.items():
            text = "; ".join(map(str, problem)) if isinstance(problem, list) else str(problem)
            shown.append(f"{name}: {_one_line(text)}")
    return code, message, "; ".join(shown)


def _quoted(code: str, message: str) -> str:
    return ", ".join(part for part in (code, message) if part)


def retry_after(headers: Mapping[str, str], default: float | None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), else ``default``."""
    value = headers.get("Retry-After")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def from_response(what: str, scope: str, response: requests.Response, id_env: str, secret_env: str) -> ConnectorError:
    """Classify an answer to a resource request that was not 2xx; ``scope`` is the one the request needs."""
    status = response.status_code
    code, message, fields = details(body_of(response))
    said = _quoted(code, message)
    if status == 429:
        return RetriableError(f"Ramp throttled the request to {what} (over 200 requests in 10 seconds)",
                              retry_after=retry_after(response.headers, RATE_LIMIT_WAIT))
    if status >= 500:
        return RetriableError(f"Ramp could not {what} for now (HTTP {status}{', ' + said if said else ''})",
                              retry_after=retry_after(response.headers, None))
    if status == 401:
        return AuthError(f"Ramp refused the access token when asked to {what} (HTTP 401{', ' + said if said else ''}): "
                         f"the API client may have been deleted or its secret rotated; {create_client_hint(id_env, secret_env)}")
    if status == 403:
        if code == MISSING_SCOPE or "scope" in message.lower():
            named = " ".join(_SCOPE_IN_MESSAGE.findall(message)) or scope
            return AuthError(f"Ramp refused to {what}: offboard's API client lacks the scope {named}: {scope_hint(named)}")
        return AuthError(f"Ramp refused to {what} (HTTP 403{', ' + said if said else ''}): the API client may not do this; "
                         f"check that its app is installed for your business and has the scope {scope}")
    if status == 404:
        return NotFoundError(f"Ramp could not {what}: not found{' (' + said + ')' if said else ''}")
    if status in (400, 422):
        problem = f"{said}{'; ' if said and fields else ''}{'fields: ' + fields if fields else ''}"
        return RefusedError(f"Ramp refused to {what} as invalid (HTTP {status}{', ' + problem if problem else ''})", status, code)
    return RefusedError(f"Ramp could not {what} (HTTP {status}{', ' + said if said else ''})", status, code)


def from_token_response(response: requests.Response, id_env: str, secret_env: str) -> ConnectorError:
    """Classify a refused token request: bad credentials say where the right ones are made."""
    status = response.status_code
    code, message, _ = details(body_of(response))
    said = _quoted(code, message)
    if status in (400, 401, 403):
        return AuthError(f"Ramp refused the API client's credentials (HTTP {status}{', ' + said if said else ''}): "
                         f"check that {id_env} and {secret_env} hold the client id and secret of an app with the Client "
                         f"Credentials grant type, or {create_client_hint(id_env, secret_env)}")
    if status == 429 or status >= 500:
        return from_response("give an access token", "", response, id_env, secret_env)
    return FatalError(f"Ramp's token endpoint failed (HTTP {status}{', ' + said if said else ''})")


def from_exception(what: str, exc: BaseException) -> ConnectorError:
    """A request that got no answer: timeouts and resets are retriable, a bad request is not."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"Ramp did not answer in time when asked to {what}")
    if isinstance(exc, requests.ConnectionError):
        return RetriableError(f"could not reach Ramp to {what} ({type(exc).__name__})")
    return FatalError(f"could not ask Ramp to {what} ({type(exc).__name__})")
