"""The restore plan: from what a suspension or expulsion removed, the one invitation that puts the member back.

Open Collective can only re-invite, and ``inviteMember`` updates a person's pending invitation
to the collective instead of adding one: a member who held two roles can be invited back to
one. The plan picks it from what was removed, never from what holds now (so planning again
after the acceptance finds the same answer): the highest role removed (ADMIN > ACCOUNTANT >
COMMUNITY_MANAGER > MEMBER), else, when only invitations were withdrawn, the highest of those.
Every other removal is ``lost``, with the reason and what an admin can do once the first
invitation is accepted. A role comes back as an invitation and a self-closing manual step that
waits for the person to accept it (``check`` sees the role again); a withdrawn invitation comes
back as the invitation alone, which is all it was.

It re-observes first: what holds again already (a role given back, an invitation pending) is
``already``; access gained meanwhile is never touched: an invitation sent since the suspension
is not replaced, and the chosen role is ``lost`` with the reason instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from offboard.spi import Account, Action, ManualStep, NotRestorable, Phase, Restoration

from . import observe
from .actions import OpenCollective, restored_role
from .errors import TEAM
from .observe import NAME
from .restore_acts import INVITATIONS_PAGE
from .roles import label

INVITE = f"{NAME}:restore:invite"
ACCEPT = f"{NAME}:restore:accept"
REMOVALS = {"remove-role": "role", "remove-invitation": "invitation"}


def restoration(oc: OpenCollective, account: Account, applied: Sequence[Action]) -> Restoration:
    """Re-observe the member's roles and invitations, then the one invitation back; the rest lost or already."""
    result = Restoration()
    removals: list[Action] = []
    for action in (a for a in applied if a.connector == NAME):
        if action.kind in REMOVALS:
            removals.append(action)
        else:
            result.lost.append(NotRestorable(action.id, f"offboard cannot undo an Open Collective action of kind "
                                                        f"{action.kind!r}"))
    if not removals:
        return result
    collective = str(removals[0].params["collective"])
    held = observe.roles_of(oc.api, collective, account.id)
    pending = observe.invitations_of(oc.api, collective, account.id)
    back = restored_role([a.params["role"] for a in removals if a.kind == "remove-role"],
                         [a.params["role"] for a in removals if a.kind == "remove-invitation"])
    for action in removals:
        kind, role = REMOVALS[action.kind], str(action.params["role"])
        if role in held or (kind == "invitation" and role in pending):
            result.already.append(action.id)
        elif (kind, role) != back:
            result.lost.append(NotRestorable(action.id, _one_invitation(action, back)))
        elif others := sorted(r for r in pending if r != role):
            result.lost.append(NotRestorable(action.id, (
                f"{action.params['name']} has a pending invitation to be {label(others[0])}, sent since the removal, which "
                f"an invitation as {label(role)} would replace (Open Collective keeps one per person and collective): "
                f"once they accept it, invite them as {label(role)} in {TEAM}")))
        else:
            result.actions += _invitation(account, action, sent=role in pending)
    return result


def _one_invitation(action: Action, back: tuple[str, str] | None) -> str:
    name, role = action.params["name"], label(str(action.params["role"]))
    chosen = f"{name} comes back as {label(back[1])}" if back else "nothing else comes back"
    return (f"offboard invites a reinstated member back to one role only, as Open Collective holds one pending invitation "
            f"per person and collective, and {chosen}: once they have accepted, invite them as {role} in {TEAM} "
            "if they should have it again")


def _params(action: Action, wait: bool) -> dict[str, Any]:
    before = action.before or {}
    keys = ("member", "slug", "name", "collective", "collective_name", "role")
    return {**{k: action.params[k] for k in keys}, "since": before.get("since"), "description": before.get("description"),
            "wait": wait}


def _invitation(account: Account, removal: Action, sent: bool) -> list[Action]:
    """The invitation (unless it is pending already), and for a role the wait for its acceptance."""
    role_back = removal.kind == "remove-role"
    p = _params(removal, wait=role_back)
    what = f"{label(p['role'])} of {p['collective_name']}"
    record = {"role": p["role"], "since": p["since"], "description": p["description"]}
    actions: list[Action] = []
    if not sent:
        summary = (f"Invite {p['name']} back as {what} on Open Collective (they must accept the invitation)" if role_back
                   else f"Send {p['name']} again the invitation to be {what} on Open Collective, withdrawn at the removal")
        actions.append(Action(id=INVITE, connector=NAME, kind="invite", summary=summary, phase=Phase.CUT, reversible=True,
                              before={"role": p["role"], "held": False, "pending": False},
                              after={**record, "pending": True}, account=account, params=p))
    if role_back:
        instructions = (
            f"Open Collective emailed {p['name']} an invitation to be {what}. Ask them to accept it: the link in the "
            f"email, or {INVITATIONS_PAGE} once they are signed in. Nothing else is needed: offboard sees the role on "
            "the collective's team again and closes this step when the run is resumed or its status is asked."
        )
        actions.append(Action(
            id=ACCEPT, connector=NAME, kind="accept-manual",
            summary=f"Wait for {p['name']} to accept the invitation to be {what} (Open Collective closes this step itself)",
            phase=Phase.MANUAL, reversible=True, before={"role": p["role"], "held": False}, after={**record, "held": True},
            account=account, params=p, depends_on=(INVITE,) if not sent else (),
            manual=ManualStep(f"Waiting for {p['name']} to accept the invitation", instructions,
                              links=(INVITATIONS_PAGE,), self_closing=True)))
    return actions
