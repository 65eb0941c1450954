"""The restore plan: from what a suspension or expulsion applied, what puts the member back (read-only).

Slack keeps a deactivated member listed in their user groups but ends every channel
membership, and does not add a reactivated member back to any channel (Slack help,
"Reactivate a member's account"). So the plan reactivates the account (SCIM, or a
self-closing step in Manage members), invites the member back to every channel recorded
at suspension (the deactivation's before-state; without SCIM also the kicked ones), and
puts them back in each user group they left, re-enabling a group the suspension disabled.

It re-observes first: what is already back is left out (reactivated by hand: no
reactivation), what cannot come back is ``lost`` with the reason (a channel archived or
gone, a private channel the admin has left, a public channel the admin is not in, ended
sessions), and access gained meanwhile is never touched (nothing but the recorded
channels and groups is looked at).

An applied change that is wholly back already is named in ``already``: a user group the
member is in again (and enabled), a kicked channel they are in again, a deactivation once
the account is active and each channel it ended (not kicked too) has them again. A
deactivation maps to a reactivation and its invitations, so its id may also be in
``lost``, once per channel that cannot come back; it is ``already`` only when nothing is
proposed for it and nothing of it is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from offboard.spi import Account, Action, ManualStep, NotFoundError, NotRestorable, Phase, Restoration

from . import observe
from .actions import NAME, Slack, _action
from .errors import PlanLimitError

ACCOUNT = "slack:restore:account"
DEACTIVATIONS = ("deactivate", "deactivate-manual")


def restoration(slack: Slack, account: Account, applied: Sequence[Action], scim: bool) -> Restoration:
    """Re-observe the member, then one action per applied change that can come back and is not back yet."""
    result = Restoration()
    deleted = observe.is_deleted(slack.api, account.id)
    channels: dict[str, tuple[str, dict[str, Any]]] = {}  # channel id -> (applied action id, channel)
    groups: list[Action] = []
    owners: list[str] = []  # the applied ids that own channels: a deactivation, the kicks
    pending: set[str] = set()  # those of them something is proposed for
    for action in (a for a in applied if a.connector == NAME):
        if action.kind in DEACTIVATIONS:
            owners.append(action.id)
            before = action.before or {}
            for key, private in (("private_channels", True), ("public_channels", False)):
                for channel in before.get(key) or ():
                    channels.setdefault(channel["id"], (action.id, {**channel, "private": private}))
            if deleted:
                result.actions.append(_reactivation(slack, account, scim))
                pending.add(action.id)
        elif action.kind == "channel-kick":
            owners.append(action.id)
            channel = (action.before or {})["channel"]
            channels[channel["id"]] = (action.id, {**channel, "private": True})  # the kick names it best
        elif action.kind == "usergroup":
            groups.append(action)
        elif action.kind == "session-reset":
            result.lost.append(NotRestorable(action.id, "ended sessions cannot come back: the member signs in again"))
        else:
            result.lost.append(NotRestorable(action.id, f"offboard cannot undo a Slack action of kind {action.kind!r}"))
    after = (ACCOUNT,) if deleted and result.actions else ()
    pending |= _channels(slack, account, channels, deleted, after, result)
    lost = {item.action_id for item in result.lost}
    result.already += [a for a in owners if a not in pending and a not in lost]
    _usergroups(slack, account, groups, result)
    return result


def _reactivation(slack: Slack, account: Account, scim: bool) -> Action:
    before, after = {"deleted": True}, {"deleted": False}
    if scim:
        return _action(account, ACCOUNT, "reactivate", f"Reactivate the Slack account of {account.label} through SCIM",
                       Phase.CUT, before, after)
    admin_url = slack.team().admin_url
    instructions = (
        f"Open {admin_url} (Manage members), find {account.label} among the deactivated accounts, click the three "
        "dots next to them and choose Activate account. Nothing else is needed: offboard sees the account active "
        "in Slack (users.info) and closes this step when the run is resumed or its status is asked; the channel "
        "invitations wait for it."
    )
    return _action(account, ACCOUNT, "reactivate-manual",
                   f"Activate the Slack account of {account.label} in Manage members (no API for it on this plan)",
                   Phase.MANUAL, before, after,
                   manual=ManualStep(f"Activate {account.label} in Slack", instructions, links=(admin_url,),
                                     self_closing=True))


def _channels(slack: Slack, account: Account, recorded: dict[str, tuple[str, dict[str, Any]]], deleted: bool,
              after: tuple[str, ...], result: Restoration) -> set[str]:
    """An invitation per recorded channel the member is not in now and the admin can invite them to; the applied
    ids an invitation was proposed for."""
    invited: set[str] = set()
    if not recorded:
        return invited
    private, public = ([], []) if deleted else observe.channels(slack.api, account.id)
    now = {c["id"] for c in (*private, *public)}
    for channel_id, (applied_id, channel) in recorded.items():
        if channel_id in now:
            continue
        name = f"#{channel.get('name') or channel_id}"
        try:
            info = observe.channel_info(slack.api, channel_id)
        except NotFoundError:
            result.lost.append(NotRestorable(applied_id, (
                f"{name} is gone, or private and the admin has left it: a member of it can invite {account.label}"
                if channel["private"] else f"{name} no longer exists")))
            continue
        if info.get("is_archived"):
            result.lost.append(NotRestorable(applied_id, f"{name} was archived during the suspension"))
        elif not info.get("is_member"):
            result.lost.append(NotRestorable(applied_id, (
                f"the admin is not in {name}, and Slack lets only its members invite: {account.label} can rejoin it "
                "(a public channel)" if not info.get("is_private") else
                f"the admin is not in {name}: a member of it can invite {account.label}")))
        else:
            kind = "private" if info.get("is_private") else "public"
            action = _action(account, f"slack:restore:channel:{channel_id}", "channel-invite",
                             f"Invite {account.label} back to {kind} channel {name}", Phase.CLEAN,
                             {"channel": channel, "member": False}, {"channel": channel, "member": True},
                             {"user": account.id, "channel": channel_id, "name": channel.get("name") or channel_id})
            result.actions.append(_after(action, after))
            invited.add(applied_id)
    return invited


def _after(action: Action, ids: tuple[str, ...]) -> Action:
    return replace(action, depends_on=ids) if ids else action


def _usergroups(slack: Slack, account: Account, applied: list[Action], result: Restoration) -> None:
    """Each user group left (or disabled) by the suspension: back in its list, re-enabled if the suspension disabled it."""
    if not applied:
        return
    try:
        data = slack.api.read("usergroups.list", include_disabled=True, include_users=True).data
    except PlanLimitError:
        result.lost += [NotRestorable(a.id, "the workspace's plan no longer has user groups") for a in applied]
        return
    now = {g["id"]: g for g in data.get("usergroups") or []}
    for action in applied:
        gid, handle = action.params["usergroup"], f"@{action.params['handle']}"
        group = now.get(gid)
        if group is None:
            result.lost.append(NotRestorable(action.id, f"{handle} no longer exists"))
            continue
        disabled, member = bool(group.get("date_delete")), account.id in (group.get("users") or [])
        by_suspension = bool((action.after or {}).get("disabled"))
        if disabled and not by_suspension:
            result.lost.append(NotRestorable(action.id, f"{handle} was disabled by someone during the suspension: "
                                                        "it is left as it is"))
            continue
        if member and not disabled:
            result.already.append(action.id)
            continue
        enable = disabled and by_suspension
        verb = f"Re-enable user group {handle} ({group.get('name', '')})" if enable else \
            f"Add {account.label} back to user group {handle} ({group.get('name', '')})"
        result.actions.append(_action(account, f"slack:restore:usergroup:{gid}", "usergroup-rejoin",
                                      verb + (f" with {account.label} in it" if enable else ""), Phase.CLEAN,
                                      {"member": member, "disabled": disabled}, {"member": True, "disabled": False},
                                      {"user": account.id, "usergroup": gid, "handle": action.params["handle"],
                                       "enable": enable}))
