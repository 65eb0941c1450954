"""Turn Open Collective's answers into offboard's error taxonomy, as sentences that say what to do.

Open Collective answers a refused GraphQL call with HTTP 200 and ``errors[].extensions.code``
(Apollo Server): ``Unauthorized``, ``Forbidden``, ``NotFound``, ``2FA_REQUIRED``..., and a
plain ``INTERNAL_SERVER_ERROR`` for errors its code throws untyped (the 2FA pre-authorization
one among them, told apart by its message). A query the schema rejects is HTTP 400
(``GRAPHQL_VALIDATION_FAILED``); an unknown token is HTTP 401 before GraphQL runs, and its
message repeats the token, so no server message is ever shown for it; throttling is HTTP 429
with a fractional ``Retry-After`` ("37.512"). Every server message shown is scrubbed of the
token anyway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests

from offboard.spi import AuthError, ConnectorError, FatalError, NotFoundError, RetriableError

WINDOW = 60.0  # seconds: the limit's window, waited when a 429 names no wait
LIMIT_SENTENCE = "Open Collective allows 100 requests a minute per personal token"
TEAM = "the collective's Settings > Team"
TOKEN_PAGE = ("your personal token's settings on Open Collective (your account's Settings > For developers > "
              "Personal tokens; https://docs.opencollective.com/help/developers/personal-tokens)")
REQUEST_ERRORS = ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT", "BAD_REQUEST")
HOST_POLICY = re.compile(r"requires at least (\d+) admins")


class Refused(FatalError):
    """Open Collective refused a call: its error code and message, for callers that tell cases apart."""

    def __init__(self, message: str, code: str, server_message: str) -> None:
        super().__init__(message)
        self.code = code
        self.server_message = server_message


def scrub(text: str, token: str, limit: int = 300) -> str:
    """A server message fit for a sentence: one line, short, and never the token."""
    if token:
        text = text.replace(token, "[the token]")
    return " ".join(text.split())[:limit]


def from_exception(what: str, exc: requests.RequestException) -> ConnectorError:
    """Timeouts and dropped connections are retried by the engine; anything else is a bug or a bad URL."""
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"Open Collective did not answer in time while {what}")
    if isinstance(exc, requests.ConnectionError):
        return RetriableError(f"could not reach Open Collective while {what} ({type(exc).__name__})")
    return FatalError(f"the request to Open Collective could not be sent while {what} ({type(exc).__name__}): "
                      "check api_url")


def retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds, fractions kept ("37.512"); None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def from_http(what: str, response: requests.Response, token: str, token_env: str) -> ConnectorError:
    """An answer that is not HTTP 200: throttling, an outage, a refused token, a query the schema rejects."""
    status = response.status_code
    if status == 429:
        return RetriableError(f"Open Collective throttled the token while {what}: {LIMIT_SENTENCE}",
                              retry_after=retry_after(response) or WINDOW)
    if status >= 500:
        return RetriableError(f"Open Collective failed for now while {what} (HTTP {status})",
                              retry_after=retry_after(response))
    message = _message(response)
    if status == 401:
        return _unauthenticated(message, token_env)
    errors = _errors(response)
    if errors:
        code = str((errors[0].get("extensions") or {}).get("code") or "")
        if code in REQUEST_ERRORS:
            return FatalError(f"Open Collective rejected the query offboard sent while {what} ({code}: "
                              f"{scrub(str(errors[0].get('message') or ''), token)}): its API may have changed; "
                              "update offboard, or report this sentence to offboard's maintainers")
    detail = f": {scrub(message, token)}" if message else ""
    return FatalError(f"Open Collective answered HTTP {status} while {what}{detail}: check api_url "
                      "(https://api.opencollective.com/graphql/v2)")


def _unauthenticated(message: str, token_env: str) -> AuthError:
    """HTTP 401 from the token check; its message repeats the token, so only its kind is told."""
    lowered = message.lower()
    if "expired" in lowered:
        why = "has expired"
    elif "suspended" in lowered:
        return AuthError(f"Open Collective has suspended the personal token in {token_env} (it says: likely for abuse): "
                         "write to support@opencollective.com, or create a new token")
    elif "limited" in lowered:
        return AuthError("Open Collective has limited the account of the token's user: write to "
                         "support@opencollective.com, or use a personal token of another admin of the collective")
    elif "for collective" in lowered:
        why = "belongs to an account its user no longer administers"
    else:
        why = "is wrong or was deleted"
    return AuthError(f"Open Collective rejected the personal token in {token_env}: it {why}; create a new one in "
                     f"{TOKEN_PAGE} with the scope 'account', and put it in {token_env}")


def from_graphql(what: str, error: Mapping[str, Any], collective: str, token: str, token_env: str) -> ConnectorError:
    """The first error of an HTTP 200 answer (``errors[0]``), by ``extensions.code`` and, where the code is
    generic, by the message."""
    code = str((error.get("extensions") or {}).get("code") or "")
    message = scrub(str(error.get("message") or ""), token)
    if "not pre-authorized for 2FA" in message or message.startswith("Two-factor authentication required"):
        return AuthError(f"the token's user has two-factor authentication, and the personal token in {token_env} is not "
                         f"pre-authorized for it: open {TOKEN_PAGE}, tick \"Allow this token to directly use operations "
                         "that would normally require 2FA\" (Advanced privileges), click Update token and give your 2FA "
                         "code, then run again")
    if code == "2FA_REQUIRED":
        return AuthError(f"{collective} requires two-factor authentication of its admins and the token's user has none: "
                         "set it up in the user's Settings > Security on Open Collective, then pre-authorize the "
                         f"personal token in {TOKEN_PAGE}, and run again")
    if 'scope "account"' in message:
        return AuthError(f"the personal token in {token_env} lacks the scope 'account', which managing a team needs: "
                         f"add it under Scopes in {TOKEN_PAGE} (or create a new token with it)")
    if message.startswith(("You need to be logged in", "You need to be authenticated")):
        return AuthError(f"Open Collective took the request as anonymous while {what}: check that {token_env} holds a "
                         f"personal token, made in {TOKEN_PAGE}")
    if code == "Unauthorized" or message.startswith("Only admins can"):
        return AuthError(f"the token's user is not an admin of {collective}, and Open Collective lets only its admins "
                         f"manage its team ({message}): use a personal token of one of its admins, listed in {TEAM}")
    if "There must be at least one admin" in message:
        return Refused(f"Open Collective refuses to remove the last admin of {collective}: first invite another admin "
                       f"in {TEAM} and wait until they accept, then apply this again", code, message)
    if policy := HOST_POLICY.search(message):
        return Refused(f"the fiscal host of {collective} requires at least {policy[1]} admins, and this removal would "
                       f"leave fewer: first invite another admin in {TEAM} and wait until they accept, then apply this "
                       "again", code, message)
    if code == "NotFound" or message.startswith("No collective found"):
        return NotFoundError(f"Open Collective found nothing while {what}: {message}")
    if code == "RateLimitExceeded":
        return RetriableError(f"Open Collective throttled the token while {what}: {message}", retry_after=WINDOW)
    return Refused(f"Open Collective refused {what}: {message} ({code or 'no code'})", code, message)


def _message(response: requests.Response) -> str:
    """``error.message`` (Express's errors) or ``errors[0].message`` (GraphQL's), else nothing."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        if isinstance(body.get("error"), dict):
            return str(body["error"].get("message") or "")
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message") or "")
    return ""


def _errors(response: requests.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
