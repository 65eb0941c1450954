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

Whatever breaks once the whole request was written (the connection closed, reset or timed out
before the answer, or while its body was read) is ``AnswerLost``, naming the request: for most
calls a connection problem like any other, for a Gmail send the difference between "not sent"
and "perhaps sent" (``mailbox``).
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

    def __init__(self, message: str, method: str = "", target: str = "") -> None:
        super().__init__(message)
        self.method = method  # the request written, e.g. "POST"
        self.target = target  # its path and query, e.g. "/gmail/v1/users/me/messages/send?alt=json"


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

    class Answer(http.client.HTTPResponse):
        """An answer whose body cannot be read to the end is lost too: the request was applied, or may be."""

        sent: tuple[str, str] = ("", "")

        def read(self, amt: int | None = None) -> bytes:
            try:
                return super().read(amt)
            except (OSError, http.client.HTTPException) as exc:
                if isinstance(exc, AnswerLost):
                    raise
                raise AnswerLost(f"the connection broke while Google's answer was read ({type(exc).__name__})",
                                 *self.sent) from exc

    class SendOnce:
        """Mixed into httplib2's connection classes (``http.client.HTTPConnection`` underneath)."""

        response_class = Answer
        sent: tuple[str, str] = ("", "")  # method and target of the last request written in full

        def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> None:
            if self.sock is not None and closed_by_peer(self.sock):
                self.close()  # nothing was sent on it: http.client connects anew, no request is repeated
            self.sent = ("", "")
            super().request(method, url, *args, **kwargs)  # type: ignore[misc]  # http.client's, after this mixin
            self.sent = (method, url)

        def getresponse(self: Any) -> Any:
            try:
                response = super().getresponse()  # type: ignore[misc]
            except (OSError, http.client.HTTPException) as exc:
                # Closed (BadStatusLine, RemoteDisconnected), reset or timed out after the request went out.
                said = "Google did not answer in time" if isinstance(exc, TimeoutError) else \
                    "the connection closed before Google answered"
                raise AnswerLost(f"{said} ({type(exc).__name__})", *self.sent) from exc
            response.sent = self.sent
            return response

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
