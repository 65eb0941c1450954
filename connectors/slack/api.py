"""The only module that speaks HTTP to Slack: slack-sdk's WebClient and SCIMClient, paced, never retrying.

slack-sdk is imported here, on first use, so that ``offboard --help`` does not pay for
it. The clients are built with ``retry_handlers=[]`` (the SDK otherwise retries
connection errors by itself, hidden from the engine; urllib itself never re-sends) and
shared across the engine's threads: each call builds its own urllib request, and nothing
in a call mutates the client. A read (``read``, every page of ``pages``) goes through the
engine's retry of one read (``ConnectorContext.read``); a write (``call``, ``scim_call``)
goes out once, and the engine retries its action, which looks first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from offboard.spi import RateLimit

from . import errors
from .tiers import METHOD_TIERS, PER_MINUTE

RATE_LIMITS = {
    # Slack counts each method's calls of any minute: at most the tier's number in one window, never a burst
    # and its refill in the same minute (which drew 429s from 200 channels on).
    **{tier: RateLimit(PER_MINUTE[tier], 60, window=True) for tier in ("tier2", "tier3", "tier4")},
    # SCIM: DELETE /Users/<id> allows 180 a minute in bursts of 20 (SCIM API rate limits page)
    "scim_write": RateLimit(PER_MINUTE["scim_write"], 60, burst=20),
}

PAGE_SIZE = 200

T = TypeVar("T")


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()


class SlackApi:
    """Paced, classified calls to the Web API and SCIM. Every failure is a ``ConnectorError``."""

    def __init__(self, token: Callable[[], str], pace: Callable[[str], None], base_url: str = "",
                 scim_base_url: str = "", timeout: int = 30, read: Retrying = _once) -> None:
        self._token_source = token
        self._pace = pace
        self._retrying = read  # the engine's retry of one read; never used for a write
        self._base_url = base_url
        self._scim_base_url = scim_base_url.rstrip("/") + "/" if scim_base_url else ""  # SCIMClient joins paths
        self._timeout = timeout
        self._lock = threading.Lock()
        self._web: Any = None
        self._scim: Any = None

    # -- clients, built on first use

    @property
    def token(self) -> str:
        return self._token_source()

    def web(self) -> Any:
        with self._lock:
            if self._web is None:
                from slack_sdk import WebClient

                self._web = WebClient(**self._client_args(self._base_url))
            return self._web

    def scim(self) -> Any:
        with self._lock:
            if self._scim is None:
                from slack_sdk.scim import SCIMClient

                self._scim = SCIMClient(**self._client_args(self._scim_base_url))
            return self._scim

    def _client_args(self, base_url: str) -> dict[str, Any]:
        """``retry_handlers=[]``: the engine, not the SDK, decides what is retried and when."""
        kwargs: dict[str, Any] = {"token": self.token, "timeout": self._timeout, "retry_handlers": []}
        if base_url:
            kwargs["base_url"] = base_url
        return kwargs

    def close(self) -> None:
        """Forget the clients: slack-sdk opens a urllib connection per request, so no socket stays open."""
        with self._lock:
            self._web = self._scim = None

    # -- Web API

    def call(self, method: str, **params: Any) -> Any:
        """Call one Web API method; answers the SlackResponse (``.data``, ``.headers``)."""
        client = self.web()
        if method in METHOD_TIERS:
            self._pace(METHOD_TIERS[method])
        try:
            return client.api_call(method, params={k: v for k, v in params.items() if v is not None})
        except Exception as exc:
            raise errors.from_exception(method, exc) from None

    def read(self, method: str, **params: Any) -> Any:
        """``call`` for a method that only reads, retried on its own by the engine (paced at each try)."""
        return self._retrying(lambda: self.call(method, **params))

    def pages(self, method: str, key: str, **params: Any) -> Iterator[list[Any]]:
        """Cursor pagination of a read: one call per page, each retried on its own, each page's ``key`` list
        yielded as it comes."""
        cursor = None
        while True:
            data = self.read(method, limit=PAGE_SIZE, cursor=cursor, **params).data
            yield list(data.get(key) or [])
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    # -- SCIM

    @property
    def scim_version(self) -> int:
        """2 when ``scim_base_url`` names SCIM v2; otherwise 1 (slack-sdk's default root is v1)."""
        return 2 if self._scim_base_url.rstrip("/").endswith("/v2") else 1

    def scim_call(self, verb: str, path: str, what: str, body: dict[str, Any] | None = None) -> Any:
        """One SCIM request; non-2xx answers become errors (the SDK returns them instead of raising)."""
        client = self.scim()
        if verb != "GET":
            self._pace("scim_write")
        try:
            response = client.api_call(http_verb=verb, path=path, body_params=body)
        except Exception as exc:
            raise errors.from_exception(f"SCIM {what}", exc) from None
        if not 200 <= response.status_code < 300:
            raise errors.from_scim(what, response.status_code, response.headers)
        return response
