"""The Open Collective connector: remove a member's roles on the collective's team, withdraw their invitations.

Through the GraphQL API v2 with an admin's personal token (``Personal-Token`` header). A
member is found by the roster's ``opencollective`` column (their account's slug, or an email),
else by email: Open Collective shows nobody's email address, but its admins may filter the
team by the email a person signs in with (``members(email:)``), which finds only people who
hold a role; a member who signed up with another address is not found, and needs the column.

This class declares and delegates: reads are in ``observe``, the plan and each kind's
observe/act in ``actions``, restore in ``restore_plan``, HTTP in ``api``, the doctor's checks in
``doctor``.
"""

from __future__ import annotations

import re
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
    Outcome,
    Restoration,
    check_endpoint,
)

from . import actions, doctor, observe, restore_plan
from .api import DEFAULT_API_URL, RATE_LIMITS, OpenCollectiveApi

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # what the API's EmailAddress scalar takes, roughly


def slug_of(value: str) -> str:
    """An account's slug as a roster may hold it: "dan", "@dan", or the profile's address pasted
    (https://opencollective.com/dan): a slug looked up as typed would find nobody, and the member's roles stay."""
    return value.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].lstrip("@").lower()


class OpenCollectiveConnector(Connector):
    name = "opencollective"
    title = "Open Collective"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.RESTORE, Capability.INVENTORY})
    config_fields = (
        ConfigField("token_env", "environment variable holding a personal token of an admin of the collective "
                    "(scope 'account')", default="OPENCOLLECTIVE_TOKEN", secret=True),
        ConfigField("collective_slug", "the collective's slug: the last part of https://opencollective.com/SLUG",
                    required=True),
        ConfigField("api_url", f"GraphQL API v2 endpoint, e.g. an emulator's http://127.0.0.1:PORT/graphql/v2 "
                    f"(default: {DEFAULT_API_URL})", default=DEFAULT_API_URL),
        ConfigField("insecure_endpoint", "allow plain http in api_url to this machine (127.0.0.1, ::1, localhost): "
                    "an emulator, never Open Collective", default=False, type=bool),
    )
    permissions = doctor.PERMISSIONS
    max_concurrency = 2  # each action reads the team twice around its one write, all within 100 requests a minute
    rate_limits = RATE_LIMITS

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        where = f"[connectors.{self.name}]"
        # the slug, or the collective's whole address pasted (https://opencollective.com/SLUG)
        self.slug = self.config["collective_slug"].strip().rstrip("/").rsplit("/", 1)[-1].lower()
        if not self.slug:
            raise ConfigError(f"{where}: 'collective_slug' is empty: give the last part of the collective's address")
        url = check_endpoint(self.config["api_url"] or DEFAULT_API_URL, self.config["insecure_endpoint"],
                             f"{where} api_url")
        self.api = OpenCollectiveApi(
            url=url,
            token=lambda: context.secret_from_env(self.config["token_env"]),
            token_env=self.config["token_env"],
            collective=self.slug,
            pace=context.pace,
            read=context.read,  # each read request retried on its own by the engine
        )

    # -- resolve and discover (read-only)

    def resolve(self, member: Member) -> Account | None:
        """The roster's ``opencollective`` column (a slug, @slug or profile address, or an email), else the member's emails."""
        column = (member.identities.get(self.name) or "").strip()
        if column and (not EMAIL.match(column) or "/" in column):
            found = observe.account_by_slug(self.api, slug_of(column))
            return observe.account(found) if found else None
        emails = [column] if column else [member.email, member.personal_email]
        for email in dict.fromkeys(e.strip().lower() for e in emails if e and EMAIL.match(e.strip())):
            if found := observe.account_by_email(self.api, self.slug, email):
                return observe.account(found)
        return None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only: the collective's team (every page) and its pending invitations."""
        team = observe.team(self.api, self.slug)
        invitations = [i for i in observe.invitations(self.api, self.slug) if i.account.get("id") == account.id]
        return actions.plan(account, team, invitations)

    # -- apply and check: one row of actions.KINDS per kind

    def apply(self, action: Action) -> Outcome:
        return actions.TABLE.apply(self, action)

    def apply_planned(self, action: Action) -> Outcome:
        return actions.TABLE.apply_planned(self, action)

    def check(self, action: Action) -> bool | None:
        return actions.TABLE.check(self, action)

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: one invitation back (and the wait for its acceptance); the other roles in ``lost``, with why."""
        return restore_plan.restoration(self, account, applied)

    # -- audits and doctor

    def inventory(self) -> Iterator[Account]:
        """Everyone on the collective's team (any core role, inherited ones too) a page at a time, then everyone with a
        pending invitation, which they can accept at any time: once each, and each active (they can sign in)."""
        seen: set[str] = set()
        for _, page in observe.team_pages(self.api, self.slug):
            for role in page:
                if str(role.account["id"]) not in seen:
                    seen.add(str(role.account["id"]))
                    yield observe.account(role.account)
        for invitation in observe.invitations(self.api, self.slug):
            if str(invitation.account["id"]) not in seen:
                seen.add(str(invitation.account["id"]))
                yield observe.account(invitation.account)

    def endpoints(self) -> dict[str, str]:
        return {"api_url": self.api.url} if self.api.url != DEFAULT_API_URL else {}

    def test_connection(self) -> list[str]:
        return doctor.problems(self.api, self.slug)

    def close(self) -> None:
        self.api.close()
