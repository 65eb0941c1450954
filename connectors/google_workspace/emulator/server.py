"""A stateful Google Workspace on 127.0.0.1 that the real google-api-python-client talks to.

It serves the OAuth token endpoint (service-account JWT grants with domain-wide
delegation) and the Directory, Gmail settings, Data Transfer and Licensing methods a run
uses, and the Gmail messages methods the written notice uses (send, list, get; ``mail``).
Every request is checked against the discovery documents bundled with the client
library; tokens are bound to a user and scopes; errors carry Google's bodies; Google's
refusal to sign out or invalidate backup codes of a suspended user is reproduced.
Batch requests (``/batch/...``, see ``batch``) are one round trip whose calls are each
answered, checked, faulted and logged as a plain request would be.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from offboard.testing.emulation import DROP, RESET, Emulator, Faults, LoggedRequest, Request, Response

from ..doctor import ALL_SCOPES
from . import batch, discovery_check
from .auth import TokenAuthority
from .errors import ApiError, api_disabled, google_error, rate_limited, scripted_error
from .handlers import WorkspaceApi
from .mail import MailMessage
from .state import User, Workspace

TOKEN_PATH = "/token"
# Which Cloud API a method belongs to (what a project enables): Directory and Data Transfer are the Admin SDK.
SERVICES = {"directory": "admin", "datatransfer": "admin", "gmail": "gmail", "licensing": "licensing"}


class GoogleEmulator(Emulator):
    """The emulated Workspace of one customer (``domain``), with one service account."""

    name = "google"

    def __init__(self, domain: str = "example.org", faults: Faults | None = None, transfer_polls: int = 1,
                 granted_scopes: Iterable[str] = ALL_SCOPES) -> None:
        super().__init__(faults)
        self.workspace = Workspace(domain, transfer_polls)
        self.authority = TokenAuthority(domain, granted_scopes)
        self._handlers = WorkspaceApi(self.workspace).handlers()
        self.disabled_apis: set[str] = set()  # "admin", "gmail", "licensing": not enabled in the Cloud project
        self._batch_ids = itertools.count(1)

    # -- controls for tests and the sandbox

    def add_user(self, email: str, **kwargs: Any) -> User:
        with self.lock:
            return self.workspace.add_user(email, **kwargs)

    def seed_member(self, email: str, **kwargs: Any) -> User:
        """A member with realistic access; e.g. ``seed_member(e, groups=60, tokens=8, asps=3, delegates=2)``."""
        with self.lock:
            return self.workspace.seed_member(email, **kwargs)

    def delete_user(self, email: str) -> None:
        with self.lock:
            self.workspace.delete_user(email)

    def user(self, email: str) -> dict[str, Any]:
        """The user as users.get answers, for assertions."""
        with self.lock:
            user = self.workspace.user(email)
            if user is None:
                raise KeyError(email)
            return self.workspace.user_to_api(user)

    def sent(self, email: str) -> list[MailMessage]:
        """The messages ``email`` sent through ``users.messages.send``, oldest first, each with its exact ``raw`` bytes."""
        with self.lock:
            user = self.workspace.user(email)
            if user is None:
                raise KeyError(email)
            return [m for m in user.gmail.messages if "SENT" in m.label_ids]

    def grant_scopes(self, *granted: str) -> None:
        """Authorize scopes for the service account's client ID (Admin console, domain-wide delegation)."""
        with self.lock:
            self.authority.granted.update(granted)

    def revoke_scopes(self, *revoked: str) -> None:
        with self.lock:
            self.authority.granted.difference_update(revoked)

    def disable_api(self, service: str) -> None:
        """``"admin"`` (Directory and Data Transfer), ``"gmail"`` or ``"licensing"``: not enabled in the project."""
        with self.lock:
            self.disabled_apis.add(service)

    def set_delegation(self, enabled: bool) -> None:
        """``False``: the service account's client ID is not in the domain-wide delegation list at all."""
        with self.lock:
            self.authority.delegation = enabled

    def write_key_file(self, path: Path) -> Path:
        """Write the service account's JSON key, with ``token_uri`` pointing here, readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.authority.key_file(self.url + TOKEN_PATH), indent=2))
        os.chmod(path, 0o600)
        return path

    def secrets(self) -> list[str]:
        """Values that must never show in a connector's output: the private key and issued tokens."""
        with self.lock:
            pem = self.authority.private_key_pem()
            body = "".join(pem.strip().splitlines()[1:-1])
            return [pem, body[:64], *self.authority.issued_tokens()]

    def writes(self) -> list[LoggedRequest]:
        """State-changing requests; a token grant changes nothing in the directory, and a batch's
        POST nothing by itself (each of its calls is logged on its own)."""
        with self.lock:
            return [r for r in self.log if r.is_write and r.path != TOKEN_PATH and not r.path.startswith(batch.PREFIX)]

    def batches(self) -> list[tuple[LoggedRequest, list[LoggedRequest]]]:
        """Each batch request answered, with the calls it carried, in order."""
        with self.lock:
            parts: dict[str, list[LoggedRequest]] = {}
            for r in self.log:
                if not r.path.startswith(batch.PREFIX) and batch.BATCH_HEADER in r.headers:
                    parts.setdefault(r.headers[batch.BATCH_HEADER], []).append(r)
            return [(r, parts.get(r.headers.get(batch.BATCH_HEADER, ""), [])) for r in self.log
                    if r.path.startswith(batch.PREFIX)]

    # -- the service

    def throttled(self, request: Request, retry_after: float) -> Response:
        return rate_limited(429, str(max(0, math.ceil(retry_after))))

    def server_error(self, request: Request, status: int) -> Response:
        return scripted_error(status)

    def _dispatch(self, request: Request) -> Response | str:
        """A batch is one round trip (one latency); the fault knobs apply to each of its calls."""
        if not request.path.startswith(batch.PREFIX):
            return super()._dispatch(request)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        request.headers[batch.BATCH_HEADER] = tag = str(next(self._batch_ids))
        try:
            prefix, limit = batch.api_of(request.path)
            parts = batch.parse(request, limit) if request.method == "POST" else []
        except batch.Malformed as exc:
            self._record(request, exc.response.status)
            return exc.response
        answered: list[tuple[batch.Part, Response]] = []
        lost = False
        for part in parts:
            if part.request is None:
                answered.append((part, part.refused or batch_refusal("")))
                continue
            part.request.headers[batch.BATCH_HEADER] = tag
            fault = self.faults.draw(part.request.path, part.request.method)
            if fault == RESET:  # the batch's connection is reset: no call after this one is answered
                self._record(part.request, 0)
                self._record(request, 0)
                return RESET
            response = self._answer_part(part.request, prefix, fault)
            lost = lost or fault == DROP
            self._record(part.request, response.status, dropped=fault == DROP)
            answered.append((part, response))
        response = batch.answer(answered) if parts else batch_refusal("a batch request is a POST with parts")
        self._record(request, response.status, dropped=lost)
        return DROP if lost else response

    def _answer_part(self, request: Request, prefix: str, fault: str | None) -> Response:
        if fault == "429":
            return self.throttled(request, self.faults.retry_after)
        if fault is not None and fault != DROP:
            return self.server_error(request, int(fault))
        try:
            method, _ = discovery_check.match(request.method, request.path)
        except discovery_check.Rejected:
            method = None  # handle() answers it as Google does
        if method is not None and not method.id.startswith(prefix):
            return batch_refusal(f"{method.id} cannot be part of this batch: send it to its own API's batch path")
        try:
            return self.handle(request)
        except Exception as exc:  # an emulator bug must show, not hang the client
            return Response(500, {"error": f"emulator error: {type(exc).__name__}: {exc}"})

    def handle(self, request: Request) -> Response:
        if request.path == TOKEN_PATH and request.method == "POST":
            with self.lock:
                return self.authority.exchange(request, lambda email: self.workspace.user(email) is not None)
        try:
            method, params = discovery_check.match(request.method, request.path)
            method.check_query(request.query)
            method.check_body(request.body)
        except discovery_check.Rejected as exc:
            return google_error(400, str(exc), "badRequest")
        service = SERVICES.get(method.id.split(".")[0], "admin")
        if service in self.disabled_apis:
            return api_disabled(service)
        handler = self._handlers.get(method.id)
        if handler is None:
            return google_error(400, f"the emulator does not implement {method.id}", "badRequest")
        with self.lock:
            grant = self.authority.grant_for(request)
            if grant is None:
                return google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                         "token, login cookie or other valid authentication credential.", "authError")
            if not grant.scopes & method.scopes:
                return google_error(403, "Request had insufficient authentication scopes.", "insufficientPermissions")
            refusal = self._refuse_caller(method.id, params, grant.subject)
            if refusal is not None:
                return refusal
            try:
                return handler(params, request, grant)
            except ApiError as exc:
                return exc.response

    def _refuse_caller(self, method_id: str, params: dict[str, str], subject: str) -> Response | None:
        """Admin APIs need an admin's token; Gmail settings and messages need the mailbox owner's own token."""
        caller = self.workspace.user(subject)
        if method_id.startswith("gmail."):
            if params["userId"] != "me" and params["userId"].lower() != subject:
                return google_error(403, f"Delegation denied for {subject}", "forbidden")
            if caller is None or caller.suspended:
                return google_error(400, "Mail service not enabled", "failedPrecondition", status="FAILED_PRECONDITION")
            return None
        if caller is None or caller.suspended or not self.workspace.is_admin(caller):
            return google_error(403, "Not Authorized to access this resource/api", "forbidden")
        return None


def batch_refusal(message: str) -> Response:
    return google_error(400, f"Bad Request: {message}" if message else "Bad Request", "badRequest")
