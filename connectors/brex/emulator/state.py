"""The state behind the Brex emulator: one account's users and cards, and the rules Brex applies to them.

Plain data. Statuses are those of the Team API reference. Transitions the reference documents are
followed; where it is silent the emulator is conservative and refuses (UNCONFIRMED, each marked): a
lock of a card that is not ACTIVE or SHIPPED, an unlock of a card that is not LOCKED, a termination of
a terminated card, a user update on an account that is closed, deleted or archived, ACTIVE for a user
who never was (INVITED). An unlocked card returns to the status it had before its lock (UNCONFIRMED:
Brex's card object keeps no such history that the API shows).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

USER_STATUSES = ("INVITED", "ACTIVE", "CLOSED", "DISABLED", "DELETED", "PENDING_ACTIVATION", "INACTIVE", "ARCHIVED")
UPDATE_STATUSES = ("ACTIVE", "DISABLED")  # UpdateUserStatus: "To suspend a user, set status to 'disabled'"
CARD_STATUSES = ("ACTIVE", "SHIPPED", "LOCKED", "TERMINATED")
CARD_TYPES = ("VIRTUAL", "PHYSICAL")
REASONS = ("CARD_DAMAGED", "CARD_LOST", "CARD_NOT_RECEIVED", "DO_NOT_NEED_PHYSICAL_CARD", "DO_NOT_NEED_VIRTUAL_CARD",
           "FRAUD", "OTHER")  # ChangeCardReason
DISABLEABLE = frozenset({"ACTIVE", "INVITED", "PENDING_ACTIVATION", "DISABLED"})  # UNCONFIRMED beyond ACTIVE


class Refused(Exception):
    """What Brex answers instead: an HTTP status and its ``{type, message, code?}`` body."""

    def __init__(self, status: int, kind: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.code = status, kind, message, code

    def body(self) -> dict[str, Any]:
        return {"type": self.kind, "message": self.message, **({"code": self.code} if self.code else {})}


def bad_request(message: str) -> Refused:
    return Refused(400, "BAD_REQUEST", message)


@dataclass
class User:
    id: str
    first_name: str
    last_name: str
    email: str
    status: str = "ACTIVE"

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "first_name": self.first_name, "last_name": self.last_name, "email": self.email,
                "status": self.status, "manager_id": None, "department_id": None, "location_id": None}


@dataclass
class Card:
    id: str
    user_id: str
    card_name: str
    last_four: str
    card_type: str = "VIRTUAL"
    status: str = "ACTIVE"
    limit_type: str = "USER"
    unlocked_status: str = "ACTIVE"  # what an unlock gives back: the status before the lock
    history: list[dict[str, Any]] = field(default_factory=list)  # each lock/unlock/terminate with its body

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "owner": {"type": "USER", "user_id": self.user_id}, "status": self.status,
                "last_four": self.last_four, "card_name": self.card_name, "card_type": self.card_type,
                "limit_type": self.limit_type, "spend_controls": None,
                "billing_address": {"line1": "1 Main St", "line2": None, "city": "San Francisco", "state": "CA",
                                    "country": "US", "postal_code": "94105", "phone_number": None},
                "mailing_address": None, "metadata": None}


class Account:
    """Users and cards of one Brex customer account, keyed by id, in the order they were made (for paging)."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.cards: dict[str, Card] = {}
        self._ids = itertools.count(1)

    # -- building (what an admin does in the dashboard)

    def add_user(self, first_name: str, last_name: str, email: str, status: str = "ACTIVE") -> str:
        if status not in USER_STATUSES:
            raise ValueError(f"unknown Brex user status {status!r} (known: {', '.join(USER_STATUSES)})")
        uid = f"cuuser_{next(self._ids):08d}"
        self.users[uid] = User(uid, first_name, last_name, email, status)
        return uid

    def add_card(self, user_id: str, card_name: str, card_type: str = "VIRTUAL", status: str = "ACTIVE") -> str:
        if card_type not in CARD_TYPES or status not in CARD_STATUSES:
            raise ValueError(f"card_type must be one of {CARD_TYPES} and status one of {CARD_STATUSES}")
        number = next(self._ids)
        cid = f"card_{number:08d}"
        self.cards[cid] = Card(cid, user_id, card_name, f"{4000 + number:04d}"[-4:], card_type, status,
                               unlocked_status="ACTIVE" if status == "LOCKED" else status)
        return cid

    def by_email(self, email: str) -> list[User]:
        return [u for u in self.users.values() if u.email.lower() == email.lower()]

    # -- Brex's rules

    def user(self, uid: str) -> User:
        if uid not in self.users:
            raise Refused(404, "NOT_FOUND", "Not Found", "USER_NOT_FOUND")
        return self.users[uid]

    def card(self, cid: str) -> Card:
        if cid not in self.cards:
            raise Refused(404, "NOT_FOUND", "Not Found", "CARD_NOT_FOUND")  # code UNCONFIRMED
        return self.cards[cid]

    def update_user(self, uid: str, status: str | None) -> User:
        user = self.user(uid)
        if status is None or status == user.status:
            return user
        allowed = DISABLEABLE if status == "DISABLED" else {"DISABLED"}  # ACTIVE only from DISABLED (UNCONFIRMED)
        if user.status not in allowed:
            raise bad_request(f"Cannot change the status of a user who is {user.status} to {status}")
        user.status = status
        return user

    def lock(self, cid: str, body: dict[str, Any]) -> Card:
        card = self.card(cid)
        if card.status not in ("ACTIVE", "SHIPPED"):
            raise bad_request(f"Card cannot be locked: it is {card.status}")  # UNCONFIRMED wording
        card.unlocked_status, card.status = card.status, "LOCKED"
        card.history.append({"op": "lock", **body})
        return card

    def unlock(self, cid: str) -> Card:
        card = self.card(cid)
        if card.status != "LOCKED":
            raise bad_request(f"Card cannot be unlocked: it is {card.status}")
        card.status = card.unlocked_status
        card.history.append({"op": "unlock"})
        return card

    def terminate(self, cid: str, body: dict[str, Any]) -> Card:
        card = self.card(cid)
        if card.status == "TERMINATED":
            raise bad_request("Card is already terminated")
        card.status = "TERMINATED"
        card.history.append({"op": "terminate", **body})
        return card
