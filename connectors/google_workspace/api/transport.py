"""httplib2 without its hidden re-sends: each request goes out once, and the engine alone retries.

httplib2 re-sends a request by itself in ``Http._conn_request``:

- when the connection closes before the answer's status line (``BadStatusLine``,
  ``RemoteDisconnected``) on the first try, *whatever* ``httplib2.RETRIES`` says: a POST the
  server applied is sent again, milliseconds later (a Drive transfer started twice, 11 ms apart);
- up to ``RETRIES`` times (2 by default) for some socket errors (``ENETUNREACH``...).

``httplib2.RETRIES = 1`` (one try) ends the second kind. For the first, the connections used
here turn a missing answer into ``AnswerLost``, an ``OSError`` that httplib2 raises instead of
re-sending; the connector classifies it as retriable, and the engine decides, after a backoff,
with the action re-checking what was done (``actions``). What httplib2's re-send was for, a
kept-alive connection the server closed while it was idle, is handled before anything is
sent: a socket the server closed (readable while idle) is replaced by a new connection, which
re-sends nothing. google-auth's ``AuthorizedHttp`` sends a request again only after a 401 and
a token refresh: a request refused for its token was not applied, so that is no hidden retry.
"""

from __future__ import annotations

import http.client
import select
import socket
from functools import cache
from typing import Any
from urllib.parse import urlsplit


class AnswerLost(ConnectionError):
    """The connection ended after the request was sent and before an answer: it may have been applied."""


def closed_by_peer(sock: socket.socket) -> bool:
    """True when an idle kept-alive socket has something to read: the server closed it (or broke it)."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


@cache
def http_class() -> type[Any]:
    """``httplib2.Http`` whose connections send each request once (see the module)."""
    import httplib2

    httplib2.RETRIES = 1  # the number of tries: no re-send on socket errors (process-wide, on purpose)

    class SendOnce:
        """Mixed into httplib2's connection classes (``http.client.HTTPConnection`` underneath)."""

        def request(self: Any, *args: Any, **kwargs: Any) -> None:
            if self.sock is not None and closed_by_peer(self.sock):
                self.close()  # nothing was sent on it: http.client connects anew, no request is repeated
            super().request(*args, **kwargs)  # type: ignore[misc]  # http.client's, after this mixin

        def getresponse(self: Any) -> Any:
            try:
                return super().getresponse()  # type: ignore[misc]
            except (http.client.BadStatusLine, http.client.ResponseNotReady) as exc:
                raise AnswerLost(f"the connection closed before Google answered ({type(exc).__name__})") from exc

    class Connection(SendOnce, httplib2.HTTPConnectionWithTimeout):
        pass

    class SecureConnection(SendOnce, httplib2.HTTPSConnectionWithTimeout):
        pass

    connections = {"http": Connection, "https": SecureConnection}

    class Http(httplib2.Http):
        """An ``httplib2.Http`` that never sends a request twice on its own."""

        def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                    redirections: int = httplib2.DEFAULT_MAX_REDIRECTS, connection_type: Any = None) -> Any:
            if connection_type is None:
                connection_type = connections.get(urlsplit(uri).scheme.lower())
            return super().request(uri, method, body, headers, redirections, connection_type)

    return Http
