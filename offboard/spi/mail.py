"""Sending one mail exactly once: what a mailbox (Gmail through a connector, or an SMTP server) offers.

The written notice is sent through a ``Mailbox``. A mail must never go twice, so the mailbox says what
it can tell afterwards: Gmail can find a sent message again by its ``Message-ID`` (``can_look_up``);
an SMTP server cannot, so a send cut short after the message was handed over raises
``DeliveryUnknown`` and a person checks the sent folder, instead of the mail being sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from offboard.spi.errors import FatalError


@dataclass(frozen=True)
class SentMail:
    """What the mail service answered for one sent message: the proof the report records."""

    message_id: str  # the Message-ID header, as chosen before sending
    gmail_id: str = ""  # Gmail: the message and its thread
    thread_id: str = ""
    server_reply: str = ""  # SMTP: the server's final reply to the message ("250 2.0.0 OK ...")


class DeliveryUnknown(FatalError):
    """The message was handed over and the answer was lost: it may have gone. Never sent again on a guess."""


class Mailbox(Protocol):
    sender: str  # the address the mail is sent as
    can_look_up: bool  # True: ``find_sent`` answers; False: a send cut short cannot be checked afterwards

    def send(self, raw: bytes, recipients: Sequence[str]) -> SentMail:
        """Send ``raw`` (RFC 5322 bytes, ``Message-ID`` set) to ``recipients`` (To and Cc), once.

        Raises ``RetriableError`` only when nothing was handed over (a refused connection, a 4xx
        before the message was sent), ``AuthError`` for credentials, ``DeliveryUnknown`` when the
        message was handed over and no answer came, ``FatalError`` for a refusal.
        """
        ...

    def find_sent(self, message_id: str) -> SentMail | None:
        """The sent message with this ``Message-ID``, or None; only where ``can_look_up``."""
        ...
