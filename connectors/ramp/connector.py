"""The Ramp connector: deactivate the user and suspend (or terminate) their cards; reactivate and unsuspend.

It speaks Ramp's Developer API with an OAuth client-credentials token (``api``). Card
changes are Ramp's deferred tasks, followed within the engine's retries (``tasks``). This
class declares and delegates: reads are in ``observe``, the plan and each kind's observe/act
in ``actions``, the restore plan in ``restore_plan``, the doctor's checks in ``doctor``.
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
    FatalError,
    Member,
    Outcome,
    Restoration,
    check_endpoint,
)

from . import actions, doctor, errors, observe, restore_plan
from .api import RATE_LIMITS, RampApi

DEFAULT_URL = "https://api.ramp.com"
OPTIONS = {"terminate_cards": False}  # a playbook step's options, with their defaults


class RampConnector(Connector):
    name = "ramp"
    title = "Ramp"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.RESTORE, Capability.INVENTORY})
    config_fields = (
        ConfigField("client_id_env", "environment variable holding the client id of offboard's Ramp API client",
                    default="RAMP_CLIENT_ID", secret=True),
        ConfigField("client_secret_env", "environment variable holding that API client's secret",
                    default="RAMP_CLIENT_SECRET", secret=True),
        ConfigField("api_url", "Ramp's API root: https://api.ramp.com, the sandbox https://demo-api.ramp.com, or an "
                    "emulator's http://127.0.0.1:PORT", default=DEFAULT_URL),
        ConfigField("insecure_endpoint", "allow plain http in api_url to this machine (127.0.0.1, ::1, localhost): "
                    "an emulator, never Ramp", default=False, type=bool),
    )
    permissions = errors.SCOPES
    max_concurrency = 4
    rate_limits = RATE_LIMITS

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        url = self.config["api_url"] or DEFAULT_URL
        check_endpoint(url, self.config["insecure_endpoint"], f"[connectors.{self.name}] api_url")
        id_env, secret_env = self.config["client_id_env"], self.config["client_secret_env"]
        self.api = RampApi(
            client_id=lambda: context.secret_from_env(id_env),
            client_secret=lambda: context.secret_from_env(secret_env),
            pace=context.pace,
            base_url=url,
            env_names=(id_env, secret_env),
            read=context.read,  # each read request retried on its own by the engine
        )

    # -- resolve and discover (read-only)

    def resolve(self, member: Member) -> Account | None:
        """By email; a roster ``ramp`` column may give another email or the Ramp user id."""
        identity = member.identity_for(self.name).strip()
        found = observe.by_email(self.api, identity) if "@" in identity else observe.user_or_none(self.api, identity)
        return observe.account(found) if found else None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only: the user as Ramp shows them now, and their cards that are not terminated."""
        wanted = _options(options or {})
        user = observe.user_or_none(self.api, account.id)
        if user is None:
            return []
        cards = observe.cards_of(self.api, account.id)
        return actions.plan(observe.account(user), user, cards, wanted["terminate_cards"])

    # -- apply and check: one row of actions.KINDS per kind

    def apply(self, action: Action) -> Outcome:
        return actions.kind_of(action).act(self, action)

    def check(self, action: Action) -> bool | None:
        kind = actions.KINDS.get(action.kind)
        return kind.observe(self, action) if kind else None

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: reactivation, and the cards the suspension suspended; the rest in ``lost``, with why."""
        return restore_plan.restoration(self, account, applied)

    # -- audits, doctor

    def inventory(self) -> Iterator[Account]:
        """Every user, page by page: the default list, then the suspended users it leaves out."""
        for extra in ({}, {"status": observe.SUSPENDED_USER}):
            for page in self.api.pages(observe.USERS, what="list users", scope="users:read", params=extra):
                yield from (observe.account(found) for found in page)

    def endpoints(self) -> dict[str, str]:
        url = self.config["api_url"]
        return {"api_url": url} if url and url.rstrip("/") != DEFAULT_URL else {}

    def test_connection(self) -> list[str]:
        return doctor.problems(self.api)

    def close(self) -> None:
        self.api.close()


def _options(given: Mapping[str, Any]) -> dict[str, bool]:
    """A playbook step's options, each true or false; anything else is refused, naming the option."""
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise FatalError(f"the playbook's ramp step has unknown option(s) {', '.join(unknown)} "
                         f"(known: {', '.join(OPTIONS)}): fix the playbook")
    wrong = sorted(k for k, v in given.items() if not isinstance(v, bool))
    if wrong:
        raise FatalError(f"the playbook's ramp option(s) {', '.join(wrong)} must be true or false: fix the playbook")
    return {**OPTIONS, **given}
