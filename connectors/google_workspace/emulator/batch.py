"""Google's HTTP batch requests: a multipart/mixed POST whose parts are HTTP requests.

As Google documents it (``/batch/admin/directory_v1``, ``/batch/gmail/v1``...): each part is
``application/http`` with its own ``Content-ID``; its answer carries ``response-`` and that id.
Headers of the outer request (the token) apply to every part that does not set its own. The
parts of one batch must belong to the batch's API, up to 1,000 of them (Gmail: 100). Parsing
and formatting live here; ``server`` answers each part as it answers a plain request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from http.client import responses
from urllib.parse import parse_qs, urlsplit

from offboard.testing.emulation import Request, Response

from .errors import google_error

PREFIX = "/batch/"
# The batch path of each API the emulator serves, the prefix of its method ids, and its limit of calls.
APIS = {"admin/directory_v1": ("directory.", 1000), "gmail/v1": ("gmail.", 100),
        "admin/datatransfer_v1": ("datatransfer.", 1000), "licensing/v1": ("licensing.", 1000)}
BATCH_HEADER = "x-emulator-batch"  # on each logged part and on its batch: which batch it came in


class Malformed(Exception):
    """The batch cannot be read; ``response`` is Google's answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(str(response.body))
        self.response = response


@dataclass
class Part:
    """One call of a batch: its id and its request, or the answer Google gives it without handling it."""

    content_id: str
    request: Request | None
    refused: Response | None = None


def api_of(path: str) -> tuple[str, int]:
    """The method id prefix and the limit of calls of a batch path, or ``Malformed`` (404)."""
    found = APIS.get(path[len(PREFIX):].strip("/"))
    if found is None:
        raise Malformed(google_error(404, f"The requested URL {path} was not found on this server.", "notFound"))
    return found


def parse(request: Request, limit: int) -> list[Part]:
    """The calls of a batch request, in order."""
    boundary = _boundary(request.headers.get("content-type", ""))
    if not boundary:
        raise Malformed(google_error(400, "Bad Request: a batch request must be multipart/mixed", "badRequest"))
    text = request.body.decode("utf-8", "replace").replace("\r\n", "\n")
    chunks = text.split(f"--{boundary}")[1:]
    if not chunks or not chunks[-1].startswith("--"):
        raise Malformed(google_error(400, "Bad Request: the batch's multipart body is not closed", "badRequest"))
    if not chunks[:-1]:
        raise Malformed(google_error(400, "Bad Request: the batch has no parts", "badRequest"))
    if len(chunks) - 1 > limit:
        raise Malformed(google_error(400, f"A batch request cannot contain more than {limit} calls", "badRequest"))
    inherited = {k: v for k, v in request.headers.items() if not k.startswith("content-") and k != "host"}
    return [_part(chunk.removeprefix("\n").removesuffix("\n"), inherited) for chunk in chunks[:-1]]


def _boundary(content_type: str) -> str:
    kind, *params = content_type.split(";")
    if kind.strip().lower() != "multipart/mixed":
        return ""
    found = [v.strip().strip('"') for k, _, v in (p.strip().partition("=") for p in params) if k.lower() == "boundary"]
    return found[0] if found else ""


def _headers(block: str) -> dict[str, str]:
    """``Name: value`` lines (continuation lines folded in), names lower-cased."""
    headers: dict[str, str] = {}
    name = ""
    for line in block.split("\n"):
        if line[:1] in (" ", "\t") and name:
            headers[name] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers[name] = value.strip()
    return headers


def _part(chunk: str, inherited: dict[str, str]) -> Part:
    head, _, text = chunk.partition("\n\n")
    mime = _headers(head)
    content_id = mime.get("content-id", "")
    if mime.get("content-type", "").split(";")[0].strip().lower() != "application/http":
        return Part(content_id, None, google_error(400, "Each part of a batch must be application/http", "badRequest"))
    line, _, rest = text.lstrip("\n").partition("\n")
    words = line.strip().split(" ")
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        return Part(content_id, None, google_error(400, f"Malformed request line {line.strip()!r}", "badRequest"))
    inner, _, body = rest.partition("\n\n")
    target = urlsplit(words[1])
    headers = {**inherited, **_headers(inner)}
    return Part(content_id, Request(words[0], target.path, parse_qs(target.query, keep_blank_values=True), headers,
                                    body.encode()))


def answer(parts: list[tuple[Part, Response]]) -> Response:
    """The multipart/mixed answer: each part's status, headers and body, under ``response-<its id>``."""
    boundary = "batch_" + secrets.token_hex(12)
    chunks = []
    for part, response in parts:
        inner = part.content_id[1:-1] if part.content_id.startswith("<") else part.content_id
        payload = response.encode()
        headers = {"Content-Type": "application/json; charset=UTF-8", **response.headers,
                   "Content-Length": str(len(payload))}
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-{inner}>\r\n\r\n"
                      f"HTTP/1.1 {response.status} {responses.get(response.status, '')}\r\n{head}\r\n".encode()
                      + payload + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return Response(200, body, {"Content-Type": f"multipart/mixed; boundary={boundary}"})
