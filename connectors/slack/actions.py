"""Slack's actions: how a plan is built, and the one table of what each kind observes and does.

Ordering, and why there are no kicks when SCIM deactivates: Slack removes a deactivated
member from every channel (including private ones the admin's token cannot see) and does
not put them back on reactivation. With SCIM the deactivation is therefore the cut, and
the channels are recorded in its before-state for reinstatement instead of being kicked:
a kick after it would find the member gone, a kick before it would only delay the cut.
Without SCIM a person deactivates in the admin page, possibly hours later, so the
private-channel kicks run at once (phase ``clean``) and do not wait for that step.
User groups are not documented to be emptied by deactivation: they are always cleaned.

``KINDS`` is the table the connector delegates to: a new kind of action is one builder
and one row, never a branch in ``connector.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from offboard.spi import Account, Action, ManualStep, NotFoundError, Outcome, Phase, State
from offboard.spi.kinds import Kind, KindTable

from . import observe, restore_acts
from .api import SlackApi
from .errors import PlanLimitError, RefusedError
from .restore_acts import in_channel  # one look at a membership, for kicks and invitations alike

NAME = "slack"

DEACTIVATE = "slack:deactivate"
SESSION_RESET = "slack:session-reset"

Params = Mapping[str, Any]


class Slack(Protocol):
    """What observing and acting need from the connector: the API, and the workspace (auth.test, read once)."""

    api: SlackApi

    def team(self) -> observe.Team: ...


# ---------------------------------------------------------------- the plan


def plan(account: Account, reach: observe.Reach, scim: bool) -> list[Action]:
    """Every change for one user, from what discovery saw; empty when nothing is left to do."""
    before = reach.before()
    planned: list[Action] = []
    if not reach.deleted:
        if reach.team.enterprise_id:
            planned.append(session_reset(account, before))
        if scim:
            planned.append(deactivate(account, before))
        else:
            planned.append(deactivate_by_hand(account, before, reach.team.admin_url))
    # User groups first: each takes two calls (the member list, then the update), and the
    # engine starts a phase's ready actions in plan order, so they do not end the run alone.
    planned += [leave_usergroup(account, group) for group in reach.usergroups or ()]
    if not scim or reach.deleted:
        planned += [kick(account, channel) for channel in reach.private]
    return planned


def _action(account: Account, id: str, kind: str, summary: str, phase: Phase, before: Any, after: Any,
            params: dict[str, Any] | None = None, reversible: bool = True, manual: ManualStep | None = None) -> Action:
    return Action(id=id, connector=NAME, kind=kind, summary=summary, phase=phase, reversible=reversible, before=before,
                  after=after, account=account, params=params or {"user": account.id}, manual=manual)


def session_reset(account: Account, before: dict[str, Any]) -> Action:
    return _action(account, SESSION_RESET, "session-reset",
                   f"Sign {account.label} out of Slack on every device (admin.users.session.reset)",
                   Phase.CUT, {"deleted": before["deleted"]}, {"sessions": "ended"}, reversible=False)


def _reach(before: dict[str, Any]) -> str:
    """What deactivation ends, for the sentence people read in the preview."""
    private, public = len(before["private_channels"]), len(before["public_channels"])
    return f"it also ends their membership of {private} private and {public} public channels"


def deactivate(account: Account, before: dict[str, Any]) -> Action:
    return _action(account, DEACTIVATE, "deactivate",
                   f"Deactivate the Slack account of {account.label} through SCIM; {_reach(before)}",
                   Phase.CUT, before, {"deleted": True})


def deactivate_by_hand(account: Account, before: dict[str, Any], admin_url: str) -> Action:
    """Free and Pro (or SCIM turned off): only a person can deactivate, in the admin page."""
    instructions = (
        f"Open {admin_url} (Manage members), find {account.label}, click the three dots next to them and "
        "choose Deactivate account. Nothing else is needed: offboard sees the deactivation in Slack "
        "(users.info shows the account deleted) and closes this step when the run is resumed or its status is asked."
    )
    return _action(account, DEACTIVATE, "deactivate-manual",
                   f"Deactivate the Slack account of {account.label} in Manage members (no API for it on this plan); "
                   f"{_reach(before)}",
                   Phase.MANUAL, before, {"deleted": True},
                   manual=ManualStep(f"Deactivate {account.label} in Slack", instructions, links=(admin_url,),
                                     self_closing=True))


def kick(account: Account, channel: dict[str, str]) -> Action:
    return _action(account, f"slack:channel:{channel['id']}", "channel-kick",
                   f"Remove {account.label} from private channel #{channel['name']}", Phase.CLEAN,
                   {"channel": channel, "member": True}, {"channel": channel, "member": False},
                   {"user": account.id, "channel": channel["id"], "name": channel["name"]})


def leave_usergroup(account: Account, group: dict[str, Any]) -> Action:
    """Remove from a user group; a group left with nobody is disabled (Slack refuses an empty list)."""
    sole = group["sole_member"]
    verb = "Disable user group" if sole else "Remove from user group"
    count = group["user_count"]
    members = f"{count} member" if count == 1 else f"{count} members"
    return _action(account, f"slack:usergroup:{group['id']}", "usergroup",
                   f"{verb} @{group['handle']} ({group['name']}, {members}): {account.label}", Phase.CLEAN,
                   {"usergroup": group, "member": True, "disabled": False},
                   # Disabling keeps the member listed in a group that no longer grants anything.
                   {"member": True, "disabled": True} if sole else {"member": False, "disabled": False},
                   {"user": account.id, "usergroup": group["id"], "handle": group["handle"]})


# ---------------------------------------------------------------- observe and act, per kind


def _deleted(slack: Slack, p: Params) -> bool:
    return observe.is_deleted(slack.api, p["user"])


def _deactivate(slack: Slack, p: Params) -> Outcome:
    if _deleted(slack, p):
        return Outcome.ok("the Slack account is already deactivated", {"deleted": True})
    slack.api.scim_call("DELETE", f"Users/{p['user']}", "deactivate user")
    if not _deleted(slack, p):
        return Outcome(State.FAILED, "SCIM accepted the deactivation but users.info still shows the account active",
                       {"deleted": False})
    return Outcome.changed("deactivated through SCIM; Slack signed them out and removed them from every channel",
                           {"deleted": True})


def _deactivate_by_hand(slack: Slack, p: Params) -> Outcome:
    if _deleted(slack, p):
        return Outcome.ok("deactivated in Slack's admin page (users.info shows the account deleted)", {"deleted": True})
    return Outcome.manual(f"waiting for an admin to deactivate the account at {slack.team().admin_url}")


def _sessions_ended(slack: Slack, p: Params) -> bool | None:
    return True if _deleted(slack, p) else None  # sessions are not observable while the account is active


def _session_reset(slack: Slack, p: Params) -> Outcome:
    if _deleted(slack, p):
        return Outcome.ok("the account is deactivated, which ended every session")
    try:
        slack.api.call("admin.users.session.reset", user_id=p["user"])
    except PlanLimitError:
        return Outcome.skipped("admin.users.session.reset needs an Enterprise Grid plan")
    return Outcome.changed("signed out of Slack on every device")


def _kick(slack: Slack, p: Params, look_first: bool = True) -> Outcome:
    channel = f"#{p['name']}"
    try:
        if look_first and not in_channel(slack, p):
            return Outcome.ok(f"not in {channel}", {"member": False})
        slack.api.call("conversations.kick", channel=p["channel"], user=p["user"])
    except NotFoundError:
        return Outcome.ok(f"{channel} no longer exists or is no longer visible", {"member": False})
    except RefusedError as exc:
        if exc.code == "not_in_channel":  # left between the check and the kick
            return Outcome.ok(f"not in {channel}", {"member": False})
        if exc.code == "cant_kick_from_general":
            return Outcome.skipped(f"Slack lets nobody leave {channel}, the general channel; deactivation covers it")
        raise
    return Outcome.changed(f"removed from {channel}", {"member": False})


def _out_of_usergroup(slack: Slack, p: Params) -> bool:
    return p["user"] not in observe.usergroup_members(slack.api, p["usergroup"]) or \
        observe.usergroup_disabled(slack.api, p["usergroup"])


def _leave_usergroup(slack: Slack, p: Params) -> Outcome:
    group = f"@{p['handle']}"
    members = observe.usergroup_members(slack.api, p["usergroup"])
    if p["user"] not in members:
        return Outcome.ok(f"not in {group}", {"member": False})
    rest = [m for m in members if m != p["user"]]
    if rest:  # usergroups.users.update replaces the whole list: send everyone else
        slack.api.call("usergroups.users.update", usergroup=p["usergroup"], users=",".join(rest))
        return Outcome.changed(f"removed from {group}; {len(rest)} left in it", {"member": False})
    if observe.usergroup_disabled(slack.api, p["usergroup"]):
        return Outcome.ok(f"{group} is already disabled", {"member": True, "disabled": True})
    slack.api.call("usergroups.disable", usergroup=p["usergroup"])
    return Outcome.changed(f"disabled {group}: they were its only member", {"member": True, "disabled": True})


KINDS: dict[str, Kind[Slack]] = {
    "deactivate": Kind(_deleted, _deactivate),
    "deactivate-manual": Kind(_deleted, _deactivate_by_hand),
    "session-reset": Kind(_sessions_ended, _session_reset),
    # A kick planned moments ago goes without its membership re-read: Slack's own answer
    # (``not_in_channel``, ``channel_not_found``) says when it is already done.
    "channel-kick": Kind(lambda slack, p: not in_channel(slack, p), _kick,
                         lambda slack, p: _kick(slack, p, look_first=False)),
    "usergroup": Kind(_out_of_usergroup, _leave_usergroup),
    # Restore kinds (``restore_plan`` builds them): reactivation, then the channels and groups it does not bring back.
    "reactivate": Kind(restore_acts.active, restore_acts.reactivate),
    "reactivate-manual": Kind(restore_acts.active, restore_acts.reactivate_by_hand),
    "channel-invite": Kind(restore_acts.in_channel, restore_acts.invite,
                           lambda slack, p: restore_acts.invite(slack, p, look_first=False)),
    "usergroup-rejoin": Kind(restore_acts.in_usergroup, restore_acts.rejoin_usergroup),
}


TABLE = KindTable("Slack", KINDS)  # the connector's apply, apply_planned and check
