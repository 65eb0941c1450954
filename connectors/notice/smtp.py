"""The written notice through any SMTP server, sent at most once (``[notice] via = "smtp"``).

An SMTP server cannot be asked afterwards what it was given, so ``SmtpMailbox`` draws one line
through the conversation: the moment the whole message (ending in ``<CRLF>.<CRLF>``) has been
written to the socket. Before it, whatever fails sent nothing and may be tried again
(``RetriableError``), unless the server refused outright (``FatalError``) or refused the login
(``AuthError``). After it, the server holds a complete message: a lost or garbled answer is
``DeliveryUnknown`` and a person checks, because the engine must never send it a second time.
A 4xx or 5xx answer to the message itself is a refusal: nothing was delivered.

TLS is required: STARTTLS (port 587 and anything but 465) or implicit TLS (465), with the
certificate checked by ``ssl.create_default_context()`` unless a context is given (the tests
trust their self-signed certificate that way). ``tls="none"`` is accepted only for a server on
this machine (127.0.0.0/8, ::1, localhost: an emulator or a test server), as plain-http
endpoint overrides are; anywhere else it is a ``ConfigError`` at construction.

The connector never retries and never sleeps: the engine alone does.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Literal, NoReturn

from offboard.spi import AuthError, ConfigError, ConnectorError, DeliveryUnknown, FatalError, RetriableError, SentMail
from offboard.spi.endpoints import LOOPBACK, is_loopback

Tls = Literal["starttls", "ssl", "none"]
TLS_MODES: tuple[Tls, ...] = ("starttls", "ssl", "none")
IMPLICIT_TLS_PORT = 465

_BARE_LINE_END = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_LINE_START_DOT = re.compile(rb"(?m)^\.")


class SmtpMailbox:
    """A ``Mailbox`` (``offboard.spi.mail``) that hands each message to one SMTP server, once.

    ``password_env`` is the NAME of the variable the password came from: an authentication
    failure names it so the operator knows what to fix; the password itself is never shown.
    """

    can_look_up = False  # an SMTP server cannot say afterwards what it took

    def __init__(self, host: str, port: int, username: str, password: str, sender: str, *,
                 timeout: float = 30.0, tls: Tls | None = None, ssl_context: ssl.SSLContext | None = None,
                 password_env: str = "") -> None:
        if not host:
            raise ConfigError("[notice.smtp] host is empty: name the SMTP server")
        if not 0 < port < 65536:
            raise ConfigError(f"[notice.smtp] port {port} is not a port number: 587 for STARTTLS, 465 for implicit TLS")
        if not sender:
            raise ConfigError("[notice] from is empty: name the mailbox the notice is sent as")
        if username and not password:
            where = f"${password_env}" if password_env else "the configuration"
            raise ConfigError(f"[notice.smtp] username is {username} but the password in {where} is empty")
        mode = tls or ("ssl" if port == IMPLICIT_TLS_PORT else "starttls")
        if mode not in TLS_MODES:
            raise ConfigError(f"[notice.smtp] tls {mode!r} is not one of starttls, ssl, none")
        if mode == "none" and not is_loopback(host):
            raise ConfigError(f"[notice.smtp] tls = \"none\" would send the password and the notice in clear to {host}: "
                              f"use starttls or ssl (\"none\" is allowed only for a server on this machine: {LOOPBACK})")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.sender = sender
        self.timeout = timeout
        self.tls: Tls = mode
        self.password_env = password_env
        self._context = ssl_context if ssl_context is not None else ssl.create_default_context()

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailbox({self.host}:{self.port}, tls={self.tls}, username={self.username!r}, sender={self.sender!r})"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def find_sent(self, message_id: str) -> SentMail | None:
        """Not offered (``can_look_up`` is False): raises ``NotImplementedError``.

        Returning None would read as "not sent", which is exactly the guess that must never lead
        to a second mail; a caller that asks anyway has a bug and is told so.
        """
        raise NotImplementedError(f"an SMTP server cannot be asked whether it took {message_id}: "
                                  "SmtpMailbox.can_look_up is False")

    def send(self, raw: bytes, recipients: Sequence[str]) -> SentMail:
        """Hand ``raw`` to the server for ``recipients``, once; ``SentMail.server_reply`` is its final answer.

        ``raw`` must carry a ``Message-ID`` header and end its lines with CRLF, so that the bytes the
        server takes are the bytes given (only the SMTP dot-stuffing is added on the wire, and a
        final CRLF when ``raw`` lacks one); otherwise ``ValueError`` (a bug in the caller), before
        anything is sent.
        """
        message_id = _message_id(raw)
        if _BARE_LINE_END.search(raw):
            raise ValueError("the message has a line ending that is not CRLF: SMTP would not carry it byte for byte")
        if not recipients:
            raise ValueError("no recipients")
        conn = self._open()
        try:
            self._hello(conn)
            self._envelope(conn, raw, recipients)
            code, text = self._hand_over(conn, raw, message_id)
        finally:
            _close(conn)
        return SentMail(message_id=message_id, server_reply=f"{code} {text}")

    # -- before the message is handed over: nothing was sent -------------------------------------

    def _open(self) -> smtplib.SMTP:
        """Connected, the greeting read (smtplib wants the host at construction, for the certificate check)."""
        conn: smtplib.SMTP | None = None
        with self._nothing_sent("connect"):
            if self.tls == "ssl":
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context)
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        assert conn is not None
        return conn

    def _hello(self, conn: smtplib.SMTP) -> None:
        with self._nothing_sent("EHLO"):
            conn.ehlo_or_helo_if_needed()
        if self.tls == "starttls":
            if not conn.has_extn("starttls"):
                raise FatalError(f"the SMTP server {self.where} does not offer STARTTLS, and the notice is never sent "
                                 "in clear: use its TLS port (465, tls = \"ssl\") or another server")
            with self._nothing_sent("STARTTLS"):
                conn.starttls(context=self._context)
                conn.ehlo()
        if self.username:
            with self._nothing_sent("AUTH"):
                self._login(conn)

    def _login(self, conn: smtplib.SMTP) -> None:
        try:
            conn.login(self.username, self._password)
        except smtplib.SMTPAuthenticationError as e:
            if 400 <= e.smtp_code < 500:
                raise RetriableError(f"the SMTP server {self.where} could not check the login of {self.username} "
                                     f"for now ({e.smtp_code} {self._say(e.smtp_error)}): nothing was sent") from e
            detail = "" if e.smtp_code == 535 else f" ({e.smtp_code} {self._say(e.smtp_error)})"
            raise AuthError(f"the SMTP server refused the login of {self.username}{detail}: "
                            f"check the password in {self._password_source()}") from e
        except smtplib.SMTPNotSupportedError as e:
            raise FatalError(f"the SMTP server {self.where} offers no login (AUTH): "
                             "leave [notice.smtp] username empty if it needs none") from e
        except (smtplib.SMTPResponseException, smtplib.SMTPServerDisconnected):
            raise  # sorted by _nothing_sent
        except smtplib.SMTPException as e:  # no mechanism smtplib speaks
            offered = conn.esmtp_features.get("auth", "").strip() or "none"
            raise FatalError(f"the SMTP server {self.where} offers no login method this tool speaks "
                             f"(it offers {offered}; PLAIN, LOGIN or CRAM-MD5 would do)") from e

    def _envelope(self, conn: smtplib.SMTP, raw: bytes, recipients: Sequence[str]) -> None:
        options: list[str] = []
        if not raw.isascii() and conn.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not all(address.isascii() for address in (self.sender, *recipients)):
            if not conn.has_extn("smtputf8"):
                raise FatalError(f"the SMTP server {self.where} does not take addresses with non-ASCII letters "
                                 "(it does not offer SMTPUTF8): nothing was sent")
            conn.command_encoding = "utf-8"
            options.append("SMTPUTF8")
        step = f"MAIL FROM:<{self.sender}>"
        with self._nothing_sent(step):
            code, text = conn.mail(self.sender, options)
            if code != 250:
                self._refused(step, code, text)
        for recipient in recipients:
            with self._nothing_sent(f"RCPT TO:<{recipient}>"):
                code, text = conn.rcpt(recipient)
                if code not in (250, 251):
                    self._refused(f"RCPT TO:<{recipient}>", code, text, recipient=recipient)

    @contextmanager
    def _nothing_sent(self, step: str) -> Iterator[None]:
        """Sorts what goes wrong while nothing has been handed over: it may all be tried again."""
        try:
            yield
        except ConnectorError:
            raise
        except smtplib.SMTPResponseException as e:
            self._refused(step, e.smtp_code, e.smtp_error)
        except ssl.SSLCertVerificationError as e:
            raise FatalError(f"the certificate of the SMTP server {self.where} did not verify ({e.verify_message}): "
                             "nothing was sent") from e
        except (smtplib.SMTPException, OSError) as e:
            if _timed_out(e):
                raise RetriableError(f"the SMTP server {self.where} did not answer within {self.timeout:g} s "
                                     f"(at {step}): nothing was sent") from e
            if isinstance(e, smtplib.SMTPServerDisconnected):
                raise RetriableError(f"the SMTP server {self.where} closed the connection (at {step}): "
                                     "nothing was sent") from e
            reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
            raise RetriableError(f"the connection to the SMTP server {self.where} failed (at {step}: {reason}): "
                                 "nothing was sent") from e

    def _refused(self, step: str, code: int, text: bytes | str, recipient: str = "") -> NoReturn:
        answer = f"{code} {self._say(text)}"
        what = f"the recipient {recipient}" if recipient else step
        if 400 <= code < 500:
            raise RetriableError(f"the SMTP server {self.where} put off {what} ({answer}): nothing was sent")
        if code == 530 and not self.username:
            raise AuthError(f"the SMTP server {self.where} wants a login ({answer}): "
                            "set username and password_env in [notice.smtp]")
        if 500 <= code < 600:
            raise FatalError(f"the SMTP server {self.where} refused {what} ({answer}): nothing was sent")
        raise FatalError(f"the SMTP server {self.where} answered {step} with {answer!r}, which is not SMTP: "
                         "nothing was sent")

    # -- the message itself ---------------------------------------------------------------------

    def _hand_over(self, conn: smtplib.SMTP, raw: bytes, message_id: str) -> tuple[int, str]:
        """DATA, as ``smtplib.SMTP.data`` does, with the moment the message was handed over made exact."""
        with self._nothing_sent("DATA"):
            conn.putcmd("data")
            code, reply = conn.getreply()
            if code != 354:
                self._refused("DATA", code, reply)
            # sendall returns only once every byte is out, the closing <CRLF>.<CRLF> last: if it
            # raises, the server has no complete message and discards what it got
            conn.send(_transparent(raw))
        # the server now holds the whole message: whatever it answers, it is never sent again
        try:
            code, answer = conn.getreply()
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryUnknown(f"the SMTP server took the message but its answer was lost: check the sent folder "
                                  f"of {self.sender} for Message-ID {message_id}; it is not sent again") from e
        text = self._say(answer)
        if 200 <= code < 300:
            return code, text
        if 400 <= code < 500:
            raise RetriableError(f"the SMTP server {self.where} put off the message ({code} {text}): nothing was delivered")
        if 500 <= code < 600:
            raise FatalError(f"the SMTP server {self.where} refused the message ({code} {text}): nothing was delivered")
        raise DeliveryUnknown(f"the SMTP server took the message but its answer was not SMTP ({text!r}): check the "
                              f"sent folder of {self.sender} for Message-ID {message_id}; it is not sent again")

    def _say(self, text: bytes | str) -> str:
        """A server's reply as one line of text, with the password blotted out should a server echo it."""
        said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        said = " ".join(said.split())
        return said.replace(self._password, "***") if self._password else said

    def _password_source(self) -> str:
        return f"${self.password_env}" if self.password_env else "the configuration"


def _message_id(raw: bytes) -> str:
    value = BytesHeaderParser(policy=compat32).parsebytes(raw).get("Message-ID")
    message_id = " ".join(str(value).split()) if value is not None else ""
    if not message_id:
        raise ValueError("the message has no Message-ID: it is chosen before sending, so a lost answer can be checked")
    return message_id


def _timed_out(error: BaseException) -> bool:
    """A timeout, also where smtplib reports it as a disconnection (``getreply`` turns OSError into one)."""
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _transparent(raw: bytes) -> bytes:
    """The DATA content on the wire (RFC 5321 4.5.2): dot-stuffed, ended by <CRLF>.<CRLF>."""
    data = _LINE_START_DOT.sub(b"..", raw)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _close(conn: smtplib.SMTP) -> None:
    """QUIT, politely; its failure changes nothing (after a 250 the message is sent)."""
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()
