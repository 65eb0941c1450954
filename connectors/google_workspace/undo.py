"""What the restore rows of the action table (``actions.KINDS``) observe and do: access put back.

Each one looks at the same thing its removal looked at, from the other side: the
membership is there again, with the role it had; the Gmail setting holds what was
recorded. Gmail settings are readable only once the account is unsuspended, so while it
is suspended they are not back yet (the restore plan unsuspends first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from offboard.spi import NotFoundError

from .api import Gateway
from .blocks import Done, Pace, Params, Seen, suspended

APPROVED = "APPROVED"


def _open_mailbox(read: Callable[[Gateway, Params], Seen]) -> Callable[[Gateway, Params], Seen]:
    def observe(gw: Gateway, p: Params) -> Seen:
        return (False, "") if suspended(gw, p) else read(gw, p)
    return observe


def holds(setting: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Every recorded field has its recorded value again (Google may add fields of its own)."""
    return all(setting.get(k) == v for k, v in wanted.items())


def gmail_setting(read: Callable[[Gateway, str], Mapping[str, Any]], what: str) -> Callable[[Gateway, Params], Seen]:
    """Auto-forwarding, POP or IMAP as recorded (``params["setting"]``)."""
    def observe(gw: Gateway, p: Params) -> Seen:
        done = holds(read(gw, p["user"]), p["setting"])
        return (done, f"{what} is already as it was" if done else "")
    return _open_mailbox(observe)


def set_gmail(write: Callable[[Gateway, str, dict[str, Any]], None], what: str) -> Callable[[Gateway, Params, Pace], Done]:
    def act(gw: Gateway, p: Params, pace: Pace) -> Done:
        write(gw, p["user"], dict(p["setting"]))
        return True, f"{what} set as it was"
    return act


def delegate_seen(gw: Gateway, p: Params) -> Seen:
    there = any(d.get("delegateEmail", "").lower() == p["delegate"].lower() for d in gw.delegates(p["user"]))
    return (there, f"{p['delegate']} is already a mail delegate" if there else "")


delegate_back = _open_mailbox(delegate_seen)


def member_seen(gw: Gateway, p: Params) -> Seen:
    """A member again, whatever the role: a membership someone restored by hand is theirs to keep."""
    member = gw.membership(p["group"], p["user"])
    return (member is not None, f"already a member of {p['group']} (role {member.get('role')})" if member else "")


def role_seen(gw: Gateway, p: Params) -> Seen:
    """The same role in the same scope, under whatever assignment id Google gave it."""
    there = any(a.get("roleId") == p["role_id"] and a.get("scopeType", "CUSTOMER") == p["scope"]
                and a.get("orgUnitId") == p.get("org_unit_id") for a in gw.role_assignments(p["user"]))
    return (there, f"admin role {p['role']} is already assigned" if there else "")


def device_seen(gw: Gateway, p: Params) -> Seen:
    device = next((d for d in gw.devices(p["user"]) if d.get("resourceId") == p["resource_id"]), None)
    if device is None:
        raise NotFoundError(f"mobile device {p['model']} is no longer listed")
    done = device.get("status") == APPROVED
    return (done, f"{p['model']} is already approved" if done else "")


def device_back(gw: Gateway, p: Params, pace: Pace) -> Done:
    gw.device_action(p["resource_id"], "approve")
    return True, f"unblocked {p['model']}"
