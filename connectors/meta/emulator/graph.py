"""The Graph API's request handling in the emulator: versions, tokens, nodes and edges, fields, paging, errors.

Strict where Meta is: an unknown version or a path too deep is ``Unknown path components``
(code 2500); an id that is nothing here is ``Unsupported <method> request. Object with ID
... does not exist`` (code 100, subcode 33), as is a method an edge does not have (POST or
DELETE on a Page's ``roles``); an edge a node does not have, or a field it does not have, is
``Tried accessing nonexisting field`` (code 100). Tokens come as ``access_token`` (query or
form) or ``Authorization: Bearer``/``OAuth``. The edges themselves are in ``edges``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from offboard.testing.emulation import Request, Response

from .state import Business, Token

if TYPE_CHECKING:
    from .server import MetaEmulator

DOCS = "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
NODE_TYPES = {"business": "Business", "business_user": "BusinessUser", "system_user": "SystemUser", "page": "Page",
              "ig_user": "IGUser", "ig_asset": "InstagramBusinessAsset"}


class GraphFault(Exception):
    """An error answer, raised from anywhere in a handler."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def error(status: int, message: str, code: int, subcode: int | None = None,
          kind: str = "OAuthException") -> GraphFault:
    body: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    body["fbtrace_id"] = "A" + secrets.token_urlsafe(15)
    return GraphFault(Response(status, {"error": body}))


def unsupported(method: str, node_id: str) -> GraphFault:
    return error(400, f"Unsupported {method.lower()} request. Object with ID '{node_id}' does not exist, cannot be "
                      f"loaded due to missing permissions, or does not support this operation. {DOCS}",
                 100, 33, "GraphMethodException")


def nonexisting(name: str, node_type: str) -> GraphFault:
    return error(400, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", 100)


def missing_permission(permission: str) -> GraphFault:
    return error(403, f"(#200) Requires {permission} permission to manage the object", 200)


@dataclass
class Call:
    """One request, as the handlers see it: who asks, about what, with which parameters."""

    emulator: MetaEmulator
    request: Request
    params: dict[str, str]
    token: Token
    token_value: str
    token_in_query: bool
    node_id: str
    kind: str
    node: Any
    buc: tuple[str, str] = ("", "")  # the object and type the usage header reports on
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def business(self) -> Business:
        return self.emulator.business

    @property
    def method(self) -> str:
        return self.request.method

    def need(self, permission: str) -> None:
        if permission not in self.token.permissions:
            raise missing_permission(permission)

    def need_page_token(self, page_id: str) -> None:
        if self.token.page_id != page_id:
            raise error(400, "(#210) This call requires a Page access token.", 210)

    def need_admin(self) -> None:
        system_user = self.business.system_users.get(self.token.user_id)
        if system_user is None or system_user.role != "ADMIN":
            raise error(403, "(#200) The user must be an admin of the business to do this", 200)

    def required(self, name: str) -> str:
        value = self.params.get(name, "")
        if not value:
            raise error(400, f"(#100) The parameter {name} is required", 100)
        return value

    def fields(self, allowed: Sequence[str], default: Sequence[str]) -> list[str]:
        asked = [f.strip() for f in self.params.get("fields", "").split(",") if f.strip()] or list(default)
        for name in asked:
            if name not in allowed:
                raise nonexisting(name, NODE_TYPES.get(self.kind, "User"))
        return asked

    def pick(self, item: dict[str, Any], allowed: Sequence[str], default: Sequence[str]) -> dict[str, Any]:
        return {k: item[k] for k in self.fields(allowed, default) if k in item}

    def paged(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Cursor paging as the Graph API does it: ``paging.cursors.before/after`` and a ``next`` URL while more remain."""
        try:
            limit = min(int(self.params.get("limit") or PAGE_SIZE), MAX_PAGE_SIZE)
            start = _decode(self.params["after"]) + 1 if self.params.get("after") else 0
        except ValueError:
            raise error(400, "(#100) Invalid parameter", 100) from None
        chunk = items[start:start + max(limit, 1)]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            body["paging"] = {"cursors": {"before": _encode(start), "after": _encode(start + len(chunk) - 1)}}
            if start + len(chunk) < len(items):
                query = {k: v for k, v in self.params.items() if k != "after"}
                if self.token_in_query:
                    query["access_token"] = self.token_value  # Meta's next URLs carry the token given in the query
                query.update(limit=str(limit), after=_encode(start + len(chunk) - 1))
                body["paging"]["next"] = f"{self.emulator.url}{self.request.path}?{urlencode(query)}"
        return body


def _encode(index: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{index}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError(cursor) from None
    if not text.startswith("cursor:"):
        raise ValueError(cursor)
    return int(text.removeprefix("cursor:"))


Handler = Callable[[Call], dict[str, Any]]


def answer(emulator: MetaEmulator, request: Request, routes: dict[tuple[str, str], dict[str, Handler]]) -> Response:
    """The whole request: version, token, node, edge, method; every refusal with Meta's error body."""
    try:
        call = _call(emulator, request)
        route = routes.get((call.kind, _edge(request)))
        if route is None:
            raise nonexisting(_edge(request), NODE_TYPES[call.kind])
        handler = route.get(request.method)
        if handler is None:
            raise unsupported(request.method, call.node_id)
        body = handler(call)
        return Response(200, body, {**emulator.usage_headers(*call.buc), **call.extra_headers})
    except GraphFault as fault:
        return fault.response


def _parts(request: Request) -> list[str]:
    return [p for p in request.path.split("/") if p]


def _edge(request: Request) -> str:
    parts = _parts(request)
    return parts[2] if len(parts) == 3 else ""


def _call(emulator: MetaEmulator, request: Request) -> Call:
    parts = _parts(request)
    if not parts or parts[0] not in emulator.versions or not 2 <= len(parts) <= 3:
        rest = parts[1:] if parts and parts[0] in emulator.versions else parts[1:] or parts
        raise error(400, "Unknown path components: /" + "/".join(rest), 2500)
    params = {k: str(v) for k, v in request.form().items()}
    in_query = "access_token" in request.query
    value = params.pop("access_token", "") or _authorization(request)
    if not value:
        if parts[1] == "me":
            raise error(400, "An active access token must be used to query information about the current user.", 2500)
        raise error(400, "An access token is required to request this resource.", 104)
    token = emulator.business.tokens.get(value)
    if token is None:
        raise error(400, "Invalid OAuth access token - Cannot parse access token", 190)
    if token.invalid == "expired":
        raise error(400, "Error validating access token: Session has expired.", 190, 463)
    if token.invalid:
        raise error(400, "Error validating access token: The session has been invalidated because the user changed "
                         "their password or Facebook has changed the session for security reasons.", 190, 460)
    node_id = parts[1] if parts[1] != "me" else (token.page_id or token.user_id)
    kind, node = _node(emulator.business, node_id)
    if kind == "":
        raise unsupported(request.method, node_id)
    buc = (node_id, "pages") if kind == "page" else (emulator.business.id, "business_management")
    return Call(emulator, request, params, token, value, in_query, node_id, kind, node, buc)


def _node(business: Business, node_id: str) -> tuple[str, Any]:
    if node_id == business.id:
        return "business", business
    for kind, table in (("business_user", business.users), ("system_user", business.system_users),
                        ("page", business.pages), ("ig_user", business.instagram)):
        if node_id in table:
            return kind, table[node_id]
    asset = business.asset(node_id)
    return ("ig_asset", asset) if asset is not None else ("", None)


def _authorization(request: Request) -> str:
    value = request.headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    return credential.strip() if scheme.lower() in ("bearer", "oauth") else ""
