"""What each kind of action observes and does.

``observe`` answers whether the wanted state already holds (``True``), does not
(``False``) or cannot be seen (``None``), with a sentence; ``act`` makes the change and
says whether it changed anything (a delete that finds the item gone did not).
``apply`` and ``check`` are both built from these, so the re-check before a change
and the verification after it look at the same thing.

``write_first``: the change may be sent without the re-read for an action planned
moments ago (``apply_planned``): a delete that finds the item gone answers 404, which is
``ok``, and an update sets the same value twice harmlessly. If Google refuses it (the
user was suspended meanwhile), the connector looks then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from offboard.spi import NotFoundError, RetriableError

from .gateway import Gateway

Seen = tuple[bool | None, str]
Done = tuple[bool, str]  # (changed, sentence): False when a delete found the item already gone
TRANSFER_POLLS = 60  # polls of one apply; paced by the engine's "datatransfer-poll" bucket
DEVICE_DONE = {"block": {"BLOCKED", "WIPING", "WIPED", "ACCOUNT_WIPING", "ACCOUNT_WIPED"},
               "admin_account_wipe": {"ACCOUNT_WIPING", "ACCOUNT_WIPED", "WIPING", "WIPED"}}


@dataclass(frozen=True)
class Kind:
    observe: Callable[[Gateway, Mapping[str, Any]], Seen]
    act: Callable[[Gateway, Mapping[str, Any], Callable[[str], None]], Done]
    write_first: bool = False


def _user(gw: Gateway, p: Mapping[str, Any]) -> dict[str, Any]:
    user = gw.user(p["user"])
    if user is None:
        raise NotFoundError(f"user {p['user']} no longer exists")
    return user


def _suspended(gw: Gateway, p: Mapping[str, Any]) -> bool:
    return bool(_user(gw, p).get("suspended"))


SUSPENDED = "the account is suspended: it can no longer sign in or use a session"
MAILBOX_CLOSED = "the account is suspended: Gmail serves neither its mailbox nor its settings"


def _moot_once_suspended(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    """Sign-out and password reset leave no trace to read back; suspension makes them moot."""
    return (True, SUSPENDED) if _suspended(gw, p) else (None, "")


def _mailbox(read: Callable[[Gateway, Mapping[str, Any]], Seen]) -> Callable[[Gateway, Mapping[str, Any]], Seen]:
    """Gmail refuses settings calls for a suspended user; so does the need for them."""
    def observe(gw: Gateway, p: Mapping[str, Any]) -> Seen:
        return (True, MAILBOX_CLOSED) if _suspended(gw, p) else read(gw, p)
    return observe


def _sign_out(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.sign_out(p["user"])
    return True, "signed out of every web and device session"


def _reset_password(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.reset_password(p["user"])
    return True, "password reset to a random one that nobody knows"


def _token_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    present = any(t.get("clientId") == p["client_id"] for t in gw.tokens(p["user"]))
    return (not present, "" if present else "token already revoked")


def _revoke_token(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gone = gw.delete_token(p["user"], p["client_id"])
    return gone, (f"revoked the token of {p['app']}" if gone else "token was already revoked")


def _asp_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    present = any(int(a.get("codeId", -1)) == int(p["code_id"]) for a in gw.asps(p["user"]))
    return (not present, "" if present else "app password already deleted")


def _delete_asp(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gone = gw.delete_asp(p["user"], int(p["code_id"]))
    return gone, (f"deleted app password {p['name']}" if gone else "app password was already deleted")


def _codes_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    count = gw.backup_code_count(p["user"])
    return (count == 0, "" if count else "no valid backup codes left")


def _invalidate_codes(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.invalidate_backup_codes(p["user"])
    return True, "backup verification codes invalidated"


def _delegate_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    present = any(d.get("delegateEmail", "").lower() == p["delegate"].lower() for d in gw.delegates(p["user"]))
    return (not present, "" if present else "delegate already removed")


def _remove_delegate(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gone = gw.remove_delegate(p["user"], p["delegate"])
    return gone, (f"removed mail delegate {p['delegate']}" if gone else "delegate was already removed")


def _forwarding_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    on = bool(gw.forwarding(p["user"]).get("enabled"))
    return (not on, "" if on else "auto-forwarding already off")


def _disable_forwarding(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.disable_forwarding(p["user"])
    return True, "auto-forwarding turned off"


def _pop_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    on = gw.pop(p["user"]).get("accessWindow", "disabled") != "disabled"
    return (not on, "" if on else "POP already off")


def _disable_pop(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.disable_pop(p["user"])
    return True, "POP turned off"


def _imap_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    on = bool(gw.imap(p["user"]).get("enabled"))
    return (not on, "" if on else "IMAP already off")


def _disable_imap(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.disable_imap(p["user"])
    return True, "IMAP turned off"


def _user_field(name: str, wanted: Callable[[Mapping[str, Any]], Any]) -> Callable[[Gateway, Mapping[str, Any]], Seen]:
    """A field of the user resource that must hold ``wanted(params)``."""
    def observe(gw: Gateway, p: Mapping[str, Any]) -> Seen:
        target = wanted(p)
        done = _user(gw, p).get(name) == target
        return (done, f"{name} is already {target}" if done else "")
    return observe


def _suspend(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.update_user(p["user"], {"suspended": True}, f"suspending {p['user']}")
    return True, "account suspended"


def _hide_from_gal(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.update_user(p["user"], {"includeInGlobalAddressList": False}, f"hiding {p['user']} from the address list")
    return True, "hidden from the global address list"


def _move_org_unit(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.update_user(p["user"], {"orgUnitPath": p["orgUnitPath"]}, f"moving {p['user']} to {p['orgUnitPath']}")
    return True, f"moved to org unit {p['orgUnitPath']}"


def _group_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    present = gw.membership(p["group"], p["user"]) is not None
    return (not present, "" if present else f"not a member of {p['group']}")


def _leave_group(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gone = gw.remove_member(p["group"], p["user"])
    return gone, (f"removed from {p['group']}" if gone else f"was already out of {p['group']}")


def _role_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    present = any(a.get("roleAssignmentId") == p["assignment_id"] for a in gw.role_assignments(p["user"]))
    return (not present, "" if present else "admin role already removed")


def _remove_role(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gone = gw.delete_role_assignment(p["assignment_id"])
    return gone, (f"removed admin role {p['role']}" if gone else "admin role was already removed")


def _device_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    device = next((d for d in gw.devices(p["user"]) if d.get("resourceId") == p["resource_id"]), None)
    if device is None:
        return True, "device no longer listed"
    done = device.get("status") in DEVICE_DONE[p["action"]]
    return (done, f"device is {device.get('status')}" if done else "")


def _device_action(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gw.device_action(p["resource_id"], p["action"])
    return True, f"{'blocked' if p['action'] == 'block' else 'wiped the account from'} {p['model']}"


def _transfer_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    _user(gw, p)  # transfers are listed by user id, which outlives the user: check the user is there
    statuses = {t.get("overallTransferStatusCode") for t in gw.transfers(p["user_id"], p["new_owner_id"])}
    return ("completed" in statuses, "data already transferred" if "completed" in statuses else "")


def _transfer(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    """Start the transfer, or wait for the one already under way, until Google reports it complete."""
    running = [t for t in gw.transfers(p["user_id"], p["new_owner_id"])
               if t.get("overallTransferStatusCode") in ("new", "inProgress")]
    transfer = running[0] if running else gw.start_transfer(p["user_id"], p["new_owner_id"])
    for _ in range(TRANSFER_POLLS):
        if transfer.get("overallTransferStatusCode") == "completed":
            return True, f"Drive and Calendar data transferred to {p['new_owner']}"
        if transfer.get("overallTransferStatusCode") == "failed":
            raise RetriableError(f"data transfer {transfer['id']} to {p['new_owner']} failed at Google")
        pace("datatransfer-poll")
        transfer = gw.transfer(transfer["id"])
    raise RetriableError(f"data transfer {transfer['id']} to {p['new_owner']} is still in progress", retry_after=60)


def _license_seen(gw: Gateway, p: Mapping[str, Any]) -> Seen:
    held = gw.has_license(p["product"], p["sku"], p["user"])
    return (not held, "" if held else "licence already removed")


def _remove_license(gw: Gateway, p: Mapping[str, Any], pace: Callable[[str], None]) -> Done:
    gone = gw.remove_license(p["product"], p["sku"], p["user"])
    return gone, (f"licence {p['product']}/{p['sku']} removed" if gone else "licence was already removed")


KINDS: dict[str, Kind] = {
    "signout": Kind(_moot_once_suspended, _sign_out, write_first=True),
    "token": Kind(_token_seen, _revoke_token, write_first=True),
    "asp": Kind(_asp_seen, _delete_asp, write_first=True),
    "backup_codes": Kind(_codes_seen, _invalidate_codes, write_first=True),
    "password": Kind(_moot_once_suspended, _reset_password, write_first=True),
    "gmail_delegate": Kind(_mailbox(_delegate_seen), _remove_delegate, write_first=True),
    "gmail_forwarding": Kind(_mailbox(_forwarding_seen), _disable_forwarding, write_first=True),
    "gmail_pop": Kind(_mailbox(_pop_seen), _disable_pop, write_first=True),
    "gmail_imap": Kind(_mailbox(_imap_seen), _disable_imap, write_first=True),
    "suspend": Kind(_user_field("suspended", lambda p: True), _suspend, write_first=True),
    "group": Kind(_group_seen, _leave_group, write_first=True),
    "admin_role": Kind(_role_seen, _remove_role, write_first=True),
    "gal": Kind(_user_field("includeInGlobalAddressList", lambda p: False), _hide_from_gal, write_first=True),
    "org_unit": Kind(_user_field("orgUnitPath", lambda p: p["orgUnitPath"]), _move_org_unit, write_first=True),
    "device": Kind(_device_seen, _device_action),  # the device's status decides the answer: look first
    "transfer": Kind(_transfer_seen, _transfer),  # a transfer already under way is waited for, not restarted
    "license": Kind(_license_seen, _remove_license, write_first=True),
}
