"""Reinstatement: the actions that put back what a suspension or an expulsion removed.

``plan_restore`` is read-only, like discovery. It re-observes the account and turns each
applied change whose recorded ``before`` can come back, and is not back already, into one
action (id ``google:restore:<the applied action's id>``, ``before`` the state now, ``after``
the recorded one), applied through the same action table (``actions.KINDS``).

Each applied change ends in exactly one of three places: its restore action, ``lost``, or
``already`` (back already: a member unsuspended or re-added to a group by hand needs no
action). Drift is not fatal: a group or an admin role deleted meanwhile, or a device no
longer listed, is ``lost`` with the reason; access gained meanwhile is never looked at.
Gmail settings cannot be read while the account is suspended: they are proposed with
``before`` unknown, and their apply looks again once the account is unsuspended.

A password reset by an expulsion does not come back, but access does: the restore action
sets a new random password with ``changePasswordAtNextLogin`` and shows it once to the
operator (``ConnectorContext.reveal``); the connector never logs, journals or returns it.
A password waiting to be changed at next sign-in is taken as set already.

Never coming back: ended sessions, OAuth tokens (the member consents again), app passwords
and backup codes (the member makes new ones), transferred Drive data (a reverse transfer
would move all of the recipient's files) and an account wiped from a phone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from offboard.spi import Account, Action, NotRestorable, Phase, Restoration

from .api import Gateway
from .undo import APPROVED, holds

SIGNED_OUT = "ended sessions do not come back: the member signs in again"
LOST: dict[str, str] = {
    "signout": SIGNED_OUT,
    "token": "OAuth tokens do not come back: the member consents to {app} again",
    "asp": "app passwords do not come back: the member creates new ones",
    "backup_codes": "backup codes do not come back: the member generates new ones",
    "transfer": ("transferred Drive and Calendar data stays with {new_owner}: a reverse transfer would move "
                 "all of the recipient's files"),
}
FIRST = ("unsuspend", "restore_license", "restore_org_unit")  # Gmail serves a mailbox only after these
MAILBOX = ("restore_delegate", "restore_forwarding", "restore_pop", "restore_imap")
NEW_PASSWORD = "Set a new random password, shown once to you; the member must change it at first sign-in"
RECORDED = object()  # ``back``'s default wanted state: the applied action's ``before``


class Restorer:
    def __init__(self, gw: Gateway, connector: str) -> None:
        self.gw = gw
        self.connector = connector

    def plan(self, account: Account, applied: Sequence[Action]) -> Restoration:
        restoration = Restoration()
        user = self.gw.user(account.id)
        if user is None:
            restoration.lost = [NotRestorable(a.id, f"the account {account.id} no longer exists") for a in applied]
            return restoration
        base = {"user": user["primaryEmail"], "user_id": user["id"]}
        mailbox_open = not user.get("suspended")
        seen: dict[str, Any] = {}  # lists read once, on first need

        def read(name: str, fn: Callable[[], Any]) -> Any:
            if name not in seen:
                seen[name] = fn()
            return seen[name]

        def back(old: Action, kind: str, summary: str, phase: Phase, now: Any, *, after: Any = RECORDED,
                 reversible: bool = True, **params: Any) -> None:
            restoration.actions.append(Action(
                id=f"{self.connector}:restore:{old.id.removeprefix(self.connector + ':')}", connector=self.connector,
                kind=kind, summary=summary, phase=phase, reversible=reversible, before=now,
                after=old.before if after is RECORDED else after, account=account, params={**base, **params}))

        def lost(old: Action, reason: str) -> None:
            restoration.lost.append(NotRestorable(old.id, reason))

        def already(old: Action) -> None:
            restoration.already.append(old.id)

        for old in applied:
            p, was = old.params, old.before if isinstance(old.before, Mapping) else {}
            if old.kind in LOST:
                lost(old, LOST[old.kind].format_map({"app": p.get("app", ""), "new_owner": p.get("new_owner", "")}))
            elif old.kind == "password":
                if user.get("changePasswordAtNextLogin"):  # a password someone was told, not changed yet
                    already(old)
                else:  # not the old one: a new one, which cannot be put back either
                    back(old, "restore_password", NEW_PASSWORD, Phase.CUT, None,
                         after={"changePasswordAtNextLogin": True}, reversible=False)
            elif old.kind == "suspend":
                if user.get("suspended"):
                    back(old, "unsuspend", f"Unsuspend {base['user']}", Phase.CUT, {"suspended": True})
                else:
                    already(old)
            elif old.kind == "license":
                if self.gw.has_license(p["product"], p["sku"], base["user"]):
                    already(old)
                else:
                    back(old, "restore_license", f"Assign licence {p['product']}/{p['sku']} again", Phase.CUT, None,
                         product=p["product"], sku=p["sku"])
            elif old.kind == "org_unit":
                if user.get("orgUnitPath") == was.get("orgUnitPath"):
                    already(old)
                else:
                    back(old, "restore_org_unit", f"Move back to org unit {was.get('orgUnitPath')}", Phase.CUT,
                         {"orgUnitPath": user.get("orgUnitPath")}, orgUnitPath=was.get("orgUnitPath"))
            elif old.kind == "gal":
                if user.get("includeInGlobalAddressList", True):
                    already(old)
                else:
                    back(old, "restore_gal", "Show in the global address list again", Phase.CLEAN,
                         {"includeInGlobalAddressList": False})
            elif old.kind == "group":
                group = p["group"]
                if self.gw.group(group) is None:
                    lost(old, f"the group {group} was deleted meanwhile")
                elif self.gw.membership(group, base["user"]) is not None:
                    already(old)  # whatever the role: a membership restored by hand is theirs to keep
                else:
                    back(old, "restore_group", f"Add back to group {group} (role {was.get('role')}, "
                         f"delivery {was.get('delivery_settings')})", Phase.CLEAN, None, group=group,
                         role=was.get("role") or "MEMBER", delivery_settings=was.get("delivery_settings"))
            elif old.kind == "admin_role":
                names = read("roles", self.gw.role_names)
                mine = read("assignments", lambda: self.gw.role_assignments(base["user"]))
                scope, unit = was.get("scope") or "CUSTOMER", was.get("org_unit_id")
                if was.get("role_id") not in names:
                    lost(old, f"the admin role {was.get('role')} was deleted meanwhile")
                elif any(a.get("roleId") == was["role_id"] and a.get("scopeType", "CUSTOMER") == scope
                         and a.get("orgUnitId") == unit for a in mine):
                    already(old)
                else:
                    back(old, "restore_admin_role", f"Assign admin role {was.get('role')} again ({scope})",
                         Phase.CLEAN, None, role=was.get("role"), role_id=was["role_id"], scope=scope,
                         **({"org_unit_id": unit} if unit else {}))
            elif old.kind == "device":
                self._device(old, read("devices", lambda: self.gw.devices(base["user"])), back, lost, already)
            elif old.kind == "gmail_delegate":
                if was.get("status") != "accepted":
                    lost(old, f"the delegate {p['delegate']} had not accepted ({was.get('status')}): Gmail adds a "
                              "delegate as accepted, so the member invites them again")
                elif mailbox_open and any(
                        d.get("delegateEmail", "").lower() == p["delegate"].lower()
                        for d in read("delegates", lambda: self.gw.delegates(base["user"]))):
                    already(old)
                else:
                    back(old, "restore_delegate", f"Add mail delegate {p['delegate']} back", Phase.CLEAN,
                         None, delegate=p["delegate"])
            elif old.kind in ("gmail_forwarding", "gmail_pop", "gmail_imap"):
                self._gmail(old, dict(was), base["user"], mailbox_open, back, already)
            else:
                lost(old, f"the connector cannot put back a change of kind {old.kind}")
        first = tuple(a.id for a in restoration.actions if a.kind in FIRST)
        restoration.actions = [_after(a, first) if a.kind in MAILBOX else a for a in restoration.actions]
        return restoration

    def _device(self, old: Action, devices: list[dict[str, Any]], back: Callable[..., None],
                lost: Callable[[Action, str], None], already: Callable[[Action], None]) -> None:
        p, was = old.params, old.before or {}
        device = next((d for d in devices if d.get("resourceId") == p["resource_id"]), None)
        if p.get("action") != "block":
            lost(old, f"the organization's account was wiped from {p['model']}: the member adds it again")
        elif device is None:
            lost(old, f"the mobile device {p['model']} is no longer listed")
        elif was.get("status") != APPROVED:
            lost(old, f"{p['model']} was {was.get('status')}, a state Google cannot put a device back in")
        elif device.get("status") == APPROVED:
            already(old)
        else:
            back(old, "restore_device", f"Unblock mobile device {p['model']}", Phase.CLEAN,
                 {"status": device.get("status")}, resource_id=p["resource_id"], model=p["model"])

    def _gmail(self, old: Action, was: dict[str, Any], email: str, mailbox_open: bool,
               back: Callable[..., None], already: Callable[[Action], None]) -> None:
        what, kind, read = {
            "gmail_forwarding": ("auto-forwarding", "restore_forwarding", self.gw.forwarding),
            "gmail_pop": ("POP", "restore_pop", self.gw.pop),
            "gmail_imap": ("IMAP", "restore_imap", self.gw.imap),
        }[old.kind]
        now = read(email) if mailbox_open else None
        if now is not None and holds(now, was):
            already(old)
        else:
            back(old, kind, f"Set {what} as it was", Phase.CLEAN, now, setting=was)


def _after(action: Action, first: tuple[str, ...]) -> Action:
    """A Gmail restore waits for the account to be unsuspended, licensed and in its org unit again."""
    return Action.from_dict({**action.to_dict(), "depends_on": list(first)})
