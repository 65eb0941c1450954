"""The restore plan: from what a suspension or expulsion applied, what puts the member back (read-only).

A revoked member is restored (``POST restore``; on a server older than 2026.2.0, by a person in the
Admin Console, a step that closes itself), and Bitwarden puts them back at the status they had. The
groups recorded at the suspension are added to the member's list as it is now: groups gained
meanwhile are never touched. What cannot come back is ``lost``, with the reason: a member removed
from the organization (by the plan on an old server, or by a person meanwhile) must be invited
again by hand; a group deleted meanwhile; rotated credentials stay rotated.

An applied change wholly back already is named in ``already``: a revocation once the member is
active, a group removal once every recorded group that still exists has them again and none is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from offboard.spi import Account, Action, ManualStep, NotRestorable, Phase, Restoration

from . import observe
from .actions import NAME, Bitwarden, _action
from .console import REVOKE_SINCE
from .observe import REVOKED
from .restore import REINVITE

CUTS = ("revoke", "revoke-manual")
MEMBER = "restore:member"  # the id's slug of a restore, through the API or by a person


def restoration(bw: Bitwarden, account: Account, applied: Sequence[Action]) -> Restoration:
    """Re-observe the member, then one action per applied change that can come back and is not back yet."""
    result = Restoration()
    mine = [a for a in applied if a.connector == NAME]
    if not mine:
        return result
    found = observe.member(bw.api, account.id)
    label = account.label
    proposed: set[str] = set()
    for action in mine:
        if action.kind in CUTS:
            if found is None:
                result.lost.append(NotRestorable(action.id, f"{label} was removed from the organization meanwhile, "
                                                            f"which cannot be undone: {REINVITE}"))
            elif found.get("status") != REVOKED:
                result.already.append(action.id)
            elif "member" not in proposed:
                proposed.add("member")
                result.actions.append(_restoration(bw, account, action))
        elif action.kind == "remove":
            result.lost.append(NotRestorable(action.id, f"{label} was removed from the organization (the server could "
                                                        f"not revoke), which cannot be undone: {REINVITE}; this "
                                                        "action's before-state lists them"))
        elif action.kind == "groups":
            _groups(bw, account, action, found, result)
        elif action.kind == "rotate":
            result.lost.append(NotRestorable(action.id, "rotated credentials stay rotated: share the new ones with "
                                                        f"{label} again where the committee agrees"))
        else:
            result.lost.append(NotRestorable(action.id, f"offboard cannot undo a Bitwarden action of kind {action.kind!r}"))
    return result


def _restoration(bw: Bitwarden, account: Account, revocation: Action) -> Action:
    """Restore through the API where the server has it; else a self-closing step in the Admin Console."""
    label = account.label
    was = (revocation.before or {}).get("status") or "active"
    params = {"member": account.id, "label": label}
    before, after = {"status": "revoked"}, {"status": was}
    if observe.route_exists(bw.api, "restore", account.id):
        return _action("restore", account, f"Restore {label}'s membership of the Bitwarden organization "
                       f"(back to {was})", Phase.CUT, before, after, params, slug=MEMBER)
    members = bw.console().members
    instructions = (
        f"This Bitwarden server has no restore in its Public API (it came with server {REVOKE_SINCE}). Open {members}, "
        f"show the revoked members, find {label}, open the menu next to them and choose Restore access. Nothing else is "
        "needed: offboard sees the member active in Bitwarden and closes this step when the run is resumed or its "
        "status is asked; their groups are put back through the API."
    )
    return _action("restore-manual", account, f"Restore {label} in the Bitwarden Admin Console: this server (older than "
                   f"{REVOKE_SINCE}) cannot restore through its API", Phase.MANUAL, before, after, params,
                   manual=ManualStep(f"Restore {label} in Bitwarden", instructions, links=(members,), self_closing=True),
                   slug=MEMBER)


def _groups(bw: Bitwarden, account: Account, applied: Action, found: dict[str, Any] | None, result: Restoration) -> None:
    """The recorded groups back, those that still exist; each deleted one is lost."""
    recorded = [g for g in (applied.before or {}).get("groups") or [] if isinstance(g, dict) and g.get("id")]
    if found is None:
        result.lost.append(NotRestorable(applied.id, f"{account.label} is no longer a member of the organization, so "
                                                     f"their groups cannot come back: {REINVITE}"))
        return
    now = set(observe.group_ids(bw.api, account.id) or [])
    existing = observe.groups(bw.api)
    gone = [g for g in recorded if g["id"] not in existing]
    for group in gone:
        result.lost.append(NotRestorable(applied.id, f"the Bitwarden group {group.get('name') or group['id']} "
                                                     "was deleted meanwhile"))
    back = [g for g in recorded if g["id"] in existing and g["id"] not in now]
    if not back:
        if not gone:
            result.already.append(applied.id)
        return
    names = ", ".join(str(existing[g["id"]].get("name") or g["id"]) for g in back)
    result.actions.append(_action(
        "groups-rejoin", account, f"Add {account.label} back to {len(back)} Bitwarden group"
        f"{'s' if len(back) != 1 else ''}: {names}", Phase.CLEAN,
        {"in_groups": len(recorded) - len(gone) - len(back)},
        {"in_groups": len(recorded) - len(gone), "groups": [g for g in recorded if g["id"] in existing]},
        {"member": account.id, "label": account.label, "groups": [g["id"] for g in recorded],
         "names": {g["id"]: g.get("name") or g["id"] for g in recorded}}, slug="restore:groups"))
