"""The emulated Gmail messages: ``users.messages.send``, ``list`` and ``get``, as the written notice uses them.

A mixin of ``WorkspaceApi`` (``handlers``), which is over 300 lines already. The caller is
the mailbox owner (``server`` refuses another user's mailbox with "Delegation denied for
<sub>", and the discovery document's scopes before a handler runs). What Gmail does beside
that is reproduced:

- ``send`` takes ``{"raw": base64url RFC 2822}``, refuses a message without a recipient and
  keeps the message, labelled ``SENT``, in the sender's mailbox, its bytes as they came.
  Gmail keeps a ``Message-ID`` the client set (the service-apis notes say so is UNCONFIRMED;
  the emulator treats it as kept, so the notice code must read it back) and adds one when
  there is none.
- A token that carries ``gmail.metadata`` is held to it, even beside broader scopes (Google's
  known behaviour, googleapis/google-api-python-client#582): ``list`` refuses ``q`` and ``get``
  refuses ``format=full`` (the default) and ``raw``, with Google's 403 bodies.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import email.utils
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offboard.testing.emulation import Request, Response

from .auth import Grant
from .errors import ApiError, bad_request
from .state import Gmail

Handler = Callable[[dict[str, str], Request, Grant], Response]
METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
RAW_REQUIRED = "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
MAX_RESULTS = 500  # messages.list: "The maximum allowed value for this field is 500."
_ids = itertools.count(1)


@dataclass(frozen=True)
class MailMessage:
    """One message in a mailbox: what ``emulator.sent(email)`` returns, the exact bytes in ``raw``."""

    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    internal_date: int  # milliseconds since the epoch, when Gmail took the message
    raw: bytes

    def headers(self) -> list[tuple[str, str]]:
        """The header fields in their order, names as written, values unfolded."""
        parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(self.raw)
        return [(name, re.sub(r"\r?\n[ \t]+", " ", str(value)).strip()) for name, value in parsed.items()]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers() if key.lower() == name.lower()), None)

    def recipients(self) -> list[str]:
        fields = [value for key, value in self.headers() if key.lower() in ("to", "cc", "bcc")]
        return [address for _, address in email.utils.getaddresses(fields) if "@" in address]

    def to_api(self, form: str, wanted: list[str]) -> dict[str, Any]:
        """The Message resource in ``form`` (minimal, metadata or raw); ``wanted``: metadataHeaders."""
        body: dict[str, Any] = {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.label_ids),
                                "sizeEstimate": len(self.raw), "historyId": str(int(self.id, 16) % 10**7),
                                "internalDate": str(self.internal_date)}
        if form == "raw":
            body["raw"] = base64.urlsafe_b64encode(self.raw).decode()
        elif form == "metadata":
            names = {n.lower() for n in wanted}
            headers = [{"name": k, "value": v} for k, v in self.headers() if not names or k.lower() in names]
            content_type = self.header("Content-Type") or "text/plain"
            body["payload"] = {"partId": "", "mimeType": content_type.split(";")[0].strip().lower(),
                               "filename": "", "headers": headers}
        return body


def _decode_raw(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise ApiError(400, RAW_REQUIRED, "invalidArgument")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, f"Invalid value for ByteString: {value[:40]}", "invalidArgument") from None


def _new_id() -> str:
    """Gmail-like ids: 16 hex digits that grow with time."""
    return f"{(int(time.time() * 1000) << 20) + next(_ids) % (1 << 20):x}"


def _metadata_only(grant: Grant) -> bool:
    return METADATA_SCOPE in grant.scopes


class MailApi:
    def _mailbox(self, grant: Grant) -> Gmail:
        raise NotImplementedError

    def mail_handlers(self) -> dict[str, Handler]:
        return {
            "gmail.users.messages.send": self.messages_send,
            "gmail.users.messages.list": self.messages_list,
            "gmail.users.messages.get": self.messages_get,
        }

    def messages_send(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        body = request.json() or {}
        raw = _decode_raw(body.get("raw"))
        mailbox = self._mailbox(grant)
        message_id = _new_id()
        if not email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw).get("Message-ID"):
            raw = f"Message-ID: <{message_id}.{time.time_ns()}@mail.gmail.com>\r\n".encode() + raw
        thread_id = body.get("threadId") or message_id
        if body.get("threadId") and not any(m.thread_id == thread_id for m in mailbox.messages):
            raise bad_request("Invalid thread_id value", "invalidArgument")
        message = MailMessage(message_id, thread_id, ("SENT",), int(time.time() * 1000), raw)
        if not message.recipients():
            raise bad_request("Recipient address required", "invalidArgument")
        mailbox.messages.append(message)
        return Response(200, {"id": message.id, "threadId": message.thread_id, "labelIds": list(message.label_ids)})

    def messages_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        if "q" in request.query:
            if _metadata_only(grant):
                raise ApiError(403, "Metadata scope does not support 'q' parameter", "forbidden")
            raise bad_request("the emulator does not implement messages.list q", "badRequest")
        labels = set(request.query.get("labelIds", []))
        found = [m for m in reversed(self._mailbox(grant).messages) if labels <= set(m.label_ids)]  # newest first
        size = min(int(request.arg("maxResults") or 100), MAX_RESULTS)
        start = int(request.arg("pageToken") or 0)
        answer: dict[str, Any] = {}
        if found[start:start + size]:
            answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in found[start:start + size]]
        if start + size < len(found):
            answer["nextPageToken"] = f"{start + size:020d}"
        answer["resultSizeEstimate"] = len(found)
        return Response(200, answer)

    def messages_get(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        form = request.arg("format") or "full"
        if _metadata_only(grant) and form in ("full", "raw"):
            raise ApiError(403, f"Metadata scope doesn't allow format {form.upper()}", "forbidden")
        if form == "full":
            raise bad_request("the emulator does not implement messages.get format=full", "badRequest")
        if not re.fullmatch(r"[0-9a-f]{1,20}", params["id"]):
            raise bad_request("Invalid id value", "invalidArgument")
        message = next((m for m in self._mailbox(grant).messages if m.id == params["id"]), None)
        if message is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return Response(200, message.to_api(form, request.query.get("metadataHeaders", [])))
