"""Brex's actions: how a plan is built, and the one table of what each kind observes and does.

The cut, in the order the spec gives: each card that can spend (ACTIVE, or SHIPPED: its holder could
activate it alone) is locked with reason OTHER and an ASCII description, then the user is suspended
(``status: DISABLED``) once the locks are done (``depends_on``): Brex does not document whether the API
may still change the cards of a disabled user, so the cards go first (and come back last). A card
locked before the run is left alone and recorded in the suspension's before-state, so a reinstatement
never unlocks it. With the playbook option ``terminate_cards: true``
(the expel playbook) cards are terminated instead, locked ones included; Brex cannot undo that.

``KINDS`` is the table the connector delegates to: a new kind of action is one builder and one row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from offboard.spi import Account, Action, FatalError, Outcome, Phase

from . import observe, restore_acts
from .api import BrexApi
from .idempotency import send_confirmed
from .observe import DISABLED, GONE_USERS, LOCKED, NAME, SPENDABLE_CARDS, TERMINATED, card_label

LOCK_REASON = "OTHER"  # the Team API's ChangeCardReason closest to "access ended by the organization"
OPTIONS = {"terminate_cards": False}


class Brex(Protocol):
    """What observing and acting need from the connector."""

    api: BrexApi


def options_of(given: Mapping[str, Any]) -> dict[str, bool]:
    """A playbook step's options, each true or false; anything else is refused, naming the option."""
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise FatalError(f"the playbook's brex step has unknown option(s) {', '.join(unknown)} "
                         f"(known: {', '.join(OPTIONS)}): fix the playbook")
    wrong = sorted(k for k, v in given.items() if not isinstance(v, bool))
    if wrong:
        raise FatalError(f"the playbook's brex option(s) {', '.join(wrong)} must be true or false: fix the playbook")
    return {**OPTIONS, **given}


# ---------------------------------------------------------------- the plan


def plan(account: Account, user: dict[str, Any], cards: list[dict[str, Any]], terminate: bool,
         descriptions: Mapping[str, str]) -> list[Action]:
    """Every change for one user, from what discovery saw; empty when nothing is left to do."""
    records = [observe.card_record(c) for c in cards]
    if terminate:
        planned = [card_action(account, r, "card-terminate", descriptions["terminate"]) for r in records
                   if r["status"] != TERMINATED]
    else:
        planned = [card_action(account, r, "card-lock", descriptions["lock"]) for r in records
                   if r["status"] in SPENDABLE_CARDS]
    status = str(user.get("status") or "")
    if status != DISABLED and status not in GONE_USERS:
        locked = sum(1 for r in records if r["status"] == LOCKED)
        planned.append(suspend(account, status, records, locked if not terminate else 0, [a.id for a in planned]))
    return planned


def _action(account: Account, id: str, kind: str, summary: str, before: Any, after: Any, params: dict[str, Any],
            reversible: bool = True, depends_on: tuple[str, ...] = (), phase: Phase = Phase.CUT) -> Action:
    return Action(id=id, connector=NAME, kind=kind, summary=summary, phase=phase, reversible=reversible, before=before,
                  after=after, account=account, params=params, depends_on=depends_on)


def card_action(account: Account, record: dict[str, Any], kind: str, description: str) -> Action:
    label = card_label(record)
    terminate = kind == "card-terminate"
    summary = (f"Terminate the Brex {label} of {account.label} (Brex cannot undo this: new cards must be ordered)"
               if terminate else f"Lock the Brex {label} of {account.label}")
    return _action(account, f"brex:{kind}:{record['id']}", kind, summary, record,
                   {**record, "status": TERMINATED if terminate else LOCKED},
                   {"card": record["id"], "label": label, "holder": account.label, "reason": LOCK_REASON,
                    "description": description}, reversible=not terminate)


def suspend(account: Account, status: str, records: list[dict[str, Any]], locked: int, after: list[str]) -> Action:
    kept = f"; {locked} card{'s' if locked != 1 else ''} locked before stay{'s' if locked == 1 else ''} locked" \
        if locked else ""
    return _action(account, f"brex:user-suspend:{account.id}", "user-suspend",
                   f"Suspend the Brex account of {account.label} (status DISABLED): no sign-in, no spending{kept}",
                   {"status": status, "cards": records}, {"status": DISABLED},
                   {"user": account.id, "label": account.label}, depends_on=tuple(after))


# ---------------------------------------------------------------- observe and act, per kind


def card_status(brex: Brex, p: Mapping[str, Any]) -> str | None:
    return observe.card_status(brex.api, p["card"], p["label"])


def _card_write(brex: Brex, action: Action, op: str, done: frozenset[str | None], look_first: bool) -> Outcome:
    """Lock or terminate one card: look (unless just planned), send under the action's key, confirm."""
    p = action.params

    def look() -> tuple[bool, Any]:
        status = card_status(brex, p)
        return status in done, {"status": status or "gone"}

    def already(seen: Any) -> str:
        status = seen["status"]
        return f"the {p['label']} no longer exists" if status == "gone" else f"the {p['label']} is already {status.lower()}"

    verb = {"lock": "locked", "terminate": "terminated"}[op]
    return send_confirmed(brex.api, action, "POST", f"/v2/cards/{p['card']}/{op}", f"{op} the {p['label']} of {p['holder']}",
                          look, changed=f"{verb} the {p['label']}", already=already,
                          body={"reason": p["reason"], "description": p["description"]}, look_first=look_first)


LOCK_DONE = frozenset({LOCKED, TERMINATED, None})  # a terminated or vanished card spends nothing either
TERMINATE_DONE = frozenset({TERMINATED, None})


def _user_look(brex: Brex, user_id: str) -> tuple[bool, Any]:
    """Is the user suspended (or closed: no access either), and their status."""
    status = observe.user_status(brex.api, user_id) or "gone"
    return status in (DISABLED, "gone") or status in GONE_USERS, {"status": status}


def _suspend(brex: Brex, action: Action, look_first: bool = True) -> Outcome:
    p = action.params
    return send_confirmed(brex.api, action, "PUT", f"/v2/users/{p['user']}", f"suspend the Brex account of {p['label']}",
                          lambda: _user_look(brex, p["user"]), changed="suspended (status DISABLED): no sign-in, no spending",
                          already=lambda seen: f"the Brex account is already {seen['status'].lower()}",
                          body={"status": DISABLED}, look_first=look_first)


@dataclass(frozen=True)
class Kind:
    """One row of the table: how to see whether an action is done, and how to do it."""

    observe: Callable[[Brex, Action], bool | None]  # check: True when done
    act: Callable[[Brex, Action], Outcome]  # apply: looks first, so a second apply is ok
    act_planned: Callable[[Brex, Action], Outcome]  # apply_planned: the write's key and Brex's answer say "already"


KINDS: dict[str, Kind] = {
    "card-lock": Kind(lambda b, a: card_status(b, a.params) in LOCK_DONE,
                      lambda b, a: _card_write(b, a, "lock", LOCK_DONE, True),
                      lambda b, a: _card_write(b, a, "lock", LOCK_DONE, False)),
    "card-terminate": Kind(lambda b, a: card_status(b, a.params) in TERMINATE_DONE,
                           lambda b, a: _card_write(b, a, "terminate", TERMINATE_DONE, True),
                           lambda b, a: _card_write(b, a, "terminate", TERMINATE_DONE, False)),
    "user-suspend": Kind(lambda b, a: _user_look(b, a.params["user"])[0], _suspend,
                         lambda b, a: _suspend(b, a, look_first=False)),
    # Restore kinds (``restore_plan`` builds them): the user back to ACTIVE, then the cards the suspension locked.
    "user-reactivate": Kind(restore_acts.active, restore_acts.reactivate,
                            lambda b, a: restore_acts.reactivate(b, a, look_first=False)),
    "card-unlock": Kind(restore_acts.unlocked, restore_acts.unlock,
                        lambda b, a: restore_acts.unlock(b, a, look_first=False)),
}


def kind_of(action: Action) -> Kind:
    try:
        return KINDS[action.kind]
    except KeyError:
        raise FatalError(f"the Brex connector has no action of kind {action.kind!r}") from None
