"""The only module that speaks HTTP to Open Collective: GraphQL v2 over one ``requests.Session``, paced, never retrying.

The session's adapters have ``max_retries=0``: the engine alone decides what is retried and
when. A read goes through the engine's retry of one read (``ConnectorContext.read``); a
mutation goes out once, and the engine retries its action, which looks first. Every request,
read or write, counts against the one limit Open Collective applies: 100 requests a minute per
personal token (opencollective-api, server/routes.ts). The bucket paces 90 a minute with a
burst of 10, so that no 60-second window can hold more than 100, wherever it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import requests

from offboard.spi import FatalError, RateLimit
from offboard.spi.http import LazySession

from . import errors
from .queries import Operation

BUCKET = "graphql"
RATE_LIMITS = {BUCKET: RateLimit(90, 60, burst=10)}
DEFAULT_API_URL = "https://api.opencollective.com/graphql/v2"
TIMEOUT = (10.0, 30.0)  # seconds to connect, seconds to read

T = TypeVar("T")


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()



class OpenCollectiveApi:
    """Paced, classified GraphQL requests. Every failure is a ``ConnectorError``; an answer is its ``data``."""

    def __init__(self, url: str, token: Callable[[], str], token_env: str, collective: str,
                 pace: Callable[[str], None], read: Retrying = _once, timeout: tuple[float, float] = TIMEOUT) -> None:
        self.url = url or DEFAULT_API_URL
        self._token = token
        self.token_env = token_env
        self.collective = collective  # the slug, named in sentences
        self._pace = pace
        self._retrying = read
        self._timeout = timeout
        self._sessions = LazySession({"Accept": "application/json"})

    def session(self) -> requests.Session:
        return self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    def send(self, operation: Operation, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One request, sent once: the answer's ``data``, or a classified error."""
        token = self._token()
        body = {"query": operation.document, "operationName": operation.name,
                "variables": {k: v for k, v in (variables or {}).items() if v is not None}}
        session = self.session()
        self._pace(BUCKET)
        try:
            response = session.post(self.url, json=body, headers={"Personal-Token": token}, timeout=self._timeout,
                                    allow_redirects=False)
        except requests.RequestException as exc:
            raise errors.from_exception(operation.what, exc) from None
        if response.status_code != 200:
            raise errors.from_http(operation.what, response, token, self.token_env)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise FatalError(f"Open Collective answered with something that is not GraphQL's JSON while {operation.what}: "
                             f"check api_url ({DEFAULT_API_URL})")
        problems = answer.get("errors")
        if isinstance(problems, list) and problems:
            first = problems[0] if isinstance(problems[0], dict) else {}
            raise errors.from_graphql(operation.what, first, self.collective, token, self.token_env)
        data = answer.get("data")
        if not isinstance(data, dict):
            raise FatalError(f"Open Collective's answer had no data while {operation.what}")
        return data

    def read(self, operation: Operation, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A query, retried on its own by the engine (paced at each try)."""
        if operation.is_mutation:
            raise FatalError(f"offboard bug: {operation.name} is a mutation, sent as a read")
        return self._retrying(lambda: self.send(operation, variables))

    def write(self, operation: Operation, variables: Mapping[str, Any]) -> dict[str, Any]:
        """A mutation, sent once: the engine retries its action, which looks first."""
        return self.send(operation, variables)
