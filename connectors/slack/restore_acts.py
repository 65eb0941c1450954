"""What each restore kind observes and does: reactivate (SCIM, or a person), invite back, rejoin a user group.

These are rows of ``actions.KINDS`` like every other kind; ``restore_plan`` builds the actions.
Each act looks first, so a second apply is ``ok``, and drift found at apply time (a channel
archived, a group gone) is ``skipped`` with the reason, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offboard.spi import NotFoundError, Outcome, State

from . import observe
from .errors import RefusedError

if TYPE_CHECKING:
    from .actions import Slack

Params = Mapping[str, Any]

V1_CORE = "urn:scim:schemas:core:1.0"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def scim_activation(version: int) -> dict[str, Any]:
    """The SCIM body that sets ``active: true``: v1 takes a partial user, v2 a PatchOp."""
    if version == 1:
        return {"schemas": [V1_CORE], "active": True}
    return {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": True}]}


# ---------------------------------------------------------------- the account


def active(slack: Slack, p: Params) -> bool:
    return not observe.is_deleted(slack.api, p["user"])


def reactivate(slack: Slack, p: Params) -> Outcome:
    if active(slack, p):
        return Outcome.ok("the Slack account is already active", {"deleted": False})
    slack.api.scim_call("PATCH", f"Users/{p['user']}", "reactivate user", scim_activation(slack.api.scim_version))
    if not active(slack, p):
        return Outcome(State.FAILED, "SCIM accepted the reactivation but users.info still shows the account deactivated",
                       {"deleted": True})
    return Outcome.changed("reactivated through SCIM; Slack put them back in no channel", {"deleted": False})


def reactivate_by_hand(slack: Slack, p: Params) -> Outcome:
    if active(slack, p):
        return Outcome.ok("activated in Slack's admin page (users.info shows the account active)", {"deleted": False})
    return Outcome.manual(f"waiting for an admin to activate the account at {slack.team().admin_url}")


# ---------------------------------------------------------------- channels


def in_channel(slack: Slack, p: Params) -> bool:
    try:
        return observe.is_channel_member(slack.api, p["channel"], p["user"])
    except NotFoundError:
        return False


def invite(slack: Slack, p: Params, look_first: bool = True) -> Outcome:
    """conversations.invite as the admin (who must be in the channel); Slack's answer tells the drift apart."""
    channel = f"#{p['name']}"
    try:
        if look_first and in_channel(slack, p):
            return Outcome.ok(f"already in {channel}", {"member": True})
        slack.api.call("conversations.invite", channel=p["channel"], users=p["user"])
    except NotFoundError:
        return Outcome.skipped(f"{channel} no longer exists, or the admin's token no longer sees it: "
                               "a member of it can invite them")
    except RefusedError as exc:
        if exc.code == "already_in_channel":
            return Outcome.ok(f"already in {channel}", {"member": True})
        if exc.code == "is_archived":
            return Outcome.skipped(f"{channel} was archived during the suspension")
        if exc.code == "not_in_channel":
            return Outcome.skipped(f"the admin is no longer in {channel}, and Slack lets only its members invite: "
                                   "a member of it can invite them")
        if exc.code == "cant_invite":
            return Outcome(State.FAILED, f"Slack cannot invite them to {channel} (cant_invite): if the account is "
                           "still deactivated, activate it first, then apply this again", {"member": False})
        raise
    return Outcome.changed(f"invited back to {channel}", {"member": True})


# ---------------------------------------------------------------- user groups


def in_usergroup(slack: Slack, p: Params) -> bool:
    state = observe.usergroup_state(slack.api, p["usergroup"])
    return state is not None and p["user"] in state["users"] and not (p["enable"] and state["disabled"])


def rejoin_usergroup(slack: Slack, p: Params) -> Outcome:
    """Re-enable the group the suspension disabled, then add the member to its list as it is now (the update
    replaces the whole list, so everyone in it now is sent too)."""
    group = f"@{p['handle']}"
    state = observe.usergroup_state(slack.api, p["usergroup"])
    if state is None:
        return Outcome.skipped(f"{group} no longer exists")
    done = []
    if p["enable"] and state["disabled"]:
        slack.api.call("usergroups.enable", usergroup=p["usergroup"])
        done.append(f"re-enabled {group}")
    if p["user"] not in state["users"]:
        slack.api.call("usergroups.users.update", usergroup=p["usergroup"], users=",".join([*state["users"], p["user"]]))
        done.append(f"added back to {group}")
    observed = {"member": True, "disabled": state["disabled"] and not p["enable"]}
    if not done:
        return Outcome.ok(f"already in {group}", observed)
    return Outcome.changed("; ".join(done), observed)
