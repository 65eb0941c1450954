"""The Bitwarden connector: revoke the member's organization membership, leave groups, list what to rotate.

It speaks the organization's Public API with the organization's API key (``client_credentials``,
scope ``api.organization``). The cut is a revocation, which a reinstatement undoes exactly; a
server older than 2026.2.0 has no revoke, and then the plan either removes the member (playbook
option ``remove_if_no_revoke: true``, cannot be undone) or asks a person to revoke them in the
Admin Console. Groups are left and recorded; the collections the member could open become a
checklist of shared logins to rotate.

This class declares and delegates: reads are in ``observe``, the plan and each kind's observe/act in
``actions`` (restore kinds in ``restore``, the restore plan in ``restore_plan``), HTTP in ``api``, the
doctor's checks in ``doctor``, web vault addresses in ``console``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from offboard.spi import (
    Account,
    Action,
    AuthError,
    Capability,
    ConfigError,
    ConfigField,
    Connector,
    ConnectorContext,
    FatalError,
    Member,
    Outcome,
    Restoration,
    check_endpoint,
)

from . import actions, doctor, observe, restore_plan
from .api import RATE_LIMITS, BitwardenApi
from .console import Console, cloud_mismatch, identity_url, vault_url
from .errors import KEY_PLACE

DEFAULT_API = "https://api.bitwarden.com"
CLIENT_PREFIX = "organization."


class BitwardenConnector(Connector):
    name = "bitwarden"
    title = "Bitwarden"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.RESTORE, Capability.INVENTORY})
    config_fields = (
        ConfigField("client_id_env", "environment variable holding the organization API key's client id "
                    "(organization.<id>)", default="BW_CLIENT_ID", secret=True),
        ConfigField("client_secret_env", "environment variable holding the organization API key's client secret",
                    default="BW_CLIENT_SECRET", secret=True),
        ConfigField("api_url", "API root: https://api.bitwarden.com, https://api.bitwarden.eu (EU), or "
                    "https://HOST/api (self-hosted)", default=DEFAULT_API),
        ConfigField("identity_url", "identity server root (default: the one matching api_url: "
                    "https://identity.bitwarden.com, https://identity.bitwarden.eu, or https://HOST/identity)", default=""),
        ConfigField("insecure_endpoint", "allow plain http in api_url and identity_url to this machine "
                    "(127.0.0.1, ::1, localhost): an emulator, never Bitwarden", default=False, type=bool),
    )
    permissions = (f"the organization's API key (client_credentials, scope api.organization), from the {KEY_PLACE}",)
    max_concurrency = 4  # writes are limited to 5 a second per IP
    rate_limits = RATE_LIMITS

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        api, given = self.config["api_url"], self.config["identity_url"]
        identity = given or identity_url(api)
        problems = []
        for key, url in (("api_url", api), ("identity_url", given)):  # a derived identity_url is api_url's kind
            try:
                check_endpoint(url, self.config["insecure_endpoint"], f"[connectors.{self.name}] {key}")
            except ConfigError as exc:
                problems.append(str(exc))
        if given and (wanted := cloud_mismatch(api, given)):
            problems.append(f"[connectors.{self.name}] identity_url {given!r} is a Bitwarden cloud's that does not go "
                            f"with api_url {api!r}: use {wanted!r} (or leave identity_url out)")
        if problems:
            raise ConfigError("; ".join(problems))
        self.api = BitwardenApi(api, identity, self._credentials,
                                (self.config["client_id_env"], self.config["client_secret_env"]),
                                pace=context.pace, read=context.read)

    def _credentials(self) -> tuple[str, str]:
        """The organization API key, read from the environment when a token is needed (never kept)."""
        id_env = self.config["client_id_env"]
        client_id = self.context.secret_from_env(id_env).strip()
        if not client_id.startswith(CLIENT_PREFIX):
            raise AuthError(f"{id_env} does not hold an organization API key's client id (it starts with "
                            f"{CLIENT_PREFIX}): a personal API key cannot manage members. Copy the organization's "
                            f"key from the {KEY_PLACE}")
        return client_id, self.context.secret_from_env(self.config["client_secret_env"]).strip()

    def console(self) -> Console:
        """The organization's Admin Console, for the links of manual steps (its id is in the client id)."""
        return Console(vault_url(self.config["api_url"]), self._credentials()[0].removeprefix(CLIENT_PREFIX))

    # -- resolve and discover (read-only)

    def resolve(self, member: Member) -> Account | None:
        """By the roster's ``bitwarden`` column (an email, or a member id), else the org email."""
        found = observe.find(self.api, member.identity_for(self.name))
        return observe.account(found) if found else None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only: the member with their collections, their groups, every group and collection, and
        (when there is something to revoke) whether this server can revoke."""
        wanted = _options(options or {})
        found = observe.member(self.api, account.id)
        if found is None:
            return []  # no member any more: nothing left to end
        reach = observe.reach(self.api, found)
        revoke_exists = reach.status == observe.REVOKED or observe.route_exists(self.api, "revoke", account.id)
        return actions.plan(observe.account(found), reach, revoke_exists, wanted, self.console())

    # -- apply and check: one row of actions.KINDS per kind

    def apply(self, action: Action) -> Outcome:
        return actions.TABLE.apply(self, action)

    def apply_planned(self, action: Action) -> Outcome:
        return actions.TABLE.apply_planned(self, action)

    def check(self, action: Action) -> bool | None:
        return actions.TABLE.check(self, action)

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: the membership restored, the recorded groups back; the rest in ``lost``, with why."""
        return restore_plan.restoration(self, account, applied)

    # -- audits and doctor

    def inventory(self) -> Iterator[Account]:
        """Every member, in one read (the list is not paginated); a revoked member is inactive."""
        yield from (observe.account(m) for m in observe.members(self.api))

    def endpoints(self) -> dict[str, str]:
        shown = {"api_url": self.config["api_url"]} if self.config["api_url"] != DEFAULT_API else {}
        return {**shown, **({"identity_url": self.config["identity_url"]} if self.config["identity_url"] else {})}

    def test_connection(self) -> list[str]:
        return doctor.problems(self.api)

    def close(self) -> None:
        self.api.close()


def _options(given: Mapping[str, Any]) -> dict[str, bool]:
    """A playbook step's options, each true or false; anything else is refused, naming the option."""
    unknown = sorted(set(given) - set(actions.OPTIONS))
    if unknown:
        raise FatalError(f"the playbook's bitwarden step has unknown option(s) {', '.join(unknown)} "
                         f"(known: {', '.join(actions.OPTIONS)}): fix the playbook")
    wrong = sorted(k for k, v in given.items() if not isinstance(v, bool))
    if wrong:
        raise FatalError(f"the playbook's bitwarden option(s) {', '.join(wrong)} must be true or false: fix the playbook")
    return {**actions.OPTIONS, **given}
