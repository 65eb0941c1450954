"""The Slack connector: deactivate (SCIM, or a self-closing manual step), kick, leave user groups.

What each plan allows decides the plan: SCIM (Business+, Enterprise Grid) deactivates
through the API; Free and Pro cannot, so a person does it in the admin page and the
connector closes that step itself once users.info shows the account deleted. User groups
do not exist on Free. admin.users.session.reset exists only on Enterprise Grid.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from offboard.spi import (
    Account,
    Action,
    Capability,
    ConfigField,
    Connector,
    ConnectorContext,
    FatalError,
    Member,
    NotFoundError,
    Outcome,
    State,
)

from . import actions, observe
from .client import RATE_LIMITS, SlackApi
from .errors import PlanLimitError, RefusedError

SCOPES = ("users:read", "users:read.email", "channels:read", "groups:read", "groups:write", "usergroups:read", "usergroups:write")
SCIM_SCOPE = "admin"
GRID_SCOPE = "admin.users:write"
NOTIFY_SCOPE = "chat:write"
READ_FANOUT = 4  # discovery's reads at once: users.info, users.conversations, usergroups.list, auth.test


class SlackConnector(Connector):
    name = "slack"
    title = "Slack"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.INVENTORY, Capability.NOTIFY})
    config_fields = (
        ConfigField("token_env", "environment variable holding an admin's user token (xoxp-...)",
                    default="SLACK_ADMIN_TOKEN", secret=True),
        ConfigField("scim", "deactivate through SCIM (Business+ and Enterprise Grid plans only)",
                    default=False, type=bool),
        ConfigField("base_url", "Web API root, e.g. an emulator's http://127.0.0.1:PORT/api/ (default: Slack's)",
                    default=""),
        ConfigField("scim_base_url", "SCIM root, e.g. https://api.slack.com/scim/v2/ (default: slack-sdk's, v1)",
                    default=""),
    )
    permissions = (*SCOPES, f"{SCIM_SCOPE} (with scim = true)", f"{GRID_SCOPE} (Enterprise Grid)",
                   f"{NOTIFY_SCOPE} (for offboard audit --notify)")
    max_concurrency = 8
    rate_limits = RATE_LIMITS

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.api = SlackApi(
            token=lambda: context.secret_from_env(self.config["token_env"]),
            pace=context.pace,
            base_url=self.config["base_url"],
            scim_base_url=self.config["scim_base_url"],
        )
        self._team: observe.Team | None = None
        self._directory: dict[str, str] | None = None
        self._lock = threading.Lock()
        self.read_fanout = READ_FANOUT  # 1: discovery reads one after another (a benchmark's baseline)

    def team(self) -> observe.Team:
        with self._lock:
            if self._team is None:
                self._team = observe.team(self.api)
            return self._team

    def _find_deactivated(self, email: str) -> dict[str, Any] | None:
        """Read users.list once per connector (tier 2 is slow) and answer every later miss from it."""
        with self._lock:
            if self._directory is None:
                self._directory = observe.email_directory(self.api)
            uid = self._directory.get(email.lower())
        return observe.user(self.api, uid) if uid else None

    # -- resolve and discover (read-only)

    def resolve(self, member: Member) -> Account | None:
        """By email (deactivated accounts included); a roster ``slack`` column may give the user id."""
        identity = member.identity_for(self.name)
        if "@" in identity:
            found = observe.lookup_by_email(self.api, identity) or self._find_deactivated(identity)
        else:
            try:
                found = observe.user(self.api, identity)
            except NotFoundError:
                found = None
        return observe.account(found) if found else None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only: the user, their channels, the user groups and the workspace, side by side."""
        reads = {
            "user": lambda: observe.user(self.api, account.id),
            "channels": lambda: observe.channels(self.api, account.id),
            "groups": lambda: observe.usergroups(self.api, account.id),
            "team": self.team,
        }
        if self.read_fanout <= 1:
            seen = {name: read() for name, read in reads.items()}
        else:
            with ThreadPoolExecutor(min(self.read_fanout, len(reads)), thread_name_prefix="slack-read") as pool:
                futures = {name: pool.submit(read) for name, read in reads.items()}
            seen = {name: future.result() for name, future in futures.items()}  # the first failure is raised
        user, (private, public), groups = seen["user"], seen["channels"], seen["groups"]
        before = {
            **observe.profile(user),
            "private_channels": private,
            "public_channels": public,  # not kicked: deactivation covers them, and anyone may rejoin them
            "usergroups": groups if groups is not None else "none: the plan has no user groups",
        }
        planned: list[Action] = []
        if not user.get("deleted"):
            if self.team().enterprise_id:
                planned.append(actions.session_reset(account, before))
            if self.config["scim"]:
                planned.append(actions.deactivate(account, before))
            else:
                planned.append(actions.deactivate_by_hand(account, before, self.team().admin_url))
        # User groups first: each takes two calls (the member list, then the update), and the
        # engine starts a phase's ready actions in plan order, so they do not end the run alone.
        planned += [actions.leave_usergroup(account, group) for group in groups or ()]
        if not self.config["scim"] or user.get("deleted"):
            planned += [actions.kick(account, channel) for channel in private]
        return planned

    # -- apply and check

    def apply(self, action: Action) -> Outcome:
        handler = {
            "deactivate": self._deactivate,
            "deactivate-manual": self._deactivate_by_hand,
            "session-reset": self._session_reset,
            "channel-kick": self._kick,
            "usergroup": self._leave_usergroup,
        }.get(action.kind)
        if handler is None:
            raise FatalError(f"the Slack connector has no action of kind {action.kind!r}")
        return handler(action.params)

    def apply_planned(self, action: Action) -> Outcome:
        """A kick planned moments ago goes without its membership re-read: Slack's own answer
        (``not_in_channel``, ``channel_not_found``) says when it is already done."""
        if action.kind == "channel-kick":
            return self._kick(action.params, look_first=False)
        return self.apply(action)

    def check(self, action: Action) -> bool | None:
        p = action.params
        if action.kind in ("deactivate", "deactivate-manual"):
            return observe.is_deleted(self.api, p["user"])
        if action.kind == "session-reset":
            return True if observe.is_deleted(self.api, p["user"]) else None  # sessions are not observable
        if action.kind == "channel-kick":
            return not self._in_channel(p)
        if action.kind == "usergroup":
            return p["user"] not in observe.usergroup_members(self.api, p["usergroup"]) or \
                observe.usergroup_disabled(self.api, p["usergroup"])
        return None

    def _deactivate(self, p: Mapping[str, Any]) -> Outcome:
        if observe.is_deleted(self.api, p["user"]):
            return Outcome.ok("the Slack account is already deactivated", {"deleted": True})
        self.api.scim_call("DELETE", f"Users/{p['user']}", "deactivate user")
        if not observe.is_deleted(self.api, p["user"]):
            return Outcome(State.FAILED, "SCIM accepted the deactivation but users.info still shows the account active",
                           {"deleted": False})
        return Outcome.changed("deactivated through SCIM; Slack signed them out and removed them from every channel",
                               {"deleted": True})

    def _deactivate_by_hand(self, p: Mapping[str, Any]) -> Outcome:
        if observe.is_deleted(self.api, p["user"]):
            return Outcome.ok("deactivated in Slack's admin page (users.info shows the account deleted)",
                              {"deleted": True})
        return Outcome.manual(f"waiting for an admin to deactivate the account at {self.team().admin_url}")

    def _session_reset(self, p: Mapping[str, Any]) -> Outcome:
        if observe.is_deleted(self.api, p["user"]):
            return Outcome.ok("the account is deactivated, which ended every session")
        try:
            self.api.call("admin.users.session.reset", user_id=p["user"])
        except PlanLimitError:
            return Outcome.skipped("admin.users.session.reset needs an Enterprise Grid plan")
        return Outcome.changed("signed out of Slack on every device")

    def _kick(self, p: Mapping[str, Any], look_first: bool = True) -> Outcome:
        channel = f"#{p['name']}"
        try:
            if look_first and not self._in_channel(p):
                return Outcome.ok(f"not in {channel}", {"member": False})
            self.api.call("conversations.kick", channel=p["channel"], user=p["user"])
        except NotFoundError:
            return Outcome.ok(f"{channel} no longer exists or is no longer visible", {"member": False})
        except RefusedError as exc:
            if exc.code == "not_in_channel":  # left between the check and the kick
                return Outcome.ok(f"not in {channel}", {"member": False})
            if exc.code == "cant_kick_from_general":
                return Outcome.skipped(f"Slack lets nobody leave {channel}, the general channel; deactivation covers it")
            raise
        return Outcome.changed(f"removed from {channel}", {"member": False})

    def _in_channel(self, p: Mapping[str, Any]) -> bool:
        try:
            return observe.is_channel_member(self.api, p["channel"], p["user"])
        except NotFoundError:
            return False

    def _leave_usergroup(self, p: Mapping[str, Any]) -> Outcome:
        group = f"@{p['handle']}"
        members = observe.usergroup_members(self.api, p["usergroup"])
        if p["user"] not in members:
            return Outcome.ok(f"not in {group}", {"member": False})
        rest = [m for m in members if m != p["user"]]
        if rest:  # usergroups.users.update replaces the whole list: send everyone else
            self.api.call("usergroups.users.update", usergroup=p["usergroup"], users=",".join(rest))
            return Outcome.changed(f"removed from {group}; {len(rest)} left in it", {"member": False})
        if observe.usergroup_disabled(self.api, p["usergroup"]):
            return Outcome.ok(f"{group} is already disabled", {"member": True, "disabled": True})
        self.api.call("usergroups.disable", usergroup=p["usergroup"])
        return Outcome.changed(f"disabled {group}: they were its only member", {"member": True, "disabled": True})

    # -- audits and doctor

    def inventory(self) -> Iterator[Account]:
        for page in self.api.pages("users.list", "members"):
            yield from (observe.account(found) for found in page)

    def notify(self, target: str, text: str) -> None:
        """Post ``text`` to a channel (``#name`` or its id) as the admin, with chat.postMessage."""
        self.api.call("chat.postMessage", channel=target, text=text)

    def test_connection(self) -> list[str]:
        from .doctor import problems

        return problems(self)
