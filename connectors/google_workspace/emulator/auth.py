"""The emulated OAuth token endpoint and the service account it trusts.

Google's domain-wide delegation works like this: the service account signs a JWT
(``iss`` = its email, ``sub`` = the user it acts as, ``scope``, ``aud`` = token URI),
and the token endpoint answers with an access token bound to that user and those
scopes, if the admin has authorized the service account's client ID for every scope
asked. The emulator checks the same things and answers with Google's error bodies.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from offboard.testing.emulation import Request, Response

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UNAUTHORIZED_CLIENT = ("Client is unauthorized to retrieve access tokens using this method, "
                       "or client not authorized for any of the scopes requested.")


@dataclass(frozen=True)
class Grant:
    """What an access token stands for."""

    subject: str  # lower-cased email of the user the service account acts as
    scopes: frozenset[str]
    expires: float


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(status, {"error": error, "error_description": description})


class TokenAuthority:
    """A service account with its delegation grants, and the tokens issued to it."""

    def __init__(self, domain: str, scopes: Iterable[str]) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(20)
        self.client_email = f"offboard@{domain.split('.')[0]}-offboard.iam.gserviceaccount.com"
        self.client_id = str(100000000000000000000 + secrets.randbelow(10**20))
        self.granted: set[str] = set(scopes)  # scopes authorized in Admin console for client_id
        self.delegation = True  # False: the service account has no domain-wide delegation at all
        self._tokens: dict[str, Grant] = {}

    def private_key_pem(self) -> str:
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode()

    def key_file(self, token_uri: str) -> dict[str, Any]:
        """The JSON key file Google Cloud console would download for this service account."""
        return {
            "type": "service_account", "project_id": self.client_email.split("@")[1].split(".")[0],
            "private_key_id": self.key_id, "private_key": self.private_key_pem(), "client_email": self.client_email,
            "client_id": self.client_id, "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri, "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + self.client_email,
            "universe_domain": "googleapis.com",
        }

    def issued_tokens(self) -> list[str]:
        return list(self._tokens)

    def subject_of(self, token: str) -> str | None:
        """Whom an issued token acts as (for tests on who made a call)."""
        grant = self._tokens.get(token)
        return grant.subject if grant else None

    def grant_for(self, request: Request) -> Grant | None:
        """The grant behind the request's bearer token, if it is one we issued and is not expired."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return None
        grant = self._tokens.get(header[len("Bearer "):])
        return grant if grant and grant.expires > time.time() else None

    def exchange(self, request: Request, user_exists: Callable[[str], bool]) -> Response:
        """The token endpoint: a signed JWT assertion in, an access token out."""
        form = request.form()
        if form.get("grant_type") != JWT_BEARER:
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))
        try:
            claims = self._verified_claims(form.get("assertion", ""), request)
        except ValueError as exc:
            return _oauth_error(400, "invalid_grant", str(exc))
        subject = str(claims.get("sub", "")).lower()
        if not subject or not user_exists(subject):
            return _oauth_error(400, "invalid_grant", "Invalid email or User ID")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            return _oauth_error(400, "invalid_scope", "Empty or missing scope not allowed.")
        if not self.delegation or not scopes <= self.granted:
            return _oauth_error(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
        token = "ya29.emu-" + secrets.token_urlsafe(32)
        self._tokens[token] = Grant(subject, scopes, time.time() + 3599)
        return Response(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _verified_claims(self, assertion: str, request: Request) -> dict[str, Any]:
        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(payload_b64))
            signature = _b64decode(signature_b64)
        except ValueError:
            raise ValueError("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                             "timeframe. Check your iat and exp values in the JWT claim.") from None
        if header.get("alg") != "RS256" or claims.get("iss") != self.client_email:
            raise ValueError("Invalid JWT Signature.")
        try:
            self._key.public_key().verify(signature, f"{header_b64}.{payload_b64}".encode(),
                                          padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise ValueError("Invalid JWT Signature.") from None
        now = time.time()
        if not (claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0) + 300):
            raise ValueError("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                             "timeframe. Check your iat and exp values in the JWT claim.")
        if not str(claims.get("aud", "")).endswith(request.path):
            raise ValueError("Invalid JWT: Failed audience check.")
        return claims
