"""SmtpMailbox against a real SMTP server on 127.0.0.1: the message goes byte for byte, at most once."""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

import pytest
from offboard.connectors.notice.smtp import SmtpMailbox

from offboard.spi import AuthError, ConfigError, DeliveryUnknown, FatalError, RetriableError
from tests.connectors.notice.conftest import FINAL_REPLY, PASSWORD, USER, Certificates, Server

MESSAGE_ID = "<notice-000042.m042@offboard.example.org>"
MEMBER = "bob@home.test"
RECORDS = "cc-records@example.org"
RAW = (b"From: Secretary <secretary@example.org>\r\n"
       b"To: Bob Example <bob@home.test>\r\n"
       b"Cc: cc-records@example.org\r\n"
       b"Subject: Notice of expulsion\r\n"
       b"Date: Sat, 29 Nov 2025 19:00:00 +0000\r\n"
       b"Message-ID: " + MESSAGE_ID.encode() + b"\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"Content-Transfer-Encoding: 8bit\r\n"
       b"\r\n"
       b"Dear Bob,\r\n"
       b".a line that starts with a dot, which SMTP stuffs and unstuffs\r\n"
       b".\r\n"
       b"Your access ended on 29 November 2025 \xe2\x80\x94 the committee.\r\n")
# the 465-style server and the plain one require AUTH without aiosmtpd's STARTTLS: it warns, rightly, each time
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

LOST = ("the SMTP server took the message but its answer was lost: check the sent folder of secretary@example.org "
        f"for Message-ID {MESSAGE_ID}; it is not sent again")


def mailbox(server: Server, certificates: Certificates, **overrides: Any) -> SmtpMailbox:
    settings: dict[str, Any] = {"username": USER, "password": PASSWORD, "sender": USER, "timeout": 5.0,
                                "tls": server.tls, "ssl_context": certificates.client_context(),
                                "password_env": "NOTICE_SMTP_PASSWORD"}
    settings |= overrides
    return SmtpMailbox(server.host, server.port, **settings)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_the_message_arrives_byte_for_byte_and_the_final_reply_is_kept(make_server, certificates, tls):
    server = make_server(tls)
    sent = mailbox(server, certificates).send(RAW, [MEMBER, RECORDS])
    assert sent.message_id == MESSAGE_ID
    assert sent.server_reply == FINAL_REPLY
    [received] = server.handler.received
    assert received.raw == RAW  # Message-ID header and the dotted lines included
    assert (received.mail_from, received.rcpt_tos) == (USER, [MEMBER, RECORDS])
    assert received.tls and received.login == USER


def test_the_tls_mode_follows_the_port_unless_given():
    def tls(port: int, **kwargs: Any) -> str:
        return SmtpMailbox("smtp.example.org", port, USER, PASSWORD, USER, **kwargs).tls

    assert (tls(465), tls(587), tls(25), tls(2525)) == ("ssl", "starttls", "starttls", "starttls")
    assert (tls(465, tls="starttls"), tls(587, tls="ssl")) == ("starttls", "ssl")


@pytest.mark.parametrize("host", ["smtp.example.org", "10.0.0.1", "::2", "localhost.example.org"])
def test_no_tls_is_refused_for_a_server_elsewhere(host):
    with pytest.raises(ConfigError) as caught:
        SmtpMailbox(host, 25, USER, PASSWORD, USER, tls="none")
    assert str(caught.value) == (f'[notice.smtp] tls = "none" would send the password and the notice in clear to {host}: use '
                                 'starttls or ssl ("none" is allowed only for a server on this machine: 127.0.0.1, ::1, localhost)')
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_no_tls_is_allowed_for_a_server_on_this_machine(host):
    assert SmtpMailbox(host, 2525, "", "", USER, tls="none").tls == "none"


@pytest.mark.parametrize(("port", "password", "tls", "message"), [
    (587, PASSWORD, "tls1.3", "[notice.smtp] tls 'tls1.3' is not one of starttls, ssl, none"),
    (587, "", None, "[notice.smtp] username is secretary@example.org but the password in $NOTICE_SMTP_PASSWORD is empty"),
    (0, PASSWORD, None, "[notice.smtp] port 0 is not a port number: 587 for STARTTLS, 465 for implicit TLS"),
])
def test_bad_settings_are_config_errors(port, password, tls, message):
    with pytest.raises(ConfigError) as caught:
        SmtpMailbox("smtp.example.org", port, USER, password, USER, tls=tls, password_env="NOTICE_SMTP_PASSWORD")
    assert str(caught.value) == message


def test_no_tls_to_a_local_server_works(make_server, certificates):
    server = make_server("none", auth=False)
    sent = mailbox(server, certificates, username="", password="").send(RAW, [MEMBER])
    assert sent.server_reply == FINAL_REPLY
    [received] = server.handler.received
    assert received.raw == RAW and not received.tls


def test_a_server_without_starttls_is_never_given_the_password_in_clear(make_server, certificates):
    server = make_server("none")
    with pytest.raises(FatalError) as caught:
        mailbox(server, certificates, tls="starttls").send(RAW, [MEMBER])
    assert str(caught.value) == (f"the SMTP server 127.0.0.1:{server.port} does not offer STARTTLS, and the notice is never "
                                 'sent in clear: use its TLS port (465, tls = "ssl") or another server')
    assert server.handler.received == []


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_a_certificate_that_does_not_verify_is_fatal(make_server, certificates, tls):
    server = make_server(tls)
    with pytest.raises(FatalError) as caught:
        mailbox(server, certificates, ssl_context=ssl.create_default_context()).send(RAW, [MEMBER])
    assert not isinstance(caught.value, RetriableError)
    assert str(caught.value).startswith(f"the certificate of the SMTP server 127.0.0.1:{server.port} did not verify (")
    assert str(caught.value).endswith("): nothing was sent")
    assert server.handler.received == []


def test_a_wrong_password_is_an_auth_error_naming_the_variable_never_the_password(make_server, certificates):
    server = make_server()
    wrong = "hunter2-not-the-password"
    with pytest.raises(AuthError) as caught:
        mailbox(server, certificates, password=wrong).send(RAW, [MEMBER])
    assert str(caught.value) == "the SMTP server refused the login of secretary@example.org: check the password in $NOTICE_SMTP_PASSWORD"
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert server.handler.received == []


def test_no_login_where_the_server_wants_one_is_an_auth_error(make_server, certificates):
    server = make_server()
    with pytest.raises(AuthError) as caught:
        mailbox(server, certificates, username="", password="").send(RAW, [MEMBER])
    assert str(caught.value) == (f"the SMTP server 127.0.0.1:{server.port} wants a login (530 5.7.0 Authentication required): "
                                 "set username and password_env in [notice.smtp]")


def test_a_refused_connection_is_retriable(certificates):
    port = free_port()
    box = SmtpMailbox("127.0.0.1", port, USER, PASSWORD, USER, ssl_context=certificates.client_context())
    with pytest.raises(RetriableError) as caught:
        box.send(RAW, [MEMBER])
    assert str(caught.value) == (f"the connection to the SMTP server 127.0.0.1:{port} failed (at connect: Connection refused): "
                                 "nothing was sent")


def test_451_at_mail_from_is_retriable(make_server, certificates):
    server = make_server()
    server.handler.mail_reply = "451 4.3.0 Temporary lookup failure, try again"
    with pytest.raises(RetriableError) as caught:
        mailbox(server, certificates).send(RAW, [MEMBER])
    assert str(caught.value) == (f"the SMTP server 127.0.0.1:{server.port} put off MAIL FROM:<secretary@example.org> "
                                 "(451 4.3.0 Temporary lookup failure, try again): nothing was sent")
    assert server.handler.received == []


def test_550_at_mail_from_is_fatal(make_server, certificates):
    server = make_server()
    server.handler.mail_reply = "550 5.7.1 Sender not allowed"
    with pytest.raises(FatalError) as caught:
        mailbox(server, certificates).send(RAW, [MEMBER])
    assert not isinstance(caught.value, RetriableError)
    assert str(caught.value) == (f"the SMTP server 127.0.0.1:{server.port} refused MAIL FROM:<secretary@example.org> "
                                 "(550 5.7.1 Sender not allowed): nothing was sent")


def test_a_refused_recipient_is_fatal_names_it_and_nothing_is_sent(make_server, certificates):
    server = make_server()
    server.handler.refuse = {RECORDS}
    with pytest.raises(FatalError) as caught:
        mailbox(server, certificates).send(RAW, [MEMBER, RECORDS])
    assert str(caught.value) == (f"the SMTP server 127.0.0.1:{server.port} refused the recipient cc-records@example.org "
                                 "(550 5.1.1 <cc-records@example.org>: Recipient address rejected: User unknown): nothing was sent")
    assert server.handler.received == []


def test_a_connection_dropped_after_the_message_is_delivery_unknown_and_the_message_went_once(make_server, certificates):
    server = make_server()
    server.handler.drop_after_data = True
    with pytest.raises(DeliveryUnknown) as caught:
        mailbox(server, certificates).send(RAW, [MEMBER, RECORDS])
    assert str(caught.value) == LOST
    assert not isinstance(caught.value, RetriableError)  # the engine never sends it again
    [received] = server.handler.received
    assert received.raw == RAW


def test_a_stalled_answer_after_the_message_is_delivery_unknown(make_server, certificates):
    server = make_server()
    server.handler.stall = {"DATA": 30.0}
    started = time.monotonic()
    with pytest.raises(DeliveryUnknown) as caught:
        mailbox(server, certificates, timeout=0.5).send(RAW, [MEMBER])
    assert time.monotonic() - started < 5
    assert str(caught.value) == LOST
    assert len(server.handler.received) == 1


def test_a_stalled_answer_before_the_message_is_retriable(make_server, certificates):
    server = make_server()
    server.handler.stall = {"MAIL": 30.0}
    with pytest.raises(RetriableError) as caught:
        mailbox(server, certificates, timeout=0.5).send(RAW, [MEMBER])
    assert str(caught.value) == (f"the SMTP server 127.0.0.1:{server.port} did not answer within 0.5 s "
                                 "(at MAIL FROM:<secretary@example.org>): nothing was sent")
    assert server.handler.received == []


@pytest.mark.parametrize(("reply", "error", "text"), [
    ("451 4.7.1 Greylisted, come back later", RetriableError, "put off the message (451 4.7.1 Greylisted, come back later)"),
    ("554 5.7.1 Message rejected as spam", FatalError, "refused the message (554 5.7.1 Message rejected as spam)"),
])
def test_a_refusal_of_the_message_itself_delivered_nothing(make_server, certificates, reply, error, text):
    server = make_server()
    server.handler.data_reply = reply
    with pytest.raises(error) as caught:
        mailbox(server, certificates).send(RAW, [MEMBER])
    assert type(caught.value) is error
    assert str(caught.value) == f"the SMTP server 127.0.0.1:{server.port} {text}: nothing was delivered"


def test_a_message_the_mailbox_cannot_carry_exactly_is_refused_before_connecting(certificates):
    box = SmtpMailbox("127.0.0.1", free_port(), USER, PASSWORD, USER)  # nothing listens: a connection would be retriable
    with pytest.raises(ValueError, match="no Message-ID"):
        box.send(b"Subject: hello\r\n\r\nbody\r\n", [MEMBER])
    with pytest.raises(ValueError, match="not CRLF"):
        box.send(RAW.replace(b"\r\n\r\n", b"\n\n", 1), [MEMBER])


def test_sent_mail_cannot_be_looked_up():
    box = SmtpMailbox("smtp.example.org", 587, USER, PASSWORD, USER)
    assert box.can_look_up is False
    with pytest.raises(NotImplementedError):
        box.find_sent(MESSAGE_ID)
    assert PASSWORD not in repr(box)
