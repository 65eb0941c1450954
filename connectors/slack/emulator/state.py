"""The state behind the Slack emulator: one workspace's plan, users, channels and user groups.

Plain data with the few rules Slack applies to it: everyone joins #general, a
deactivated member leaves every channel (Slack's help: "They'll be removed from all
channels") but stays listed in user groups, a reactivated one is put back in none, and the objects render the way the Web API
and SCIM return them. It also keeps what the fake records for assertions (session
resets, posted messages), so the Web API and SCIM modules need nothing but this.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

PLANS = ("free", "pro", "business+", "enterprise")
SCIM_PLANS = frozenset({"business+", "enterprise"})


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    is_general: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    created: int = field(default_factory=lambda: int(time.time()))

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "created": self.created,
        }


@dataclass
class UserGroup:
    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    date_delete: int = 0  # non-zero once disabled, as Slack reports it
    date_create: int = field(default_factory=lambda: int(time.time()))
    date_update: int = 0

    def render(self, team_id: str, include_users: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "is_usergroup": True,
            "name": self.name,
            "description": "",
            "handle": self.handle,
            "is_external": False,
            "date_create": self.date_create,
            "date_update": self.date_update,
            "date_delete": self.date_delete,
            "auto_type": None,
            "user_count": len(self.users),
        }
        if include_users:
            data["users"] = list(self.users)
        return data


class Workspace:
    """Users (Slack user objects), channels and user groups, keyed by id, on one of Slack's plans."""

    def __init__(self, domain: str, plan: str = "business+", team_id: str = "T0EMULATE") -> None:
        self.domain = domain
        self.team_id = team_id
        self.plan = ""
        self.set_plan(plan)
        self.session_resets: list[str] = []  # admin.users.session.reset: user ids
        # chat.postMessage: {"channel": id, "user": id, "text": ..., "ts": ...} and the options sent
        # (link_names, unfurl_links, unfurl_media, parse, mrkdwn), as sent
        self.messages: list[dict[str, str]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self._ids = itertools.count(1)
        self.general = self.add_channel("general", private=False, general=True)

    def set_plan(self, plan: str) -> None:
        if plan not in PLANS:
            raise ValueError(f"unknown Slack plan {plan!r} (known: {', '.join(PLANS)})")
        self.plan = plan

    def new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):07X}"

    # -- building

    def add_user(self, name: str, email: str = "", real_name: str = "", *, title: str = "", admin: bool = False,
                 owner: bool = False, primary_owner: bool = False, bot: bool = False, guest: bool = False) -> str:
        uid = self.new_id("U")
        self.users[uid] = {
            "id": uid,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name or name,
            "tz": "Europe/Brussels",
            "is_admin": admin or owner,
            "is_owner": owner,
            "is_primary_owner": primary_owner,
            "is_restricted": guest,
            "is_ultra_restricted": False,
            "is_bot": bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "profile": {
                "real_name": real_name or name,
                "display_name": name,
                "email": email,
                "title": title,
                "real_name_normalized": real_name or name,
                "display_name_normalized": name,
            },
        }
        if not bot:
            self.general.members.add(uid)
        return uid

    def add_channel(self, name: str, private: bool, members: set[str] | None = None, *,
                    general: bool = False) -> Channel:
        channel = Channel(self.new_id("C"), name, private, general, members=set(members or ()))
        self.channels[channel.id] = channel
        return channel

    def add_usergroup(self, handle: str, name: str, members: list[str]) -> UserGroup:
        group = UserGroup(self.new_id("S"), handle, name, list(members))
        self.usergroups[group.id] = group
        return group

    # -- Slack's rules

    def deactivate(self, uid: str) -> None:
        """As an admin in Manage members, or SCIM DELETE: out of every channel, groups untouched."""
        user = self.users[uid]
        user["deleted"] = True
        user["updated"] = int(time.time())
        for channel in self.channels.values():
            channel.members.discard(uid)

    def reactivate(self, uid: str) -> None:
        """As an admin's "Activate account", or SCIM ``active: true``: active again, in no channel (Slack's help:
        they "won't be added back to any channels they were previously in"); user groups were never touched."""
        user = self.users[uid]
        user["deleted"] = False
        user["updated"] = int(time.time())

    def by_email(self, email: str) -> dict[str, Any] | None:
        wanted = email.lower()
        for user in self.users.values():
            if (user["profile"].get("email") or "").lower() == wanted:
                return user
        return None

    def visible(self, channel: Channel, caller: str) -> bool:
        """Public channels are visible to all; private ones only to their members."""
        return not channel.is_private or caller in channel.members

    # -- SCIM rendering

    def scim_user(self, uid: str, version: int) -> dict[str, Any]:
        user = self.users[uid]
        profile = user["profile"]
        first, _, last = user["real_name"].partition(" ")
        schema = "urn:scim:schemas:core:1.0" if version == 1 else "urn:ietf:params:scim:schemas:core:2.0:User"
        return {
            "schemas": [schema],
            "id": uid,
            "externalId": "",
            "meta": {"created": "2024-01-01T00:00:00-00:00", "location": f"https://api.slack.com/scim/v{version}/Users/{uid}"},
            "userName": user["name"],
            "nickName": profile["display_name"],
            "name": {"givenName": first, "familyName": last},
            "displayName": profile["display_name"],
            "title": profile["title"],
            "active": not user["deleted"],
            "emails": [{"value": profile["email"], "primary": True}] if profile["email"] else [],
            "groups": [{"value": g.id, "display": g.name} for g in self.usergroups.values() if uid in g.users],
        }
