"""The plan for one Slack user, as data: one Action per change, so the engine can run them at once.

Ordering, and why there are no kicks when SCIM deactivates: Slack removes a deactivated
member from every channel (including private ones the admin's token cannot see) and does
not put them back on reactivation. With SCIM the deactivation is therefore the cut, and
the channels are recorded in its before-state for reinstatement instead of being kicked:
a kick after it would find the member gone, a kick before it would only delay the cut.
Without SCIM a person deactivates in the admin page, possibly hours later, so the
private-channel kicks run at once (phase ``clean``) and do not wait for that step.
User groups are not documented to be emptied by deactivation: they are always cleaned.
"""

from __future__ import annotations

from typing import Any

from offboard.spi import Account, Action, ManualStep, Phase

NAME = "slack"

DEACTIVATE = "slack:deactivate"
SESSION_RESET = "slack:session-reset"


def session_reset(account: Account, before: dict[str, Any]) -> Action:
    return Action(
        id=SESSION_RESET,
        connector=NAME,
        kind="session-reset",
        summary=f"Sign {account.label} out of Slack on every device (admin.users.session.reset)",
        phase=Phase.CUT,
        reversible=False,
        before={"deleted": before["deleted"]},
        after={"sessions": "ended"},
        account=account,
        params={"user": account.id},
    )


def _reach(before: dict[str, Any]) -> str:
    """What deactivation ends, for the sentence people read in the preview."""
    private, public = len(before["private_channels"]), len(before["public_channels"])
    return f"it also ends their membership of {private} private and {public} public channels"


def deactivate(account: Account, before: dict[str, Any]) -> Action:
    return Action(
        id=DEACTIVATE,
        connector=NAME,
        kind="deactivate",
        summary=f"Deactivate the Slack account of {account.label} through SCIM; {_reach(before)}",
        phase=Phase.CUT,
        reversible=True,
        before=before,
        after={"deleted": True},
        account=account,
        params={"user": account.id},
    )


def deactivate_by_hand(account: Account, before: dict[str, Any], admin_url: str) -> Action:
    """Free and Pro (or SCIM turned off): only a person can deactivate, in the admin page."""
    instructions = (
        f"Open {admin_url} (Manage members), find {account.label}, click the three dots next to them and "
        "choose Deactivate account. Nothing else is needed: offboard sees the deactivation in Slack "
        "(users.info shows the account deleted) and closes this step when the run is resumed or its status is asked."
    )
    return Action(
        id=DEACTIVATE,
        connector=NAME,
        kind="deactivate-manual",
        summary=f"Deactivate the Slack account of {account.label} in Manage members (no API for it on this plan); "
                f"{_reach(before)}",
        phase=Phase.MANUAL,
        reversible=True,
        before=before,
        after={"deleted": True},
        account=account,
        params={"user": account.id},
        manual=ManualStep(f"Deactivate {account.label} in Slack", instructions, links=(admin_url,), self_closing=True),
    )


def kick(account: Account, channel: dict[str, str]) -> Action:
    return Action(
        id=f"slack:channel:{channel['id']}",
        connector=NAME,
        kind="channel-kick",
        summary=f"Remove {account.label} from private channel #{channel['name']}",
        phase=Phase.CLEAN,
        reversible=True,
        before={"channel": channel, "member": True},
        after={"channel": channel, "member": False},
        account=account,
        params={"user": account.id, "channel": channel["id"], "name": channel["name"]},
    )


def leave_usergroup(account: Account, group: dict[str, Any]) -> Action:
    """Remove from a user group; a group left with nobody is disabled (Slack refuses an empty list)."""
    sole = group["sole_member"]
    verb = "Disable user group" if sole else "Remove from user group"
    count = group["user_count"]
    members = f"{count} member" if count == 1 else f"{count} members"
    return Action(
        id=f"slack:usergroup:{group['id']}",
        connector=NAME,
        kind="usergroup",
        summary=f"{verb} @{group['handle']} ({group['name']}, {members}): {account.label}",
        phase=Phase.CLEAN,
        reversible=True,
        before={"usergroup": group, "member": True, "disabled": False},
        # Disabling keeps the member listed in a group that no longer grants anything.
        after={"member": True, "disabled": True} if sole else {"member": False, "disabled": False},
        account=account,
        params={"user": account.id, "usergroup": group["id"], "handle": group["handle"]},
    )
