"""The Google Workspace connector: what a careful admin does when someone leaves.

GAM's ``deprovision`` (tokens, app passwords, backup codes, POP/IMAP, sign-out) and
what GAM leaves to separate commands (password, Gmail delegates and forwarding,
suspension, groups, admin roles, address list, org unit, devices, data transfer,
licence), through google-api-python-client and a service account with domain-wide
delegation. The engine owns retries, so every failure is classified, never retried here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from offboard.spi import (
    ACTIVE,
    Account,
    Action,
    Capability,
    ConfigError,
    ConfigField,
    Connector,
    ConnectorContext,
    FatalError,
    Mailbox,
    Member,
    NotFoundError,
    Outcome,
    RateLimit,
    Restoration,
    check_endpoint,
)

from . import actions, doctor
from .api import Gateway, GmailMailbox, GoogleClients
from .plan import Planner, Settings
from .reads import UserReads, Wanted
from .restore import Restorer

NEVER = "1970-01-01T00:00:00.000Z"  # Google's lastLoginTime for "never signed in"
RESOLVED_FRESH = 10.0  # seconds during which discover uses what resolve started reading
GOOGLE_TOKEN_URIS = ("https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token")


class GoogleWorkspaceConnector(Connector):
    name = "google"
    title = "Google Workspace"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.SUSPEND, Capability.RESTORE, Capability.INVENTORY})
    permissions = doctor.ALL_SCOPES
    # Google documents no number of requests in flight: it meters calls a minute (Admin SDK 2,400 per
    # user), which a run stays far below at any concurrency, and answers quotaExceeded or 429 when too
    # many run at once (retried by the engine, honouring Retry-After). 32 sends a heavy member's cut
    # writes (sign-out, tokens, app passwords, codes, password, Gmail) in one round trip.
    max_concurrency = 32
    # The polls that wait for a Drive/Calendar transfer: each transfer polled at once, then every 5 s.
    rate_limits = {"datatransfer-poll": RateLimit(12, 60, burst=1),
                   # Enterprise License Manager: 1 query a second ("Limits and quotas"), counted as it arrives:
                   # never two in one second, with the window's margin for the time a request takes to get there
                   "licensing": RateLimit(1, 1, window=True)}
    config_fields = (
        ConfigField("service_account_file", "JSON key of the service account with domain-wide delegation "
                    "(its token_uri is honoured)", required=True, secret=True),
        ConfigField("admin", "Super admin the service account acts as, e.g. admin@example.org", required=True),
        ConfigField("api_endpoint", "Replaces the root URL of every Google API (an emulator or a proxy); "
                    "empty for Google itself", default=""),
        ConfigField("insecure_endpoint", "allow plain http in api_endpoint and the key file's token_uri to this "
                    "machine (127.0.0.1, ::1, localhost): an emulator, never Google", default=False, type=bool),
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
        try:  # plain http only to an emulator on this machine
            check_endpoint(c["api_endpoint"], c["insecure_endpoint"], f"[connectors.{self.name}] api_endpoint")
        except ConfigError as exc:
            if not problems:
                raise
            problems.append(str(exc))
        if problems:
            raise ConfigError(f"[connectors.{self.name}]: " + "; ".join(problems))
        clients = GoogleClients(context.path(c["service_account_file"]), c["admin"], c["api_endpoint"],
                                insecure_endpoint=c["insecure_endpoint"])
        self.gateway = Gateway(clients, c["admin"], doctor.admin_scopes(c), doctor.GMAIL_SCOPES,
                               read=context.read,  # each read request retried on its own by the engine
                               operator=context,  # shown a reinstated member's new password, once
                               pacing=context)
        self._resolved: dict[str, UserReads] = {}  # email -> the reads resolve started

    # -- the contract

    def resolve(self, member: Member) -> Account | None:
        """``users.get`` and the lists read by email, in one batch request; the reads that need their
        answers are started as they come (``reads``), for the ``discover`` that follows."""
        reads = self._reads(member.identity_for(self.name))
        if reads.user is None:
            return None
        self._resolved[reads.user["primaryEmail"].lower()] = reads
        return _account(reads.user)

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only. Options (a playbook step's): ``wipe_devices`` (wipe the organization's account from phones,
        not just block), ``reset_password`` (default true) and ``transfer_data`` (default true: to ``transfer_to``).
        A suspension turns the last two off: they cannot be undone.

        What ``resolve`` started reading moments ago is used as is: the lists went out with
        ``users.get``, not after it. Otherwise everything is read again, the same way.
        """
        wanted = _options(options or {})  # before anything is read
        reads = self._resolved.pop(account.id.lower(), None)
        if reads is None or not reads.fresh(RESOLVED_FRESH):
            reads = self._reads(account.id)
        user = reads.user
        if user is None:
            return []
        c = self.config
        transfer = wanted["transfer_data"]
        skip = {*(("codes",) if user.get("suspended") else ()), *(() if transfer else ("transfer",))}
        settings = Settings(c["transfer_to"] if transfer else "", c["org_unit"], c["license_product"],
                            c["license_sku"], wanted["wipe_devices"], wanted["reset_password"])
        return Planner(self.name, settings).plan(_account(user), user, reads.results(lambda name: name not in skip))

    def _reads(self, email: str) -> UserReads:
        c = self.config
        return UserReads(self.gateway, email, Wanted(c["transfer_to"], c["license_product"], c["license_sku"]))

    def apply(self, action: Action) -> Outcome:
        done = actions.already_done(self.gateway, action)
        return done if done is not None else actions.act(self.gateway, action, self.context.pace)

    def apply_planned(self, action: Action) -> Outcome:
        """The write alone, for an action discovered moments ago (see ``actions``: ``write_first``).

        One request instead of two or three: a delete that finds the item gone is ``ok``.
        When Google refuses the write (the user was suspended or deleted meanwhile), the
        connector looks as ``apply`` would have, and answers ``ok`` if the access is gone.
        """
        if not actions.kind_of(action).write_first:
            return self.apply(action)
        try:
            return actions.act(self.gateway, action, self.context.pace)
        except (FatalError, NotFoundError):
            done = actions.already_done(self.gateway, action)
            if done is None:
                raise
            return done

    def check(self, action: Action) -> bool | None:
        return actions.observe(self.gateway, action)[0]

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: what puts back the access ``applied`` removed, and what cannot come back (``restore``)."""
        return Restorer(self.gateway, self.name).plan(account, applied)

    def inventory(self) -> Iterator[Account]:
        """Every user, one users.list call per page of 500."""
        for page in self.gateway.user_pages(500):
            yield from (_account(user) for user in page)

    def mail_problems(self, sender: str) -> list[str]:
        """For ``offboard doctor`` of ``[notice] via = "gmail"``: the sender and the two Gmail scopes."""
        return doctor.mail_problems(self.gateway, sender)

    def endpoints(self) -> dict[str, str]:
        """``api_endpoint`` when set, and the key file's ``token_uri`` when it is not Google's."""
        found = {"api_endpoint": self.config["api_endpoint"]} if self.config["api_endpoint"] else {}
        token_uri = self.gateway.clients.token_uri()
        if token_uri and token_uri not in GOOGLE_TOKEN_URIS:
            found["token_uri"] = token_uri
        return found

    def mailbox(self, sender: str) -> Mailbox:
        """The written notice's mailbox: Gmail as ``sender`` (``[notice] from``), by domain-wide delegation
        with the scopes ``gmail.send`` and ``gmail.metadata`` (``doctor.MAIL_SCOPES``). Nothing is sent or
        read until it is used; its reads go through ``ConnectorContext.read``, its send goes out once."""
        if "@" not in sender:
            raise ConfigError(f"the notice's sender must be an email address of the domain, not {sender!r}")
        return GmailMailbox(self.gateway.clients, sender, doctor.MAIL_SCOPES, read=self.context.read)

    def test_connection(self) -> list[str]:
        """For ``offboard doctor``: the key, the token endpoint, every scope, the admin and transfer_to."""
        return doctor.problems(self.gateway, self.config)

    def close(self) -> None:
        self.gateway.close()


OPTIONS = {"wipe_devices": False, "reset_password": True, "transfer_data": True}


def _options(given: Mapping[str, Any]) -> dict[str, bool]:
    """A playbook step's options, each true or false; anything else is refused, naming the option."""
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise FatalError(f"the playbook's google step has unknown option(s) {', '.join(unknown)} "
                          f"(known: {', '.join(OPTIONS)}): fix the playbook")
    wrong = sorted(k for k, v in given.items() if not isinstance(v, bool))
    if wrong:
        raise FatalError(f"the playbook's google option(s) {', '.join(wrong)} must be true or false: fix the playbook")
    return {**OPTIONS, **given}


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
