"""Open Collective's actions: how a plan is built, and the one table of what each kind observes and does.

Every core role is a ``cut``: ADMIN approves expenses and moves the collective's money,
ACCOUNTANT reads every financial record, receipt and invoice (other people's private data),
COMMUNITY_MANAGER writes updates mailed to every contributor in the collective's name, and
MEMBER lists the person publicly as a Core Contributor, one who speaks for it. Each ends with
one request, so the whole team entry goes at once rather than leaving a public claim behind.
A pending invitation is a ``cut`` too: accepted later, it would give the role back.

Reinstatement can only invite, and a person holds one pending invitation per collective, so
only one removed role comes back: the highest held (ADMIN > ACCOUNTANT > COMMUNITY_MANAGER >
MEMBER), else the highest invitation. Every other removal is marked irreversible in the plan.

``KINDS`` is the table the connector delegates to: a new kind is a builder and a row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Protocol

from offboard.spi import Account, Action, NotFoundError, Outcome, Phase, State
from offboard.spi.kinds import Kind, KindTable

from . import observe, queries, restore_acts
from .api import OpenCollectiveApi
from .errors import TEAM
from .observe import NAME, Invitation, Role
from .roles import highest, label, rank

Params = Mapping[str, Any]


class OpenCollective(Protocol):
    """What observing and acting need from the connector: the API and the collective's slug."""

    api: OpenCollectiveApi
    slug: str


# ---------------------------------------------------------------- the plan


def restored_role(roles: list[str], invited: list[str]) -> tuple[str, str] | None:
    """("role", ROLE) or ("invitation", ROLE): the one removal a reinstatement can undo, or None."""
    if (role := highest(roles)) is not None:
        return ("role", role)
    if (role := highest(invited)) is not None:
        return ("invitation", role)
    return None


def plan(account: Account, team: observe.Team, invitations: list[Invitation]) -> list[Action]:
    """One removal per core role the account holds on the collective, one per pending invitation; highest first."""
    roles = sorted(team.of(account.id), key=lambda r: rank(r.role))
    invited = sorted(invitations, key=lambda i: rank(i.role))
    back = restored_role([r.role for r in roles], [i.role for i in invited])
    return ([remove_role(account, team, r, back) for r in roles]
            + [withdraw_invitation(account, team, i, back) for i in invited])


def _params(account: Account, team: observe.Team, role: str) -> dict[str, Any]:
    return {"member": account.id, "slug": account.attributes.get("slug", ""), "name": account.label,
            "collective": team.collective.get("slug") or "", "collective_name": team.name, "role": role}


def _irreversible(kind: str, role: str, back: tuple[str, str] | None, account: Account) -> str:
    """"" when this removal can come back; else the clause that says why not."""
    if back == (kind, role):
        return ""
    again = f"{account.label} is invited back as {label(back[1])} only" if back else "nothing else comes back"
    return (f" (cannot be undone: Open Collective holds one pending invitation per person and collective, and "
            f"{again})")


def remove_role(account: Account, team: observe.Team, role: Role, back: tuple[str, str] | None) -> Action:
    why_not = _irreversible("role", role.role, back, account)
    return Action(id=f"{NAME}:role:{role.role}", connector=NAME, kind="remove-role",
                  summary=f"Remove {account.label} as {label(role.role)} of {team.name} on Open Collective{why_not}",
                  phase=Phase.CUT, reversible=not why_not, before={**role.record(), "held": True},
                  after={"role": role.role, "held": False}, account=account, params=_params(account, team, role.role))


def withdraw_invitation(account: Account, team: observe.Team, invitation: Invitation,
                        back: tuple[str, str] | None) -> Action:
    why_not = _irreversible("invitation", invitation.role, back, account)
    return Action(id=f"{NAME}:invitation:{invitation.role}", connector=NAME, kind="remove-invitation",
                  summary=(f"Withdraw the pending invitation of {account.label} to be {label(invitation.role)} of "
                           f"{team.name} on Open Collective, which they could still accept{why_not}"),
                  phase=Phase.CUT, reversible=not why_not, before={**invitation.record(), "pending": True},
                  after={"role": invitation.role, "pending": False}, account=account,
                  params=_params(account, team, invitation.role))


# ---------------------------------------------------------------- observe and act, per kind


def held(oc: OpenCollective, p: Params) -> Role | None:
    return observe.roles_of(oc.api, p["collective"], p["member"]).get(p["role"])


def pending(oc: OpenCollective, p: Params) -> Invitation | None:
    return observe.invitations_of(oc.api, p["collective"], p["member"]).get(p["role"])


def _removal(p: Params, invitation: bool) -> dict[str, Any]:
    return {"member": {"id": p["member"]}, "collective": {"slug": p["collective"]}, "role": p["role"],
            "isInvitation": True if invitation else None}


def _remove_role(oc: OpenCollective, p: Params, look_first: bool = True) -> Outcome:
    what = f"{label(p['role'])} of {p['collective_name']}"
    if look_first and held(oc, p) is None:
        return Outcome.ok(f"not {what} (already removed)", {"role": p["role"], "held": False})
    with contextlib.suppress(NotFoundError):  # the account is gone, or the collective: the look below tells
        oc.api.write(queries.REMOVE_MEMBER, _removal(p, invitation=False))
    if held(oc, p) is not None:  # removeMember answers true whatever it matched: only a look can tell
        return Outcome(State.FAILED, f"Open Collective answered the removal with true, yet {p['name']} is still {what}: "
                       f"remove them by hand in {TEAM}, then apply this again", {"role": p["role"], "held": True})
    return Outcome.changed(f"removed as {what}", {"role": p["role"], "held": False})


def _withdraw_invitation(oc: OpenCollective, p: Params, look_first: bool = True) -> Outcome:
    what = f"invitation to be {label(p['role'])} of {p['collective_name']}"
    if look_first and pending(oc, p) is None:
        return Outcome.ok(f"no pending {what} (already withdrawn, accepted or declined)",
                          {"role": p["role"], "pending": False})
    with contextlib.suppress(NotFoundError):
        oc.api.write(queries.REMOVE_MEMBER, _removal(p, invitation=True))
    if pending(oc, p) is not None:
        return Outcome(State.FAILED, f"Open Collective answered the withdrawal with true, yet the {what} is still "
                       f"pending: withdraw it by hand in {TEAM}, then apply this again", {"role": p["role"], "pending": True})
    return Outcome.changed(f"withdrew the {what}", {"role": p["role"], "pending": False})


KINDS: dict[str, Kind[OpenCollective]] = {
    # Planned moments ago, a removal skips its first look: removeMember is idempotent, and the look after it
    # (needed anyway, as its answer is always true) tells what happened.
    "remove-role": Kind(lambda oc, p: held(oc, p) is None, _remove_role,
                        lambda oc, p: _remove_role(oc, p, look_first=False)),
    "remove-invitation": Kind(lambda oc, p: pending(oc, p) is None, _withdraw_invitation,
                              lambda oc, p: _withdraw_invitation(oc, p, look_first=False)),
    # Restore kinds (``restore_plan`` builds them): the one invitation back, then the wait for its acceptance.
    "invite": Kind(restore_acts.invited, restore_acts.invite),
    "accept-manual": Kind(restore_acts.accepted, restore_acts.wait_for_acceptance),
}


TABLE = KindTable("Open Collective", KINDS)  # the connector's apply, apply_planned and check
