"""The restore plan: from what a suspension or expulsion applied, what puts the member back (read-only).

It re-observes first. The account is made ACTIVE again when it is DISABLED and was ACTIVE before (the
API sets only ACTIVE or DISABLED); each card the suspension locked is unlocked once the account is back
(``depends_on``); a card locked before the run was never locked by it, so it is not in ``applied`` and
stays locked. What cannot come back is ``lost``, with what to do instead: a terminated card (Brex cannot
undo a termination: a new card is ordered), an account closed or deleted meanwhile, a card gone. What
is back already (the account active, a card unlocked in the dashboard) is named in ``already``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from offboard.spi import Account, Action, NotRestorable, Phase, Restoration

from . import observe
from .actions import Brex, _action
from .observe import DISABLED, LOCKED, NAME, SPENDABLE_CARDS, TERMINATED

ACCOUNT = "brex:restore:user"
NEW_CARD = "order a new card for {holder} in the Brex dashboard"


def restoration(brex: Brex, account: Account, applied: Sequence[Action]) -> Restoration:
    """Re-observe the member, then one action per applied change that can come back and is not back yet."""
    result = Restoration()
    mine = [a for a in applied if a.connector == NAME]
    if not mine:
        return result
    status = observe.user_status(brex.api, account.id) or "gone"
    reactivation: tuple[str, ...] = ()
    for action in (a for a in mine if a.kind == "user-suspend"):
        was = str((action.before or {}).get("status") or "")
        if status == "ACTIVE":
            result.already.append(action.id)
        elif status == DISABLED and was == "ACTIVE":
            result.actions.append(_reactivate(account, action))
            reactivation = (result.actions[-1].id,)
        elif status == DISABLED:
            result.lost.append(NotRestorable(action.id, (
                f"the Brex account of {account.label} was {was} before the suspension, and the API can make it only "
                "ACTIVE: invite them again from the Brex dashboard")))
        else:
            result.lost.append(NotRestorable(action.id, _closed(account, status)))
    for action in (a for a in mine if a.kind != "user-suspend"):
        label, holder = action.params.get("label", "card"), action.params.get("holder", account.label)
        if action.kind == "card-terminate":
            result.lost.append(NotRestorable(action.id, f"the {label} was terminated, which Brex cannot undo: "
                                                        + NEW_CARD.format(holder=holder)))
        elif action.kind != "card-lock":
            result.lost.append(NotRestorable(action.id, f"offboard cannot undo a Brex action of kind {action.kind!r}"))
        elif status not in (DISABLED, "ACTIVE"):
            result.lost.append(NotRestorable(action.id, f"the {label} cannot come back: {_closed(account, status)}"))
        else:
            _card(brex, account, action, reactivation, result)
    return result


def _closed(account: Account, status: str) -> str:
    now = "no longer exists" if status == "gone" else f"is {status} now"
    return (f"the Brex account of {account.label} {now}: it was closed during the suspension, and no API reopens "
            "it; invite them again from the Brex dashboard")


def _reactivate(account: Account, applied: Action) -> Action:
    return _action(account, ACCOUNT, "user-reactivate",
                   f"Reactivate the Brex account of {account.label} (status ACTIVE)",
                   {"status": DISABLED}, {"status": "ACTIVE"}, {"user": account.id, "label": account.label})


def _card(brex: Brex, account: Account, applied: Action, after: tuple[str, ...], result: Restoration) -> None:
    """Unlock a card the suspension locked, when it is still locked; else already back, or lost with why."""
    p, recorded = applied.params, dict(applied.before or {})
    status = observe.card_status(brex.api, p["card"], p["label"])
    if status is None or status == TERMINATED:
        gone = "no longer exists" if status is None else "was terminated during the suspension"
        result.lost.append(NotRestorable(applied.id, f"the {p['label']} {gone}: " + NEW_CARD.format(holder=p["holder"])))
    elif status in SPENDABLE_CARDS:
        result.already.append(applied.id)
    elif status == LOCKED:
        now: dict[str, Any] = {**recorded, "status": LOCKED}
        result.actions.append(_action(account, f"brex:restore:card:{p['card']}", "card-unlock",
                                      f"Unlock the Brex {p['label']} of {p['holder']} (locked by the suspension)",
                                      now, recorded, {"card": p["card"], "label": p["label"], "holder": p["holder"]},
                                      depends_on=after, phase=Phase.CLEAN))
    else:
        result.lost.append(NotRestorable(applied.id, f"the {p['label']} is {status} now: offboard leaves it as it is"))
