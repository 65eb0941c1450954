"""The resource side of the Ramp emulator: users, cards and card tasks, validated as strictly as Ramp does.

Each route names the scope Ramp guards it with (the deferred status reads need the write
scope). Query parameters and bodies are checked: an unknown field, a page size out of
2..100, a user status the filter does not take (invites and onboarding: 422, as Ramp does),
a missing or empty ``idempotency_key``: each a 422 with Ramp's ``fields_validation`` body.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from offboard.testing.emulation import Request, Response

from .state import Org

USER_FILTERS = ("USER_ACTIVE", "USER_INACTIVE", "USER_SUSPENDED")
MAX_PAGE = 100


def error(status: int, code: str, message: str, fields: Mapping[str, Any] | None = None) -> Response:
    """Ramp's error body: ``error_v2`` (code, message, field errors) and the older ``error``."""
    v2: dict[str, Any] = {"error_code": code, "message": message, "additional_info": {}, "notes": "",
                          "error_id": uuid.uuid4().hex}
    if fields:
        v2["fields_validation"] = dict(fields)
    return Response(status, {"error_v2": v2, "error": {"message": message, "details": dict(fields or {})}})


def invalid(fields: Mapping[str, Any]) -> Response:
    return error(422, "DEVELOPER_7001", "There was an error.", fields)


def not_found(what: str, ident: str) -> Response:
    return error(404, "DEVELOPER_7002", f"The requested {what} ({ident}) does not exist")


@dataclass(frozen=True)
class Call:
    """A request as a route sees it: the org, the path's groups, the request, who acts, and the emulator's root."""

    org: Org
    groups: tuple[str, ...]
    request: Request
    acting_user: str
    base_url: str


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    scope: str
    answer: Callable[[Call], Response]


def _query(request: Request, allowed: tuple[str, ...]) -> dict[str, str] | Response:
    unknown = {k: ["Unknown field."] for k in request.query if k not in allowed}
    if unknown:
        return invalid(unknown)
    return {k: v[-1] for k, v in request.query.items()}


def _page(items: list[dict[str, Any]], query: dict[str, str], call: Call) -> Response:
    """One page after ``start`` (the id of the previous page's last item), with ``page.next`` as a full URL."""
    try:
        size = int(query.get("page_size", "1000"))
    except ValueError:
        return invalid({"page_size": ["Not a valid integer."]})
    if not 2 <= size <= MAX_PAGE and "page_size" in query:
        return invalid({"page_size": [f"Must be greater than or equal to 2 and less than or equal to {MAX_PAGE}."]})
    size = min(size, MAX_PAGE)
    start = query.get("start")
    if start is not None:
        if not _is_uuid(start):
            return invalid({"start": ["Not a valid UUID."]})
        ids = [i["id"] for i in items]
        items = items[ids.index(start) + 1:] if start in ids else []
    page, rest = items[:size], items[size:]
    following = None
    if rest:
        following = f"{call.base_url}{call.request.path}?{urlencode({**query, 'start': page[-1]['id']})}"
    return Response(200, {"data": page, "page": {"next": following}})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def list_users(call: Call) -> Response:
    query = _query(call.request, ("email", "status", "page_size", "start", "role", "entity_id", "department_id",
                                  "location_id", "employee_id"))
    if isinstance(query, Response):
        return query
    status = query.get("status")
    if status is not None and status not in USER_FILTERS:
        return invalid({"status": [f"Must be one of: {', '.join(USER_FILTERS)}."]})
    email = query.get("email")
    if email is not None and "@" not in email:
        return invalid({"email": ["Not a valid email address."]})
    users = [u for u in call.org.users.values()
             if (u["status"] == status if status else u["status"] != "USER_SUSPENDED")  # suspended only when asked
             and (email is None or u["email"].lower() == email.lower())
             and all(u.get(k) == query[k] for k in ("role", "entity_id", "department_id", "location_id") if k in query)]
    return _page([dict(u) for u in users], query, call)


def get_user(call: Call) -> Response:
    user = call.org.users.get(call.groups[0])
    return Response(200, dict(user)) if user else not_found("User", call.groups[0])


def switch_user(verb: str) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        if call.request.body.strip() not in (b"", b"{}"):
            return invalid({"_schema": ["This endpoint takes no body."]})
        uid = call.groups[0]
        if uid not in call.org.users:
            return not_found("User", uid)
        refused = call.org.deactivate(uid) if verb == "deactivate" else call.org.reactivate(uid)
        return error(400, "DEVELOPER_7001", refused) if refused else Response(200, None)
    return answer


def user_task(call: Call) -> Response:
    return not_found("Deferred task", call.groups[0])  # the emulator makes no user tasks


def list_cards(call: Call) -> Response:
    query = _query(call.request, ("user_id", "entity_id", "card_program_id", "display_name", "is_activated",
                                  "is_terminated", "start", "page_size"))
    if isinstance(query, Response):
        return query
    flags = {}
    for name, default in (("is_activated", True), ("is_terminated", False)):
        value = query.get(name, str(default)).lower()
        if value not in ("true", "false"):
            return invalid({name: ["Not a valid boolean."]})
        flags[name] = value == "true"
    user_id = query.get("user_id")
    if user_id is not None and not _is_uuid(user_id):
        return invalid({"user_id": ["Not a valid UUID."]})
    cards = [c for c in call.org.cards.values()
             if (user_id is None or c["cardholder_id"] == user_id)
             and (c["state"] == "TERMINATED") is flags["is_terminated"]
             and (c["state"] != "UNACTIVATED") is flags["is_activated"]
             and ("display_name" not in query or c["display_name"] == query["display_name"])]
    return _page([dict(c) for c in cards], query, call)


def get_card(call: Call) -> Response:
    card = call.org.cards.get(call.groups[0])
    return Response(200, dict(card)) if card else not_found("Card", call.groups[0])


def submit_task(call: Call) -> Response:
    card_id, operation = call.groups
    if "json" not in call.request.headers.get("content-type", ""):
        return invalid({"_schema": ["The request body must be JSON."]})
    try:
        body = json.loads(call.request.body or b"null")
    except ValueError:
        return invalid({"_schema": ["Invalid JSON."]})
    if not isinstance(body, dict):
        return invalid({"_schema": ["Invalid input type."]})
    problems = {k: ["Unknown field."] for k in body if k != "idempotency_key"}
    key = body.get("idempotency_key")
    if key is None:
        problems["idempotency_key"] = ["Missing data for required field."]
    elif not isinstance(key, str) or not key.strip():
        problems["idempotency_key"] = ["Not a valid string."]
    if problems:
        return invalid(problems)
    if card_id not in call.org.cards:
        return not_found("Card", card_id)
    task = call.org.submit(card_id, operation, str(key), call.acting_user)
    if task is None:
        return error(422, "DEVELOPER_7001", "This idempotency key was already used for another request")
    return Response(200, {"id": task.id})


def card_task(call: Call) -> Response:
    task_id = call.groups[0]
    if task_id not in call.org.tasks:
        return not_found("Deferred task", task_id)
    return Response(200, call.org.poll(task_id).render())


ID = r"([^/]+)"
ROUTES = (
    Route("GET", re.compile(r"/developer/v1/users"), "users:read", list_users),
    Route("GET", re.compile(rf"/developer/v1/users/deferred/status/{ID}"), "users:write", user_task),
    Route("GET", re.compile(rf"/developer/v1/users/{ID}"), "users:read", get_user),
    Route("PATCH", re.compile(rf"/developer/v1/users/{ID}/deactivate"), "users:write", switch_user("deactivate")),
    Route("PATCH", re.compile(rf"/developer/v1/users/{ID}/reactivate"), "users:write", switch_user("reactivate")),
    Route("GET", re.compile(r"/developer/v1/cards"), "cards:read", list_cards),
    Route("GET", re.compile(rf"/developer/v1/cards/deferred/status/{ID}"), "cards:write", card_task),
    Route("GET", re.compile(rf"/developer/v1/cards/{ID}"), "cards:read", get_card),
    Route("POST", re.compile(rf"/developer/v1/cards/{ID}/deferred/(suspension|unsuspension|termination)"), "cards:write",
          submit_task),
)


def route(method: str, path: str) -> tuple[Route, tuple[str, ...]] | Response:
    """The route for ``method path`` and its groups; else 404 (no such path) or 405 (another method)."""
    allowed = []
    for candidate in ROUTES:
        match = candidate.pattern.fullmatch(path)
        if match is None:
            continue
        if candidate.method == method:
            return candidate, match.groups()
        allowed.append(candidate.method)
    if allowed:
        return error(405, "DEVELOPER_7001", f"The method {method} is not allowed for this URL")
    return error(404, "DEVELOPER_7002", "The requested URL was not found on the server")
