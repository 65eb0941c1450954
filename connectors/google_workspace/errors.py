"""Google's errors, sorted into the engine's taxonomy. The connector itself never retries.

Retriable: 429, 5xx, 403 for rate and quota reasons, timeouts, broken connections and a
token endpoint that is down. Never retried: 400, 404, 409, 412 and the auth errors, whose
messages say what to grant. The written notice's Gmail send differs in one way: a 5xx after
the message was handed over is ``DeliveryUnknown`` (``from_mail_http_error``). Messages quote
Google's reason and message, which carry no token or key material. No Google library is
imported here: ``api`` hands over what it caught.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

from offboard.spi import AuthError, ConnectorError, DeliveryUnknown, FatalError, NotFoundError, RetriableError

RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "backendError"})
DELEGATION_PAGE = "Admin console > Security > API controls > Domain-wide delegation"


def _reason_and_message(content: bytes) -> tuple[str, str]:
    try:
        error = json.loads(content or b"{}").get("error", {})
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(error, dict):  # the OAuth endpoints answer {"error": "invalid_grant", ...}
        return str(error), ""
    errors = error.get("errors") or [{}]
    return str(errors[0].get("reason", "")), str(error.get("message", ""))


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: let the engine's backoff decide


def from_http_error(exc: Any, what: str) -> ConnectorError:
    """Classify a googleapiclient ``HttpError`` raised while doing ``what``."""
    status = int(exc.resp.status)
    reason, message = _reason_and_message(exc.content)
    said = f"{what}: Google answered {status}" + (f" {reason}" if reason else "") + (f": {message}" if message else "")
    if status == 429 or status >= 500 or (status == 403 and reason in RATE_REASONS):
        return RetriableError(said, retry_after=_retry_after(exc.resp))
    if status == 401:
        return AuthError(f"{said} (the access token was refused: check the service account key)")
    if status == 403:
        if reason == "accessNotConfigured":
            return AuthError(f"{what}: {_api_title(message)} is not enabled in the service account's Google Cloud "
                             f"project: enable it in Google Cloud console > APIs & Services > Library, then try again")
        if reason == "insufficientPermissions":
            return AuthError(f"{said} (authorize every scope the connector lists in {DELEGATION_PAGE})")
        return AuthError(f"{said} (the admin the service account acts as needs the admin privilege for this)")
    if status == 404:
        return NotFoundError(said)
    return FatalError(said)


def _api_title(message: str) -> str:
    """"Gmail API has not been used in project 1 before..." -> "the Gmail API"."""
    title = message.split(" has not been used", 1)[0].strip()
    return f"the {title}" if title and " has not been used" in message and len(title) < 60 else "an API it needs"


def from_transport_error(exc: BaseException, what: str) -> RetriableError:
    """Timeouts, resets and unreachable hosts: worth another try later."""
    return RetriableError(f"{what}: connection problem ({type(exc).__name__}: {exc})")


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException, OSError,
)


def oauth_error(exc: BaseException) -> tuple[str, dict[str, Any]]:
    """The token endpoint's error code and JSON answer, as google-auth's ``RefreshError`` carries them."""
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    error = data.get("error", "")
    if isinstance(error, dict):  # a Google API error body instead of an OAuth one
        error = error.get("status") or error.get("code") or "error"
    return str(error), data


def from_refresh_error(exc: BaseException, what: str, subject: str) -> ConnectorError:
    """A token grant refused for another reason than its scopes (``api`` names those by asking for each)."""
    error, data = oauth_error(exc)
    if getattr(exc, "retryable", False):
        return RetriableError(f"{what}: the token endpoint is unavailable ({error or 'no answer'})")
    if error == "invalid_grant" and data.get("error_description") == "Invalid email or User ID":
        return AuthError(f"{what}: the service account cannot act as {subject}: no such user in the domain")
    detail = data.get("error_description") or error or "refused"
    return AuthError(f"{what}: the token endpoint refused the service account ({error}: {detail}); "
                     "check the key file and that the key is not revoked")


def missing_scopes_error(client_id: str, subject: str, missing: list[str]) -> AuthError:
    """The text an admin needs: which scopes to authorize, for which client ID, and where."""
    noun = "scope" if len(missing) == 1 else "scopes"
    return AuthError(
        f"the service account (client ID {client_id}) is not authorized for {noun} {', '.join(missing)} "
        f"(acting as {subject}): add {'it' if len(missing) == 1 else 'them'} to client ID {client_id} "
        f"in the {DELEGATION_PAGE}"
    )


def from_mail_http_error(exc: Any, what: str, *, sender: str, scope: str, client_id: str,
                         sent: bool = False) -> ConnectorError:
    """Classify Google's answer to a Gmail call of the written notice, made as ``sender`` with ``scope``.

    ``sent``: the call was the send. Google refused it (429, a rate reason, any 4xx): nothing went.
    A 5xx came after Google took the message and may have sent it: ``DeliveryUnknown``, so that it is
    looked up by its Message-ID rather than sent again on a guess.
    """
    status = int(exc.resp.status)
    reason, message = _reason_and_message(exc.content)
    said = f"{what}: Google answered {status}" + (f" {reason}" if reason else "") + (f": {message}" if message else "")
    if status == 429 or (status == 403 and reason in RATE_REASONS - {"backendError"}):
        return RetriableError(said, retry_after=_retry_after(exc.resp))
    if status >= 500:
        if sent:
            return DeliveryUnknown(f"{said}; the message may have been sent: look it up by its Message-ID "
                                   "before sending it again")
        return RetriableError(said, retry_after=_retry_after(exc.resp))
    if status == 401:
        return AuthError(f"{said} (the access token was refused: check the service account key)")
    if status == 403 and reason == "insufficientPermissions":
        return AuthError(f"{said}: {missing_scopes_error(client_id, sender, [scope])}")
    if status == 403 and message.startswith("Delegation denied"):
        return AuthError(f"{said} (a mailbox is used with a token delegated to its owner: act as {sender})")
    if status == 403:
        return AuthError(f"{said} (check that client ID {client_id} is authorized for {scope} in the {DELEGATION_PAGE})")
    if status == 400 and reason == "failedPrecondition":
        return FatalError(f"{said} ({sender} is suspended or has no Gmail: the notice cannot be sent as {sender})")
    if status == 404:
        return NotFoundError(said)
    return FatalError(said)
