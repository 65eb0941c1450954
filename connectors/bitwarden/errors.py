"""Bitwarden's answers sorted into offboard's error taxonomy, each as a sentence that says what to do.

The Public API answers errors as ``{"object": "error", "message": ..., "errors": {...} | null}``; a
missing member is 404 with an empty body; a bad, expired or missing token is 401 with an empty body;
throttling is 429 with ``Retry-After`` and "Slow down! Too many requests. Try again in 1s.". The
identity server answers OAuth errors (``{"error": "invalid_client"}``). Sentences are built from
Bitwarden's own messages and the request's purpose, never from a request or a header, so no key or
token can reach them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests

from offboard.spi import AuthError, ConnectorError, FatalError, NotFoundError, RetriableError

KEY_PLACE = "Admin Console > Settings > Organization info > API key"
DEFAULT_WAIT = 60.0  # the longest window of Bitwarden's limits, when an answer names no wait
PERIOD = re.compile(r"Try again in (\d+)([smhd])\b")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_CONSOLE = "in the Admin Console (Members, the member's menu"
REFUSALS = {  # Bitwarden's 400 message -> what it means and what to do, after "Bitwarden refused to <what>: "
    "Organization must have at least one confirmed owner.":
        "they are the organization's only confirmed owner. Make another member a confirmed owner "
        f"{_CONSOLE}, Role: Owner), then run offboard again",
    "You cannot revoke yourself.":
        f"the key's own account cannot revoke itself. Another owner revokes them {_CONSOLE}, Revoke access)",
    "Only owners can revoke other owners.":
        f"they are an owner, and only an owner may revoke an owner. An owner revokes them {_CONSOLE}, Revoke access)",
    "Custom users can not revoke admins.":
        f"they are an admin, and a custom role may not revoke admins. An owner or admin revokes them {_CONSOLE}, "
        "Revoke access)",
    "You cannot restore yourself.":
        f"the key's own account cannot restore itself. Another owner restores them {_CONSOLE}, Restore access)",
    "Only owners can restore other owners.":
        f"they are an owner, and only an owner may restore an owner. An owner restores them {_CONSOLE}, Restore access)",
    "Custom users can not restore admins.":
        f"they are an admin, and a custom role may not restore admins. An owner or admin restores them {_CONSOLE}, "
        "Restore access)",
}
POLICY = ("is not compliant with the two-step login policy.",
          "is not compliant with the single organization membership and two-step login policy.")


class RefusedError(FatalError):
    """A 400 from Bitwarden; ``message`` is Bitwarden's own (callers tell "Already revoked." apart)."""

    def __init__(self, sentence: str, message: str) -> None:
        super().__init__(sentence)
        self.message = message


class RouteMissing(FatalError):
    """405: this server has the path but not for this method (or no such endpoint behind a proxy)."""


def body_of(response: requests.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def retry_after(headers: Mapping[str, str], message: str = "") -> float:
    """``Retry-After`` in seconds; else the period the message names ("Try again in 1m."); else a minute."""
    value = headers.get("Retry-After")
    try:
        if value is not None:
            return max(0.0, float(value))
    except ValueError:
        pass
    if m := PERIOD.search(message):
        return float(int(m[1]) * SECONDS[m[2]])
    return DEFAULT_WAIT


def from_response(what: str, response: requests.Response) -> ConnectorError:
    """Classify an API answer that was not 2xx. ``what`` is a verb phrase: "revoke bob@example.org"."""
    status, data = response.status_code, body_of(response)
    message = str(data.get("message") or "") if isinstance(data, dict) else ""
    if status == 429:
        return RetriableError(f"Bitwarden throttled the request to {what}: {message or 'HTTP 429'}",
                              retry_after=retry_after(response.headers, message))
    if status >= 500:
        wait = retry_after(response.headers) if "Retry-After" in response.headers else None
        return RetriableError(f"Bitwarden could not {what} for now (HTTP {status}): it is retried", retry_after=wait)
    if status == 401:
        return AuthError(f"Bitwarden did not accept offboard's access token to {what} (HTTP 401): the organization's "
                         "API key is wrong or was rotated, or the organization may not use the API (its plan must "
                         f"include it). Copy the current key from the {KEY_PLACE}")
    if status == 403:
        return AuthError(f"Bitwarden refused to {what} (HTTP 403): the key is not an organization API key. Use the "
                         f"organization's key (client id organization.<id>, scope api.organization) from the {KEY_PLACE}")
    if status == 404:
        return NotFoundError(f"Bitwarden could not {what}: not found (HTTP 404)")
    if status == 405:
        return RouteMissing(f"Bitwarden could not {what}: this server has no such endpoint (HTTP 405)")
    if status == 400:
        return refused(what, message, data.get("errors") if isinstance(data, dict) else None)
    return FatalError(f"Bitwarden could not {what} (HTTP {status})")


def refused(what: str, message: str, errors: Any = None) -> RefusedError:
    if message in REFUSALS:
        return RefusedError(f"Bitwarden refused to {what}: {REFUSALS[message]} (Bitwarden said: \"{message}\")", message)
    if message.endswith(POLICY):
        return RefusedError(f"Bitwarden refused to {what}: \"{message}\" They must turn on two-step login (and, "
                            "where the policy says so, leave their other organizations); then run offboard again",
                            message)
    detail = ""
    if isinstance(errors, dict) and errors:
        detail = " (" + "; ".join(f"{key or 'body'}: {' '.join(map(str, v))}" for key, v in errors.items()) + ")"
    return RefusedError(f"Bitwarden refused to {what}: {message or 'HTTP 400'}{detail}", message)


def from_token_response(response: requests.Response, id_env: str, secret_env: str) -> ConnectorError:
    """Classify the identity server's answer to a token request that was not 200."""
    status = response.status_code
    data = body_of(response)
    code = str(data.get("error") or "") if isinstance(data, dict) else ""
    if status == 429:
        message = str(data.get("message") or "") if isinstance(data, dict) else ""
        return RetriableError("Bitwarden's identity server throttled the token request",
                              retry_after=retry_after(response.headers, message))
    if status >= 500:
        return RetriableError(f"Bitwarden's identity server could not issue a token for now (HTTP {status})")
    if code == "invalid_client":
        return AuthError(f"Bitwarden's identity server refused the organization API key (invalid_client): the client "
                         f"id in {id_env} or the secret in {secret_env} is wrong, the key was rotated, or the "
                         f"organization may not use the API. Copy the key from the {KEY_PLACE} and export both")
    if code in ("invalid_scope", "unauthorized_client", "unsupported_grant_type"):
        return AuthError(f"Bitwarden's identity server refused the token request ({code}): {id_env} must hold an "
                         f"organization API key's client id (organization.<id>), from the {KEY_PLACE}")
    if status == 404:
        return FatalError("Bitwarden's identity server was not found (HTTP 404 for connect/token): check "
                          "identity_url (https://HOST/identity for a self-hosted server)")
    return FatalError(f"Bitwarden's identity server refused the token request ({code or f'HTTP {status}'})")


def from_exception(what: str, exc: requests.RequestException) -> ConnectorError:
    """A request that got no answer: timeouts and resets are retried; a bad address or certificate is not."""
    if isinstance(exc, requests.exceptions.SSLError):
        return FatalError(f"could not reach Bitwarden to {what}: the server's TLS certificate was not accepted "
                          "(check api_url and identity_url, and the certificate of a self-hosted server)")
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        return RetriableError(f"could not reach Bitwarden to {what} ({type(exc).__name__}): it is retried")
    return FatalError(f"could not send the request to {what} to Bitwarden ({type(exc).__name__})")
