"""The Team API endpoints the emulator answers, with Brex's validation of queries and bodies.

Each handler gets the account, the caller's user id, the path's id and the parsed request, and
returns ``(status, body)`` or raises ``Refused``. Strict where Brex is documented (enums, required
fields, ASCII-only free text: "Free form text fields ... can only accept ASCII characters", 400
"[Field name] is invalid") and conservative where it is not (unknown fields and query parameters
are refused; UNCONFIRMED).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .state import REASONS, UPDATE_STATUSES, Account, Refused, bad_request

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000  # UNCONFIRMED: the reference gives no default or maximum
USER_FIELDS = frozenset({"status", "manager_id", "department_id", "location_id", "title_id", "metadata"})
CARD_CHANGE_FIELDS = frozenset({"reason", "description"})  # LockCardRequest, TerminateCardRequest


@dataclass(frozen=True)
class Call:
    """One parsed request: the query (last value of each), the JSON body (None when there is none)."""

    query: dict[str, str]
    body: Any
    caller: str  # the token's user id


Handler = Callable[[Account, str, Call], tuple[int, Any]]


def _query(call: Call, allowed: set[str]) -> None:
    unknown = sorted(set(call.query) - allowed)
    if unknown:
        raise bad_request(f"Unknown query parameter {unknown[0]}")


def _page(items: list[dict[str, Any]], call: Call, scope: str) -> tuple[int, Any]:
    """Cursor paging: ``limit`` and an opaque ``cursor``, ``next_cursor`` null on the last page."""
    raw = call.query.get("limit")
    try:
        limit = DEFAULT_LIMIT if raw in (None, "") else int(str(raw))
    except ValueError:
        raise bad_request("limit is invalid") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request("limit is invalid")
    start = 0
    if call.query.get("cursor"):
        try:
            data = json.loads(base64.urlsafe_b64decode(call.query["cursor"].encode()))
            start, bound = int(data["o"]), str(data["s"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise bad_request("cursor is invalid") from None
        if bound != scope or not 0 <= start <= len(items):
            raise bad_request("cursor is invalid")
    end = start + limit
    cursor = base64.urlsafe_b64encode(json.dumps({"o": end, "s": scope}).encode()).decode() if end < len(items) else None
    return 200, {"next_cursor": cursor, "items": items[start:end]}


def list_users(account: Account, _: str, call: Call) -> tuple[int, Any]:
    _query(call, {"cursor", "limit", "email", "expand[]", "remote_display_id"})
    email = call.query.get("email")
    users = account.by_email(email) if email else list(account.users.values())
    return _page([u.render() for u in users], call, f"users:{(email or '').lower()}")


def me(account: Account, _: str, call: Call) -> tuple[int, Any]:
    _query(call, set())
    return 200, account.user(call.caller).render()


def get_user(account: Account, uid: str, call: Call) -> tuple[int, Any]:
    _query(call, {"expand[]"})
    return 200, account.user(uid).render()


def update_user(account: Account, uid: str, call: Call) -> tuple[int, Any]:
    _query(call, set())
    body = _object(call.body, USER_FIELDS)
    status = body.get("status")
    if status is not None and status not in UPDATE_STATUSES:
        raise bad_request("status is invalid")
    return 200, account.update_user(uid, status).render()


def list_cards(account: Account, _: str, call: Call) -> tuple[int, Any]:
    _query(call, {"cursor", "limit", "user_id"})
    uid = call.query.get("user_id")
    cards = [c for c in account.cards.values() if not uid or c.user_id == uid]
    return _page([c.render() for c in cards], call, f"cards:{uid or ''}")


def get_card(account: Account, cid: str, call: Call) -> tuple[int, Any]:
    _query(call, set())
    return 200, account.card(cid).render()


def lock(account: Account, cid: str, call: Call) -> tuple[int, Any]:
    return 200, account.lock(cid, _card_change(call)).render()


def terminate(account: Account, cid: str, call: Call) -> tuple[int, Any]:
    return 200, account.terminate(cid, _card_change(call)).render()


def unlock(account: Account, cid: str, call: Call) -> tuple[int, Any]:
    _query(call, set())
    if call.body is not None:  # the reference gives unlock no body (UNCONFIRMED that Brex refuses one)
        raise bad_request("Request body is not allowed")
    return 200, account.unlock(cid).render()


def _card_change(call: Call) -> dict[str, Any]:
    """A lock or termination body: ``reason`` (required, ChangeCardReason), ``description`` (optional, ASCII)."""
    _query(call, set())
    body = _object(call.body, CARD_CHANGE_FIELDS)
    if body.get("reason") not in REASONS:
        raise bad_request("reason is invalid")
    description = body.get("description")
    if description is not None and not (isinstance(description, str) and _ascii(description)):
        raise bad_request("description is invalid")
    return dict(body)


def _ascii(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text)


def _object(body: Any, fields: frozenset[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("Request body is required")
    unknown = sorted(set(body) - fields)
    if unknown:
        raise bad_request(f"{unknown[0]} is not a known field")  # UNCONFIRMED: Brex may ignore unknown fields
    return body


def not_emulated(account: Account, _: str, call: Call) -> tuple[int, Any]:
    """An endpoint Brex has and offboard never calls (invite a user, create or update a card)."""
    raise Refused(501, "NOT_IMPLEMENTED", "This endpoint exists at Brex but is not emulated")


# path pattern -> {method: (handler, area, writes)}; area names the scope family (users / cards)
ROUTES: list[tuple[re.Pattern[str], dict[str, tuple[Handler, str, bool]]]] = [
    (re.compile(r"^/v2/users$"), {"GET": (list_users, "users", False), "POST": (not_emulated, "users", True)}),
    (re.compile(r"^/v2/users/me$"), {"GET": (me, "users", False)}),
    (re.compile(r"^/v2/users/([^/]+)$"), {"GET": (get_user, "users", False), "PUT": (update_user, "users", True)}),
    (re.compile(r"^/v2/cards$"), {"GET": (list_cards, "cards", False), "POST": (not_emulated, "cards", True)}),
    (re.compile(r"^/v2/cards/([^/]+)$"), {"GET": (get_card, "cards", False), "PUT": (not_emulated, "cards", True)}),
    (re.compile(r"^/v2/cards/([^/]+)/lock$"), {"POST": (lock, "cards", True)}),
    (re.compile(r"^/v2/cards/([^/]+)/unlock$"), {"POST": (unlock, "cards", True)}),
    (re.compile(r"^/v2/cards/([^/]+)/terminate$"), {"POST": (terminate, "cards", True)}),
]


def route(method: str, path: str) -> tuple[Handler, str, bool, str]:
    """The handler of ``method path``, its scope family, whether it writes, and the path's id."""
    for pattern, methods in ROUTES:
        if match := pattern.match(path):
            if method not in methods:
                raise Refused(405, "METHOD_NOT_ALLOWED", "Method Not Allowed")
            handler, area, writes = methods[method]
            return handler, area, writes, match.group(1) if match.groups() else ""
    raise Refused(404, "NOT_FOUND", "Not Found")
