"""Discovery: read a user's access, read-only, and turn it into one action per removable item.

One action per token, app password, delegate, group, role and device lets the engine run
them side by side. Google refuses sign-out and backup-code invalidation for a suspended
user, and Gmail settings calls once the owner is suspended: so suspension waits for every
other cut action, and for a user already suspended those steps are left out. Licence
removal, org-unit move and data transfer wait for the whole cut too (``depends_on``): the
mailbox settings need the licence and Gmail, and the transfer must take the files made
until the suspension. What is read, and when, is ``reads``; before-states are kept for
reinstatement. Beside ``actions`` (what each kind means) because together they pass 300 lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from offboard.spi import Account, Action, Phase

from .actions import DEVICE_DONE, UNDER_WAY

MakeAction = Callable[..., Action]


@dataclass(frozen=True)
class Settings:
    """What the config and the playbook step ask for beyond the defaults."""

    transfer_to: str = ""
    org_unit: str = ""
    license_product: str = ""
    license_sku: str = ""
    wipe_devices: bool = False
    reset_password: bool = True  # False for a suspension: the member keeps their password


class Planner:
    def __init__(self, connector: str, settings: Settings) -> None:
        self.connector = connector
        self.settings = settings

    def plan(self, account: Account, user: Mapping[str, Any], reads: Mapping[str, Any]) -> list[Action]:
        """The actions, from the user and what ``reads.UserReads`` read of them."""
        email = user["primaryEmail"]
        base = {"user": email, "user_id": user["id"]}
        suspended = bool(user.get("suspended"))

        def action(id: str, kind: str, summary: str, phase: Phase, reversible: bool, before: Any = None,
                   after: Any = None, depends_on: tuple[str, ...] = (), **params: Any) -> Action:
            return Action(id=f"{self.connector}:{id}", connector=self.connector, kind=kind, summary=summary,
                          phase=phase, reversible=reversible, before=before, after=after, account=account,
                          params={**base, **params}, depends_on=depends_on)

        cut = self._cut(email, suspended, action, reads)
        if not suspended:
            cut.append(action("suspend", "suspend", f"Suspend {email}", Phase.CUT, True,
                              before={"suspended": False}, after={"suspended": True},
                              depends_on=tuple(a.id for a in cut)))
        # The engine lets clean work overlap the cut; these must still wait for it.
        after_cut = tuple(a.id for a in cut)
        return cut + self._clean(email, user, action, reads, after_cut)

    # -- cut: end every way in, then suspend

    def _cut(self, email: str, suspended: bool, action: MakeAction, reads: Mapping[str, Any]) -> list[Action]:
        actions: list[Action] = []
        if not suspended:
            actions.append(action("signout", "signout", f"Sign {email} out of every web and device session",
                                  Phase.CUT, False))
        for token in reads["tokens"]:
            app = token.get("displayText") or token["clientId"]
            token_scopes = token.get("scopes", [])
            actions.append(action(
                f"token:{token['clientId']}", "token", f"Revoke the OAuth token of {app} ({len(token_scopes)} scopes)",
                Phase.CUT, False, before={"client_id": token["clientId"], "app": app, "scopes": token_scopes},
                after=None, client_id=token["clientId"], app=app))
        for asp in reads["asps"]:
            actions.append(action(
                f"asp:{asp['codeId']}", "asp", f"Delete app password {asp.get('name', asp['codeId'])}", Phase.CUT,
                False, before={"name": asp.get("name"), "created": asp.get("creationTime"),
                               "last_used": asp.get("lastTimeUsed")},
                code_id=asp["codeId"], name=asp.get("name", "")))
        if not suspended:
            codes = reads["codes"]
            if codes:
                actions.append(action("backup-codes", "backup_codes",
                                      f"Invalidate {codes} backup verification codes", Phase.CUT, False,
                                      before={"codes": codes}, after={"codes": 0}))
            if self.settings.reset_password:
                actions.append(action("password", "password", "Reset the password to a random one nobody knows",
                                      Phase.CUT, False))
            actions += self._mailbox(email, action, reads)
        return actions

    def _mailbox(self, email: str, action: MakeAction, reads: Mapping[str, Any]) -> list[Action]:
        actions: list[Action] = []
        for d in reads["delegates"]:
            status = d.get("verificationStatus", "")
            actions.append(action(
                f"gmail-delegate:{d['delegateEmail']}", "gmail_delegate",
                f"Remove mail delegate {d['delegateEmail']} ({status})", Phase.CUT, True,
                before={"delegate": d["delegateEmail"], "status": status}, delegate=d["delegateEmail"]))
        forwarding = reads["forwarding"]
        if forwarding.get("enabled"):
            actions.append(action(
                "gmail-forwarding", "gmail_forwarding",
                f"Turn off auto-forwarding to {forwarding.get('emailAddress')}", Phase.CUT, True,
                before=forwarding, after={"enabled": False}))
        pop = reads["pop"]
        if pop.get("accessWindow", "disabled") != "disabled":
            actions.append(action("gmail-pop", "gmail_pop", f"Turn off POP (now {pop.get('accessWindow')})",
                                  Phase.CUT, True, before=pop, after={"accessWindow": "disabled"}))
        imap = reads["imap"]
        if imap.get("enabled"):
            actions.append(action("gmail-imap", "gmail_imap", "Turn off IMAP", Phase.CUT, True,
                                  before=imap, after={"enabled": False}))
        return actions

    # -- clean: memberships, roles, visibility, devices, data, licence

    def _clean(self, email: str, user: Mapping[str, Any], action: MakeAction, reads: Mapping[str, Any],
               after_cut: tuple[str, ...]) -> list[Action]:
        # Actions that take more than one call come first: the engine starts a phase's ready
        # actions in plan order, and 60 one-call group removals should not leave them at the end.
        actions = self._devices(email, action, reads["devices"])
        actions += self._transfer(email, action, reads.get("transfer"), after_cut)
        for group, member in reads["groups"]:
            if member is None:  # left between the two reads
                continue
            before = {"group": group["email"], "name": group.get("name"), "role": member.get("role"),
                      "delivery_settings": member.get("delivery_settings")}
            actions.append(action(
                f"group:{group['email']}", "group",
                f"Remove from group {group['email']} (role {member.get('role')}, "
                f"delivery {member.get('delivery_settings')})",
                Phase.CLEAN, True, before=before, group=group["email"]))
        assignments, names = reads["roles"]
        for a in assignments:
            role = names.get(a["roleId"], a["roleId"])
            actions.append(action(
                # Named by role and scope, not by assignment id: a reinstated role comes back under a new id.
                f"admin-role:{a['roleId']}" + (f":{a['orgUnitId']}" if a.get("orgUnitId") else ""), "admin_role",
                f"Remove admin role {role}", Phase.CLEAN, True,
                before={"role": role, "role_id": a["roleId"], "scope": a.get("scopeType"),
                        "org_unit_id": a.get("orgUnitId")},
                assignment_id=a["roleAssignmentId"], role=role))
        if user.get("includeInGlobalAddressList", True):
            actions.append(action("gal", "gal", "Hide from the global address list", Phase.CLEAN, True,
                                  before={"includeInGlobalAddressList": True},
                                  after={"includeInGlobalAddressList": False}))
        target = self.settings.org_unit
        if target and user.get("orgUnitPath") != target:
            actions.append(action("org-unit", "org_unit", f"Move to org unit {target}", Phase.CLEAN, True,
                                  before={"orgUnitPath": user.get("orgUnitPath")}, after={"orgUnitPath": target},
                                  orgUnitPath=target, depends_on=after_cut))
        actions += self._license(email, action, reads.get("license", False), after_cut)
        return actions

    def _devices(self, email: str, action: MakeAction, devices: list[dict[str, Any]]) -> list[Action]:
        wipe = self.settings.wipe_devices
        verb = "admin_account_wipe" if wipe else "block"  # the organization's account only, never the phone
        actions = []
        for d in devices:
            if d.get("status") in DEVICE_DONE[verb]:
                continue
            model = d.get("model") or d.get("type") or d["resourceId"]
            summary = (f"Wipe the organization's account from mobile device {model} ({d.get('type')})" if wipe
                       else f"Block mobile device {model} ({d.get('type')})")
            actions.append(action(
                f"device:{d['resourceId']}", "device", summary, Phase.CLEAN, not wipe,
                before={"model": d.get("model"), "type": d.get("type"), "os": d.get("os"), "status": d.get("status"),
                        "last_sync": d.get("lastSync")},
                after={"status": "ACCOUNT_WIPING" if wipe else "BLOCKED"},
                resource_id=d["resourceId"], action=verb, model=model))
        return actions

    def _transfer(self, email: str, action: MakeAction, state: tuple[dict[str, Any], list[dict[str, Any]]] | None,
                  after_cut: tuple[str, ...]) -> list[Action]:
        if state is None:
            return []
        target = self.settings.transfer_to
        new_owner, transfers = state
        if any(t.get("overallTransferStatusCode") == "completed" for t in transfers):
            return []
        # The transfer's identity, chosen before anything is sent (actions._our_transfers): every
        # transfer between the two users but these, finished already, is the action's own.
        earlier = sorted(str(t["id"]) for t in transfers if t.get("overallTransferStatusCode") not in UNDER_WAY)
        return [action("transfer", "transfer", f"Transfer Drive and Calendar data to {target} (and wait for it)",
                       Phase.CLEAN, False, before={"owner": email}, after={"owner": target},
                       new_owner=target, new_owner_id=new_owner["id"], earlier=earlier, depends_on=after_cut)]

    def _license(self, email: str, action: MakeAction, held: bool, after_cut: tuple[str, ...]) -> list[Action]:
        product, sku = self.settings.license_product, self.settings.license_sku
        if not product or not held:
            return []
        return [action(f"license:{product}/{sku}", "license", f"Remove licence {product}/{sku}", Phase.CLEAN, True,
                       before={"product": product, "sku": sku}, after=None, product=product, sku=sku,
                       depends_on=after_cut)]
