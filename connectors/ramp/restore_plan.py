"""The restore plan: from what a suspension or expulsion applied, what puts the member back (read-only).

It looks at Ramp again first. A deactivated user is reactivated; each card the suspension
suspended, and only those, is unsuspended after the reactivation (a card that was suspended
before the suspension was never in it, so it stays suspended). Ramp's help says deactivation
itself suspends the user's cards and reactivation brings the physical ones back: such a card
found active again is simply not proposed (its unsuspension, when planned, looks first).

What cannot come back is ``lost``, with the reason: a terminated card (a new one must be
issued), a cancelled invitation, a user or card that no longer exists. What is back already
is ``already``: the user active again, a card active again.
"""

from __future__ import annotations

from collections.abc import Sequence

from offboard.spi import Account, Action, NotRestorable, Phase, Restoration

from . import observe
from .actions import NAME, Ramp, _action, _who


def restoration(ramp: Ramp, account: Account, applied: Sequence[Action]) -> Restoration:
    """Re-observe the user and the cards, then one action per applied change that can come back and is not back yet."""
    result = Restoration()
    mine = [a for a in applied if a.connector == NAME]
    user = observe.user_or_none(ramp.api, account.id)
    reactivation: tuple[str, ...] = ()
    for action in (a for a in mine if a.kind == "deactivate"):
        status = str(user.get("status")) if user is not None else None
        if user is None:
            result.lost.append(NotRestorable(action.id, f"the Ramp user {account.label} no longer exists: invite them again"))
        elif status in observe.DEACTIVATABLE:
            result.already.append(action.id)
        elif status == observe.INACTIVE:
            back = _action(account, "reactivate", account.id,
                           f"Reactivate the Ramp user {_who(account)}: they can sign in and spend again", Phase.CUT,
                           {"status": status}, {"status": (action.before or {}).get("status", "USER_ACTIVE")},
                           {"user": account.id})
            result.actions.append(back)
            reactivation = (back.id,)
        else:
            result.lost.append(NotRestorable(action.id, f"Ramp shows {account.label} as {status}, which offboard does not "
                                                        "undo: an admin reactivates them in Company > People"))
    for action in mine:
        if action.kind == "card-suspend":
            _card(ramp, account, action, reactivation, result)
        elif action.kind == "card-terminate":
            label = action.params.get("label", "a card")
            result.lost.append(NotRestorable(action.id, f"card {label} was terminated, which cannot be undone: issue "
                                                        f"{account.label} a new card in Ramp"))
        elif action.kind == "cancel-invite":
            result.lost.append(NotRestorable(action.id, f"a cancelled invitation does not come back: invite "
                                                        f"{account.label} again in Ramp's Company > People"))
        elif action.kind != "deactivate":
            result.lost.append(NotRestorable(action.id, f"offboard cannot undo a Ramp action of kind {action.kind!r}"))
    return result


def _card(ramp: Ramp, account: Account, applied: Action, after: tuple[str, ...], result: Restoration) -> None:
    card_id, label = applied.params["card"], applied.params.get("label", "a card")
    found = observe.card(ramp.api, card_id)
    state = str(found.get("state")) if found is not None else None
    if found is None:
        result.lost.append(NotRestorable(applied.id, f"card {label} no longer exists: issue {account.label} a new card"))
    elif state == observe.TERMINATED:
        result.lost.append(NotRestorable(applied.id, f"card {label} was terminated during the suspension: issue "
                                                     f"{account.label} a new card in Ramp"))
    elif state == observe.SUSPENDED:
        before = (applied.before or {}).get("state", "ACTIVE")
        result.actions.append(_action(account, "card-unsuspend", card_id,
                                      f"Unsuspend the Ramp card {label} of {account.label}", Phase.CLEAN,
                                      {"card": (applied.before or {}).get("card"), "state": state}, {"state": before},
                                      dict(applied.params), depends_on=after))
    else:
        result.already.append(applied.id)
