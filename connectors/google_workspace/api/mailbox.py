"""The written notice through Gmail: one sender's mailbox, reached by domain-wide delegation as that sender.

``GmailMailbox`` is the connector's ``offboard.spi.Mailbox``. Its token is delegated to the
sender (``sub`` = the sender, as Gmail requires) with two scopes only: ``gmail.send`` to send
and ``gmail.metadata`` to find a sent message again (labels and headers, never a body). The
metadata scope does not allow the ``q`` search (Google's discovery document), so a message is
found by listing the newest messages labelled ``SENT`` and reading each one's ``Message-ID``.

The send goes out once and is not wrapped in the engine's read retry. Its fate is told apart:

- refused (429, a 4xx, a refused connection, a connection broken before the request was
  written in full, a lost answer of the token grant before it): nothing was sent,
  ``RetriableError`` or another error;
- written in full and then no answer (the connection closed, was reset or timed out before the
  answer, or while it was read: ``transport.AnswerLost`` naming this request), or a 5xx: it may
  have gone, ``DeliveryUnknown``. Gmail can be asked (``can_look_up``), so the notice code
  looks it up by its Message-ID instead of sending it again.

Lists and gets are reads, each through ``read`` (``ConnectorContext.read``) like every read.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from offboard.spi import ConnectorError, DeliveryUnknown, FatalError, NotFoundError, SentMail

from ..errors import from_mail_http_error, from_transport_error
from .clients import GoogleClients
from .gateway import Retrying
from .transport import AnswerLost

T = TypeVar("T")
LOOK_UP_LIMIT = 100  # the newest sent messages searched for a Message-ID
LOOK_UP_PAGE = 50
SEND_PATH = "/messages/send"


def _once(fn: Callable[[], T], /) -> T:
    return fn()


def message_id_of(raw: bytes) -> str:
    """The ``Message-ID`` header of ``raw`` (RFC 5322 bytes), '' when it has none."""
    parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    return " ".join(str(parsed.get("Message-ID") or "").split())


def _same_id(a: str, b: str) -> bool:
    """Message-IDs compared as written, angle brackets and surrounding space aside."""
    return a.strip().strip("<>").strip() == b.strip().strip("<>").strip() != ""


class GmailMailbox:
    """Send as ``sender`` through Gmail, and find a sent message again by its ``Message-ID``."""

    can_look_up = True

    def __init__(self, clients: GoogleClients, sender: str, scopes: tuple[str, str], read: Retrying = _once,
                 look_up_limit: int = LOOK_UP_LIMIT) -> None:
        self.clients = clients
        self.sender = sender
        self.scopes = scopes  # (send, look up): gmail.send and gmail.metadata, named by ``doctor``
        self.read = read  # the engine's retry of one read; never used for the send
        self.look_up_limit = look_up_limit

    def _run(self, make: Callable[[Any], Any], what: str, scope: str, *, sent: bool = False) -> Any:
        service = self.clients.service("gmail", self.sender, self.scopes)
        return self.clients.run(
            make(service.users().messages()), what, self.sender, self.scopes,
            http_error=partial(self._http_error, scope=scope, sent=sent),
            answer_lost=self._answer_lost if sent else from_transport_error)

    def _http_error(self, exc: Any, what: str, *, scope: str, sent: bool) -> ConnectorError:
        return from_mail_http_error(exc, what, sender=self.sender, scope=scope, client_id=self.clients.client_id,
                                    sent=sent)

    @staticmethod
    def _answer_lost(exc: AnswerLost, what: str) -> ConnectorError:
        if exc.method == "POST" and SEND_PATH in exc.target:
            return DeliveryUnknown(f"{what}: the message was handed to Gmail, then {exc}; it may have been "
                                   "sent: look it up by its Message-ID before sending it again")
        return from_transport_error(exc, what)  # the token grant before it: nothing was sent

    def send(self, raw: bytes, recipients: Sequence[str]) -> SentMail:
        """``users.messages.send`` as the sender; Gmail takes the recipients from the To and Cc headers of ``raw``."""
        message_id = message_id_of(raw)
        if not message_id:
            raise FatalError("the notice has no Message-ID header: it is chosen before sending, so that a send "
                             "cut short can be looked up")
        if not [r for r in recipients if r.strip()]:
            raise FatalError(f"the notice {message_id} has no recipient")
        body = {"raw": base64.urlsafe_b64encode(raw).decode("ascii")}
        answer = self._run(lambda m: m.send(userId="me", body=body),
                           f"sending the notice {message_id} as {self.sender}", self.scopes[0], sent=True) or {}
        return SentMail(message_id, gmail_id=str(answer.get("id", "")), thread_id=str(answer.get("threadId", "")))

    def find_sent(self, message_id: str) -> SentMail | None:
        """Among the newest ``look_up_limit`` messages labelled SENT, the one with this ``Message-ID``
        (angle brackets aside; ``message_id`` of the answer as the message has it), or None."""
        token: str | None = None
        seen = 0
        while seen < self.look_up_limit:
            size = min(LOOK_UP_PAGE, self.look_up_limit - seen)

            def page_request(m: Any, page_token: str | None = token, page_size: int = size) -> Any:
                return m.list(userId="me", labelIds=["SENT"], maxResults=page_size, pageToken=page_token)

            page = self.read(lambda: self._run(page_request, f"listing the messages {self.sender} sent",
                                               self.scopes[1])) or {}
            for listed in page.get("messages", []):
                found = self._message_id(listed["id"])
                if _same_id(found, message_id):
                    return SentMail(found, gmail_id=listed["id"], thread_id=str(listed.get("threadId", "")))
            seen += len(page.get("messages", []))
            token = page.get("nextPageToken")
            if not token or not page.get("messages"):
                return None
        return None

    def _message_id(self, gmail_id: str) -> str:
        """The ``Message-ID`` header of one message, read with ``format=metadata``; '' when it is gone (deleted)."""
        try:
            message = self.read(lambda: self._run(
                lambda m: m.get(userId="me", id=gmail_id, format="metadata", metadataHeaders=["Message-ID"]),
                f"reading the headers of message {gmail_id} of {self.sender}", self.scopes[1])) or {}
        except NotFoundError:
            return ""
        headers = (message.get("payload") or {}).get("headers") or []
        return next((str(h.get("value", "")) for h in headers if str(h.get("name", "")).lower() == "message-id"), "")
