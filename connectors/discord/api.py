"""The only module that speaks HTTP to Discord: one ``requests`` session, paced, classified, never retrying.

Every request waits for the engine's pacer (the global 50 requests a second), is refused before it
is sent when its route's bucket is known to be used up (``ratelimit``), and carries the bot token,
Discord's User-Agent and, for a change, the audit-log reason. A read goes through the engine's retry
of one read (``ConnectorContext.read``); a write goes out once, and the engine retries its action,
which looks first. The session has ``max_retries=0``: urllib3 re-sends nothing behind the engine's back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import requests

from offboard.spi import FatalError, RateLimit, RetriableError
from offboard.spi.http import new_session, offboard_version

from . import errors
from .ratelimit import Buckets, route_key

API_URL = "https://discord.com/api/v10"
PROJECT_URL = "https://github.com/offboard"
GLOBAL = "global"
# 50 requests a second per bot (rate-limits.mdx): a bucket of 10 refilled at 40/s never sends more than 50
# in any one second, however Discord counts its second.
RATE_LIMITS = {GLOBAL: RateLimit(40, 1.0, burst=10)}
PAGE = 1000  # members and bans: at most 1000 a page
REASON_LIMIT = 512  # X-Audit-Log-Reason: 1-512 URL-encoded UTF-8 characters (audit-log.mdx)
TIMEOUT = (10.0, 30.0)  # connect, read

T = TypeVar("T")


def user_agent() -> str:
    """``DiscordBot ($url, $versionNumber)`` as reference.mdx asks, then offboard's own name."""
    version = offboard_version()
    return f"DiscordBot ({PROJECT_URL}, {version}) offboard/{version}"


def audit_reason(text: str) -> str:
    """The reason URL-encoded, cut (never mid-character) so that the encoded form has at most 512 characters."""
    text = " ".join(text.split()) or "offboard"
    encoded = quote(text, safe=" ")
    while len(encoded) > REASON_LIMIT:
        text = text[:-1]
        encoded = quote(text, safe=" ")
    return encoded


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()


class DiscordApi:
    """Paced, classified requests to one guild's part of the API. Every failure is a ``ConnectorError``."""

    def __init__(self, token: Callable[[], str], token_env: str, guild_id: str, base_url: str = API_URL,
                 pace: Callable[[str], None] = lambda bucket: None, read: Retrying = _once,
                 buckets: Buckets | None = None) -> None:
        self._token = token
        self.token_env = token_env
        self.guild_id = guild_id
        self._base = (base_url or API_URL).rstrip("/")
        self._pace = pace
        self._retrying = read
        self.buckets = buckets or Buckets()
        self.session = new_session({"User-Agent": user_agent()})

    @property
    def guild(self) -> str:
        """The guild's path: ``/guilds/<id>``."""
        return f"/guilds/{self.guild_id}"

    def call(self, method: str, path: str, what: str, *, body: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None, reason: str | None = None, permission: str = "",
             missing_access: str = "") -> Any:
        """One request; its JSON answer (None for 204). ``what`` completes "when trying to ..." in errors."""
        route = route_key(method, path)
        self.buckets.check(route, what)
        self._pace(GLOBAL)
        headers = {"Authorization": f"Bot {self._token()}"}
        if reason is not None:
            headers["X-Audit-Log-Reason"] = audit_reason(reason)
        try:
            response = self.session.request(method, self._base + path, json=body, params=params, headers=headers,
                                            timeout=TIMEOUT)
        except requests.Timeout:
            raise RetriableError(f"Discord did not answer in time when trying to {what}") from None
        except requests.ConnectionError:
            raise RetriableError(f"could not reach Discord when trying to {what} (connection failed)") from None
        except requests.RequestException as exc:
            raise FatalError(f"the request to {what} could not be sent ({type(exc).__name__})") from None
        self.buckets.update(route, response.headers)
        data = self._json(response)
        if 200 <= response.status_code < 300:
            return data
        raise errors.classify(response.status_code, data if isinstance(data, Mapping) else {}, response.headers, what,
                              token_env=self.token_env, guild_id=self.guild_id, permission=permission,
                              missing_access=missing_access, reading=method == "GET")

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            if 200 <= response.status_code < 300:
                raise FatalError(f"Discord answered HTTP {response.status_code} with something that is not JSON: "
                                 "check [connectors.discord] api_url") from None
            return {}

    def read(self, path: str, what: str, *, params: Mapping[str, Any] | None = None, missing_access: str = "",
             permission: str = "") -> Any:
        """``call`` for a GET, retried on its own by the engine (paced at each try)."""
        return self._retrying(lambda: self.call("GET", path, what, params=params, missing_access=missing_access,
                                                permission=permission))

    def pages(self, path: str, what: str, id_of: Callable[[Any], str], missing_access: str = "",
              permission: str = "") -> Iterator[list[Any]]:
        """``limit=1000&after=<highest id so far>`` paging; each page read (and retried) on its own."""
        after = "0"
        while True:
            page = self.read(path, what, params={"limit": PAGE, "after": after}, missing_access=missing_access,
                             permission=permission) or []
            if page:
                yield list(page)
            if len(page) < PAGE:
                return
            after = max((id_of(item) for item in page), key=int)

    def close(self) -> None:
        self.session.close()
