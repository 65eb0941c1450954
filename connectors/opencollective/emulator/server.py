"""A stateful fake Open Collective on 127.0.0.1, for tests, the contract kit and ``offboard demo``: its HTTP side.

``POST /graphql/v2`` with a JSON body, as Apollo Server answers it: a query the schema rejects
is HTTP 400 (``GRAPHQL_PARSE_FAILED``, ``GRAPHQL_VALIDATION_FAILED``, ``BAD_USER_INPUT`` for a
variable), a refused call is HTTP 200 with ``errors[].extensions.code``. Before GraphQL, as in
opencollective-api's routes: the ``Personal-Token`` header (an unknown one is HTTP 401, its
message repeating the token), then the rate limit (100 requests a minute per token, 10 per IP
without one: HTTP 429 with a fractional ``Retry-After`` and Express's JSON body).

Only POST is served; GET queries (which Apollo also accepts) are not, as offboard never sends them.
Controls: ``issue_token``, ``accept_invitation``; the state is ``platform``.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    parse,
    validate,
)

from offboard.testing.emulation import Emulator, Faults, LoggedRequest, Request, Response

from . import schema
from .state import Caller, Entry, Platform, Token

PATH = "/graphql/v2"
LIMIT_MESSAGE = "Rate limit exceeded. Contact-us to get higher limits."
ANONYMOUS_LIMIT_MESSAGE = "Rate limit exceeded. Create a Personal Token to get higher limits."


class OpenCollectiveEmulator(Emulator):
    """Fake Open Collective. ``rate_limit``: requests a minute per token (None: no limit)."""

    name = "opencollective"

    def __init__(self, faults: Faults | None = None, rate_limit: int | None = 100,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(faults)
        self.platform = Platform()
        self.schema = schema.build()
        self.tokens: dict[str, Token] = {}
        self.rate_limit = rate_limit
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (reset at, requests in the window)
        self._documents: dict[str, DocumentNode | Response] = {}  # query text -> parsed and valid, or refused

    # ------------------------------------------------------------ controls

    def issue_token(self, user: str, *, preauthorized_2fa: bool = False, scopes: tuple[str, ...] = ("account",)) -> str:
        """A personal token of the user with slug ``user`` (40 hex characters, as Open Collective makes them)."""
        token = secrets.token_hex(20)
        with self.lock:
            self.tokens[token] = Token(self.platform.slug(user).id, preauthorized_2fa, scopes)
        return token

    def accept_invitation(self, slug: str, collective: str | None = None) -> Entry | None:
        """What the person does (replyToMemberInvitation, accept): their pending invitation becomes a team entry.

        ``collective``: which one, when they have invitations to several. Raises KeyError when there is none.
        """
        with self.lock:
            person = self.platform.slug(slug)
            where = self.platform.slug(collective).id if collective else None
            invitation = next((e for e in self.platform.invitations
                               if e.account_id == person.id and where in (None, e.collective_id)), None)
            if invitation is None:
                raise KeyError(f"{slug} has no pending invitation")
            return self.platform.accept(invitation)

    # ------------------------------------------------------------ assertions

    def operations(self, status: int | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(operationName, variables) of each logged request, in order; ``status``: only those answered so."""
        with self.lock:
            logged = [r for r in self.log if status is None or r.status == status]
        return [(body.get("operationName") or "", body.get("variables") or {}) for body in map(_body, logged)]

    def writes(self) -> list[LoggedRequest]:
        """Requests that were mutations (every request is a POST)."""
        with self.lock:
            return [r for r in self.log if _is_mutation(_body(r))]

    # ------------------------------------------------------------ HTTP surface

    def throttled(self, request: Request, retry_after: float) -> Response:
        message = LIMIT_MESSAGE if request.headers.get("personal-token") else ANONYMOUS_LIMIT_MESSAGE
        return Response(429, {"error": {"message": message}}, {"Retry-After": seconds(retry_after)})

    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, b"<html><body><h1>Service Unavailable</h1></body></html>",
                        {"Content-Type": "text/html; charset=utf-8"})

    def handle(self, request: Request) -> Response:
        if request.path != PATH:
            return Response(404, f"Cannot {request.method} {request.path}".encode(), {"Content-Type": "text/html"})
        if request.method != "POST":
            return _apollo_error(405, "Apollo Server supports only GET/POST requests.", "BAD_REQUEST", {"Allow": "GET, POST"})
        with self.lock:
            token = request.headers.get("personal-token") or (request.arg("personalToken") or "")
            found = self.tokens.get(token) if token else None
            if token and (found is None or found.expired):
                kind = "Expired Personal Token (Api Key)" if found else f"Invalid Personal Token (Api Key): {token}"
                return Response(401, {"error": {"code": 401, "type": "unauthorized", "message": kind}})
            if (wait := self._over_limit(token or "anonymous", 10 if not token else self.rate_limit)) is not None:
                return self.throttled(request, wait)
            caller = Caller(self.platform.accounts[found.user_id] if found else None, found)
            return self._graphql(request, caller)

    def _graphql(self, request: Request, caller: Caller) -> Response:
        body = _body_of(request)
        if "json" not in request.headers.get("content-type", "") or not isinstance(body, dict) or not body:
            return _apollo_error(400, "POST body missing, invalid Content-Type, or JSON object has no keys.", "BAD_REQUEST")
        if not isinstance(body.get("query"), str):
            return _apollo_error(400, "GraphQL operations must contain a non-empty `query` or a `persistedQuery` "
                                 "extension.", "BAD_REQUEST")
        checked = self._checked(body["query"])
        if isinstance(checked, Response):
            return checked
        result = execute_sync(self.schema, checked, schema.Root(self.platform, caller),
                         variable_values=body.get("variables") or None, operation_name=body.get("operationName"))
        errors = list(result.errors or [])
        if result.data is None and errors and all(not e.path for e in errors):  # variables or operation refused
            return Response(400, {"errors": [_formatted(e, "BAD_USER_INPUT") for e in errors]})
        answer: dict[str, Any] = {"data": result.data}
        if errors:
            answer = {"errors": [_formatted(e, "INTERNAL_SERVER_ERROR") for e in errors], **answer}
        return Response(200, answer)

    def _checked(self, query: str) -> DocumentNode | Response:
        """The parsed document, or the HTTP 400 that refuses it; remembered per query text, as validating takes
        graphql-core some 20 ms and a connector sends the same few queries again and again."""
        if query not in self._documents:
            if len(self._documents) > 256:
                self._documents.clear()
            try:
                document = parse(query)
            except GraphQLSyntaxError as exc:
                return _apollo_error(400, _js_quotes(exc.message), "GRAPHQL_PARSE_FAILED", locations=exc.locations)
            problems = validate(self.schema, document)
            self._documents[query] = document if not problems else \
                Response(400, {"errors": [_formatted(e, "GRAPHQL_VALIDATION_FAILED") for e in problems]})
        return self._documents[query]

    def _over_limit(self, key: str, per_minute: int | None) -> float | None:
        """express-limiter: a fixed window from the key's first request; seconds left in it once full."""
        if per_minute is None:
            return None
        now = self._clock()
        reset, used = self._windows.get(key, (now + 60.0, 0))
        if now >= reset:
            reset, used = now + 60.0, 0
        if used >= per_minute:
            return reset - now
        self._windows[key] = (reset, used + 1)
        return None


def seconds(value: float) -> str:
    """A wait as express-limiter writes it: seconds with the milliseconds kept ("37.512")."""
    return f"{max(0.0, value):.3f}".rstrip("0").rstrip(".")


def _js_quotes(message: str) -> str:
    """graphql-core quotes names 'so'; graphql-js, behind Apollo, "so"."""
    return message.replace("'", '"')


def _formatted(error: GraphQLError, default_code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = {**error.formatted}
    extensions = dict(formatted.get("extensions") or {})
    formatted["message"] = _js_quotes(error.message) if default_code != "INTERNAL_SERVER_ERROR" else error.message
    formatted["extensions"] = {"code": extensions.get("code", default_code), "id": str(uuid.uuid4())}
    return formatted


def _apollo_error(status: int, message: str, code: str, headers: dict[str, str] | None = None,
                  locations: Any = None) -> Response:
    error: dict[str, Any] = {"message": message, "extensions": {"code": code}}
    if locations:
        error["locations"] = [{"line": loc.line, "column": loc.column} for loc in locations]
    return Response(status, {"errors": [error]}, dict(headers or {}))


def _body_of(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


def _body(logged: LoggedRequest) -> dict[str, Any]:
    try:
        body = json.loads(logged.body or b"null")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _is_mutation(body: dict[str, Any]) -> bool:
    return _mutation(str(body.get("query") or ""), str(body.get("operationName") or ""))


@functools.lru_cache(maxsize=256)
def _mutation(query: str, name: str) -> bool:
    """Is the operation ``name`` (the only one, when empty) of ``query`` a mutation? Remembered: ``writes()`` asks
    about every logged request each time."""
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return False
    return any(isinstance(d, OperationDefinitionNode) and d.operation is OperationType.MUTATION
               and (not name or (d.name is not None and d.name.value == name)) for d in document.definitions)
