"""The Brex connector: lock (or, on expulsion, terminate) a member's cards, then suspend their Brex account.

Brex's Team API (developer.brex.com) with a user token made in the dashboard (Developer > Settings,
scopes ``users`` and ``cards``). The member is found by email (``GET /v2/users?email=``), or by the
roster's ``brex`` column: an email that overrides the org one, or a Brex user id. Suspension and
reinstatement are exact: the plan records every card's status, the restore plan unlocks only what the
suspension locked and makes the account ACTIVE again.

This class declares and delegates: reads are in ``observe``, the plan and each kind's observe/act in
``actions``, HTTP in ``api``, the restore plan in ``restore_plan``, the doctor's checks in ``doctor``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from offboard.spi import (
    Account,
    Action,
    Capability,
    ConfigField,
    Connector,
    ConnectorContext,
    Member,
    Outcome,
    Restoration,
    check_endpoint,
)

from . import actions, doctor, observe, restore_plan
from .api import DEFAULT_API_URL, RATE_LIMITS, BrexApi, ascii_text


class BrexConnector(Connector):
    name = "brex"
    title = "Brex"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.SUSPEND, Capability.RESTORE, Capability.INVENTORY})
    config_fields = (
        ConfigField("token_env", "environment variable holding a Brex user token (Developer > Settings, scopes "
                    "users and cards)", default="BREX_API_TOKEN", secret=True),
        ConfigField("api_url", f"API root, e.g. an emulator's http://127.0.0.1:PORT (default: {DEFAULT_API_URL})",
                    default=""),
        ConfigField("insecure_endpoint", "allow plain http in api_url to this machine (127.0.0.1, ::1, localhost): "
                    "an emulator, never Brex", default=False, type=bool),
    )
    permissions = (*(f"{scope} (user token scope)" for scope in doctor.SCOPES),
                   "account admin or card admin (the token's user)")
    max_concurrency = 4
    rate_limits = RATE_LIMITS

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        check_endpoint(self.config["api_url"], self.config["insecure_endpoint"], f"[connectors.{self.name}] api_url")
        self.api = BrexApi(
            base_url=self.config["api_url"],
            token=lambda: context.secret_from_env(self.config["token_env"]),
            token_env=self.config["token_env"],
            pace=context.pace,
            read=context.read,  # each read request retried on its own by the engine
        )
        org = ascii_text(context.org_name) or "the organization"
        self.descriptions = {  # free text Brex keeps with the card: ASCII only
            "lock": ascii_text(f"Locked by {org} with offboard: the cardholder's access was suspended"),
            "terminate": ascii_text(f"Terminated by {org} with offboard: the cardholder's access was ended"),
        }

    # -- resolve and discover (read-only)

    def resolve(self, member: Member) -> Account | None:
        """By email (the roster's ``brex`` column overrides the org email); a ``brex`` value without @ is a user id."""
        identity = member.identity_for(self.name)
        found = observe.user_by_email(self.api, identity) if "@" in identity else observe.user_or_none(self.api, identity)
        return observe.account(found) if found else None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only: the user as they are now, and every card of theirs, page by page."""
        wanted = actions.options_of(options or {})  # before anything is read
        user = observe.user(self.api, account.id)
        cards = observe.cards(self.api, account.id, account.label)
        return actions.plan(account, user, cards, wanted["terminate_cards"], self.descriptions)

    # -- apply and check: one row of actions.KINDS per kind

    def apply(self, action: Action) -> Outcome:
        return actions.kind_of(action).act(self, action)

    def apply_planned(self, action: Action) -> Outcome:
        return actions.kind_of(action).act_planned(self, action)

    def check(self, action: Action) -> bool | None:
        kind = actions.KINDS.get(action.kind)
        return kind.observe(self, action) if kind else None

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: the account back to ACTIVE and the cards the suspension locked unlocked; the rest in ``lost``."""
        return restore_plan.restoration(self, account, applied)

    # -- audits, doctor

    def inventory(self) -> Iterator[Account]:
        for page in self.api.pages("/v2/users", "list the Brex users"):
            yield from (observe.account(found) for found in page)

    def endpoints(self) -> dict[str, str]:
        return {"api_url": self.config["api_url"]} if self.config["api_url"] else {}

    def test_connection(self) -> list[str]:
        return doctor.problems(self.api)

    def close(self) -> None:
        self.api.close()
