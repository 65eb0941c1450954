"""Ramp's actions: how a plan is built, and the one table of what each kind observes and does.

The cut is the user's deactivation (no sign-in, no spending on any card, no notifications:
one request) and each card's suspension, which also holds should the user be reactivated by
someone else, and which reinstatement undoes card by card. Cards already suspended before
are left alone, so reinstatement leaves them suspended. With the expel-only option
``terminate_cards: true`` the cards are terminated instead (irreversible). A pending
invitation has no API to cancel, so it is a step a person does, which closes itself.

``KINDS`` is the table the connector delegates to: a new kind of action is one builder and
one row, never a branch in ``connector.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from offboard.spi import Account, Action, FatalError, ManualStep, NotFoundError, Outcome, Phase, State

from . import observe, tasks
from .api import RampApi
from .observe import NAME

PEOPLE_URL = "https://app.ramp.com/people"  # Company > People in Ramp


class Ramp(Protocol):
    """What observing and acting need from the connector."""

    api: RampApi


def plan(account: Account, user: Mapping[str, Any], cards: list[dict[str, Any]], terminate_cards: bool) -> list[Action]:
    """Every change for one user, from what discovery saw; empty when nothing is left to do.

    The deactivation waits for the card tasks (``depends_on``): Ramp's help says deactivating a user
    suspends their cards too. Had it run first, each card task would find its card suspended already
    (``ok``, not ``changed``), so no journal would record the card as this run's change, and a
    reinstatement would leave it suspended (the physical ones aside, which reactivation brings back).
    """
    status = str(user.get("status") or "")
    planned: list[Action] = []
    card_actions: list[Action] = []
    for card in cards:
        state = str(card.get("state") or "")
        if terminate_cards and state != observe.TERMINATED:
            card_actions.append(card_action(account, card, "card-terminate"))
        elif state in observe.SPENDABLE:
            card_actions.append(card_action(account, card, "card-suspend"))
    if status in observe.DEACTIVATABLE:
        planned.append(deactivate(account, user, tuple(a.id for a in card_actions)))
    elif status == observe.INVITED:
        planned.append(cancel_invite(account))
    return planned + card_actions


def _action(account: Account, kind: str, object_id: str, summary: str, phase: Phase, before: Any, after: Any,
            params: dict[str, Any], reversible: bool = True, manual: ManualStep | None = None,
            depends_on: tuple[str, ...] = ()) -> Action:
    return Action(id=f"{NAME}:{kind}:{object_id}", connector=NAME, kind=kind, summary=summary, phase=phase,
                  reversible=reversible, before=before, after=after, account=account, params=params, manual=manual,
                  depends_on=depends_on)


def _who(account: Account) -> str:
    name = account.attributes.get("name") or ""
    return f"{name} ({account.label})" if name else account.label


def deactivate(account: Account, user: Mapping[str, Any], after: tuple[str, ...] = ()) -> Action:
    return _action(account, "deactivate", account.id,
                   f"Deactivate the Ramp user {_who(account)}: they can no longer sign in, spend on any card or "
                   "receive Ramp's notifications", Phase.CUT,
                   {"status": str(user.get("status"))}, {"status": observe.INACTIVE}, {"user": account.id},
                   depends_on=after)


def cancel_invite(account: Account) -> Action:
    """No API cancels an invitation: a person does it, and offboard sees it done."""
    instructions = (f"Open {PEOPLE_URL} (Company > People), open Pending invites, find {account.label} and cancel "
                    "the invitation. Nothing else is needed: offboard sees the invitation gone in Ramp and closes this "
                    "step when the run is resumed or its status is asked.")
    return _action(account, "cancel-invite", account.id,
                   f"Cancel the pending Ramp invitation of {account.label} in Company > People (no API for it)",
                   Phase.MANUAL, {"status": observe.INVITED}, {"status": "INVITE_DELETED"}, {"user": account.id},
                   reversible=False, manual=ManualStep(f"Cancel the Ramp invitation of {account.label}", instructions,
                                                       links=(PEOPLE_URL,), self_closing=True))


def card_action(account: Account, card: Mapping[str, Any], kind: str) -> Action:
    facts = observe.card_facts(card)
    label = observe.card_label(facts)
    state = str(card.get("state") or "")
    params = {"card": facts["id"], "user": account.id, "label": label}
    if kind == "card-terminate":
        return _action(account, kind, facts["id"],
                       f"Terminate the Ramp card {label} of {account.label} (cannot be undone: reinstatement needs a "
                       "new card)", Phase.CUT, {"card": facts, "state": state}, {"state": observe.TERMINATED}, params,
                       reversible=False)
    return _action(account, kind, facts["id"], f"Suspend the Ramp card {label} of {account.label}", Phase.CUT,
                   {"card": facts, "state": state}, {"state": observe.SUSPENDED}, params)


# ---------------------------------------------------------------- observe and act, per kind


def _status(ramp: Ramp, action: Action) -> str | None:
    found = observe.user_or_none(ramp.api, action.params["user"])
    return str(found.get("status")) if found is not None else None


def _deactivated(ramp: Ramp, action: Action) -> bool:
    return _status(ramp, action) not in observe.DEACTIVATABLE


def _active(ramp: Ramp, action: Action) -> bool:
    return _status(ramp, action) in observe.DEACTIVATABLE


def _switch(ramp: Ramp, action: Action, verb: str, wanted: bool) -> Outcome:
    """PATCH .../deactivate or .../reactivate, looking first and reading the user back afterwards."""
    status = _status(ramp, action)
    if status is None:
        if wanted:
            return Outcome.skipped("the Ramp user no longer exists")
        return Outcome.ok("the Ramp user no longer exists", {"status": None})
    if (status in observe.DEACTIVATABLE) is wanted:
        return Outcome.ok(f"the Ramp user is already {status}", {"status": status})
    try:
        ramp.api.call("PATCH", f"{observe.USERS}/{action.params['user']}/{verb}", what=f"{verb} the user",
                      scope="users:write")
    except NotFoundError:
        return Outcome.ok("the Ramp user no longer exists", {"status": None}) if not wanted else \
            Outcome.skipped("the Ramp user no longer exists")
    now = _status(ramp, action)
    if (now in observe.DEACTIVATABLE) is not wanted:
        return Outcome(State.FAILED, f"Ramp accepted the request to {verb} the user but still shows them {now}",
                       {"status": now})
    done = "reactivated: they can sign in and spend again" if wanted else \
        "deactivated: they can no longer sign in or spend on their cards"
    return Outcome.changed(f"{done} (Ramp shows them {now})", {"status": now})


def _cancel_invite(ramp: Ramp, action: Action) -> Outcome:
    status = _status(ramp, action)
    if status != observe.INVITED:
        return Outcome.ok(f"the invitation is no longer pending (Ramp shows {status or 'no such user'})", {"status": status})
    return Outcome.manual(f"waiting for an admin to cancel the invitation of {action.account.label if action.account else ''} "
                          f"at {PEOPLE_URL}")


def _card_done(op: tasks.Operation) -> Callable[[Ramp, Action], bool]:
    def done(ramp: Ramp, action: Action) -> bool:
        state = observe.card_state(ramp.api, action.params["card"])
        return state in op.wanted or (state is None and op.gone_is_done)
    return done


def _card(op: tasks.Operation) -> Callable[[Ramp, Action], Outcome]:
    def act(ramp: Ramp, action: Action) -> Outcome:
        label = action.params["label"]
        state = observe.card_state(ramp.api, action.params["card"])
        if state is None:
            return Outcome.ok(f"card {label} no longer exists", {"state": None}) if op.gone_is_done else \
                Outcome.skipped(f"card {label} no longer exists: issue a new card in Ramp")
        if state in op.wanted:
            return Outcome.ok(f"card {label} is {op.done} already", {"state": state})
        if state == observe.TERMINATED:  # only an unsuspension gets here
            return Outcome.skipped(f"card {label} was terminated meanwhile: issue a new card in Ramp")
        return tasks.follow(ramp.api, action, action.params["card"], op, label)
    return act


@dataclass(frozen=True)
class Kind:
    """One row of the table: how to see whether an action is done, and how to do it."""

    observe: Callable[[Ramp, Action], bool | None]  # check: True when done
    act: Callable[[Ramp, Action], Outcome]  # apply: looks first, so a second apply is ok


KINDS: dict[str, Kind] = {
    "deactivate": Kind(_deactivated, lambda ramp, action: _switch(ramp, action, "deactivate", False)),
    "cancel-invite": Kind(lambda ramp, action: _status(ramp, action) != observe.INVITED, _cancel_invite),
    "card-suspend": Kind(_card_done(tasks.SUSPENSION), _card(tasks.SUSPENSION)),
    "card-terminate": Kind(_card_done(tasks.TERMINATION), _card(tasks.TERMINATION)),
    # Restore kinds (``restore_plan`` builds them): the user first, then each card the suspension suspended.
    "reactivate": Kind(_active, lambda ramp, action: _switch(ramp, action, "reactivate", True)),
    "card-unsuspend": Kind(_card_done(tasks.UNSUSPENSION), _card(tasks.UNSUSPENSION)),
}


def kind_of(action: Action) -> Kind:
    try:
        return KINDS[action.kind]
    except KeyError:
        raise FatalError(f"the Ramp connector has no action of kind {action.kind!r}") from None
