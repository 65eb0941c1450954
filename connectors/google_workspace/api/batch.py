"""Google's HTTP batch requests: many reads in one round trip (a member's lists with ``users.get``,
their memberships, their mail settings).

The Directory API takes up to 1,000 calls a batch and Gmail 100 (Google's documented limits).
A batch goes to its API's batch path at the configured endpoint (``api_endpoint`` +
``/batch/admin/directory_v1``; Google's own is ``https://www.googleapis.com/batch/admin/directory_v1``:
the client library would use the discovery document's root, not the endpoint override) through
google-api-python-client's ``BatchHttpRequest``, sent once like any request (it has no retry of
its own). Each batch is one read for the engine's retry (``ConnectorContext.read``). Google
answers every call on its own: one answered 429, 5xx or a 403 rate reason inside an answered
batch is read again alone, its error counted as that read's first try (so the engine's wait
honours its ``Retry-After``), never the whole batch. Writes are never batched: the engine
journals each one.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, unquote, urlsplit

from offboard.spi import ConnectorError, FatalError, NotFoundError, RetriableError

from ..errors import from_http_error
from .clients import GoogleClients

LIMITS = {"directory": 1000, "gmail": 100}  # calls a batch, as Google documents them
PATHS = {"directory": "batch/admin/directory_v1", "gmail": "batch/gmail/v1"}
GOOGLE_ROOTS = {"directory": "https://www.googleapis.com/", "gmail": "https://gmail.googleapis.com/"}

T = TypeVar("T")
Call = tuple[Callable[[Any], Any], str]  # builds the request from the service; what it does, for messages


class Retrying(Protocol):
    def __call__(self, fn: Callable[[], T], /) -> T: ...


def batch_uri(api: str, api_endpoint: str) -> str:
    root = api_endpoint.rstrip("/") + "/" if api_endpoint else GOOGLE_ROOTS[api]
    return root + PATHS[api]


@cache
def batch_class() -> type[Any]:
    """``BatchHttpRequest`` that writes and reads its multipart body with plain string work.

    The library builds each call with the ``email`` package, whose header folding costs about
    a millisecond a call: 0.3 s of CPU for 300 memberships, on the path to the cut. The wire
    format is the same (``Content-ID: <base + id>``, answers under ``response-``); requests,
    credentials, callbacks and the 401 handling are the library's.
    """
    import httplib2
    from googleapiclient import _auth
    from googleapiclient.errors import BatchError, HttpError
    from googleapiclient.http import BatchHttpRequest

    class Batch(BatchHttpRequest):
        def _serialize_request(self, request: Any) -> str:
            target = urlsplit(request.uri)
            headers = dict(request.headers)
            credentials = _auth.get_credentials_from_http(request.http) if request.http is not None else None
            if credentials is not None:
                _auth.apply_credentials(credentials, headers)
            headers.setdefault("content-type", "application/json")
            headers["Host"] = target.netloc
            body = request.body or ""
            if body:
                headers["content-length"] = str(len(body))
            path = target.path + (f"?{target.query}" if target.query else "")
            lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            return f"{request.method} {path} HTTP/1.1\r\n{lines}\r\n{body}"

        def _execute(self, http: Any, order: list[str], requests: dict[str, Any]) -> None:
            base = self._base_id = getattr(self, "_base_id", None) or uuid.uuid4()
            boundary = "batch_" + secrets.token_hex(16)
            body = "".join(
                f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
                f"Content-ID: <{base} + {quote(i)}>\r\n\r\n{self._serialize_request(requests[i])}\r\n"
                for i in order) + f"--{boundary}--\r\n"
            resp, content = http.request(self._batch_uri, method="POST", body=body,
                                         headers={"content-type": f'multipart/mixed; boundary="{boundary}"'})
            if resp.status >= 300:
                raise HttpError(resp, content, uri=self._batch_uri)
            text = content.decode("utf-8").replace("\r\n", "\n")
            answered = _boundary(resp.get("content-type", ""))
            if not answered:
                raise BatchError("Response not in multipart/mixed format.", resp=resp, content=text)
            for chunk in text.split(f"--{answered}")[1:]:
                if chunk.startswith("--"):
                    break
                head, _, payload = chunk.lstrip("\n").partition("\n\n")
                content_id = next((line.split(":", 1)[1].strip() for line in head.split("\n")
                                   if line.lower().startswith("content-id:")), "")
                request_id = unquote(content_id[1:-1].split("+", 1)[-1].strip())
                self._responses[request_id] = _answer(httplib2, payload.removesuffix("\n"))

    return Batch


def _boundary(content_type: str) -> str:
    if not content_type.lower().startswith("multipart/mixed"):
        return ""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip('"')
    return ""


def _answer(httplib2: Any, payload: str) -> tuple[Any, bytes]:
    """One call's answer, ``HTTP/1.1 200 OK``, headers, body: as ``httplib2.Http.request`` returns it."""
    head, _, body = payload.partition("\n\n")
    status_line, *lines = head.split("\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines) if k}
    response = httplib2.Response({**fields, "status": status_line.split(" ", 2)[1]})
    response.reason = status_line.split(" ", 2)[2] if status_line.count(" ") >= 2 else ""
    return response, body.encode("utf-8")


def _batch_error(exc: Any, what: str) -> ConnectorError:
    """The batch's own answer: an error status as for any request; a body that is no batch answer, fatal."""
    if getattr(exc, "resp", None) is None or int(exc.resp.status) < 300:
        return FatalError(f"{what}: Google's batch answer could not be read ({getattr(exc, 'reason', exc)})")
    return from_http_error(exc, what)


def send(clients: GoogleClients, api: str, subject: str, scopes: Sequence[str], calls: Sequence[Call],
         what: str) -> list[Any]:
    """One batch request: each call's answer, or its error classified (returned, not raised)."""
    service = clients.service(api, subject, scopes)
    answers: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: Any) -> None:
        answers[request_id] = response if exception is None else from_http_error(exception, calls[int(request_id)][1])

    batch = batch_class()(callback=collect, batch_uri=batch_uri(api, clients.api_endpoint))
    for i, (make, _) in enumerate(calls):
        batch.add(make(service), request_id=str(i))
    clients.fresh_token(subject, scopes, what)  # the library's own refresh would bypass the send-once Http
    try:
        clients.send_once(lambda http: batch.execute(http=http), what, subject, scopes, _batch_error)
    except KeyError:  # the answer left calls out: read the batch again
        raise RetriableError(f"{what}: Google's batch answer left out some of the calls") from None
    return [answers[str(i)] for i in range(len(calls))]


def _failed_once(error: ConnectorError, fn: Callable[[], T]) -> Callable[[], T]:
    """``fn``, whose first try already happened and failed with ``error`` (a call of a batch)."""
    tried = False

    def attempt() -> T:
        nonlocal tried
        if not tried:
            tried = True
            raise error
        return fn()

    return attempt


class BatchReads:
    """A mixin of ``Gateway``: reads of many items in batches, each read retried by the engine."""

    clients: GoogleClients
    admin: str
    admin_scopes: tuple[str, ...]
    read: Retrying
    _readers: ThreadPoolExecutor

    def batch_answers(self, api: str, calls: Sequence[Call], what: str, subject: str = "",
                      scopes: Sequence[str] = ()) -> list[Any]:
        """Each call's answer, or its error (returned, not raised), as ``subject`` (the admin by default);
        in batches of the API's limit. A call answered with a retriable error inside its batch is read
        again alone, the others not.
        """
        subject, scopes = subject or self.admin, scopes or self.admin_scopes
        size = LIMITS[api]
        chunks = [list(calls[i:i + size]) for i in range(0, len(calls), size)]

        def one_batch(chunk: list[Call]) -> list[Any]:
            return self.read(lambda: send(self.clients, api, subject, scopes, chunk,
                                          f"{what} ({len(chunk)} calls in one batch)"))

        answers = [a for part in (self._readers.map(one_batch, chunks) if len(chunks) > 1
                                  else map(one_batch, chunks)) for a in part]
        again = [i for i, a in enumerate(answers) if isinstance(a, RetriableError)]

        def alone(i: int) -> Any:
            make, said = calls[i]
            single = _failed_once(answers[i], lambda: self.clients.run(
                make(self.clients.service(api, subject, scopes)), said, subject, scopes))
            try:
                return self.read(single)
            except ConnectorError as exc:
                return exc

        for i, answer in zip(again, self._readers.map(alone, again) if len(again) > 1 else map(alone, again),
                             strict=True):
            answers[i] = answer
        return answers

    def admin_reads(self, api: str, calls: Sequence[Call], what: str) -> list[Any]:
        """Each call's answer, None where Google answered 404 (``batch_answers``); any other error is raised."""
        answers = self.batch_answers(api, calls, what)
        for answer in answers:
            if isinstance(answer, ConnectorError) and not isinstance(answer, NotFoundError):
                raise answer
        return [None if isinstance(a, NotFoundError) else a for a in answers]
