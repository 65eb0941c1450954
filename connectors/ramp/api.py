"""The only module that speaks HTTP to Ramp: one requests.Session, paced, never retrying by itself.

Ramp's Developer API takes an OAuth 2 client-credentials token: ``POST /developer/v1/token``
with the client id and secret as HTTP Basic auth and the form ``grant_type=client_credentials
&scope=...``. The token is kept and reused until shortly before ``expires_in`` runs out (ten
days for client credentials), minted once for all threads. A 401 on a token minted earlier
drops it and is retriable (the engine's next try mints a new one); a 401 on a token minted for
that very request is an ``AuthError``.

Every request, the token's included, is paced in one bucket: Ramp allows 200 requests in any
10-second window per address and then locks out for a minute, so offboard stays under 190.
Reads go through the engine's retry of one read (``read``); a write goes out once, and the
engine retries its action, which looks first. A list is paged with ``page_size`` and the
``start`` cursor; ``page.next`` is a full URL, of which only the query is used, against the
configured root: a bearer token never follows a host named in an answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

import requests

from offboard.spi import FatalError, RateLimit, RetriableError
from offboard.spi.http import LazySession

from . import errors

BUCKET = "api"
# Ramp: 200 requests per rolling 10 s per address. A bucket of 20 refilled at 17/s lets through at
# most 20 + 170 = 190 in any 10 s, leaving room for another integration from the same address.
RATE_LIMITS = {BUCKET: RateLimit(170, 10, burst=20)}
PAGE_SIZE = 100  # the newest documented bound (2..100)
TOKEN_PATH = "/developer/v1/token"
TIMEOUT = 30.0  # seconds; Ramp itself ends a request after 60 s with a 504

T = TypeVar("T")


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()


@dataclass(frozen=True)
class Token:
    """An access token, when to stop using it, and the scopes Ramp said it carries (None: not said)."""

    value: str
    good_until: float
    scopes: frozenset[str] | None

    def __repr__(self) -> str:  # never shows the token itself
        return f"Token(good_until={self.good_until}, scopes={self.scopes})"


class RampApi:
    """Paced, classified calls to Ramp's Developer API. Every failure is a ``ConnectorError``."""

    def __init__(self, client_id: Callable[[], str], client_secret: Callable[[], str], pace: Callable[[str], None],
                 base_url: str, env_names: tuple[str, str], read: Retrying = _once, timeout: float = TIMEOUT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._pace = pace
        self._base = base_url.rstrip("/")
        self.id_env, self.secret_env = env_names
        self.retrying = read  # the engine's retry of one read; never used for a write
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._sessions = LazySession({"Accept": "application/json"})

    # -- the session and the token

    def session(self) -> requests.Session:
        return self._sessions.get()

    def token(self) -> tuple[Token, bool]:
        """The token in use, and whether it was minted just now; mints one when there is none or it runs out."""
        session = self.session()
        with self._lock:  # one mint for every thread that needs a token now
            if self._token is not None and self._clock() < self._token.good_until:
                return self._token, False
            self._token = self._mint(session)
            return self._token, True

    def _mint(self, session: requests.Session) -> Token:
        client_id, secret = self._client_id(), self._client_secret()  # AuthError when a variable is not set
        self._pace(BUCKET)
        started = self._clock()
        try:
            response = session.post(self._base + TOKEN_PATH, auth=(client_id, secret), timeout=self._timeout,
                                    data={"grant_type": "client_credentials", "scope": " ".join(errors.SCOPES)})
        except requests.RequestException as exc:
            raise errors.from_exception("give an access token", exc) from None
        if response.status_code != 200:
            raise errors.from_token_response(response, self.id_env, self.secret_env)
        body = errors.body_of(response)
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise FatalError("Ramp's token endpoint answered without an access token")
        lifetime = float(body.get("expires_in") or 3600)
        margin = min(60.0, lifetime / 10)  # stop using it before Ramp does
        granted = body.get("scope")
        scopes = frozenset(str(granted).split()) if isinstance(granted, str) else None
        return Token(value, started + lifetime - margin, scopes)

    def forget(self, token: Token) -> None:
        """Drop ``token`` (Ramp refused it); the next request mints a new one."""
        with self._lock:
            if self._token is token:
                self._token = None

    def close(self) -> None:
        self._sessions.close()
        with self._lock:
            self._token = None

    # -- requests

    def call(self, method: str, path: str, *, what: str, scope: str, params: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None) -> Any:
        """One request; the decoded JSON answer (None when empty). Writes go through here once."""
        token, fresh = self.token()
        self._pace(BUCKET)
        try:
            response = self.session().request(method, self._base + path, params=dict(params or {}) or None,
                                              json=dict(body) if body is not None else None, timeout=self._timeout,
                                              headers={"Authorization": f"Bearer {token.value}"})
        except requests.RequestException as exc:
            raise errors.from_exception(what, exc) from None
        if response.status_code == 401:
            self.forget(token)
            if not fresh:  # it was good a moment ago: expired early or revoked; the next try mints another
                raise RetriableError(f"Ramp no longer accepts the access token (asked to {what}): a new one is requested",
                                     retry_after=0)
        if not 200 <= response.status_code < 300:
            raise errors.from_response(what, scope, response, self.id_env, self.secret_env)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise FatalError(f"Ramp answered something that is not JSON when asked to {what}") from None

    def read(self, path: str, *, what: str, scope: str, params: Mapping[str, Any] | None = None) -> Any:
        """A GET, retried on its own by the engine (paced at each try)."""
        return self.retrying(lambda: self.call("GET", path, what=what, scope=scope, params=params))

    def pages(self, path: str, *, what: str, scope: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """Each page's ``data`` of a paged list, as it comes; each page read on its own."""
        query: dict[str, Any] = {**(params or {}), "page_size": PAGE_SIZE}
        while True:
            answer = self.read(path, what=what, scope=scope, params=query) or {}
            yield list(answer.get("data") or [])
            following = (answer.get("page") or {}).get("next")
            if not following:
                return
            query = dict(parse_qsl(urlsplit(str(following)).query))  # the query only: never another host
            if "start" not in query:
                return
