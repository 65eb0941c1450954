"""What a playbook's discord step asks for, and the actions it makes of what discovery saw.

An expulsion bans (or, with ``ban: false``, kicks): one request that ends access at once. Discord
removes a banned or kicked member from the server, and every role goes with them, so there are no
separate role removals: sent before the ban they would only delay it, sent after it they would find
the roles gone ("ok"), and an "ok" action is not what a reinstatement is handed. The roles are
therefore recorded where they are sure to be kept: in the ban's (or kick's) own before-state,
observed at discovery, which the journal and the signed report store; the reinstatement gives them
back from there once the person has rejoined.

A suspension (``ban: false, kick: false``) keeps the member in the server: one action per role, so
that a role above the bot fails alone with the fix while the others go, and a role deleted before
the reinstatement is the only thing lost; optionally a timeout (at most 28 days) and a role for
suspended members. All of them are ``cut``: each ends some access, none waits for another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from offboard.spi import Account, Action, FatalError, Phase

from .guild import EVERY_PERMISSION, NAME, Server, long_enough

EXPELLED = "offboard: expelled by the coordinating committee"
SUSPENDED = "offboard: suspended by the coordinating committee"
REINSTATED = "offboard: reinstated by the coordinating committee"
MAX_TIMEOUT_DAYS = 28
DEFAULTS: dict[str, Any] = {"ban": True, "kick": True, "timeout_days": 0, "suspended_role": "", "reason": ""}
ROLES_FIX = "in Server Settings > Roles, drag the bot's role above"


@dataclass(frozen=True)
class Options:
    ban: bool = True
    kick: bool = True
    timeout_days: int = 0
    suspended_role: str = ""
    reason: str = ""

    @property
    def removes(self) -> str | None:
        """"ban", "kick", or None when the member stays in the server (a suspension)."""
        return "ban" if self.ban else "kick" if self.kick else None

    def audit_reason(self) -> str:
        return self.reason or (EXPELLED if self.removes else SUSPENDED)


def options(given: Mapping[str, Any] | None) -> Options:
    """The step's options, checked; a mistake is refused with the fix, before anything is read."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise FatalError(f"the playbook's discord step has unknown option(s) {', '.join(unknown)} "
                         f"(known: {', '.join(DEFAULTS)}): fix the playbook")
    wrong = [k for k in ("ban", "kick") if not isinstance(given.get(k, True), bool)]
    days = given.get("timeout_days", 0)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_TIMEOUT_DAYS:
        wrong.append(f"timeout_days (a whole number of days from 0 to {MAX_TIMEOUT_DAYS}: Discord's longest timeout)")
    role = str(given.get("suspended_role", "") or "").strip()
    if role and not role.isdigit():
        wrong.append("suspended_role (a role id: Server Settings > Roles, right-click the role > Copy Role ID)")
    if not isinstance(given.get("reason", ""), str):
        wrong.append("reason (a sentence for the server's audit log)")
    if wrong:
        raise FatalError(f"the playbook's discord option(s) {'; '.join(wrong)} are wrong: fix the playbook")
    chosen = Options(given.get("ban", True), given.get("kick", True), days, role, given.get("reason", ""))
    if chosen.removes and (days or role):
        raise FatalError("the playbook's discord options timeout_days and suspended_role are for a member who stays "
                         "in the server: set ban: false and kick: false too, or remove them")
    return chosen


@dataclass(frozen=True)
class Seen:
    """What discovery read: the server, the member (None: not in it), and the bot's place in the hierarchy."""

    server: Server
    member: Mapping[str, Any] | None
    bot_top: int


def role_record(server: Server, rid: str) -> dict[str, Any]:
    return {"id": rid, "name": server.role_name(rid), "position": server.position(rid)}


def plan(account: Account, seen: Seen, chosen: Options) -> list[Action]:
    """Every change for the member; empty when they are not in the server (banned, kicked or gone)."""
    if seen.member is None:
        return []
    server, uid = seen.server, account.id
    held = [str(r) for r in seen.member.get("roles") or [] if str(r) in server.roles and not server.managed(str(r))]
    roles = [role_record(server, r) for r in sorted(held, key=server.position, reverse=True)]
    base = {"user": uid, "label": account.label, "reason": chosen.audit_reason()}
    if chosen.removes:
        return [_removal(account, seen, chosen.removes, roles, base)]
    actions = [_take_role(account, seen, role, base) for role in roles if role["id"] != chosen.suspended_role]
    if chosen.timeout_days and not long_enough(seen.member, chosen.timeout_days):
        actions.append(_timeout(account, seen, chosen.timeout_days, base))
    if chosen.suspended_role:
        if chosen.suspended_role not in server.roles:
            raise FatalError(f"the playbook's discord option suspended_role is {chosen.suspended_role}, which is no role "
                             f"of the server {server.name}: copy the role's id (Server Settings > Roles, right-click > "
                             "Copy Role ID) into the playbook")
        if chosen.suspended_role not in held:
            actions.append(_suspended_role(account, seen, role_record(server, chosen.suspended_role), base))
    return actions


def _action(account: Account, id: str, kind: str, summary: str, before: Any, after: Any, params: dict[str, Any],
            attention: str = "", phase: Phase = Phase.CUT, reversible: bool = True) -> Action:
    if attention:
        summary, params = f"{summary}. Discord will refuse: {attention}", {**params, "attention": True}
    return Action(id=id, connector=NAME, kind=kind, summary=summary, phase=phase, reversible=reversible, before=before,
                  after=after, account=account, params=params)


def _names(roles: list[dict[str, Any]]) -> str:
    return ", ".join(r["name"] for r in roles)


def _removal(account: Account, seen: Seen, kind: str, roles: list[dict[str, Any]], base: dict[str, Any]) -> Action:
    server, member = seen.server, seen.member or {}
    held = [r["id"] for r in roles]
    attention = ""
    if account.id == server.owner_id:
        attention = ("they own the server; they must first transfer ownership (Server Settings > Members, "
                     "the member's menu > Transfer Ownership)")
    elif server.top(member.get("roles") or []) >= seen.bot_top:
        attention = f"their highest role {server.top_role(held)} is not below the bot's: {ROLES_FIX} it first"
    taken = f"their roles ({_names(roles)}) go with it and are recorded for a reinstatement" if roles else \
        "they have no role"
    summary = (f"Ban {account.label} from the Discord server {server.name}: they leave it at once and cannot join "
               f"again; {taken}") if kind == "ban" else \
        (f"Remove (kick) {account.label} from the Discord server {server.name}: they leave it at once, though an "
         f"invite link would let them join again; {taken}")
    before = {"member": True, "banned": False, "roles": roles, "nick": member.get("nick"),
              "communication_disabled_until": member.get("communication_disabled_until")}
    after = {"member": False, "banned": kind == "ban"}
    return _action(account, f"{NAME}:{kind}", kind, summary, before, after, dict(base), attention)


def ban_outsider(account: Account, server: Server, chosen: Options) -> Action:
    """The ban of someone who is not in the server (they left before the expulsion, or never joined): without it, any
    invite link lets them in. Nothing else was theirs here, so a reinstatement only lifts the ban."""
    summary = (f"Ban {account.label} from the Discord server {server.name}: they are not in it now, and the ban keeps "
               "them from joining again with an invite link")
    params = {"user": account.id, "label": account.label, "reason": chosen.audit_reason(), "member": False}
    return _action(account, f"{NAME}:ban", "ban", summary, {"member": False, "banned": False, "roles": []},
                   {"member": False, "banned": True}, params)


def _take_role(account: Account, seen: Seen, role: dict[str, Any], base: dict[str, Any]) -> Action:
    attention = f"the role is not below the bot's highest role: {ROLES_FIX} it first" \
        if role["position"] >= seen.bot_top else ""
    return _action(account, f"{NAME}:role:{role['id']}", "role",
                   f"Take the role {role['name']} from {account.label} in the Discord server {seen.server.name}",
                   {"role": role, "has": True}, {"role": role, "has": False},
                   {**base, "role": role["id"], "name": role["name"]}, attention)


def _timeout(account: Account, seen: Seen, days: int, base: dict[str, Any]) -> Action:
    member, server = seen.member or {}, seen.server
    attention = ""
    if server.permissions(account.id, member.get("roles") or []) == EVERY_PERMISSION:
        attention = "Discord never times out the server's owner or an administrator"
    elif server.top(member.get("roles") or []) >= seen.bot_top:
        attention = f"their highest role is not below the bot's: {ROLES_FIX} it first"
    period = f"{days} day" if days == 1 else f"{days} days"
    return _action(account, f"{NAME}:timeout", "timeout",
                   f"Time out {account.label} in the Discord server {server.name} for {period}: they can still read, "
                   "but not write, react or speak",
                   {"communication_disabled_until": member.get("communication_disabled_until")},
                   {"timed_out_days": days}, {**base, "days": days}, attention)


def _suspended_role(account: Account, seen: Seen, role: dict[str, Any], base: dict[str, Any]) -> Action:
    attention = f"the role is not below the bot's highest role: {ROLES_FIX} it first" \
        if role["position"] >= seen.bot_top else ""
    return _action(account, f"{NAME}:suspended-role:{role['id']}", "suspended-role",
                   f"Give {account.label} the role {role['name']} (for suspended members) in the Discord server "
                   f"{seen.server.name}", {"role": role, "has": False}, {"role": role, "has": True},
                   {**base, "role": role["id"], "name": role["name"]}, attention)
