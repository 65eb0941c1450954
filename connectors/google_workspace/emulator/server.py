"""A stateful Google Workspace on 127.0.0.1 that the real google-api-python-client talks to.

It serves the OAuth token endpoint (service-account JWT grants with domain-wide
delegation) and the Directory, Gmail settings, Data Transfer and Licensing methods a run
uses, and the Gmail messages methods the written notice uses (send, list, get; ``mail``).
Every request is checked against the discovery documents bundled with the client
library; tokens are bound to a user and scopes; errors carry Google's bodies; Google's
refusal to sign out or invalidate backup codes of a suspended user is reproduced.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from offboard.testing.emulation import Emulator, Faults, LoggedRequest, Request, Response

from ..doctor import ALL_SCOPES
from . import discovery_check
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
        """State-changing requests; a token grant changes nothing in the directory."""
        with self.lock:
            return [r for r in self.log if r.is_write and r.path != TOKEN_PATH]

    # -- the service

    def throttled(self, request: Request, retry_after: float) -> Response:
        return rate_limited(429, str(max(0, math.ceil(retry_after))))

    def server_error(self, request: Request, status: int) -> Response:
        return scripted_error(status)

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
