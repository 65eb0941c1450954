"""What each restore kind observes and does: the user back to ACTIVE, a card the suspension locked unlocked.

These are rows of ``actions.KINDS`` like every other kind; ``restore_plan`` builds the actions. Each act
looks first, so a second apply is ``ok``, and drift found at apply time (the account closed, a card
terminated meanwhile) is ``skipped`` with what to do instead, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offboard.spi import Action, Outcome

from . import observe
from .idempotency import send_confirmed
from .observe import DISABLED, SPENDABLE_CARDS, TERMINATED

if TYPE_CHECKING:
    from .actions import Brex

ACTIVE = "ACTIVE"


def _user(brex: Brex, p: Mapping[str, Any]) -> tuple[bool, Any]:
    status = observe.user_status(brex.api, p["user"]) or "gone"
    return status == ACTIVE, {"status": status}


def active(brex: Brex, action: Action) -> bool:
    return _user(brex, action.params)[0]


def reactivate(brex: Brex, action: Action, look_first: bool = True) -> Outcome:
    """``PUT /v2/users/{id}`` with ``status: ACTIVE`` ("To unsuspend a user, set status to 'active'")."""
    p = action.params
    if look_first:
        done, seen = _user(brex, p)
        if done:
            return Outcome.ok("the Brex account is already active", seen)
        if seen["status"] != DISABLED:
            return Outcome.skipped(f"the Brex account of {p['label']} is {seen['status']} now, not DISABLED: the API "
                                   "cannot make it active again; invite them again from the Brex dashboard")
    return send_confirmed(brex.api, action, "PUT", f"/v2/users/{p['user']}", f"reactivate the Brex account of {p['label']}",
                          lambda: _user(brex, p), changed="reactivated (status ACTIVE)",
                          already=lambda seen: "the Brex account is already active", body={"status": ACTIVE},
                          look_first=False)


def _card(brex: Brex, p: Mapping[str, Any]) -> tuple[bool, Any]:
    status = observe.card_status(brex.api, p["card"], p["label"]) or "gone"
    return status in SPENDABLE_CARDS, {"status": status}


def unlocked(brex: Brex, action: Action) -> bool:
    return _card(brex, action.params)[0]


def unlock(brex: Brex, action: Action, look_first: bool = True) -> Outcome:
    """``POST /v2/cards/{id}/unlock`` (no body) for a card the suspension locked."""
    p = action.params
    if look_first:
        done, seen = _card(brex, p)
        if done:
            return Outcome.ok(f"the {p['label']} is already unlocked", seen)
        if seen["status"] in (TERMINATED, "gone"):
            return Outcome.skipped(f"the {p['label']} was terminated during the suspension: order a new card for "
                                   f"{p['holder']} in the Brex dashboard")
    return send_confirmed(brex.api, action, "POST", f"/v2/cards/{p['card']}/unlock", f"unlock the {p['label']} of {p['holder']}",
                          lambda: _card(brex, p), changed=f"unlocked the {p['label']}",
                          already=lambda seen: f"the {p['label']} is already unlocked", look_first=False)
