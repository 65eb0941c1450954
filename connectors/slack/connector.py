"""The Slack connector: deactivate (SCIM, or a self-closing manual step), kick, leave user groups.

What each plan allows decides the plan: SCIM (Business+, Enterprise Grid) deactivates
through the API; Free and Pro cannot, so a person does it in the admin page and the
connector closes that step itself once users.info shows the account deleted. User groups
do not exist on Free. admin.users.session.reset exists only on Enterprise Grid.

This class declares and delegates: reads are in ``observe``, the plan and each kind's
observe/act in ``actions``, HTTP in ``api``, the doctor's checks in ``doctor``. It keeps
only what is read once per connector (the workspace, the users.list email directory).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from offboard.spi import (
    Account,
    Action,
    Capability,
    ConfigError,
    ConfigField,
    Connector,
    ConnectorContext,
    Member,
    NotFoundError,
    Outcome,
    Restoration,
    check_endpoint,
)

from . import actions, doctor, observe, restore_plan
from .api import RATE_LIMITS, SlackApi

READ_FANOUT = 4  # discovery's reads at once: users.info, users.conversations, usergroups.list, auth.test
ENDPOINTS = ("base_url", "scim_base_url")  # overrides of Slack's roots, checked by check_endpoint


class SlackConnector(Connector):
    name = "slack"
    title = "Slack"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.RESTORE, Capability.INVENTORY, Capability.NOTIFY})
    config_fields = (
        ConfigField("token_env", "environment variable holding an admin's user token (xoxp-...)",
                    default="SLACK_ADMIN_TOKEN", secret=True),
        ConfigField("scim", "deactivate through SCIM (Business+ and Enterprise Grid plans only)",
                    default=False, type=bool),
        ConfigField("base_url", "Web API root, e.g. an emulator's http://127.0.0.1:PORT/api/ (default: Slack's)",
                    default=""),
        ConfigField("scim_base_url", "SCIM root, e.g. https://api.slack.com/scim/v2/ (default: slack-sdk's, v1)",
                    default=""),
        ConfigField("insecure_endpoint", "allow plain http in base_url and scim_base_url to this machine "
                    "(127.0.0.1, ::1, localhost): an emulator, never Slack", default=False, type=bool),
    )
    permissions = (*doctor.SCOPES, f"{doctor.SCIM_SCOPE} (with scim = true)", f"{doctor.GRID_SCOPE} (Enterprise Grid)",
                   f"{doctor.NOTIFY_SCOPE} (for offboard audit --notify)")
    max_concurrency = 8
    rate_limits = RATE_LIMITS

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        problems = []
        for key in ENDPOINTS:  # plain http only to an emulator on this machine
            try:
                check_endpoint(self.config[key], self.config["insecure_endpoint"], f"[connectors.{self.name}] {key}")
            except ConfigError as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigError("; ".join(problems))
        self.api = SlackApi(
            token=lambda: context.secret_from_env(self.config["token_env"]),
            pace=context.pace,
            read=context.read,  # each read request retried on its own by the engine
            base_url=self.config["base_url"],
            scim_base_url=self.config["scim_base_url"],
        )
        self._team: observe.Team | None = None
        self._directory: dict[str, str] | None = None
        self._lock = threading.Lock()
        self.read_fanout = READ_FANOUT  # 1: discovery reads one after another (a benchmark's baseline)

    def team(self) -> observe.Team:
        """auth.test, once per connector: the workspace's URL, its Grid id and the token's user."""
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
        reach = observe.reach(self.api, account.id, self.team, self.read_fanout)
        return actions.plan(account, reach, scim=self.config["scim"])

    # -- apply and check: one row of actions.KINDS per kind

    def apply(self, action: Action) -> Outcome:
        return actions.TABLE.apply(self, action)

    def apply_planned(self, action: Action) -> Outcome:
        return actions.TABLE.apply_planned(self, action)

    def check(self, action: Action) -> bool | None:
        return actions.TABLE.check(self, action)

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: reactivation, channel invitations and user groups back; the rest in ``lost``, with why."""
        return restore_plan.restoration(self, account, applied, scim=self.config["scim"])

    # -- audits, notices, doctor

    def inventory(self) -> Iterator[Account]:
        for page in self.api.pages("users.list", "members"):
            yield from (observe.account(found) for found in page)

    def notify(self, target: str, text: str) -> None:
        """Post ``text`` to a channel (``#name`` or its id) as the admin, with chat.postMessage.

        ``text`` comes escaped (``offboard.text.for_slack``); ``link_names`` off so a plain ``@channel``
        in a name pings nobody, unfurls off so no link in it is fetched or previewed.
        """
        self.api.call("chat.postMessage", channel=target, text=text, link_names=False, unfurl_links=False,
                      unfurl_media=False)

    def endpoints(self) -> dict[str, str]:
        return {key: self.config[key] for key in ENDPOINTS if self.config[key]}

    def test_connection(self) -> list[str]:
        return doctor.problems(self.api, self.team, self.config["token_env"], self.config["scim"])

    def close(self) -> None:
        self.api.close()
