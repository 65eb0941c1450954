"""The one table of action kinds: how each observes its wanted state and how it acts.

``observe`` answers whether the wanted state already holds (``True``), does not
(``False``) or cannot be seen (``None``), with a sentence; ``act`` makes the change and
says whether it changed anything (a delete that finds the item gone did not).
``apply`` and ``check`` are both built from these, so the re-check before a change
and the verification after it look at the same thing. Which actions a user needs is
``plan``'s job; this table is what every kind means, and nothing else branches on kind.

``write_first``: the change may be sent without the re-read for an action planned
moments ago (``apply_planned``): a delete that finds the item gone answers 404, which is
``ok``, and an update sets the same value twice harmlessly. If Google refuses it (the
user was suspended meanwhile), the connector looks then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from offboard.spi import Action, FatalError, NotFoundError, Outcome, RetriableError

from . import undo
from .api import Gateway
from .blocks import (
    Done,
    Kind,
    Pace,
    Params,
    Seen,
    delete,
    gone,
    mailbox,
    moot_once_suspended,
    user_field,
    user_of,
    user_setting,
    write,
)

TRANSFER_POLLS = 60  # polls of one apply; paced by the engine's "datatransfer-poll" bucket
UNDER_WAY = ("new", "inProgress")  # a data transfer's statuses before "completed" or "failed"
NEW_PASSWORD = "new password set and shown once to the operator; the member changes it at first sign-in"
DEVICE_DONE = {"block": {"BLOCKED", "WIPING", "WIPED", "ACCOUNT_WIPING", "ACCOUNT_WIPED"},
               "admin_account_wipe": {"ACCOUNT_WIPING", "ACCOUNT_WIPED", "WIPING", "WIPED"}}


# -- what apply, apply_planned and check call

def kind_of(action: Action) -> Kind:
    if action.kind not in KINDS:
        raise FatalError(f"unknown Google action kind {action.kind!r} (a plan from another version?)")
    return KINDS[action.kind]


def observe(gw: Gateway, action: Action) -> Seen:
    """The kind's re-check; an account deleted since the plan has no access left to end."""
    kind = kind_of(action)
    try:
        return kind.observe(gw, action.params)
    except NotFoundError:
        if gw.user(action.params["user"]) is not None:
            raise
        return True, f"the account {action.params['user']} no longer exists"


def already_done(gw: Gateway, action: Action) -> Outcome | None:
    """``ok`` when the wanted state already holds, else None."""
    done, seen = observe(gw, action)
    return Outcome.ok(seen or "already done") if done else None


def act(gw: Gateway, action: Action, pace: Pace) -> Outcome:
    changed, detail = kind_of(action).act(gw, action.params, pace)
    return Outcome.changed(detail) if changed else Outcome.ok(detail)


def _gmail_off(is_on: Callable[[Gateway, str], bool], turn_off: Callable[[Gateway, str], None], what: str) -> Kind:
    """A Gmail setting that must end up off: auto-forwarding, POP, IMAP."""
    return Kind(mailbox(gone(lambda gw, p: is_on(gw, p["user"]), f"{what} already off")),
                write(lambda gw, p: turn_off(gw, p["user"]), f"{what} turned off"), write_first=True)


def _device_seen(gw: Gateway, p: Params) -> Seen:
    device = next((d for d in gw.devices(p["user"]) if d.get("resourceId") == p["resource_id"]), None)
    if device is None:
        return True, "device no longer listed"
    done = device.get("status") in DEVICE_DONE[p["action"]]
    return (done, f"device is {device.get('status')}" if done else "")


def _device_action(gw: Gateway, p: Params, pace: Pace) -> Done:
    gw.device_action(p["resource_id"], p["action"])
    return True, f"{'blocked' if p['action'] == 'block' else 'wiped the account from'} {p['model']}"


def _status(transfer: Mapping[str, Any]) -> str:
    return str(transfer.get("overallTransferStatusCode", ""))


def _our_transfers(gw: Gateway, p: Params) -> list[dict[str, Any]]:
    """The transfers from the user to the new owner that this action counts as its own.

    ``transfers.insert`` takes nothing of the caller's choosing (no request id), and its answer
    (the new transfer's id) can be lost after Google started it. So the identity is chosen
    before anything is sent, when the plan is made: the plan lists the transfers between the
    two users and records the ids of those already finished then (``earlier``). Every other
    transfer between them is this action's: one listed then as new or in progress is under way
    and is waited for; one that appeared since was started by this action (an attempt whose
    answer was lost, a poll that failed, a run that crashed), whatever its status, completed
    included. Such a transfer is found again by listing, never started a second time on a guess.
    """
    earlier = {str(i) for i in p.get("earlier", ())}
    return [t for t in gw.transfers(p["user_id"], p["new_owner_id"]) if str(t.get("id")) not in earlier]


def _transfer_seen(gw: Gateway, p: Params) -> Seen:
    user_of(gw, p)  # transfers are listed by user id, which outlives the user: check the user is there
    done = any(_status(t) == "completed" for t in _our_transfers(gw, p))
    return (done, "data already transferred" if done else "")


def _transfer(gw: Gateway, p: Params, pace: Pace) -> Done:
    """Wait for this action's transfer (see ``_our_transfers``) until Google reports it complete.

    Only when none of ours exists, or Google reports every one of them failed, is one started.
    """
    ours = _our_transfers(gw, p)
    transfer = (next((t for t in ours if _status(t) == "completed"), None)
                or next((t for t in ours if _status(t) in UNDER_WAY), None))
    if transfer is None:  # none yet, or Google failed each one: starting one is no guess
        transfer = gw.start_transfer(p["user_id"], p["new_owner_id"])
    for _ in range(TRANSFER_POLLS):
        if transfer.get("overallTransferStatusCode") == "completed":
            return True, f"Drive and Calendar data transferred to {p['new_owner']}"
        if transfer.get("overallTransferStatusCode") == "failed":
            raise RetriableError(f"data transfer {transfer['id']} to {p['new_owner']} failed at Google")
        pace("datatransfer-poll", str(transfer["id"]))  # each transfer's polls spaced on their own
        transfer = gw.transfer(transfer["id"])
    raise RetriableError(f"data transfer {transfer['id']} to {p['new_owner']} is still in progress", retry_after=60)


# -- the table: the rows that end access, in plan order, then those that put it back (``restore``)

_ORG_UNIT = Kind(
    user_field("orgUnitPath", lambda p: p["orgUnitPath"]),
    write(lambda gw, p: gw.update_user(p["user"], {"orgUnitPath": p["orgUnitPath"]},
                                       f"moving {p['user']} to {p['orgUnitPath']}"),
          "moved to org unit {orgUnitPath}"),
    write_first=True)

KINDS: dict[str, Kind] = {
    "signout": Kind(
        moot_once_suspended,
        write(lambda gw, p: gw.sign_out(p["user"]), "signed out of every web and device session"),
        write_first=True),
    "token": Kind(
        gone(lambda gw, p: any(t.get("clientId") == p["client_id"] for t in gw.tokens(p["user"])),
              "token already revoked"),
        delete(lambda gw, p: gw.delete_token(p["user"], p["client_id"]),
                "revoked the token of {app}", "token was already revoked"),
        write_first=True),
    "asp": Kind(
        gone(lambda gw, p: any(int(a.get("codeId", -1)) == int(p["code_id"]) for a in gw.asps(p["user"])),
              "app password already deleted"),
        delete(lambda gw, p: gw.delete_asp(p["user"], int(p["code_id"])),
                "deleted app password {name}", "app password was already deleted"),
        write_first=True),
    "backup_codes": Kind(
        gone(lambda gw, p: gw.backup_code_count(p["user"]) > 0, "no valid backup codes left"),
        write(lambda gw, p: gw.invalidate_backup_codes(p["user"]), "backup verification codes invalidated"),
        write_first=True),
    "password": Kind(
        moot_once_suspended,
        write(lambda gw, p: gw.reset_password(p["user"]), "password reset to a random one that nobody knows"),
        write_first=True),
    "gmail_delegate": Kind(
        mailbox(gone(lambda gw, p: any(d.get("delegateEmail", "").lower() == p["delegate"].lower()
                                         for d in gw.delegates(p["user"])), "delegate already removed")),
        delete(lambda gw, p: gw.remove_delegate(p["user"], p["delegate"]),
                "removed mail delegate {delegate}", "delegate was already removed"),
        write_first=True),
    "gmail_forwarding": _gmail_off(lambda gw, user: bool(gw.forwarding(user).get("enabled")),
                                   lambda gw, user: gw.disable_forwarding(user), "auto-forwarding"),
    "gmail_pop": _gmail_off(lambda gw, user: gw.pop(user).get("accessWindow", "disabled") != "disabled",
                            lambda gw, user: gw.disable_pop(user), "POP"),
    "gmail_imap": _gmail_off(lambda gw, user: bool(gw.imap(user).get("enabled")),
                             lambda gw, user: gw.disable_imap(user), "IMAP"),
    "suspend": user_setting("suspended", True, "suspending {user}", "account suspended"),
    "device": Kind(_device_seen, _device_action),  # the device's status decides the answer: look first
    "transfer": Kind(_transfer_seen, _transfer),  # this action's transfer is found again, never started twice
    "group": Kind(
        gone(lambda gw, p: gw.membership(p["group"], p["user"]) is not None, "not a member of {group}"),
        delete(lambda gw, p: gw.remove_member(p["group"], p["user"]),
                "removed from {group}", "was already out of {group}"),
        write_first=True),
    "admin_role": Kind(
        gone(lambda gw, p: any(a.get("roleAssignmentId") == p["assignment_id"]
                                for a in gw.role_assignments(p["user"])), "admin role already removed"),
        delete(lambda gw, p: gw.delete_role_assignment(p["assignment_id"]),
                "removed admin role {role}", "admin role was already removed"),
        write_first=True),
    "gal": user_setting("includeInGlobalAddressList", False, "hiding {user} from the address list",
                        "hidden from the global address list"),
    "org_unit": _ORG_UNIT,
    "license": Kind(
        gone(lambda gw, p: gw.has_license(p["product"], p["sku"], p["user"]), "licence already removed"),
        delete(lambda gw, p: gw.remove_license(p["product"], p["sku"], p["user"]),
                "licence {product}/{sku} removed", "licence was already removed"),
        write_first=True),
    # -- putting access back; an insert is refused when the item is there already: look first
    "unsuspend": user_setting("suspended", False, "unsuspending {user}", "account unsuspended"),
    "restore_license": Kind(
        lambda gw, p: (lambda held: (held, "licence already assigned" if held else ""))(
            gw.has_license(p["product"], p["sku"], p["user"])),
        write(lambda gw, p: gw.add_license(p["product"], p["sku"], p["user"]), "licence {product}/{sku} assigned")),
    "restore_org_unit": _ORG_UNIT,
    # A password leaves no trace to read back: each apply (a resume too) sets another, shown once again.
    "restore_password": Kind(
        lambda gw, p: (None, ""),
        write(lambda gw, p: gw.new_password(p["user"]), NEW_PASSWORD)),
    "restore_group": Kind(
        undo.member_seen,
        write(lambda gw, p: gw.add_member(p["group"], p["user"], p["role"], p.get("delivery_settings")),
              "added back to {group} as {role}")),
    "restore_admin_role": Kind(
        undo.role_seen,
        write(lambda gw, p: gw.add_role_assignment(p["role_id"], p["user_id"], p["scope"], p.get("org_unit_id")),
              "admin role {role} assigned again")),
    "restore_gal": user_setting("includeInGlobalAddressList", True, "showing {user} in the address list",
                                "shown in the global address list again"),
    "restore_device": Kind(undo.device_seen, undo.device_back, write_first=True),
    "restore_delegate": Kind(
        undo.delegate_back,
        write(lambda gw, p: gw.add_delegate(p["user"], p["delegate"]), "mail delegate {delegate} added back")),
    "restore_forwarding": Kind(undo.gmail_setting(lambda gw, u: gw.forwarding(u), "auto-forwarding"),
                               undo.set_gmail(lambda gw, u, s: gw.set_forwarding(u, s), "auto-forwarding"),
                               write_first=True),
    "restore_pop": Kind(undo.gmail_setting(lambda gw, u: gw.pop(u), "POP"),
                        undo.set_gmail(lambda gw, u, s: gw.set_pop(u, s), "POP"), write_first=True),
    "restore_imap": Kind(undo.gmail_setting(lambda gw, u: gw.imap(u), "IMAP"),
                         undo.set_gmail(lambda gw, u, s: gw.set_imap(u, s), "IMAP"), write_first=True),
}
