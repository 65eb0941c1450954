"""The only module that speaks HTTP to Bitwarden: one ``requests.Session``, paced, never retrying.

The organization's API key is exchanged for an access token at the identity server
(``client_credentials``, scope ``api.organization``); the token lives an hour and is fetched once
and reused until five minutes before it ends, by every thread. A token Bitwarden accepted before
and refuses now (expired early, key rotated) is dropped and the request fails as retriable, so the
engine's next attempt fetches a new one; a token refused from the start is an ``AuthError``.

Each read goes through the engine's retry of one read (``ConnectorContext.read``); each write goes
out once, and the engine retries its action, which looks first. Every request is paced against its
verb's bucket (``RATE_LIMITS``, the server's per-IP defaults).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import requests

from offboard.spi import FatalError, NotFoundError, RateLimit, RetriableError
from offboard.spi.http import new_session

from . import errors

T = TypeVar("T")

# bitwarden/server appsettings.json (per IP): GET 200 a minute; POST, PUT and DELETE each 60 a minute and 5 a
# second; the identity server's connect/token 10 a minute. Each bucket stays under both of its windows.
RATE_LIMITS = {
    "get": RateLimit(180, 60, burst=20),
    **{verb: RateLimit(55, 60, burst=4) for verb in ("post", "put", "delete")},
    "token": RateLimit(9, 60, burst=1),
}
TOKEN_MARGIN = 300.0  # seconds before its end that a token is replaced
TIMEOUT = 30.0


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()


class BitwardenApi:
    """Paced, classified calls to the Public API. Every failure is a ``ConnectorError``."""

    def __init__(self, api_url: str, identity_url: str, credentials: Callable[[], tuple[str, str]],
                 env_names: tuple[str, str], pace: Callable[[str], None], read: Retrying = _once,
                 timeout: float = TIMEOUT, clock: Callable[[], float] = time.monotonic) -> None:
        self.api_url = api_url.rstrip("/")
        self.identity_url = identity_url.rstrip("/")
        self._credentials = credentials  # read when a token is needed, never kept
        self._env_names = env_names
        self._pace = pace
        self._retrying = read
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0
        self._proven = False  # Bitwarden accepted the current token at least once
        self.session = new_session({"Accept": "application/json"})

    # -- the access token

    def token(self) -> str:
        """The current access token, fetched when there is none or it ends within ``TOKEN_MARGIN``."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires - TOKEN_MARGIN:
                self._token, self._expires = self._fetch_token()
                self._proven = False
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        client_id, secret = self._credentials()
        form = {"grant_type": "client_credentials", "scope": "api.organization", "client_id": client_id,
                "client_secret": secret}
        self._pace("token")
        try:
            response = self.session.post(f"{self.identity_url}/connect/token", data=form, timeout=self._timeout)
        except requests.RequestException as exc:
            raise errors.from_exception("get an access token", exc) from None
        if response.status_code != 200:
            raise errors.from_token_response(response, *self._env_names)
        data = errors.body_of(response)
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise FatalError("Bitwarden's identity server answered the token request without a token: check "
                             "identity_url (https://HOST/identity for a self-hosted server)")
        lifetime = float(data.get("expires_in") or 3600)
        return data["access_token"], self._clock() + lifetime

    def _refused(self, token: str) -> bool:
        """Drop ``token`` after a 401; True when it had worked before (so a new one may well work)."""
        with self._lock:
            if self._token != token:
                return True  # another thread replaced it already
            proven, self._token, self._proven = self._proven, None, False
            return proven

    # -- requests

    def send(self, method: str, path: str, what: str, body: Any = None) -> requests.Response:
        """One request to the API, paced; a 2xx answer, or the classified error."""
        token = self.token()
        self._pace(method.lower())
        try:
            response = self.session.request(method, f"{self.api_url}{path}", json=body, timeout=self._timeout,
                                            headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as exc:
            raise errors.from_exception(what, exc) from None
        if 200 <= response.status_code < 300:
            with self._lock:
                self._proven = self._proven or self._token == token
            return response
        if response.status_code == 401 and self._refused(token):
            raise RetriableError(f"Bitwarden no longer accepted offboard's access token to {what} (it expired early "
                                 "or the key was rotated): a new one is fetched on the next try", retry_after=0.0)
        raise errors.from_response(what, response)

    def _json(self, response: requests.Response, what: str) -> Any:
        data = errors.body_of(response)
        if data is None:
            raise FatalError(f"Bitwarden answered the request to {what} with something that is not JSON: check "
                             "api_url (https://HOST/api for a self-hosted server)")
        return data

    def get(self, path: str, what: str) -> Any:
        """A read, retried by the engine on its own; its JSON."""
        return self._retrying(lambda: self._json(self.send("GET", path, what), what))

    def find(self, path: str, what: str) -> Any | None:
        """``get``, with None for a 404 (a member that is not there answers 404 with an empty body)."""
        try:
            return self.get(path, what)
        except NotFoundError:
            return None

    def write(self, method: str, path: str, what: str, body: Any = None) -> None:
        """A write, sent once: the engine retries its action, which looks first."""
        self.send(method, path, what, body)

    def probe(self, path: str, what: str) -> int:
        """A GET that only asks whether a route exists: 405 (it does, for another method), 404 (it does not)."""
        def status() -> int:
            try:
                return self.send("GET", path, what).status_code
            except NotFoundError:
                return 404
            except errors.RouteMissing:
                return 405
        return self._retrying(status)

    def server_version(self) -> str | None:
        """The server's version from ``GET /config`` (it answers anyone), or None when it cannot be read."""
        try:
            self._pace("get")
            response = self.session.get(f"{self.api_url}/config", timeout=self._timeout)
            data = errors.body_of(response) if response.status_code == 200 else None
        except requests.RequestException:
            return None
        value = data.get("version") if isinstance(data, dict) else None
        return value if isinstance(value, str) else None

    def close(self) -> None:
        self.session.close()
