"""The Public API routes of the fake Bitwarden (``/public/...``), answered from the ``Organization``.

Each route is a path template and the methods it takes, as the controllers of bitwarden/server
declare them (``MembersController``, ``GroupsController``, ``CollectionsController``). ASP.NET
Core's routing decides the answer before any controller runs: a path no template matches is
404 with an empty body; a template matched with another method is 405 with an ``Allow``
header, whether or not a token came. An old server (before 2026.2.0) has no revoke or restore
route. Bodies are checked strictly; a ``{id}`` that is no GUID fails model binding (400).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from offboard.testing.emulation import Request, Response

from .state import Organization

Handler = Callable[[Organization, Request, str], Response]
MODEL_STATE = "The request's model state is invalid."


def error(message: str, status: int = 400, errors: dict[str, list[str]] | None = None) -> Response:
    """The Public API's ErrorResponseModel."""
    return Response(status, {"object": "error", "message": message, "errors": errors})


def empty(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """OkResult, NotFoundResult...: a status and no body."""
    return Response(status, b"", {"Content-Type": "text/plain", **(headers or {})})


def _guid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


# ---------------------------------------------------------------- members


def list_members(org: Organization, request: Request, _: str) -> Response:
    return Response(200, {"object": "list", "data": [org.member_json(m) for m in org.members.values()]})


def get_member(org: Organization, request: Request, mid: str) -> Response:
    member = org.members.get(mid)
    return Response(200, org.member_json(member)) if member else empty(404)


def remove_member(org: Organization, request: Request, mid: str) -> Response:
    if mid not in org.members:
        return empty(404)
    refused = org.remove(mid)
    return error(refused) if refused else empty()


def get_group_ids(org: Organization, request: Request, mid: str) -> Response:
    if mid not in org.members:
        return empty(404)
    return Response(200, org.group_ids_of(mid))


def put_group_ids(org: Organization, request: Request, mid: str) -> Response:
    """``{"groupIds": [...]}`` replaces the member's groups. Stricter than the server on purpose: an unknown key
    (which the server would ignore, leaving groupIds null) is refused, so a misspelt key cannot empty a list."""
    if "application/json" not in request.headers.get("content-type", ""):
        return Response(415, {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.16",
                              "title": "Unsupported Media Type", "status": 415})
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        return error(MODEL_STATE, errors={"": ["A non-empty request body is required."]} if not request.body else
                     {"$": ["The JSON value could not be converted to UpdateGroupIdsRequestModel."]})
    if not isinstance(body, dict) or set(body) - {"groupIds"}:
        return error(MODEL_STATE, errors={"$": ["The JSON value could not be converted to UpdateGroupIdsRequestModel."]})
    ids = body.get("groupIds")
    if not isinstance(ids, list) or not all(isinstance(i, str) and _guid(i) for i in ids):
        return error(MODEL_STATE, errors={"groupIds": ["The groupIds field must be a list of group ids."]})
    if mid not in org.members:
        return empty(404)
    org.set_groups(mid, (_guid(i) or "" for i in ids))
    return empty()


def revoke(org: Organization, request: Request, mid: str) -> Response:
    if mid not in org.members:
        return empty(404)
    refused = org.revoke(mid)
    return error(refused) if refused else empty()


def restore(org: Organization, request: Request, mid: str) -> Response:
    if mid not in org.members:
        return empty(404)
    refused = org.restore(mid)
    return error(refused) if refused else empty()


# ---------------------------------------------------------------- groups and collections


def list_groups(org: Organization, request: Request, _: str) -> Response:
    data = [org.group_json(g) for g in org.groups.values()]
    if not org.list_group_collections:
        data = [{**g, "collections": None} for g in data]
    return Response(200, {"object": "list", "data": data})


def get_group(org: Organization, request: Request, gid: str) -> Response:
    group = org.groups.get(gid)
    return Response(200, org.group_json(group)) if group else empty(404)


def get_group_member_ids(org: Organization, request: Request, gid: str) -> Response:
    group = org.groups.get(gid)
    return Response(200, sorted(group.members)) if group else empty(404)


def list_collections(org: Organization, request: Request, _: str) -> Response:
    return Response(200, {"object": "list", "data": [org.collection_json(c) for c in org.collections.values()]})


def get_collection(org: Organization, request: Request, cid: str) -> Response:
    collection = org.collections.get(cid)
    return Response(200, org.collection_json(collection)) if collection else empty(404)


# ---------------------------------------------------------------- routing

ID = r"([^/]+)"
TEMPLATES: list[tuple[str, str, dict[str, Handler]]] = [
    ("members", "members", {"GET": list_members}),
    ("member", f"members/{ID}", {"GET": get_member, "DELETE": remove_member}),
    ("group-ids", f"members/{ID}/group-ids", {"GET": get_group_ids, "PUT": put_group_ids}),
    ("revoke", f"members/{ID}/revoke", {"POST": revoke}),
    ("restore", f"members/{ID}/restore", {"POST": restore}),
    ("groups", "groups", {"GET": list_groups}),
    ("group", f"groups/{ID}", {"GET": get_group}),
    ("member-ids", f"groups/{ID}/member-ids", {"GET": get_group_member_ids}),
    ("collections", "collections", {"GET": list_collections}),
    ("collection", f"collections/{ID}", {"GET": get_collection}),
]
ROUTES = [(name, re.compile(f"^/public/{pattern}/?$", re.IGNORECASE), methods) for name, pattern, methods in TEMPLATES]
NEW_ROUTES = frozenset({"revoke", "restore"})  # added in server 2026.2.0 (bitwarden/server PR #6859)


def route(path: str, method: str, old_server: bool) -> tuple[Handler | None, str, Response | None]:
    """The handler and the path's id, or the routing answer: 404 (no template), 405 (other methods)."""
    for name, pattern, methods in ROUTES:
        if name in NEW_ROUTES and old_server:
            continue
        if m := pattern.match(path):
            if method not in methods:
                return None, "", empty(405, {"Allow": ", ".join(sorted(methods))})
            raw = m.group(1) if m.groups() else ""
            if raw and _guid(raw) is None:
                return None, "", error(MODEL_STATE, errors={"id": [f"The value '{raw}' is not valid."]})
            return methods[method], (_guid(raw) or "") if raw else "", None
    return None, "", empty(404)


def answer(org: Organization, request: Request, path: str, old_server: bool,
           routed: tuple[Handler | None, str, Response | None] | None = None) -> Response:
    handler, target, refused = routed or route(path, request.method, old_server)
    if handler is None:
        assert refused is not None
        return refused
    return handler(org, request, target)
