"""Reads: a user by email or id, a user's cards, one card, and how each becomes an Account or a label.

Ramp's users list leaves suspended users (``USER_SUSPENDED``) out unless ``status`` asks for
them, so a lookup by email that finds nobody asks once more for those. The cards list leaves
terminated cards out (and unactivated ones: a user's deactivation covers those), which is what a
plan wants: a terminated card cannot be used. Every read goes through the engine's retry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from offboard.spi import ACTIVE, Account, NotFoundError

from .api import RampApi

NAME = "ramp"
USERS = "/developer/v1/users"
CARDS = "/developer/v1/cards"

# Who can still sign in or spend (or will, once an invite is accepted); the audit's "active".
USABLE = frozenset({"USER_ACTIVE", "USER_ONBOARDING", "INVITE_PENDING"})
DEACTIVATABLE = frozenset({"USER_ACTIVE", "USER_ONBOARDING"})  # what PATCH .../deactivate ends
INVITED = "INVITE_PENDING"
INACTIVE = "USER_INACTIVE"  # what deactivation leaves ("Inactive (Deactivated)" in Ramp's People page)
SUSPENDED_USER = "USER_SUSPENDED"
# A card that can still be spent with: suspension ends that (CHIP_LOCKED still pays online). An
# UNACTIVATED card is not listed, and cannot be activated once the user is deactivated.
SPENDABLE = frozenset({"ACTIVE", "CHIP_LOCKED"})
SUSPENDED = "SUSPENDED"
TERMINATED = "TERMINATED"
_PREFERENCE = ("USER_ACTIVE", "USER_ONBOARDING", "INVITE_PENDING", "USER_SUSPENDED", "USER_INACTIVE")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


def plain(value: object) -> str:
    """Text from Ramp on one line, without control or bidi characters: a name cannot rewrite what is shown."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def user(api: RampApi, user_id: str) -> dict[str, Any]:
    """The user; ``NotFoundError`` when there is none."""
    return dict(api.read(f"{USERS}/{user_id}", what="read a user", scope="users:read"))


def user_or_none(api: RampApi, user_id: str) -> dict[str, Any] | None:
    try:
        return user(api, user_id)
    except NotFoundError:
        return None


def by_email(api: RampApi, email: str) -> dict[str, Any] | None:
    """The user with this email (the most usable one if Ramp has several), suspended users included."""
    wanted = email.strip()
    for extra in ({}, {"status": SUSPENDED_USER}):
        answer = api.read(USERS, what="look up a user by email", scope="users:read", params={"email": wanted, **extra})
        found = [u for u in (answer or {}).get("data") or [] if str(u.get("email") or "").lower() == wanted.lower()]
        if found:
            return min(found, key=lambda u: _rank(u.get("status")))
    return None


def _rank(status: object) -> int:
    return _PREFERENCE.index(str(status)) if status in _PREFERENCE else len(_PREFERENCE)


def cards_of(api: RampApi, user_id: str) -> list[dict[str, Any]]:
    """The user's cards that are not terminated, every page."""
    found: list[dict[str, Any]] = []
    for page in api.pages(CARDS, what="list the user's cards", scope="cards:read", params={"user_id": user_id}):
        found += [dict(c) for c in page if c.get("cardholder_id", user_id) == user_id]
    return found


def card(api: RampApi, card_id: str) -> dict[str, Any] | None:
    """One card, terminated ones included; None when Ramp has no such card."""
    try:
        return dict(api.read(f"{CARDS}/{card_id}", what="read a card", scope="cards:read"))
    except NotFoundError:
        return None


def card_state(api: RampApi, card_id: str) -> str | None:
    found = card(api, card_id)
    return str(found.get("state")) if found is not None else None


def full_name(found: Mapping[str, Any]) -> str:
    return plain(f"{found.get('first_name') or ''} {found.get('last_name') or ''}")


def account(found: Mapping[str, Any]) -> Account:
    status = str(found.get("status") or "")
    email = plain(found.get("email") or found["id"])
    return Account(NAME, str(found["id"]), email, {
        ACTIVE: status in USABLE,
        "status": status,
        "role": str(found.get("role") or ""),
        "name": full_name(found),
    })


def card_facts(found: Mapping[str, Any]) -> dict[str, Any]:
    """What a plan records of a card: enough to name it and to put it back."""
    return {"id": str(found["id"]), "name": plain(found.get("display_name") or "card"),
            "last_four": plain(found.get("last_four") or ""), "physical": bool(found.get("is_physical"))}


def card_label(facts: Mapping[str, Any]) -> str:
    """``T&E ••••3751 (virtual)``: how people recognise a card."""
    four = f" ••••{facts['last_four']}" if facts.get("last_four") else ""
    return f"{facts.get('name') or 'card'}{four} ({'physical' if facts.get('physical') else 'virtual'})"
