"""The emulator's SCIM v1 and v2 Users: list with a filter, read, deactivate (DELETE), reactivate (PATCH ``active``),
each version's errors.

Authentication and throttling stay in ``server``, which asks ``refusal`` first and then ``answer``.
"""

from __future__ import annotations

import re
from typing import Any

from offboard.testing.emulation import Request, Response

from .state import SCIM_PLANS, Workspace

PATH = re.compile(r"^/scim/v([12])/(.*)$")


def refusal(ws: Workspace, version: int, scopes: frozenset[str]) -> Response | None:
    """403 when the token lacks the admin scope or the plan has no SCIM (checked before any rate limit)."""
    if "admin" not in scopes:
        return Response(403, error(version, 403, "missing_scope: admin"))
    if ws.plan not in SCIM_PLANS:
        return Response(403, error(version, 403, "SCIM is only available on Business+ and Enterprise Grid"))
    return None


def answer(ws: Workspace, version: int, rest: str, request: Request, caller: str) -> Response:
    """The answer to ``/scim/v<version>/<rest>``, for a caller ``refusal`` let through."""
    parts = rest.strip("/").split("/")
    if parts[0] in ("ServiceProviderConfig", "ServiceProviderConfigs") and request.method == "GET":
        return Response(200, {"patch": {"supported": True}, "filter": {"supported": True, "maxResults": 1000}})
    if parts[0] != "Users" or len(parts) > 2:
        return Response(404, error(version, 404, "not_found"))
    if len(parts) == 1 and request.method == "GET":
        return Response(200, _list(ws, version, request))
    uid = parts[1] if len(parts) == 2 else ""
    if uid not in ws.users:
        return Response(404, error(version, 404, "user_not_found"))
    if request.method == "GET":
        return Response(200, ws.scim_user(uid, version))
    if request.method == "DELETE":
        target = ws.users[uid]
        if target["is_primary_owner"] or (target["is_owner"] and not ws.users[caller]["is_owner"]):
            return Response(403, error(version, 403, "cannot deactivate an owner with this token"))
        ws.deactivate(uid)
        return Response(204, b"")
    if request.method == "PATCH":
        return _patch(ws, version, uid, request)
    return Response(405, error(version, 405, "method_not_allowed"))


V1_CORE = "urn:scim:schemas:core:1.0"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _patch(ws: Workspace, version: int, uid: str, request: Request) -> Response:
    """Only ``active`` is emulated: v1 takes a partial user (``{"schemas": [core 1.0], "active": true}``),
    v2 a PatchOp (``{"schemas": [PatchOp], "Operations": [{"op": "replace", "path": "active", "value": true}]}``)."""
    try:
        body = request.json()
    except ValueError:
        return Response(400, error(version, 400, "invalid_json"))
    if not isinstance(body, dict):
        return Response(400, error(version, 400, "invalid_syntax"))
    active: object = None
    if version == 1:
        if V1_CORE not in (body.get("schemas") or []):
            return Response(400, error(version, 400, f"missing schema {V1_CORE}"))
        active = body.get("active")
    else:
        operations = body.get("Operations")
        if PATCH_OP not in (body.get("schemas") or []) or not isinstance(operations, list) or not operations:
            return Response(400, error(version, 400, "invalidSyntax: a PatchOp with Operations is required"))
        for op in operations:
            if not isinstance(op, dict) or str(op.get("op", "")).lower() not in ("replace", "add"):
                return Response(400, error(version, 400, "invalidSyntax: unsupported operation"))
            value = op.get("value")
            if op.get("path") == "active":
                active = value
            elif op.get("path") is None and isinstance(value, dict) and "active" in value:
                active = value["active"]
    if not isinstance(active, bool):
        return Response(400, error(version, 400, "invalidValue: only active (a boolean) can be changed here"))
    if active:
        ws.reactivate(uid)
    else:
        ws.deactivate(uid)
    return Response(200, ws.scim_user(uid, version))


def _list(ws: Workspace, version: int, request: Request) -> dict[str, Any]:
    users = [u["id"] for u in ws.users.values() if not u["is_bot"]]
    if m := re.fullmatch(r'\s*(userName|email|emails)\s+eq\s+"([^"]*)"\s*', request.arg("filter") or ""):
        field, value = m[1], m[2].lower()
        users = [uid for uid in users if value == (
            ws.users[uid]["name"] if field == "userName" else ws.users[uid]["profile"]["email"]).lower()]
    start = max(1, int(request.arg("startIndex") or 1))
    count = min(1000, int(request.arg("count") or 100))
    page = [ws.scim_user(uid, version) for uid in users[start - 1:start - 1 + count]]
    schema = "urn:scim:schemas:core:1.0" if version == 1 else "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    return {"schemas": [schema], "totalResults": len(users), "itemsPerPage": len(page), "startIndex": start,
            "Resources": page}


def error(version: int, status: int, description: str) -> dict[str, Any]:
    """A SCIM error body: v1 and v2 shape them differently."""
    if version == 1:
        return {"Errors": {"description": description, "code": status}}
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": description, "status": status}
