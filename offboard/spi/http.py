"""HTTP for connectors that speak ``requests``: sessions that never re-send behind the engine's back.

Each such connector's ``api.py`` builds its session here, so that "urllib3 retries nothing" and the
User-Agent are decided once. Not imported by ``offboard.spi`` itself: only connectors that use
``requests`` pay for importing it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version

import requests
from requests.adapters import HTTPAdapter


def offboard_version() -> str:
    """The installed version; "0" in a source checkout that was never installed."""
    try:
        return version("offboard")
    except PackageNotFoundError:
        return "0"


def user_agent() -> str:
    return f"offboard/{offboard_version()}"


def new_session(headers: Mapping[str, str] | None = None) -> requests.Session:
    """A session with retries off (the engine alone retries), offboard's User-Agent, then ``headers``.

    Plain http is mounted too: it only ever reaches a loopback emulator (``check_endpoint``).
    """
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": user_agent(), **(headers or {})})
    return session


class LazySession:
    """``new_session(headers)`` built on first use, so that a connector that is never asked anything opens
    nothing; shared by the engine's threads, closed once."""

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._headers = dict(headers or {})
        self._lock = threading.Lock()
        self._session: requests.Session | None = None

    def get(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = new_session(self._headers)
            return self._session

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()
