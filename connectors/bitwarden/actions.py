"""Bitwarden's plan, and the one table of what each kind of action observes and does.

The cut revokes the membership: the member keeps their own Bitwarden account and vault but can no
longer open the organization's, and a restore gives back exactly the status they had. A server
older than 2026.2.0 has no revoke in its Public API: the plan says so, and either removes the
member (playbook option ``remove_if_no_revoke: true``: it cannot be undone) or asks a person to
revoke them in the Admin Console, a step that closes itself once Bitwarden shows them revoked.

Groups are left in one action, because ``PUT group-ids`` replaces the whole list: one action per
group, run side by side, could put back a group another had just removed. What the member could
read cannot be unseen: the collections they reached, directly or through a group, become a
checklist for a person to rotate the shared logins in them.

``KINDS`` is the table the connector delegates to; the restore kinds are rows of it (``restore``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from offboard.spi import Account, Action, FatalError, ManualStep, NotFoundError, Outcome, Phase
from offboard.spi.kinds import Kind, KindTable

from . import observe, restore
from .api import BitwardenApi
from .console import REVOKE_SINCE, Console
from .errors import RefusedError, RouteMissing
from .observe import REVOKED, Reach

NAME = "bitwarden"
OPTIONS = {"remove_if_no_revoke": False, "rotation_checklist": True}
Params = Mapping[str, Any]


class Bitwarden(Protocol):
    """What observing and acting need from the connector: the API, and the Admin Console's addresses."""

    api: BitwardenApi

    def console(self) -> Console: ...


# ---------------------------------------------------------------- the plan


def plan(account: Account, reach: Reach, revoke_exists: bool, options: Mapping[str, Any], console: Console) -> list[Action]:
    """Every change for one member, from what discovery saw; empty when nothing is left to do."""
    label = account.label
    params = {"member": account.id, "label": label}
    groups = reach.member_groups()
    before = {"status": observe.status_name(reach.status), "type": account.attributes.get("type"), "groups": groups,
              "collections": list(reach.member.get("collections") or [])}
    planned: list[Action] = []
    removing = False
    if reach.status != REVOKED:
        if revoke_exists:
            planned.append(_action("revoke", account, f"Revoke {label}'s membership of the Bitwarden organization "
                                   "(they keep their own account; reinstatement restores it)", Phase.CUT, before,
                                   {"status": "revoked"}, params))
        elif options["remove_if_no_revoke"]:
            removing = True
            planned.append(_action("remove", account, f"Remove {label} from the Bitwarden organization: this server "
                                   f"(older than {REVOKE_SINCE}) cannot revoke, and the playbook allows removing; "
                                   "this cannot be undone", Phase.CUT, before, {"member": False}, params,
                                   reversible=False))
        else:
            planned.append(revoke_by_hand(account, before, params, console))
    if reach.group_ids and not removing:  # removing the member takes them out of every group
        names = ", ".join(g["name"] for g in groups)
        count = len(reach.group_ids)
        planned.append(_action("groups", account, f"Remove {label} from {count} Bitwarden group"
                               f"{'s' if count != 1 else ''}: {names}", Phase.CLEAN, {"groups": groups, "in_groups": count},
                               {"in_groups": 0}, {**params, "groups": [g["id"] for g in groups]}))
    reachable = reach.reachable()
    if options["rotation_checklist"] and reach.could_read_vault and reachable:
        planned.append(rotation(account, reachable, reach, console))
    return planned


def _action(kind: str, account: Account, summary: str, phase: Phase, before: Any, after: Any, params: dict[str, Any],
            reversible: bool = True, manual: ManualStep | None = None, slug: str = "") -> Action:
    """An action with the stable id ``bitwarden:<slug, else kind>:<member id>``: the same change done by the API or
    by a person has the same id."""
    return Action(id=f"{NAME}:{slug or kind}:{account.id}", connector=NAME, kind=kind, summary=summary, phase=phase,
                  reversible=reversible, before=before, after=after, account=account, params=params, manual=manual)


def revoke_by_hand(account: Account, before: Any, params: dict[str, Any], console: Console) -> Action:
    label = account.label
    instructions = (
        f"This Bitwarden server has no revoke in its Public API (it came with server {REVOKE_SINCE}). Open "
        f"{console.members}, find {label}, open the menu next to them and choose Revoke access. Removing them also "
        "ends their access but cannot be undone (the playbook option remove_if_no_revoke: true lets offboard remove "
        "them instead). Nothing else is needed: offboard sees the member revoked in Bitwarden and closes this step "
        "when the run is resumed or its status is asked."
    )
    return _action("revoke-manual", account, f"Revoke {label} in the Bitwarden Admin Console: this server (older than "
                   f"{REVOKE_SINCE}) cannot revoke through its API", Phase.MANUAL, before, {"status": "revoked"},
                   params, manual=ManualStep(f"Revoke {label} in Bitwarden", instructions, links=(console.members,),
                                             self_closing=True), slug="revoke")


def _rights(entry: Mapping[str, Any]) -> str:
    if entry["manage"]:
        return "can manage"
    rights = "read only" if entry["read_only"] else "can edit"
    return rights + (", passwords hidden" if entry["hide_passwords"] else "")


def _how(reachable: list[dict[str, Any]]) -> str:
    """"directly and through the groups Everyone, Social media": how the member reached the collections."""
    direct = any(via == "directly" for c in reachable for via in c["via"])
    groups = sorted({via.removeprefix("group ") for c in reachable for via in c["via"] if via != "directly"})
    through = f"through the group{'s' if len(groups) != 1 else ''} {', '.join(groups)}" if groups else ""
    return " and ".join(part for part in ("directly" if direct else "", through) if part)


def rotation(account: Account, reachable: list[dict[str, Any]], reach: Reach, console: Console) -> Action:
    """The checklist of collections whose logins the member could read: a person rotates them."""
    count = len(reachable)
    these = "this Bitwarden collection" if count == 1 else f"these {count} Bitwarden collections"
    lines = [f"- collection {c['id']}" + (f" (external id {c['external_id']})" if c.get("external_id") else "")
             + f": {'; '.join(c['via'])}; {_rights(c)}" for c in reachable]
    instructions = "\n".join([
        f"{account.label} could open the logins in {these} (the shared social media logins are among them). For each "
        "login in each collection: change the password at the service, reset two-step login and recovery details the "
        "member knew, and save the new password in Bitwarden. Bitwarden keeps collection names encrypted, so they are "
        "named here by id (and external id); each link opens one in the web vault.",
        *lines,
        *(["They are revoked and in no group now: if a suspension took them out of groups, that suspension's report "
           "lists the groups; rotate the collections of those groups too."] if reach.status == REVOKED
          and not reach.group_ids else []),
    ])
    return _action("rotate", account, f"Rotate the credentials in {these} that {account.label} could open "
                   f"({_how(reachable)})", Phase.MANUAL, {"collections": reachable}, {"rotated": True},
                   {"member": account.id, "label": account.label, "collections": [c["id"] for c in reachable]},
                   reversible=False,
                   manual=ManualStep(f"Rotate the credentials in {these}", instructions,
                                     links=tuple(console.collection(c["id"]) for c in reachable),
                                     evidence=("list of the rotated logins",)))


# ---------------------------------------------------------------- observe and act, per kind


def _member(bw: Bitwarden, p: Params) -> dict[str, Any] | None:
    return observe.member(bw.api, p["member"])


def revoked(bw: Bitwarden, p: Params) -> bool:
    found = _member(bw, p)
    return found is None or found.get("status") == REVOKED


def no_revoke(label: str) -> FatalError:
    return FatalError(f"this Bitwarden server has no revoke endpoint (it is older than {REVOKE_SINCE}): plan again, "
                      f"and offboard asks a person to revoke {label} in the Admin Console (or removes them, with the "
                      "playbook option remove_if_no_revoke: true)")


def _revoke(bw: Bitwarden, p: Params, look_first: bool = True) -> Outcome:
    if look_first:
        found = _member(bw, p)
        if found is None:
            return Outcome.ok("no longer a member of the organization", {"member": False})
        if found.get("status") == REVOKED:
            return Outcome.ok("already revoked", {"status": "revoked"})
    try:
        bw.api.write("POST", f"/public/members/{p['member']}/revoke", f"revoke {p['label']}")
    except RefusedError as exc:
        if exc.message == "Already revoked.":
            return Outcome.ok("already revoked", {"status": "revoked"})
        raise
    except NotFoundError:
        if _member(bw, p) is None:
            return Outcome.ok("no longer a member of the organization", {"member": False})
        raise no_revoke(p["label"]) from None
    except RouteMissing:
        raise no_revoke(p["label"]) from None
    return Outcome.changed("revoked: they can no longer open the organization's vault", {"status": "revoked"})


def _gone(bw: Bitwarden, p: Params) -> bool:
    return _member(bw, p) is None


def _remove(bw: Bitwarden, p: Params, look_first: bool = True) -> Outcome:
    if look_first and _gone(bw, p):
        return Outcome.ok("no longer a member of the organization", {"member": False})
    try:
        bw.api.write("DELETE", f"/public/members/{p['member']}", f"remove {p['label']} from the organization")
    except NotFoundError:
        return Outcome.ok("no longer a member of the organization", {"member": False})
    return Outcome.changed("removed from the organization (this cannot be undone)", {"member": False})


def _revoke_by_hand(bw: Bitwarden, p: Params) -> Outcome:
    if revoked(bw, p):
        return Outcome.ok("revoked (or removed) in the Admin Console", {"status": "revoked"})
    return Outcome.manual(f"waiting for an admin to revoke {p['label']} at {bw.console().members}")


def _out_of_groups(bw: Bitwarden, p: Params) -> bool:
    return not observe.group_ids(bw.api, p["member"])


def _leave_groups(bw: Bitwarden, p: Params) -> Outcome:
    now = observe.group_ids(bw.api, p["member"])
    if now is None:
        return Outcome.ok("no longer a member of the organization", {"in_groups": 0})
    if not now:
        return Outcome.ok("in no group", {"in_groups": 0})
    try:  # the list is replaced: an empty one leaves every group, also one joined since the plan
        bw.api.write("PUT", f"/public/members/{p['member']}/group-ids", f"take {p['label']} out of their groups",
                     {"groupIds": []})
    except NotFoundError:
        return Outcome.ok("no longer a member of the organization", {"in_groups": 0})
    since = len(set(now) - set(p["groups"]))
    extra = f", {since} of them joined since the plan" if since else ""
    return Outcome.changed(f"removed from {len(now)} group{'s' if len(now) != 1 else ''}{extra}", {"in_groups": 0})


def _rotate(bw: Bitwarden, p: Params) -> Outcome:
    return Outcome.manual("waiting for someone to rotate the credentials and confirm it with the list of the "
                          "rotated logins")


KINDS: dict[str, Kind[Bitwarden]] = {
    # A revoke or removal planned moments ago goes without a re-read: Bitwarden's answer ("Already revoked.",
    # 404) says when it is done already.
    "revoke": Kind(revoked, _revoke, lambda bw, p: _revoke(bw, p, look_first=False)),
    "remove": Kind(_gone, _remove, lambda bw, p: _remove(bw, p, look_first=False)),
    "revoke-manual": Kind(revoked, _revoke_by_hand),
    "groups": Kind(_out_of_groups, _leave_groups),
    "rotate": Kind(lambda bw, p: None, _rotate),
    "restore": Kind(restore.active, restore.restore),
    "restore-manual": Kind(restore.active, restore.restore_by_hand),
    "groups-rejoin": Kind(restore.in_groups, restore.rejoin_groups),
}


TABLE = KindTable("Bitwarden", KINDS)  # the connector's apply, apply_planned and check
