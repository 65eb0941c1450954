"""The only module that speaks HTTP to Brex: one ``requests.Session``, paced, never retrying by itself.

The session's adapters have ``max_retries=0``: the engine alone decides what is retried and when. A
read (``get``, each page of ``pages``) goes through the engine's retry of one read
(``ConnectorContext.read``); a write (``write``) goes out once under the ``Idempotency-Key`` its
action gives it, and the engine retries the action, which looks first. Every request, read or
write, is counted against the one bucket Brex's limit applies to: 1,000 requests in 60 seconds per
client and account (developer.brex.com, Rate limits).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

import requests

from offboard.spi import RateLimit
from offboard.spi.http import LazySession

from . import errors

BUCKET = "requests"
RATE_LIMITS = {BUCKET: RateLimit(1000, 60, window=True)}  # any 60 s, as Brex counts: never a burst and its refill
DEFAULT_API_URL = "https://api.brex.com"  # the Team API reference's Production server (older docs: platform.brexapis.com)
PAGE_SIZE = 100
TIMEOUT = (10.0, 30.0)  # seconds to connect, seconds to read
TEXT_LIMIT = 200  # characters of a free-text field offboard sends

T = TypeVar("T")


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()



def ascii_text(text: str) -> str:
    """``text`` as Brex's free-text fields accept it: ASCII only (accents dropped, the rest left out), one line."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[\x00-\x1f\x7f]+", " ", plain)
    return " ".join(plain.split())[:TEXT_LIMIT]


class BrexApi:
    """Paced, classified requests to Brex's Team API. Every failure is a ``ConnectorError``."""

    def __init__(self, base_url: str, token: Callable[[], str], token_env: str, pace: Callable[[str], None],
                 read: Retrying = _once, timeout: tuple[float, float] = TIMEOUT) -> None:
        self._base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self._token = token
        self.token_env = token_env
        self._pace = pace
        self._retrying = read
        self._timeout = timeout
        self._sessions = LazySession({"Accept": "application/json"})

    def session(self) -> requests.Session:
        return self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    # -- requests

    def request(self, method: str, path: str, what: str, *, params: Mapping[str, Any] | None = None,
                body: Mapping[str, Any] | None = None, key: str | None = None) -> Any:
        """One request, sent once; the JSON answer, or a classified error. ``what`` names it in sentences."""
        headers = {"Authorization": f"Bearer {self._token()}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        session = self.session()
        self._pace(BUCKET)
        try:
            response = session.request(method, self._base_url + path, params=dict(params or {}) or None,
                                       json=dict(body) if body is not None else None, headers=headers,
                                       timeout=self._timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise errors.from_exception(what, exc) from None
        if not 200 <= response.status_code < 300:
            raise errors.from_response(what, method, path, response, self.token_env)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise errors.BrexRefused(f"Brex answered the request to {what} with something that is not JSON "
                                     f"(HTTP {response.status_code}): check api_url", response.status_code, "") from None

    def get(self, path: str, what: str, **params: Any) -> Any:
        """A read, retried on its own by the engine (paced at each try)."""
        query = {k: v for k, v in params.items() if v is not None}
        return self._retrying(lambda: self.request("GET", path, what, params=query))

    def pages(self, path: str, what: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Cursor pagination (``next_cursor``, ``limit``): each page read and retried on its own, yielded as it comes."""
        cursor: str | None = None
        while True:
            page = self.get(path, what, limit=PAGE_SIZE, cursor=cursor, **params) or {}
            yield [dict(item) for item in page.get("items") or []]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def write(self, method: str, path: str, what: str, key: str, body: Mapping[str, Any] | None = None) -> Any:
        """A change (POST or PUT) under ``key``, sent once: Brex answers a repeat of it without a second change."""
        return self.request(method, path, what, body=body, key=key)
