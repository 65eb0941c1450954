"""The restore plan: from what a suspension or expulsion applied, what puts the member back (read-only).

A suspension kept the member in the server: their roles come back (each recorded role that still
exists; one deleted meanwhile is ``lost``), the timeout is lifted (or the one that ran before is
put back), the suspended role is taken away.

An expulsion removed them from the server, and Discord lets no bot put a person back: adding a
member needs that person's own OAuth2 token (Add Guild Member, scope ``guilds.join``). So the plan
unbans them, then holds a manual step, "send them an invite link", which closes by itself once they
are in the server again (``check``), and gives back the roles recorded in the ban's before-state. The
role actions depend on that step: the engine holds them, never sending them, until it closes.

It re-observes first, so what is back already is left out, and access gained meanwhile is never
touched: only the recorded roles are looked at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from offboard.spi import Account, Action, ManualStep, NotRestorable, Phase, Restoration

from . import guild
from .api import DiscordApi
from .guild import NAME, Server
from .plan import REINSTATED

UNBAN, REJOIN = f"{NAME}:restore:unban", f"{NAME}:restore:rejoin"
REMOVALS = ("ban", "kick")


def restoration(api: DiscordApi, server: Server, account: Account, applied: Sequence[Action]) -> Restoration:
    """Re-observe the member, then one action per applied change that can come back and is not back yet."""
    uid, result = account.id, Restoration()
    found = guild.member(api, uid)
    is_banned = guild.ban(api, uid) is not None
    base = {"user": uid, "label": account.label, "reason": REINSTATED}
    held = [str(r) for r in (found or {}).get("roles") or []]
    roles: dict[str, tuple[str, Mapping[str, Any]]] = {}  # role id -> (the applied action's id, the role recorded)
    owners: list[str] = []  # applied ids something may be proposed for
    pending: set[str] = set()
    waiting: list[tuple[str, Action]] = []  # (applied id, action) that need the member in the server
    removals: list[str] = []  # the applied ban or kick: the membership itself comes back
    for action in (a for a in applied if a.connector == NAME):
        before = action.before or {}
        owners.append(action.id)
        if action.kind in REMOVALS:
            was_member = before.get("member") is not False  # False: banned from outside the server, nothing else
            if was_member:
                removals.append(action.id)
            for role in before.get("roles") or []:
                roles.setdefault(str(role["id"]), (action.id, role))
            if action.kind == "ban" and is_banned:
                result.actions.append(_action(account, UNBAN, "unban", f"Unban {account.label} from the Discord server "
                                              f"{server.name}", Phase.CUT, {"banned": True}, {"banned": False}, base))
                pending.add(action.id)
            if found is None and was_member:
                pending.add(action.id)
            if before.get("nick"):
                result.lost.append(NotRestorable(action.id, f"their server nickname {before['nick']!r} is not set again: "
                                                            "they can set it themselves once back"))
        elif action.kind == "role":
            roles[str(action.params["role"])] = (action.id, before.get("role") or {"name": action.params["name"]})
        elif action.kind == "timeout":
            until = before.get("communication_disabled_until")
            wanted = until if guild.timeout_end({"communication_disabled_until": until}) else None
            lift = _action(account, f"{NAME}:restore:timeout", "timeout-lift",
                           f"Lift the timeout of {account.label} in the Discord server {server.name}", Phase.CUT,
                           {"timed_out": True}, {"communication_disabled_until": wanted}, {**base, "until": wanted})
            if found is None or not guild.timeout_matches(found, wanted):
                waiting.append((action.id, lift))
        elif action.kind == "suspended-role":
            rid = str(action.params["role"])
            if found is not None and rid in held:
                result.actions.append(_action(
                    account, f"{NAME}:restore:suspended-role:{rid}", "suspended-role-off",
                    f"Take the role {action.params['name']} (for suspended members) from {account.label} in the Discord "
                    f"server {server.name}", Phase.CUT, {"has": True}, {"has": False},
                    {**base, "role": rid, "name": action.params["name"]}))
                pending.add(action.id)
        else:
            owners.remove(action.id)
            result.lost.append(NotRestorable(action.id, f"offboard cannot undo a Discord action of kind {action.kind!r}"))
    for rid, (applied_id, role) in roles.items():
        name = str(role.get("name") or rid)
        if rid not in server.roles:
            result.lost.append(NotRestorable(applied_id, f"the role {name} was deleted meanwhile: it cannot be given back"))
        elif rid not in held:
            waiting.append((applied_id, _action(
                account, f"{NAME}:restore:role:{rid}", "role-back",
                f"Give {account.label} the role {name} again in the Discord server {server.name}", Phase.CLEAN,
                {"has": False}, {"has": True}, {**base, "role": rid, "name": name})))
    banned_by_others = is_banned and not any(a.id == UNBAN for a in result.actions)
    _needs_member(server, account, found, removals, banned_by_others, waiting, pending, result)
    lost = {item.action_id for item in result.lost}
    result.already += [a for a in owners if a not in pending and a not in lost]
    return result


def _needs_member(server: Server, account: Account, found: Mapping[str, Any] | None, removals: list[str],
                  banned_by_others: bool, waiting: list[tuple[str, Action]], pending: set[str],
                  result: Restoration) -> None:
    """What needs the member in the server: at once when they are; when they are not, after the person's own
    step (the engine holds it until the step closes); lost when someone else banned them meanwhile."""
    if found is not None:
        result.actions += [action for _, action in waiting]
    elif banned_by_others:
        ids = dict.fromkeys([*removals, *(applied_id for applied_id, _ in waiting)])
        result.lost += [NotRestorable(applied_id, f"{account.label} was banned from the server meanwhile, not by "
                                                  "offboard: unban them in Server Settings > Bans first if that is "
                                                  "meant, then plan the reinstatement again") for applied_id in ids]
        return
    elif waiting or removals:
        unban = tuple(a.id for a in result.actions if a.id == UNBAN)
        roles = [str(a.params["name"]) for _, a in waiting if a.kind == "role-back"]
        result.actions.append(_rejoin(server, account, roles, unban))
        result.actions += [replace(action, depends_on=(REJOIN,)) for _, action in waiting]
    pending.update(applied_id for applied_id, _ in waiting)


def _rejoin(server: Server, account: Account, roles: list[str], after: tuple[str, ...]) -> Action:
    link = f"https://discord.com/channels/{server.id}"
    then = f" and then gives back their roles ({', '.join(roles)})" if roles else ""
    instructions = (
        f"Discord lets no bot add a person to a server: only they can join, with an invite. In Discord, open the server "
        f"{server.name}, click its name and choose Invite People, set the link to expire after 7 days and 1 use, copy "
        f"it and send it to {account.label} (by email or a direct message). Nothing else is needed: offboard sees them "
        f"in the server and closes this step when the run is resumed or its status is asked{then}."
    )
    return replace(_action(account, REJOIN, "rejoin",
                           f"Send {account.label} an invite link to join the Discord server {server.name} again (no bot "
                           "can add a person back)", Phase.MANUAL, {"member": False}, {"member": True},
                           {"user": account.id, "label": account.label, "reason": REINSTATED},
                           ManualStep(f"Invite {account.label} back to the Discord server {server.name}", instructions,
                                      links=(link,), self_closing=True)),
                   depends_on=after)


def _action(account: Account, id: str, kind: str, summary: str, phase: Phase, before: Any, after: Any,
            params: Mapping[str, Any], manual: ManualStep | None = None) -> Action:
    return Action(id=id, connector=NAME, kind=kind, summary=summary, phase=phase, reversible=True, before=before,
                  after=after, account=account, params=dict(params), manual=manual)
