"""Turn Discord's answers into offboard's error taxonomy, each as a sentence that says what to do.

Discord answers ``{"message", "code"}`` (developers/topics/opcodes-and-status-codes.mdx): the code,
not the HTTP status, tells a missing member (10007) from a missing server (10004), and a refusal
of the role hierarchy (50013) from a bot that cannot see the server (50001). A 429's wait is in
its body as a float (``retry_after``); ``Retry-After`` is only whole seconds. Messages never hold
the token: they name the environment variable instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.spi import AuthError, ConnectorError, FatalError, NotFoundError, RetriableError

DEFAULT_WAIT = 1.0  # a 429 that names no wait at all (never seen; Discord always sends retry_after)

UNKNOWN_GUILD, UNKNOWN_MEMBER, UNKNOWN_ROLE, UNKNOWN_USER, UNKNOWN_BAN = 10004, 10007, 10011, 10013, 10026
MISSING_ACCESS, MISSING_PERMISSIONS, INVALID_FORM_BODY = 50001, 50013, 50035

PORTAL = "https://discord.com/developers/applications"
ROLES_FIX = "in Server Settings > Roles, drag the bot's role above the member's highest role"
INTENT_FIX = ("turn on the Server Members Intent in the Developer Portal (Applications > your app > Bot > "
              "Privileged Gateway Intents > Server Members Intent) and save")


class DiscordNotFound(NotFoundError):
    """A 404 with Discord's code: which thing is missing (member, role, ban, user)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class MissingAccess(AuthError):
    """403 code 50001: the bot cannot see the server, or (listing members) lacks the Server Members intent."""


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _float(value: Any) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def retry_after(body: Mapping[str, Any], headers: Mapping[str, str]) -> float:
    """The body's ``retry_after`` (float seconds); else ``Retry-After``; else ``X-RateLimit-Reset-After``."""
    for value in (body.get("retry_after"), header(headers, "Retry-After"), header(headers, "X-RateLimit-Reset-After")):
        if (seconds := _float(value)) is not None:
            return seconds
    return DEFAULT_WAIT


def form_errors(errors: Any, path: str = "") -> list[str]:
    """50035's nested ``errors`` as "field: message" lines."""
    if not isinstance(errors, Mapping):
        return []
    found = []
    for key, value in errors.items():
        if key == "_errors" and isinstance(value, list):
            found += [f"{path or 'body'}: {e.get('message', e.get('code', ''))}" for e in value if isinstance(e, Mapping)]
        else:
            found += form_errors(value, f"{path}.{key}" if path else str(key))
    return found


def classify(status: int, body: Mapping[str, Any], headers: Mapping[str, str], what: str, *, token_env: str,
             guild_id: str, permission: str = "", missing_access: str = "", reading: bool = False) -> ConnectorError:
    """The error for an answer that is not 2xx. ``what`` completes "trying to ..."; ``permission`` names the
    permission the request needs (for 50013: a read lacks it, a change may also meet the hierarchy);
    ``missing_access`` replaces the 50001 sentence (the intent)."""
    code = body.get("code") if isinstance(body.get("code"), int) else None
    message = str(body.get("message") or "")[:200]
    if status == 429:
        wait = retry_after(body, headers)
        scope = "global" if body.get("global") or header(headers, "X-RateLimit-Global") else \
            header(headers, "X-RateLimit-Scope") or "route"
        return RetriableError(f"Discord rate-limited offboard ({scope} limit) when trying to {what}: "
                              f"it is tried again after {wait:g} s", retry_after=wait)
    if status >= 500:
        return RetriableError(f"Discord failed for now (HTTP {status}) when trying to {what}",
                              retry_after=_float(header(headers, "Retry-After")))
    if status == 401:
        return AuthError(f"Discord rejected the bot token (401 Unauthorized) when trying to {what}: reset the token "
                         f"in the Developer Portal ({PORTAL} > your app > Bot > Reset Token) and put the new one in the "
                         f"environment variable {token_env}")
    if code == MISSING_PERMISSIONS and reading:
        return FatalError(f"Discord refused to {what} (Missing Permissions, code 50013): in Server Settings > Roles > "
                          f"the bot's role > Permissions, turn on {permission or 'the permissions the README lists'}")
    if code == MISSING_PERMISSIONS:
        needs = f", and that the bot's role has the {permission} permission" if permission else ""
        return FatalError(f"Discord refused to {what} (Missing Permissions, code 50013): the bot can only act on "
                          f"members and roles below its own highest role: {ROLES_FIX} (and above any role it must "
                          f"give or take){needs}, then try again")
    if code == MISSING_ACCESS:
        return MissingAccess(f"Discord refused to {what} (Missing Access, code 50001): " + (missing_access or (
            f"the bot is not in the server {guild_id} or cannot see it: add the bot to the server (Developer Portal > "
            "your app > OAuth2 > URL Generator, scope bot) and check [connectors.discord] guild_id")))
    if status == 403:
        needs = f" (it needs {permission})" if permission else ""
        fix = missing_access or f"check the bot's role in Server Settings > Roles{needs}"
        return AuthError(f"Discord refused to {what} (HTTP 403{f', code {code}' if code else ''}: {message}): {fix}")
    if code == UNKNOWN_GUILD:
        return FatalError(f"Discord knows no server with guild_id {guild_id} (Unknown Guild, code 10004) when trying "
                          f"to {what}: fix [connectors.discord] guild_id (in Discord, turn on User Settings > Advanced > "
                          "Developer Mode, right-click the server's icon and choose Copy Server ID)")
    if status == 404 and code:
        return DiscordNotFound(f"Discord: {message or 'not found'} (code {code}) when trying to {what}", code)
    if status in (404, 405):
        return FatalError(f"Discord does not know the request to {what} (HTTP {status}): check [connectors.discord] "
                          "api_url, which should end in /api/v10")
    if code == INVALID_FORM_BODY:
        details = "; ".join(form_errors(body.get("errors"))) or message
        return FatalError(f"Discord refused to {what}: Invalid Form Body ({details})")
    return FatalError(f"Discord refused to {what} (HTTP {status}{f', code {code}' if code else ''}: {message})")
