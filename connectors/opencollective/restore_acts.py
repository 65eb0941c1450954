"""What each restore kind observes and does: send the one invitation back, then wait for its acceptance.

Open Collective cannot add a person to a team: an admin invites, the person accepts
(``createMember`` is for Open Collective's own staff). So the restore is an invitation, sent
with the role, description and "since" date recorded at the removal (accepting it makes a
team entry with those), and a self-closing manual step that waits for the person: ``check``
sees the role again once they accept. These are rows of ``actions.KINDS``; ``restore_plan``
builds the actions. Each act looks first, so a second apply is ``ok``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offboard.spi import Outcome

from . import observe, queries
from .errors import TEAM, Refused
from .roles import highest, label

if TYPE_CHECKING:
    from .actions import OpenCollective

Params = Mapping[str, Any]

INVITATIONS_PAGE = "https://opencollective.com/member-invitations"  # where a person sees and accepts invitations


def accepted(oc: OpenCollective, p: Params) -> bool:
    """The role is held again: the invitation was accepted (or the role given back some other way)."""
    return p["role"] in observe.roles_of(oc.api, p["collective"], p["member"])


def invited(oc: OpenCollective, p: Params) -> bool:
    """The invitation is pending, or already accepted."""
    return accepted(oc, p) or p["role"] in observe.invitations_of(oc.api, p["collective"], p["member"])


def invite(oc: OpenCollective, p: Params) -> Outcome:
    """inviteMember, unless the role is back or the invitation pending; never over another pending invitation,
    which it would replace (Open Collective keeps one per person and collective)."""
    what = f"{label(p['role'])} of {p['collective_name']}"
    if accepted(oc, p):
        return Outcome.ok(f"{p['name']} is {what} again", {"role": p["role"], "held": True})
    pending = observe.invitations_of(oc.api, p["collective"], p["member"])
    if p["role"] in pending:
        return Outcome.ok(f"the invitation to be {what} is already pending", {"role": p["role"], "pending": True})
    if pending:
        other = label(highest(list(pending)) or "")
        return Outcome.skipped(f"{p['name']} has a pending invitation to be {other}, sent since the suspension, which an "
                               f"invitation as {label(p['role'])} would replace (Open Collective keeps one per person): "
                               f"once they accept it, invite them as {label(p['role'])} in {TEAM}")
    variables = {"member": {"id": p["member"]}, "collective": {"slug": p["collective"]}, "role": p["role"],
                 "description": p.get("description"), "since": p.get("since") or None}
    try:
        oc.api.write(queries.INVITE_MEMBER, variables)
    except Refused as exc:
        if "already have the" in exc.server_message:  # became a member between the look and the invitation
            return Outcome.ok(f"{p['name']} is {what} again", {"role": p["role"], "held": True})
        raise
    then = "they must accept it" if p.get("wait") else "it is pending, as it was"
    return Outcome.changed(f"invited {p['name']} back as {what}; Open Collective emails them the invitation, and {then}",
                           {"role": p["role"], "pending": True})


def wait_for_acceptance(oc: OpenCollective, p: Params) -> Outcome:
    """A person's step, closed by Open Collective itself: done once the role is held again."""
    what = f"{label(p['role'])} of {p['collective_name']}"
    if accepted(oc, p):
        return Outcome.ok(f"{p['name']} accepted the invitation: {what} again", {"role": p["role"], "held": True})
    return Outcome.manual(f"waiting for {p['name']} to accept the invitation to be {what} (emailed by Open Collective, "
                          f"and listed at {INVITATIONS_PAGE} once they sign in)")
