"""The written notice through Gmail: the connector's mailbox, with google-api-python-client over HTTP to the emulator.

Sent once as the secretary (domain-wide delegation with gmail.send and gmail.metadata only),
found again by its Message-ID among the newest SENT messages; a send whose answer is lost is
``DeliveryUnknown`` (it may have gone: it is looked up, never sent again on a guess), one
refused before anything went out is retriable, and a missing scope is named with where to grant it.
"""

from __future__ import annotations

import email.policy
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.api import GmailMailbox, GoogleClients
from offboard.connectors.google_workspace.doctor import MAIL_SCOPES, mail_problems
from offboard.connectors.google_workspace.emulator import GoogleEmulator
from offboard.connectors.google_workspace.emulator.mail import MailMessage

from offboard.spi import AuthError, DeliveryUnknown, FatalError, Mailbox, RetriableError, SentMail
from tests.connectors.google_workspace.conftest import ANN, DOMAIN

SECRETARY = f"secretary@{DOMAIN}"
SEND_PATH = "/gmail/v1/users/me/messages/send"
GMAIL_SEND, GMAIL_METADATA = MAIL_SCOPES
DELEGATION = "Admin console > Security > API controls > Domain-wide delegation"


def notice(n: int = 1) -> bytes:
    """A notice as the notice code builds it: multipart/alternative, its Message-ID chosen before sending."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Committee Secretary <{SECRETARY}>"
    message["To"] = ANN.personal_email
    message["Cc"] = f"records@{DOMAIN}"
    message["Subject"] = "Notice of expulsion"
    message["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    message["Message-ID"] = f"<notice-{n}.m-001@{DOMAIN}>"
    message.set_content("Ann Lee,\n\nyour membership ended on 2026-11-23.\n")
    message.add_alternative("<p>Ann Lee,</p><p>your membership ended on 2026-11-23.</p>", subtype="html")
    return message.as_bytes()


RECIPIENTS = [ANN.personal_email, f"records@{DOMAIN}"]


@pytest.fixture
def mailbox(connector: GoogleWorkspaceConnector) -> Mailbox:
    return connector.mailbox(SECRETARY)


def _lose_the_next(emulator: GoogleEmulator, fault: str, path: str = SEND_PATH, method: str = "POST") -> None:
    emulator.faults.script_match, emulator.faults.script_method = path, method
    emulator.faults.script.append(fault)


def test_the_connector_hands_out_a_mailbox_that_reads_nothing_until_used(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.clear_log()
    mailbox = connector.mailbox(SECRETARY)
    assert isinstance(mailbox, GmailMailbox) and (mailbox.sender, mailbox.can_look_up) == (SECRETARY, True)
    assert emulator.log == []


def test_a_notice_sent_is_found_again_by_its_message_id(emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    raw = notice()
    sent = mailbox.send(raw, RECIPIENTS)
    [kept] = emulator.sent(SECRETARY)
    assert sent == SentMail(f"<notice-1.m-001@{DOMAIN}>", gmail_id=kept.id, thread_id=kept.thread_id)
    assert kept.raw == raw  # byte for byte
    assert mailbox.find_sent(sent.message_id) == sent
    assert mailbox.find_sent(sent.message_id.strip("<>")) == sent  # angle brackets aside
    # As the secretary, with the two notice scopes only; one send, then list SENT and read headers.
    assert [r.method for r in emulator.requests(path_contains="/messages")] == ["POST", "GET", "GET", "GET", "GET"]
    listed = emulator.requests("GET", "/gmail/v1/users/me/messages")[0]
    assert (listed.query["labelIds"], listed.query["maxResults"]) == (["SENT"], ["50"])
    got = emulator.requests("GET", f"/messages/{kept.id}")[0]
    assert (got.query["format"], got.query["metadataHeaders"]) == (["metadata"], ["Message-ID"])
    subjects = {emulator.authority.subject_of(r.headers["authorization"].split()[1])
                for r in emulator.requests(path_contains="/messages")}
    assert subjects == {SECRETARY}


def test_an_unknown_message_id_is_not_found(emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    assert mailbox.find_sent(f"<never-sent@{DOMAIN}>") is None
    mailbox.send(notice(1), RECIPIENTS)
    mailbox.send(notice(2), RECIPIENTS)
    assert mailbox.find_sent(f"<never-sent@{DOMAIN}>") is None
    assert mailbox.find_sent(f"<notice-1.m-001@{DOMAIN}>") is not None


def test_only_the_newest_hundred_sent_messages_are_searched_fifty_at_a_time(
        emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    with emulator.lock:
        messages = emulator.workspace.user(SECRETARY).gmail.messages
        for i in range(150):  # oldest first: notice-149 is the newest
            messages.append(MailMessage(f"{0x18c000000000 + i:x}", f"{0x18c000000000 + i:x}", ("SENT",),
                                        1_763_000_000_000 + i, notice(i)))
    emulator.clear_log()
    assert mailbox.find_sent(f"<notice-60.m-001@{DOMAIN}>") is not None  # the 90th newest
    assert _lists_and_gets(emulator) == (2, 90)
    emulator.clear_log()
    assert mailbox.find_sent(f"<notice-49.m-001@{DOMAIN}>") is None  # the 101st newest: beyond the search
    assert _lists_and_gets(emulator) == (2, 100)


def _lists_and_gets(emulator: GoogleEmulator) -> tuple[int, int]:
    lists = [r for r in emulator.requests("GET") if r.path == "/gmail/v1/users/me/messages"]
    assert all(r.query["maxResults"] == ["50"] for r in lists)
    return len(lists), len(emulator.requests("GET", "/gmail/v1/users/me/messages/"))


def test_a_send_whose_answer_is_lost_is_delivery_unknown_and_is_found_afterwards(
        emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    _lose_the_next(emulator, "drop")  # Gmail takes the message, then the connection closes without an answer
    with pytest.raises(DeliveryUnknown, match=r"^sending the notice <notice-1\.m-001@example\.org> as secretary@example\.org: "
                                              r"the message was handed to Gmail, then the connection closed "
                                              r"before Google answered \(RemoteDisconnected\); it may have been sent"):
        mailbox.send(notice(), RECIPIENTS)
    assert [r.dropped for r in emulator.requests("POST", SEND_PATH)] == [True]  # sent once: no hidden re-send
    [kept] = emulator.sent(SECRETARY)
    assert mailbox.find_sent(f"<notice-1.m-001@{DOMAIN}>") == SentMail(f"<notice-1.m-001@{DOMAIN}>", kept.id,
                                                                       kept.thread_id)


def test_a_reset_after_the_send_was_written_is_delivery_unknown_too(emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    """The emulator resets before handling it, but the client cannot know: the request had gone out whole."""
    _lose_the_next(emulator, "reset")
    with pytest.raises(DeliveryUnknown):
        mailbox.send(notice(), RECIPIENTS)
    assert emulator.sent(SECRETARY) == [] and mailbox.find_sent(f"<notice-1.m-001@{DOMAIN}>") is None


def test_a_send_that_times_out_waiting_for_the_answer_is_delivery_unknown(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("offboard.connectors.google_workspace.api.clients.HTTP_TIMEOUT", 0.3)
    mailbox = connector.mailbox(SECRETARY)
    assert mailbox.find_sent("<x@example.org>") is None  # a token first, without delay
    emulator.faults.latency = 0.6  # Gmail takes the message, its answer comes after the client gave up
    with pytest.raises(DeliveryUnknown, match=r"handed to Gmail, then Google did not answer in time \(TimeoutError\); "
                                              r"it may have been sent"):
        mailbox.send(notice(), RECIPIENTS)
    emulator.faults.latency = 0.0
    deadline = time.monotonic() + 5
    while not emulator.sent(SECRETARY) and time.monotonic() < deadline:  # Gmail is still at it
        time.sleep(0.05)
    assert mailbox.find_sent(f"<notice-1.m-001@{DOMAIN}>") is not None
    assert len(emulator.requests("POST", SEND_PATH)) == 1


def test_a_lost_answer_of_the_token_grant_before_the_send_is_retriable(
        emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    _lose_the_next(emulator, "drop", path="/token")
    with pytest.raises(RetriableError, match="connection problem"):
        mailbox.send(notice(), RECIPIENTS)
    assert emulator.requests("POST", SEND_PATH) == [] and emulator.sent(SECRETARY) == []


def test_a_send_refused_before_anything_was_written_is_retriable(
        emulator: GoogleEmulator, mailbox: Mailbox, connector: GoogleWorkspaceConnector) -> None:
    assert mailbox.find_sent("<x@example.org>") is None  # a token is there
    emulator.stop()  # no new connection is accepted; the kept-alive ones are closed here
    for http in connector.gateway.clients._https:
        http.close()
    with pytest.raises(RetriableError, match="connection problem"):
        mailbox.send(notice(), RECIPIENTS)


def test_429_is_retriable_and_5xx_on_the_send_is_delivery_unknown(emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    emulator.faults.retry_after = 7
    _lose_the_next(emulator, "429")
    with pytest.raises(RetriableError, match="429 rateLimitExceeded") as caught:
        mailbox.send(notice(), RECIPIENTS)
    assert caught.value.retry_after == 7
    _lose_the_next(emulator, "503")
    with pytest.raises(DeliveryUnknown, match=r"503 backendError.*may have been sent"):
        mailbox.send(notice(), RECIPIENTS)
    _lose_the_next(emulator, "503", path="/gmail/v1/users/me/messages", method="GET")
    with pytest.raises(RetriableError, match=r"listing the messages secretary@example\.org sent: Google answered 503"):
        mailbox.find_sent("<x@example.org>")
    assert emulator.sent(SECRETARY) == []


def test_each_read_of_the_look_up_goes_through_the_engines_read_and_the_send_does_not(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    reads: list[str] = []

    def read(fn: Callable[[], Any]) -> Any:
        reads.append("read")
        return fn()

    mailbox = GmailMailbox(connector.gateway.clients, SECRETARY, MAIL_SCOPES, read=read)
    sent = mailbox.send(notice(), RECIPIENTS)
    assert reads == []
    _lose_the_next(emulator, "429", path="/gmail/v1/users/me/messages", method="GET")

    def retrying(fn: Callable[[], Any]) -> Any:  # the engine's retry of one read, in short
        try:
            return fn()
        except RetriableError:
            return fn()

    assert GmailMailbox(connector.gateway.clients, SECRETARY, MAIL_SCOPES, read=retrying).find_sent(sent.message_id) == sent
    assert mailbox.find_sent(sent.message_id) == sent and reads == ["read", "read"]  # one list, one get


def test_a_missing_scope_is_an_auth_error_naming_it_and_where_to_grant_it(
        emulator: GoogleEmulator, mailbox: Mailbox, connector: GoogleWorkspaceConnector) -> None:
    emulator.revoke_scopes(GMAIL_SEND)
    client_id = connector.gateway.clients.client_id
    with pytest.raises(AuthError) as caught:
        mailbox.send(notice(), RECIPIENTS)
    assert str(caught.value) == (
        f"the service account (client ID {client_id}) is not authorized for scope {GMAIL_SEND} (acting as {SECRETARY}): "
        f"add it to client ID {client_id} in the {DELEGATION}")
    assert not any(secret in str(caught.value) for secret in emulator.secrets())
    assert emulator.sent(SECRETARY) == []


def test_a_403_from_gmail_itself_names_the_scope(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    """A token without gmail.send (made here by hand: the mailbox always asks for both) is refused by Gmail."""
    clients: GoogleClients = connector.gateway.clients
    mailbox = GmailMailbox(clients, SECRETARY, MAIL_SCOPES)
    mailbox_scopes = (GMAIL_METADATA,)
    clients._credentials[(SECRETARY, MAIL_SCOPES)] = clients.credentials(SECRETARY, mailbox_scopes)
    with pytest.raises(AuthError, match=rf"403 insufficientPermissions: Request had insufficient authentication "
                                        rf"scopes\.: .*not authorized for scope {GMAIL_SEND} .*Domain-wide delegation"):
        mailbox.send(notice(), RECIPIENTS)


def test_a_suspended_or_unknown_sender_is_refused_before_anything_is_sent(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    with pytest.raises(AuthError, match=f"cannot act as nobody@{DOMAIN}: no such user in the domain"):
        connector.mailbox(f"nobody@{DOMAIN}").send(notice(), RECIPIENTS)
    emulator.workspace.user(SECRETARY).suspended = True
    with pytest.raises(FatalError, match=f"Mail service not enabled .*{SECRETARY} is suspended"):
        connector.mailbox(SECRETARY).send(notice(), RECIPIENTS)
    assert emulator.requests("POST", SEND_PATH)[0].status == 400 and emulator.sent(SECRETARY) == []


def test_a_notice_without_message_id_or_recipients_is_refused_before_sending(
        emulator: GoogleEmulator, mailbox: Mailbox) -> None:
    without = notice().replace(f"Message-ID: <notice-1.m-001@{DOMAIN}>\r\n".encode(), b"")
    assert b"Message-ID" not in without
    with pytest.raises(FatalError, match="no Message-ID header"):
        mailbox.send(without, RECIPIENTS)
    with pytest.raises(FatalError, match="has no recipient"):
        mailbox.send(notice(), [])
    assert emulator.requests(path_contains="/messages") == []


def test_doctor_names_a_missing_gmail_send_scope(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    gateway = connector.gateway
    assert mail_problems(gateway, SECRETARY) == [] and mail_problems(gateway.clients, SECRETARY) == []
    emulator.revoke_scopes(GMAIL_SEND)
    client_id = gateway.clients.client_id
    expected = [f"the service account (client ID {client_id}) is not authorized for scope {GMAIL_SEND} "
                f"(acting as {SECRETARY}): add it to client ID {client_id} in the {DELEGATION}"]
    assert mail_problems(gateway, SECRETARY) == expected == mail_problems(gateway.clients, SECRETARY)
    emulator.revoke_scopes(GMAIL_METADATA)
    assert f"scopes {GMAIL_SEND}, {GMAIL_METADATA} " in mail_problems(gateway, SECRETARY)[0]
    assert emulator.sent(SECRETARY) == []


def test_doctor_names_a_sender_that_is_not_a_user_or_is_suspended(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    gone = (f"the notice's sender nobody@{DOMAIN} is not a user of the domain: "
            "set [notice] from to a mailbox of the domain")
    assert mail_problems(connector.gateway, f"nobody@{DOMAIN}") == [gone]
    assert mail_problems(connector.gateway.clients, f"nobody@{DOMAIN}") == [gone]
    emulator.workspace.user(SECRETARY).suspended = True
    assert mail_problems(connector.gateway, SECRETARY) == [
        f"the notice's sender {SECRETARY} is suspended: unsuspend it or set [notice] from to another mailbox"]
