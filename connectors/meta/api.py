"""The only module that speaks HTTP to Meta: the Graph API through one ``requests.Session``, never retrying.

The session's adapters have ``max_retries=0`` (the engine alone retries), every call has a
timeout, and the token goes in an ``Authorization: Bearer`` header, never in the URL, so that
no log line or error shows it. A read goes through the engine's retry of one read
(``ConnectorContext.read``); a write goes out once, and the engine retries its action, which
looks first. Paging follows ``paging.cursors.after`` with this module's own request instead
of the ``next`` URL Meta sends: that URL can carry a token, and could point anywhere.
Before each request the usage gate (``usage``) may refuse to send, asking the engine to wait.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import requests

from offboard.spi import FatalError, RetriableError
from offboard.spi.http import LazySession

from . import errors
from .usage import UsageGate

DEFAULT_URL = "https://graph.facebook.com"
PAGE_SIZE = 100
TIMEOUT = 30.0

T = TypeVar("T")


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()


class GraphApi:
    """Classified calls to ``{api_url}/{api_version}/...``. Every failure is a ``ConnectorError``."""

    def __init__(self, token: Callable[[], str], token_env: str, api_url: str = DEFAULT_URL, api_version: str = "v25.0",
                 read: Retrying = _once, timeout: float = TIMEOUT, gate: UsageGate | None = None) -> None:
        self._token_source = token
        self.token_env = token_env
        self._root = f"{(api_url or DEFAULT_URL).rstrip('/')}/{api_version}"
        self._retrying = read
        self._timeout = timeout
        self.gate = gate or UsageGate()
        self._lock = threading.Lock()
        self._sessions = LazySession()
        self._page_tokens: list[str] = []  # tokens Meta handed out, cut from any message

    @property
    def token(self) -> str:
        return self._token_source()

    def remember_secret(self, value: str) -> None:
        with self._lock:
            self._page_tokens.append(value)

    def session(self) -> requests.Session:
        return self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    # -- one request

    def call(self, method: str, path: str, *, what: str, needs: Sequence[str] = (), token: str | None = None,
             params: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One request, sent once; the JSON answer, or a classified error."""
        self.gate.check()
        credential = token or self.token
        session = self.session()
        try:
            response = session.request(method, f"{self._root}/{path.lstrip('/')}", params=_clean(params),
                                       data=_clean(data), headers={"Authorization": f"Bearer {credential}"},
                                       timeout=self._timeout, allow_redirects=False)
        except requests.Timeout:
            raise RetriableError(f"Meta did not answer in time to {what}") from None
        except requests.ConnectionError:
            raise RetriableError(f"could not reach Meta to {what} (connection failed)") from None
        except requests.RequestException as exc:
            raise FatalError(f"the request to {what} could not be sent ({type(exc).__name__})") from None
        self.gate.observe(response.headers)
        try:
            body = response.json()
        except ValueError:
            body = None
        if 200 <= response.status_code < 300 and isinstance(body, dict) and "error" not in body:
            return body
        with self._lock:
            secrets = [credential, *self._page_tokens]
        raise errors.from_response(what, response.status_code, body, response.headers, token_env=self.token_env,
                                   needs=needs, secrets=secrets)

    # -- reads

    def get(self, path: str, *, what: str, needs: Sequence[str] = (), token: str | None = None,
            **params: Any) -> dict[str, Any]:
        """A read, retried on its own by the engine."""
        return self._retrying(lambda: self.call("GET", path, what=what, needs=needs, token=token, params=params))

    def pages(self, path: str, *, what: str, needs: Sequence[str] = (), token: str | None = None,
              **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Cursor paging: one request per page, each retried on its own, each page's ``data`` yielded as it comes."""
        after: str | None = None
        while True:
            body = self.get(path, what=what, needs=needs, token=token, limit=PAGE_SIZE, after=after, **params)
            yield [item for item in body.get("data") or [] if isinstance(item, dict)]
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return

    def every(self, path: str, *, what: str, needs: Sequence[str] = (), token: str | None = None,
              **params: Any) -> list[dict[str, Any]]:
        return [item for page in self.pages(path, what=what, needs=needs, token=token, **params) for item in page]

    # -- writes

    def delete(self, path: str, *, what: str, needs: Sequence[str] = (), token: str | None = None,
               **params: Any) -> dict[str, Any]:
        return self.call("DELETE", path, what=what, needs=needs, token=token, params=params)

    def post(self, path: str, *, what: str, needs: Sequence[str] = (), token: str | None = None,
             **data: Any) -> dict[str, Any]:
        return self.call("POST", path, what=what, needs=needs, token=token, data=data)


def _clean(values: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Parameters as Graph takes them: None left out, lists as JSON arrays, booleans lower-case."""
    if values is None:
        return None
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            out[key] = json.dumps(list(value))
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out
