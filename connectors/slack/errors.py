"""Turn what slack-sdk raises or returns into offboard's error taxonomy.

The engine retries only ``RetriableError`` and honours its ``retry_after``, so this is
where Slack's two throttling forms (HTTP 429 with ``Retry-After``, and HTTP 200 with
``{"ok": false, "error": "ratelimited"}``) become one thing. Messages are built from
the method name and Slack's error code only: never from the exception text, whose
request arguments carry the token.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Mapping
from typing import Any
from urllib.error import URLError

from offboard.spi import AuthError, ConnectorError, FatalError, NotFoundError, RetriableError

# Slack's one-minute windows: when a "ratelimited" answer names no wait, half a window
# is a safe guess that does not stall a run for long (slack-sdk itself waits only 1 s,
# which is usually too short to get out of a per-minute limit).
DEFAULT_RATELIMIT_WAIT = 30.0

RETRIABLE_CODES = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
                             "request_timeout"})
PLAN_CODES = frozenset({"plan_upgrade_required", "feature_not_enabled", "paid_only"})
NOT_FOUND_CODES = frozenset({"user_not_found", "users_not_found", "channel_not_found", "no_such_subteam"})
AUTH_HINTS = {
    "not_authed": "no token was sent: check the environment variable the config names",
    "invalid_auth": "Slack rejected the token: it is wrong or was revoked; create a new one",
    "token_revoked": "the token was revoked: create a new one",
    "token_expired": "the token expired: create a new one (or turn off token rotation)",
    "account_inactive": "the token belongs to a deactivated user: use an active admin's token",
    "not_allowed_token_type": "this method needs a user token (xoxp-), not a bot token",
    "no_permission": "the token's user is not allowed to do this: use a workspace admin's token",
    "not_an_admin": "the token's user is not an admin: use an admin's or owner's token",
    "permission_denied": "the token's user may not do this: check the workspace's permission settings",
    "restricted_action": "a workspace preference stops the token's user from doing this",
    "ekm_access_denied": "Slack's Enterprise Key Management refused access",
    "access_denied": "Slack denied access to this resource",
    "org_login_required": "the workspace is being migrated to an Enterprise Grid org: try again later",
    "two_factor_setup_required": "the token's user must set up two-factor authentication",
}


class RefusedError(FatalError):
    """Slack refused a call with an error code that callers may want to tell apart."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class PlanLimitError(RefusedError):
    """The workspace's plan does not offer the feature (user groups on Free, admin.* off Grid)."""

    def __init__(self, method: str, code: str) -> None:
        super().__init__(f"Slack {method}: {code}: the workspace's plan does not include this feature", code)


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A response header, case-insensitively (urllib keeps the server's spelling)."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else str(value)
    return None


def retry_after(headers: Mapping[str, Any] | None) -> float:
    value = header(headers, "Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RATELIMIT_WAIT
    except ValueError:
        return DEFAULT_RATELIMIT_WAIT


def from_api_error(method: str, status: int, data: Mapping[str, Any], headers: Mapping[str, Any]) -> ConnectorError:
    """Classify a Web API answer that was not ``ok``."""
    code = str(data.get("error") or f"http_{status}")
    if status == 429 or code in {"ratelimited", "rate_limited"}:
        return RetriableError(f"Slack throttled {method}", retry_after=retry_after(headers))
    if status >= 500 or code in RETRIABLE_CODES:
        return RetriableError(f"Slack {method} failed for now ({code})", retry_after=_optional_wait(headers))
    if code == "missing_scope":
        needed = data.get("needed") or "a scope"
        return AuthError(
            f"Slack {method} needs the scope {needed}, which the token lacks: add it under OAuth & Permissions "
            "in the Slack app's settings, reinstall the app and use the new token"
        )
    if code in AUTH_HINTS:
        return AuthError(f"Slack {method}: {code}: {AUTH_HINTS[code]}")
    if code in PLAN_CODES:
        return PlanLimitError(method, code)
    if code in NOT_FOUND_CODES:
        return NotFoundError(f"Slack {method}: {code}")
    return RefusedError(f"Slack {method} failed: {code}", code)


def from_scim(what: str, status: int, headers: Mapping[str, Any]) -> ConnectorError:
    """Classify a SCIM answer that was not 2xx (the SDK returns these instead of raising)."""
    if status == 429:
        return RetriableError(f"Slack SCIM throttled {what}", retry_after=retry_after(headers))
    if status >= 500:
        return RetriableError(f"Slack SCIM {what} failed for now (HTTP {status})", retry_after=_optional_wait(headers))
    if status in (401, 403):
        return AuthError(
            f"Slack SCIM refused {what} (HTTP {status}): SCIM needs a Business+ or Enterprise Grid plan and an "
            "owner's or admin's token with the admin scope, and cannot act on someone with a higher role; "
            "on other plans set scim = false"
        )
    if status == 404:
        return NotFoundError(f"Slack SCIM {what}: no such user (HTTP 404)")
    return FatalError(f"Slack SCIM {what} failed (HTTP {status})")


def from_exception(what: str, exc: BaseException) -> ConnectorError:
    """Classify an exception raised while talking to Slack."""
    from slack_sdk.errors import SlackApiError, SlackRequestError

    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, SlackApiError):
        response = exc.response
        data = response.data if isinstance(response.data, Mapping) else {}
        return from_api_error(what, response.status_code, data, response.headers)
    if isinstance(exc, TimeoutError | socket.timeout):
        return RetriableError(f"Slack {what} timed out")
    if isinstance(exc, ConnectionError | http.client.HTTPException | URLError):
        return RetriableError(f"could not reach Slack for {what} ({type(exc).__name__})")
    if isinstance(exc, SlackRequestError):
        return FatalError(f"Slack {what}: the request could not be built ({type(exc).__name__})")
    return FatalError(f"Slack {what} failed unexpectedly ({type(exc).__name__})")


def _optional_wait(headers: Mapping[str, Any] | None) -> float | None:
    return retry_after(headers) if header(headers, "Retry-After") is not None else None
