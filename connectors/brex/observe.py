"""Read-only observations of Brex users and cards: what goes into a plan's before-state and what ``check`` re-reads.

Nothing here writes; every request is a read retried on its own by the engine (``BrexApi.get``, each
page of ``BrexApi.pages``). Statuses are Brex's (Team API reference): a user is INVITED, ACTIVE,
CLOSED, DISABLED, DELETED, PENDING_ACTIVATION, INACTIVE or ARCHIVED; a card is ACTIVE, SHIPPED,
LOCKED or TERMINATED.
"""

from __future__ import annotations

from typing import Any

from offboard.spi import ACTIVE, Account, NotFoundError

from .api import BrexApi

NAME = "brex"
# Users who can use Brex, or will once they act on their own (an invitation accepted): an audit must not miss them.
ACTIVE_USERS = frozenset({"ACTIVE", "INVITED", "PENDING_ACTIVATION"})
GONE_USERS = frozenset({"CLOSED", "DELETED", "ARCHIVED"})  # no API brings these back
SPENDABLE_CARDS = frozenset({"ACTIVE", "SHIPPED"})  # a shipped card is activated by its holder alone: lock it too
LOCKED, TERMINATED, DISABLED = "LOCKED", "TERMINATED", "DISABLED"


def user(api: BrexApi, user_id: str) -> dict[str, Any]:
    return dict(api.get(f"/v2/users/{user_id}", f"read the Brex user {user_id}"))


def user_or_none(api: BrexApi, user_id: str) -> dict[str, Any] | None:
    try:
        return user(api, user_id)
    except NotFoundError:
        return None


def user_status(api: BrexApi, user_id: str) -> str | None:
    """The user's status now; None when Brex no longer knows them."""
    found = user_or_none(api, user_id)
    return str(found.get("status") or "") if found is not None else None


def user_by_email(api: BrexApi, email: str) -> dict[str, Any] | None:
    """The user with this email (GET /v2/users?email=), matched without regard to case; None for a stranger.

    When Brex lists several (a closed account and the one made when the person was invited again), the one
    that can still be used is the member's: taking the first would plan nothing for a closed account.
    """
    page = api.get("/v2/users", f"look up the Brex user {email}", email=email) or {}
    found = [dict(u) for u in page.get("items") or [] if str(u.get("email") or "").lower() == email.lower()]
    return min(found, key=_usable_first) if found else None


def _usable_first(found: dict[str, Any]) -> int:
    status = str(found.get("status") or "")
    return 0 if status in ACTIVE_USERS else 2 if status in GONE_USERS else 1


def me(api: BrexApi) -> dict[str, Any]:
    """The user the token belongs to (GET /v2/users/me)."""
    return dict(api.get("/v2/users/me", "read the token's own user"))


def cards(api: BrexApi, user_id: str, label: str) -> list[dict[str, Any]]:
    """Every card of the user, page by page (GET /v2/cards?user_id=)."""
    return [card for page in api.pages("/v2/cards", f"list the Brex cards of {label}", user_id=user_id) for card in page]


def card(api: BrexApi, card_id: str, label: str) -> dict[str, Any] | None:
    """One card as it is now; None when Brex no longer knows it."""
    try:
        return dict(api.get(f"/v2/cards/{card_id}", f"read the Brex {label}"))
    except NotFoundError:
        return None


def card_status(api: BrexApi, card_id: str, label: str) -> str | None:
    """The card's status now; None when Brex no longer knows it."""
    found = card(api, card_id, label)
    return str(found.get("status") or "") if found is not None else None


def full_name(found: dict[str, Any]) -> str:
    return " ".join(str(found.get(k) or "").strip() for k in ("first_name", "last_name")).strip()


def account(found: dict[str, Any]) -> Account:
    """An Account from a Brex user (GET /v2/users, /v2/users/{id}); its id is Brex's user id."""
    status = str(found.get("status") or "")
    email = str(found.get("email") or "")
    return Account(NAME, str(found["id"]), email or full_name(found) or str(found["id"]), {
        ACTIVE: status in ACTIVE_USERS,  # offboard.spi.ACTIVE: can sign in or spend, or will by accepting an invitation
        "status": status,
        "email": email,
        "name": full_name(found),
    })


def card_record(found: dict[str, Any]) -> dict[str, Any]:
    """What a plan records of a card: enough for a person to find it in the dashboard."""
    return {
        "id": str(found["id"]),
        "card_name": str(found.get("card_name") or ""),
        "last_four": str(found.get("last_four") or ""),
        "card_type": str(found.get("card_type") or ""),
        "limit_type": str(found.get("limit_type") or ""),
        "status": str(found.get("status") or ""),
    }


def card_label(record: dict[str, Any]) -> str:
    """How a sentence names a card: "card Travel (virtual, ending 4242)"."""
    kind = str(record.get("card_type") or "").lower()
    details = ", ".join(x for x in (kind, f"ending {record['last_four']}" if record.get("last_four") else "") if x)
    name = record.get("card_name") or record.get("id")
    return f"card {name}" + (f" ({details})" if details else "")
