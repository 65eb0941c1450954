"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the SMTP mailbox: TLS with a certificate made here, AUTH for
one user, each message recorded as it arrived, and knobs that make it refuse, put off, drop or stall."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER = "secretary@example.org"
PASSWORD = "correct horse battery staple"
FINAL_REPLY = "250 2.0.0 Ok: queued as 4BQ3xY"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes  # the DATA content as it arrived, dot-stuffing undone
    tls: bool  # the message came over an encrypted connection
    login: str  # who had logged in ("" for nobody)


@dataclass
class Recorder:
    """The server's handler: records every message; the knobs change how it answers."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    mail_reply: str = ""  # an answer to MAIL FROM instead of 250, e.g. "451 ..."
    data_reply: str = ""  # the final answer to the message instead of FINAL_REPLY
    drop_after_data: bool = False  # take the message, then close the connection without a word
    stall: dict[str, float] = field(default_factory=dict)  # command ("MAIL", "DATA") -> seconds before answering

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        await self._stall("MAIL")
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert server.transport is not None and envelope.mail_from is not None and envelope.original_content is not None
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ""
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                      server.transport.get_extra_info("ssl_object") is not None, login))
        if self.drop_after_data:
            server.transport.close()
            await asyncio.Event().wait()  # cancelled by aiosmtpd when the connection is lost: no reply ever goes
        await self._stall("DATA")
        return self.data_reply or FINAL_REPLY

    async def _stall(self, command: str) -> None:
        if command in self.stall:
            await asyncio.sleep(self.stall[command])  # cancelled when the client gives up and the connection closes


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data)  # handled=False: aiosmtpd answers 535 on failure


class _Controller(Controller):
    """aiosmtpd's controller on a free port (port 0: it would otherwise poke port 0 to wake the server)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Server:
    host: str
    port: int
    tls: str
    handler: Recorder


@dataclass(frozen=True)
class Certificates:
    ca_pem: bytes
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        """What the mailbox is given in the tests: the default checks, trusting the test CA."""
        return ssl.create_default_context(cadata=self.ca_pem.decode())

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer_key: ec.EllipticCurvePrivateKey,
                 issuer: x509.Name | None, ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=ca, crl_sign=ca, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            encipher_only=False, decipher_only=False), critical=True))
    if not ca:
        builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                                      x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                         critical=False)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("offboard test CA", ca_key, ca_key, None, ca=True)
    cert = _certificate("localhost", key, ca_key, ca.subject, ca=False)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return Certificates(ca.public_bytes(serialization.Encoding.PEM), folder / "cert.pem", folder / "key.pem")


@pytest.fixture
def make_server(certificates: Certificates) -> Iterator[Callable[..., Server]]:
    """Start an SMTP server on 127.0.0.1: ``tls`` "starttls" (required before AUTH), "ssl" (implicit, as on 465)
    or "none"; ``auth`` makes a login as USER/PASSWORD required before MAIL FROM."""
    started: list[_Controller] = []

    def make(tls: Literal["starttls", "ssl", "none"] = "starttls", auth: bool = True) -> Server:
        handler = Recorder()
        kwargs: dict[str, Any] = {"authenticator": authenticate, "auth_required": auth}
        if tls == "starttls":
            kwargs |= {"tls_context": certificates.server_context(), "require_starttls": True, "auth_require_tls": True}
        elif tls == "ssl":
            # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; here every byte is encrypted anyway
            kwargs |= {"ssl_context": certificates.server_context(), "auth_require_tls": False}
        else:
            kwargs |= {"auth_require_tls": False}
        controller = _Controller(handler, hostname="127.0.0.1", port=0, ready_timeout=5.0, **kwargs)
        controller.start()
        started.append(controller)
        return Server("127.0.0.1", controller.port, tls, handler)

    yield make
    for controller in started:
        controller.stop()
