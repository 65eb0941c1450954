"""The Google Workspace connector: what a careful admin does when someone leaves.

GAM's ``deprovision`` (tokens, app passwords, backup codes, POP/IMAP, sign-out) and
what GAM leaves to separate commands (password, Gmail delegates and forwarding,
suspension, groups, admin roles, address list, org unit, devices, data transfer,
licence), through google-api-python-client and a service account with domain-wide
delegation. The engine owns retries, so every failure is classified, never retried here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from offboard.apply.pacing import RateLimit
from offboard.spi import (
    ACTIVE,
    Account,
    Action,
    AuthError,
    Capability,
    ConfigError,
    ConfigField,
    Connector,
    ConnectorContext,
    ConnectorError,
    FatalError,
    Member,
    NotFoundError,
    Outcome,
)

from . import scopes
from .clients import GoogleClients
from .errors import missing_scopes_error
from .gateway import Gateway
from .kinds import KINDS, Kind
from .planner import Planner, Settings

NEVER = "1970-01-01T00:00:00.000Z"  # Google's lastLoginTime for "never signed in"
RESOLVED_FRESH = 10.0  # seconds during which discover uses the user that resolve just read


class GoogleWorkspaceConnector(Connector):
    name = "google"
    title = "Google Workspace"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.SUSPEND, Capability.INVENTORY})
    permissions = scopes.ALL
    max_concurrency = 10
    # Spacing of the polls that wait for a Drive/Calendar transfer: one at once, then one every 5 s.
    rate_limits = {"datatransfer-poll": RateLimit(12, 60, burst=1)}
    config_fields = (
        ConfigField("service_account_file", "JSON key of the service account with domain-wide delegation "
                    "(its token_uri is honoured)", required=True, secret=True),
        ConfigField("admin", "Super admin the service account acts as, e.g. admin@example.org", required=True),
        ConfigField("api_endpoint", "Replaces the root URL of every Google API (an emulator or a proxy); "
                    "empty for Google itself", default=""),
        ConfigField("transfer_to", "New owner of the user's Drive and Calendar data; empty: no transfer",
                    default=""),
        ConfigField("org_unit", "Org unit path to move the user to, e.g. /Former members; empty: stay",
                    default=""),
        ConfigField("license_product", "Product ID of the licence to remove, e.g. Google-Apps; empty: keep",
                    default=""),
        ConfigField("license_sku", "SKU ID of the licence to remove, e.g. 1010020027 (with license_product)",
                    default=""),
    )

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        c = self.config
        problems = []
        if "@" not in c["admin"]:
            problems.append(f"'admin' must be an email address, not {c['admin']!r}")
        if c["org_unit"] and not c["org_unit"].startswith("/"):
            problems.append(f"'org_unit' must be a path starting with '/', not {c['org_unit']!r}")
        if bool(c["license_product"]) != bool(c["license_sku"]):
            problems.append("'license_product' and 'license_sku' go together: set both or neither")
        if problems:
            raise ConfigError(f"[connectors.{self.name}]: " + "; ".join(problems))
        admin_scopes = scopes.DIRECTORY + (scopes.DATA_TRANSFER if c["transfer_to"] else ()) \
            + (scopes.LICENSING if c["license_product"] else ())
        self.clients = GoogleClients(context.path(c["service_account_file"]), c["admin"], c["api_endpoint"])
        self.gateway = Gateway(self.clients, c["admin"], admin_scopes)
        self._resolved: dict[str, tuple[float, dict[str, Any]]] = {}  # email -> (when, users.get answer)

    # -- the contract

    def resolve(self, member: Member) -> Account | None:
        user = self.gateway.user(member.identity_for(self.name))
        if user is None:
            return None
        self._resolved[user["primaryEmail"].lower()] = (time.monotonic(), user)
        return _account(user)

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only. Options: ``wipe_devices`` (wipe the organization's account from phones, not just block).

        The user ``resolve`` read moments ago is used as is (one round trip less before the
        plan); otherwise the user is read again.
        """
        when, user = self._resolved.pop(account.id.lower(), (0.0, None))
        if user is None or time.monotonic() - when > RESOLVED_FRESH:
            user = self.gateway.user(account.id)
        if user is None:
            return []
        c = self.config
        settings = Settings(c["transfer_to"], c["org_unit"], c["license_product"], c["license_sku"],
                            bool((options or {}).get("wipe_devices", False)))
        return Planner(self.gateway, self.name, settings).plan(_account(user), user)

    def apply(self, action: Action) -> Outcome:
        kind = self._kind(action)
        done, detail = self._observe(action)
        if done:
            return Outcome.ok(detail or "already done")
        changed, detail = kind.act(self.gateway, action.params, self.context.pace)
        return Outcome.changed(detail) if changed else Outcome.ok(detail)

    def apply_planned(self, action: Action) -> Outcome:
        """The write alone, for an action discovered moments ago (see ``Kind.write_first``).

        One request instead of two or three: a delete that finds the item gone is ``ok``.
        When Google refuses the write (the user was suspended or deleted meanwhile), the
        connector looks as ``apply`` would have, and answers ``ok`` if the access is gone.
        """
        kind = self._kind(action)
        if not kind.write_first:
            return self.apply(action)
        try:
            changed, detail = kind.act(self.gateway, action.params, self.context.pace)
        except (FatalError, NotFoundError):
            done, seen = self._observe(action)
            if done:
                return Outcome.ok(seen or "already done")
            raise
        return Outcome.changed(detail) if changed else Outcome.ok(detail)

    def check(self, action: Action) -> bool | None:
        return self._observe(action)[0]

    def inventory(self) -> Iterator[Account]:
        """Every user, one users.list call per page of 500."""
        for page in self.gateway.user_pages(500):
            yield from (_account(user) for user in page)

    def test_connection(self) -> list[str]:
        """For ``offboard doctor``: the key, the token endpoint, every scope, the admin and transfer_to."""
        try:
            problems = self._scope_problems() or self._admin_problems()
            target = self.config["transfer_to"]
            if not problems and target and self.gateway.user(target) is None:
                problems = [f"transfer_to {target} is not a user of the domain"]
            return problems
        except ConnectorError as exc:
            return [str(exc)]

    def close(self) -> None:
        self.gateway.close()

    # -- helpers

    def _observe(self, action: Action) -> tuple[bool | None, str]:
        """The kind's re-check; an account deleted since the plan has no access left to end."""
        try:
            return self._kind(action).observe(self.gateway, action.params)
        except NotFoundError:
            if self.gateway.user(action.params["user"]) is not None:
                raise
            return True, f"the account {action.params['user']} no longer exists"

    def _kind(self, action: Action) -> Kind:
        if action.kind not in KINDS:
            raise FatalError(f"unknown Google action kind {action.kind!r} (a plan from another version?)")
        return KINDS[action.kind]

    def _admin_problems(self) -> list[str]:
        admin = self.config["admin"]
        fix = "set [connectors.google] admin to one"
        try:
            user = self.gateway.user(admin)
        except AuthError as exc:
            if "403 forbidden" not in str(exc):
                raise
            return [f"{admin} is not a super admin (Google answered 403 forbidden): {fix}"]
        return [] if user and user.get("isAdmin") else [f"{admin} is not a super admin: {fix}"]

    def _scope_problems(self) -> list[str]:
        admin = self.config["admin"]
        missing: list[str] = []
        for wanted in (self.gateway.admin_scopes, scopes.GMAIL):  # Gmail grants are per client, not per user
            error = self.clients.grant(admin, wanted)
            if error == "unauthorized_client":
                missing += self.clients.missing_scopes(admin, wanted)
            elif error:
                return [f"the token endpoint refused the service account acting as {admin} ({error}): "
                        "check the key and that the admin is a user of the domain"]
        return [str(missing_scopes_error(self.clients.client_id, admin, missing))] if missing else []


def _account(user: Mapping[str, Any]) -> Account:
    last_login = user.get("lastLoginTime")
    return Account("google", user["primaryEmail"], user["primaryEmail"], {
        "user_id": user["id"],
        "name": (user.get("name") or {}).get("fullName", ""),
        ACTIVE: not (user.get("suspended") or user.get("archived")),  # can still sign in
        "suspended": bool(user.get("suspended")),
        "archived": bool(user.get("archived")),
        "is_admin": bool(user.get("isAdmin")),
        "is_delegated_admin": bool(user.get("isDelegatedAdmin")),
        "last_login": None if last_login in (None, NEVER) else last_login,
        "org_unit": user.get("orgUnitPath", "/"),
    })
