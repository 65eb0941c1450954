"""Read-only observations of one Slack user: who they are and what they can reach.

These are the facts that go into a plan's before-state (reinstatement needs them: Slack
does not put a reactivated member back into their channels) and that ``check`` uses to
re-observe. Nothing here writes: every request is a read, retried on its own by the engine
(``SlackApi.read``, each page of ``SlackApi.pages``). Kept apart from ``actions`` because
resolve, discover, ``check`` and the doctor all read through it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from offboard.spi import Account, FatalError, NotFoundError

from .api import SlackApi
from .errors import PlanLimitError

ROLE_FLAGS = ("is_admin", "is_owner", "is_primary_owner", "is_restricted", "is_ultra_restricted", "is_bot")


@dataclass(frozen=True)
class Team:
    """What auth.test says about the workspace behind the token."""

    url: str  # https://<workspace>.slack.com/
    enterprise_id: str  # empty unless the workspace is part of an Enterprise Grid org
    user_id: str  # the admin whose token this is

    @property
    def admin_url(self) -> str:
        return self.url.rstrip("/") + "/admin"


@dataclass(frozen=True)
class Reach:
    """What discovery sees of one user: who they are, what they are in, and the workspace around them."""

    user: dict[str, Any]
    private: list[dict[str, str]]
    public: list[dict[str, str]]
    usergroups: list[dict[str, Any]] | None  # None: the plan has no user groups (Free)
    team: Team

    @property
    def deleted(self) -> bool:
        return bool(self.user.get("deleted"))

    def before(self) -> dict[str, Any]:
        """The before-state every action of the plan records: enough to reinstate the member by hand."""
        return {
            **profile(self.user),
            "private_channels": self.private,
            "public_channels": self.public,  # not kicked: deactivation covers them, and anyone may rejoin them
            "usergroups": self.usergroups if self.usergroups is not None else "none: the plan has no user groups",
        }


def reach(api: SlackApi, user_id: str, workspace: Callable[[], Team], fanout: int) -> Reach:
    """The four reads of discovery, ``fanout`` at once (1: one after another); the first failure is raised."""
    reads: dict[str, Callable[[], Any]] = {
        "user": lambda: user(api, user_id),
        "channels": lambda: channels(api, user_id),
        "groups": lambda: usergroups(api, user_id),
        "team": workspace,
    }
    if fanout <= 1:
        seen = {name: read() for name, read in reads.items()}
    else:
        with ThreadPoolExecutor(min(fanout, len(reads)), thread_name_prefix="slack-read") as pool:
            futures = {name: pool.submit(read) for name, read in reads.items()}
        seen = {name: future.result() for name, future in futures.items()}
    private, public = seen["channels"]
    return Reach(seen["user"], private, public, seen["groups"], seen["team"])


def team(api: SlackApi) -> Team:
    data = api.read("auth.test").data
    return Team(url=data.get("url") or "", enterprise_id=data.get("enterprise_id") or "", user_id=data.get("user_id") or "")


def user(api: SlackApi, user_id: str) -> dict[str, Any]:
    return dict(api.read("users.info", user=user_id).data["user"])


def is_deleted(api: SlackApi, user_id: str) -> bool:
    return bool(user(api, user_id).get("deleted"))


def account(found: dict[str, Any]) -> Account:
    """An Account from a Slack user object (users.info, users.lookupByEmail, users.list)."""
    profile = found.get("profile") or {}
    email = profile.get("email") or ""
    attributes = {
        "active": not found.get("deleted"),  # offboard.spi.ACTIVE: a deactivated account cannot sign in
        "deleted": bool(found.get("deleted")),
        "is_bot": bool(found.get("is_bot")),
        "is_restricted": bool(found.get("is_restricted")),
        "is_admin": bool(found.get("is_admin")),
        "email": email,
        "real_name": profile.get("real_name") or found.get("real_name") or "",
    }
    return Account("slack", found["id"], email or f"@{found.get('name', found['id'])}", attributes)


def lookup_by_email(api: SlackApi, email: str) -> dict[str, Any] | None:
    """An active user by email; ``None`` for a stranger and for a deactivated user alike."""
    try:
        return dict(api.read("users.lookupByEmail", email=email).data["user"])
    except NotFoundError:
        return None


def email_directory(api: SlackApi) -> dict[str, str]:
    """Email (lower case) to user id for every account, deactivated ones included.

    users.lookupByEmail hides deactivated accounts; users.list still shows their email.
    """
    directory: dict[str, str] = {}
    for page in api.pages("users.list", "members"):
        for found in page:
            if email := (found.get("profile") or {}).get("email"):
                directory[email.lower()] = found["id"]
    return directory


def profile(found: dict[str, Any]) -> dict[str, Any]:
    p = found.get("profile") or {}
    return {
        "id": found["id"],
        "name": found.get("name", ""),
        "real_name": p.get("real_name") or found.get("real_name") or "",
        "display_name": p.get("display_name") or "",
        "email": p.get("email") or "",
        "title": p.get("title") or "",
        "deleted": bool(found.get("deleted")),
        "roles": {flag: bool(found.get(flag)) for flag in ROLE_FLAGS},
    }


def channels(api: SlackApi, user_id: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(private, public) channels the user is in, as far as the admin's token can see."""
    private: list[dict[str, str]] = []
    public: list[dict[str, str]] = []
    for page in api.pages("users.conversations", "channels", user=user_id,
                          types="public_channel,private_channel", exclude_archived=True):
        for channel in page:
            entry = {"id": channel["id"], "name": channel.get("name", "")}
            (private if channel.get("is_private") else public).append(entry)
    return private, public


def is_channel_member(api: SlackApi, channel_id: str, user_id: str) -> bool:
    """Membership from the channel's side (tier 4), so each kick re-checks only its own channel."""
    return any(user_id in page for page in api.pages("conversations.members", "members", channel=channel_id))


def usergroups(api: SlackApi, user_id: str) -> list[dict[str, Any]] | None:
    """Enabled user groups the user is in; ``None`` when the plan has no user groups (Free)."""
    try:
        data = api.read("usergroups.list", include_users=True, include_count=True).data
    except PlanLimitError:
        return None
    return [
        {
            "id": group["id"],
            "handle": group.get("handle", ""),
            "name": group.get("name", ""),
            "user_count": int(group.get("user_count") or len(group.get("users") or [])),
            "sole_member": list(group.get("users") or []) == [user_id],
        }
        for group in data.get("usergroups") or []
        if user_id in (group.get("users") or [])
    ]


def usergroup_members(api: SlackApi, group_id: str) -> list[str]:
    return list(api.read("usergroups.users.list", usergroup=group_id, include_disabled=True).data.get("users") or [])


def usergroup_disabled(api: SlackApi, group_id: str) -> bool:
    groups = api.read("usergroups.list", include_disabled=True).data.get("usergroups") or []
    for group in groups:
        if group["id"] == group_id:
            return bool(group.get("date_delete"))
    raise FatalError(f"Slack user group {group_id} no longer exists")


def usergroup_state(api: SlackApi, group_id: str) -> dict[str, Any] | None:
    """One user group's members and whether it is disabled, in one read; ``None`` when it no longer exists."""
    groups = api.read("usergroups.list", include_disabled=True, include_users=True).data.get("usergroups") or []
    return next(({"users": list(g.get("users") or []), "disabled": bool(g.get("date_delete"))}
                 for g in groups if g["id"] == group_id), None)


def channel_info(api: SlackApi, channel_id: str) -> dict[str, Any]:
    """conversations.info as the admin sees it (``is_member``: the admin's own membership); NotFoundError when the
    channel is gone or private and the admin is not in it."""
    return dict(api.read("conversations.info", channel=channel_id).data["channel"])
