"""What each kind of action observes and does, for a removal and for its restore.

Each act looks first (``look_first``), so that a second apply is ``ok`` and sends nothing; the
``apply_planned`` variant skips that look where the write is idempotent and Discord's answer tells
"already so" apart (a kick answering 10007 Unknown Member is ``ok``). Every change carries the
audit-log reason in ``params["reason"]``. Drift found at apply time (a role deleted meanwhile) is an
outcome with the reason, never an error; Discord's refusals are errors with the fix (``errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.spi import Outcome, State

from . import guild
from .api import DiscordApi
from .errors import UNKNOWN_BAN, UNKNOWN_MEMBER, UNKNOWN_ROLE, DiscordNotFound

Params = Mapping[str, Any]


def _member(api: DiscordApi, p: Params) -> dict[str, Any] | None:
    return guild.member(api, p["user"])


def _has(api: DiscordApi, p: Params) -> bool | None:
    """Does the member have ``p["role"]``? None when they are not in the server."""
    found = _member(api, p)
    return None if found is None else p["role"] in [str(r) for r in found.get("roles") or []]


def _not_in_server(p: Params) -> Outcome:
    return Outcome.ok(f"{p['label']} is not in the server", {"member": False})


def _role_path(api: DiscordApi, p: Params) -> str:
    return f"{api.guild}/members/{p['user']}/roles/{p['role']}"


# ---------------------------------------------------------------- ban and kick


def banned(api: DiscordApi, p: Params) -> bool:
    return guild.ban(api, p["user"]) is not None


def ban(api: DiscordApi, p: Params, look_first: bool = True) -> Outcome:
    """PUT a ban (messages kept: they are the record); banning again is harmless, so no look is needed."""
    if look_first and banned(api, p):
        return Outcome.ok("already banned from the server", {"member": False, "banned": True})
    api.call("PUT", f"{api.guild}/bans/{p['user']}", f"ban {p['label']}", body={"delete_message_seconds": 0},
             reason=p["reason"], permission="Ban Members")
    done = "Discord removed them from the server, with every role" if p.get("member", True) else \
        "they cannot join the server again"
    return Outcome.changed(f"banned: {done}", {"member": False, "banned": True})


def gone(api: DiscordApi, p: Params) -> bool:
    return _member(api, p) is None


def kick(api: DiscordApi, p: Params, look_first: bool = True) -> Outcome:
    if look_first and gone(api, p):
        return _not_in_server(p)
    try:
        api.call("DELETE", f"{api.guild}/members/{p['user']}", f"remove {p['label']} from the server",
                 reason=p["reason"], permission="Kick Members")
    except DiscordNotFound as exc:
        if exc.code == UNKNOWN_MEMBER:
            return _not_in_server(p)
        raise
    return Outcome.changed("removed from the server (kicked), with every role", {"member": False})


# ---------------------------------------------------------------- roles (a suspension's, and the suspended role)


def role_gone(api: DiscordApi, p: Params) -> bool:
    return _has(api, p) is not True


def take_role(api: DiscordApi, p: Params, look_first: bool = True) -> Outcome:
    role = f"the role {p['name']}"
    if look_first and (has := _has(api, p)) is not True:
        return _not_in_server(p) if has is None else Outcome.ok(f"does not have {role}", {"has": False})
    try:
        api.call("DELETE", _role_path(api, p), f"take {role} from {p['label']}", reason=p["reason"],
                 permission="Manage Roles")
    except DiscordNotFound as exc:
        if exc.code == UNKNOWN_MEMBER:
            return _not_in_server(p)
        if exc.code == UNKNOWN_ROLE:
            return Outcome.ok(f"{role} no longer exists", {"has": False})
        raise
    return Outcome.changed(f"took {role}", {"has": False})


def has_role(api: DiscordApi, p: Params) -> bool:
    """For giving a role: a member who has it; one not in the server does not (the role waits for them)."""
    return _has(api, p) is True


def holds_suspended_role(api: DiscordApi, p: Params) -> bool:
    """The suspended role is in place, or moot: a member no longer in the server has no access to restrict."""
    return _has(api, p) is not False


def give_role(api: DiscordApi, p: Params, look_first: bool = True, back: bool = True) -> Outcome:
    """A role back (or the suspended role): only to a member; a role deleted meanwhile is skipped with why.

    ``back``: a role given back waits for a member not in the server (yet); the suspended role is moot for someone
    who left the server (``ok``, as ``holds_suspended_role`` sees it), never a failure of the suspension."""
    role = f"the role {p['name']}"

    def absent() -> Outcome:
        return _not_back_yet(p, role) if back else _not_in_server(p)

    if look_first and (has := _has(api, p)) is not False:
        return absent() if has is None else Outcome.ok(f"already has {role}", {"has": True})
    try:
        api.call("PUT", _role_path(api, p), f"give {role} to {p['label']}", reason=p["reason"], permission="Manage Roles")
    except DiscordNotFound as exc:
        if exc.code == UNKNOWN_MEMBER:
            return absent()
        if exc.code == UNKNOWN_ROLE:
            return Outcome.skipped(f"{role} was deleted meanwhile: it cannot be given")
        raise
    return Outcome.changed(f"gave {role}", {"has": True})


def give_suspended_role(api: DiscordApi, p: Params, look_first: bool = True) -> Outcome:
    return give_role(api, p, look_first, back=False)


def _not_back_yet(p: Params, role: str) -> Outcome:
    return Outcome(State.FAILED, f"{p['label']} is not in the server (yet): {role} can be given once they have joined "
                                 "it again; apply again then", {"member": False})


# ---------------------------------------------------------------- timeouts


def timed_out(api: DiscordApi, p: Params) -> bool:
    """Timed out for about the days asked (or longer); a member no longer in the server cannot write there either."""
    found = _member(api, p)
    return found is None or guild.long_enough(found, int(p["days"]))


def time_out(api: DiscordApi, p: Params, look_first: bool = True) -> Outcome:
    if look_first:
        found = _member(api, p)
        if found is None:
            return _not_in_server(p)
        if guild.long_enough(found, int(p["days"])):
            end = guild.timeout_end(found)
            return Outcome.ok(f"already timed out until {end:%Y-%m-%d %H:%M} UTC" if end else "already timed out",
                              {"communication_disabled_until": found.get("communication_disabled_until")})
    until = guild.iso(guild.wanted_end(int(p["days"])))
    try:
        api.call("PATCH", f"{api.guild}/members/{p['user']}", f"time out {p['label']}",
                 body={"communication_disabled_until": until}, reason=p["reason"], permission="Timeout Members")
    except DiscordNotFound as exc:
        if exc.code == UNKNOWN_MEMBER:
            return _not_in_server(p)
        raise
    return Outcome.changed(f"timed out until {until[:16].replace('T', ' ')} UTC", {"communication_disabled_until": until})


def timeout_back(api: DiscordApi, p: Params) -> bool | None:
    """The timeout is as before the suspension: none, or the one that was running then (``p["until"]``)."""
    found = _member(api, p)
    return None if found is None else guild.timeout_matches(found, p.get("until"))


def lift_timeout(api: DiscordApi, p: Params) -> Outcome:
    found = _member(api, p)
    if found is None:
        return Outcome(State.FAILED, f"{p['label']} is not in the server (yet): the timeout can be lifted once they have "
                                     "joined it again; apply again then", {"member": False})
    if timeout_back(api, p):
        return Outcome.ok("the timeout is already as before the suspension",
                          {"communication_disabled_until": found.get("communication_disabled_until")})
    api.call("PATCH", f"{api.guild}/members/{p['user']}", f"lift the timeout of {p['label']}",
             body={"communication_disabled_until": p.get("until")}, reason=p["reason"], permission="Timeout Members")
    return Outcome.changed("the timeout is lifted" if p.get("until") is None else
                           "the timeout that ran before the suspension is back", {"communication_disabled_until": p.get("until")})


# ---------------------------------------------------------------- reinstatement after a ban or kick


def unbanned(api: DiscordApi, p: Params) -> bool:
    return not banned(api, p)


def unban(api: DiscordApi, p: Params, look_first: bool = True) -> Outcome:
    if look_first and not banned(api, p):
        return Outcome.ok("not banned", {"banned": False})
    try:
        api.call("DELETE", f"{api.guild}/bans/{p['user']}", f"unban {p['label']}", reason=p["reason"],
                 permission="Ban Members")
    except DiscordNotFound as exc:
        if exc.code == UNKNOWN_BAN:
            return Outcome.ok("not banned", {"banned": False})
        raise
    return Outcome.changed("unbanned: they can join the server again with an invite link", {"banned": False})


def rejoined(api: DiscordApi, p: Params) -> bool:
    return _member(api, p) is not None


def rejoin(api: DiscordApi, p: Params) -> Outcome:
    """The person's own step (no bot can add them back): closed by itself once they are in the server."""
    if rejoined(api, p):
        return Outcome.ok(f"{p['label']} is in the server again", {"member": True})
    if banned(api, p):
        return Outcome.manual(f"{p['label']} is still banned: the unban must be applied before they can join again")
    return Outcome.manual(f"waiting for {p['label']} to join the server again with an invite link")
