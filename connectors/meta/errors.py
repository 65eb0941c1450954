"""Turn what the Graph API answers into offboard's error taxonomy, with sentences that say what to do.

Meta throttles with HTTP 400 or 403 (rarely 429) and a code: 4 (app), 17 (user), 32 (Page),
613 (this call), 80001-80014 (Business Use Case limits: 80001 Pages, 80002 Instagram...).
Those, codes 1 and 2 and ``is_transient`` answers are retriable; the wait is
``estimated_time_to_regain_access`` (minutes) of ``X-Business-Use-Case-Usage`` when given.
Code 190 is the token; 10 and 200-299 a missing permission or asset task; 100 with subcode
33 an object that does not exist (or is hidden from this token: callers confirm by reading).
Messages never carry a token: Meta's own text is shown only after any token is cut out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from offboard.spi import AuthError, ConnectorError, FatalError, NotFoundError, RetriableError

from . import usage

THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 190})
GONE_SUBCODES = frozenset({33})
DEFAULT_THROTTLE_WAIT = 60.0  # seconds, when Meta names no wait: its windows roll over an hour
TOKEN_HELP = ("generate a new system user token in Business settings > Users > System users (select the system user, "
              "Generate new token, with the permissions business_management, pages_show_list and pages_manage_metadata) "
              "and put it in {env}")
TOKEN_SUBCODES = {
    458: "the app was removed from the business",
    459: "the account behind it is locked (checkpoint)",
    460: "it was invalidated (a password change, or Meta ended the session)",
    463: "it has expired (choose 'Never' as the expiry when generating a system user token)",
    464: "the account behind it is not confirmed",
    467: "it is no longer valid",
}
_TOKENISH = re.compile(r"EAA[A-Za-z0-9]{8,}")


class GraphError(FatalError):
    """Meta refused a call with a code callers may want to tell apart."""

    def __init__(self, message: str, code: int, subcode: int | None = None) -> None:
        super().__init__(message)
        self.code, self.subcode = code, subcode


class GoneError(NotFoundError):
    """Code 100, subcode 33: the object does not exist, or this token cannot load it (Meta cannot say which)."""


def meta_text(message: object, secrets: Sequence[str] = ()) -> str:
    """Meta's own message, short, with anything like a token cut out."""
    text = str(message or "").strip()
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[token]")
    text = _TOKENISH.sub("[token]", text)
    return text if len(text) <= 200 else text[:197] + "..."


def from_response(what: str, status: int, body: Any, headers: Mapping[str, str], *, token_env: str,
                  needs: Sequence[str] = (), secrets: Sequence[str] = ()) -> ConnectorError:
    """Classify an answer that was not a success; ``what`` names the request for people ("read the Page's people")."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        if status == 429 or status >= 500:
            return RetriableError(f"Meta could not {what} for now (HTTP {status})", retry_after=usage.regain_seconds(headers))
        return FatalError(f"Meta refused to {what} (HTTP {status}, no error details)")
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    said = meta_text(error.get("message"), secrets)
    if code in THROTTLE_CODES or status == 429:
        wait = usage.regain_seconds(headers)
        return RetriableError(f"Meta throttled the request to {what} (code {code}): offboard waits and tries again",
                              retry_after=wait if wait is not None else DEFAULT_THROTTLE_WAIT)
    if code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
        return RetriableError(f"Meta could not {what} for now (code {code}): {said}")
    if code in TOKEN_CODES:
        why = TOKEN_SUBCODES.get(subcode or 0, "it is invalid, expired or was revoked")
        return AuthError(f"Meta refused the access token in {token_env} (code {code}): {why}: "
                         + TOKEN_HELP.format(env=token_env))
    if code == 104:
        return AuthError(f"Meta received no access token to {what}: put the system user's token in {token_env}")
    if code == 210:
        return AuthError(f"Meta refused to {what} (code 210, a Page access token is needed): the system user needs a task "
                         "on the Page: in Business settings > Accounts > Pages, select the Page, Assign people, choose the "
                         "system user and give it Full control (MANAGE)")
    if code == 10 or (code is not None and 200 <= code <= 299):
        wanted = ", ".join(needs) or "business_management, pages_show_list, pages_manage_metadata"
        return AuthError(f"Meta refused to {what} (code {code}: {said}): the system user's token needs the permission(s) "
                         f"{wanted}, and the system user must be an admin of the portfolio with Full control of each Page: "
                         "fix it in Business settings > Users > System users (Assign assets; Generate new token with "
                         f"those permissions) and put the new token in {token_env}")
    if code == 100 and subcode in GONE_SUBCODES:
        return GoneError(f"Meta could not {what}: the object does not exist or this token cannot see it (code 100/33)")
    if code == 2500:
        return GraphError(f"Meta does not know the request to {what} (code 2500: {said}): check api_version", code, subcode)
    if code == 100:
        return GraphError(f"Meta refused to {what} as invalid (code 100: {said})", code, subcode)
    return GraphError(f"Meta refused to {what} (code {code}: {said})", code or 0, subcode)


def _int(value: object) -> int | None:
    try:
        return int(value) if value is not None else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
