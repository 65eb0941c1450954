"""The Meta connector: a member's tasks on the organization's Facebook Pages and Instagram accounts, and the portfolio.

It acts as a system user of the organization's business portfolio, with the Graph API. On
expulsion it removes the member's tasks on each configured Page and on each Page's Instagram
account, then removes them from the portfolio (``remove_from_business``, true by default);
people who reach a Page outside the portfolio become steps for a person (``access``). A
suspension (``remove_from_business: false``) removes the tasks only, and ``plan_restore``
gives them back.

This class declares and delegates: reads are in ``observe``, the plan and each kind's
observe/act in ``actions``, HTTP in ``api``, the doctor's checks in ``doctor``. It keeps
only what is read once per connector: each Page (its name and Page token), the portfolio's
Instagram accounts and its name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
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
from .api import DEFAULT_URL, GraphApi
from .observe import InstagramAsset, PageInfo

API_VERSION = "v25.0"
READ_FANOUT = 4  # Pages read at once during discovery
VERSION_FORMAT = re.compile(r"^v\d+\.\d+$")
ID_FORMAT = re.compile(r"^\d+$")


class MetaConnector(Connector):
    name = "meta"
    title = "Meta (Facebook Pages and business portfolio)"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.RESTORE, Capability.INVENTORY})
    config_fields = (
        ConfigField("token_env", "environment variable holding the system user's access token",
                    default="META_SYSTEM_USER_TOKEN", secret=True),
        ConfigField("business_id", "the business portfolio's id (Business settings > Business info)", required=True),
        ConfigField("page_ids", "ids of the organization's Facebook Pages whose tasks are removed", default=[], type=list),
        ConfigField("api_url", f"Graph API root (default {DEFAULT_URL}), e.g. an emulator's http://127.0.0.1:PORT",
                    default=DEFAULT_URL),
        ConfigField("api_version", f"the Graph API version, pinned (default {API_VERSION})", default=API_VERSION),
        ConfigField("insecure_endpoint", "allow plain http in api_url to this machine (127.0.0.1, ::1, localhost): "
                    "an emulator, never Meta", default=False, type=bool),
    )
    permissions = (*doctor.PERMISSIONS, "system user: admin of the portfolio, Full control (MANAGE) of each Page")
    max_concurrency = 4
    identity_column = False  # the roster's meta column (a business-scoped id) when given, else the email

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        table = f"[connectors.{self.name}]"
        problems = []
        try:
            check_endpoint(self.config["api_url"], self.config["insecure_endpoint"], f"{table} api_url")
        except ConfigError as exc:
            problems.append(str(exc))
        if not VERSION_FORMAT.match(str(self.config["api_version"])):
            problems.append(f"{table} api_version {self.config['api_version']!r} is not a Graph API version such as "
                            f"{API_VERSION!r}")
        if not ID_FORMAT.match(str(self.config["business_id"])):
            problems.append(f"{table} business_id {self.config['business_id']!r} must be the portfolio's numeric id")
        pages = [p for p in self.config["page_ids"] if not (isinstance(p, str | int) and ID_FORMAT.match(str(p)))]
        if pages:
            problems.append(f"{table} page_ids must list the Pages' numeric ids, as strings (not {pages[0]!r})")
        if problems:
            raise ConfigError("; ".join(problems))
        self.business_id = str(self.config["business_id"])
        self.page_ids = list(dict.fromkeys(str(p) for p in self.config["page_ids"]))
        self.api = GraphApi(token=lambda: context.secret_from_env(self.config["token_env"]),
                            token_env=self.config["token_env"], api_url=self.config["api_url"],
                            api_version=self.config["api_version"], read=context.read)
        self._pages: dict[str, PageInfo] = {}
        self._assets: dict[str, InstagramAsset] | None = None
        self._business_name: str | None = None
        self._lock = threading.Lock()
        self.read_fanout = READ_FANOUT

    # -- read once per connector

    def page(self, page_id: str) -> PageInfo:
        """The Page's name, Page token and Instagram link, read on first use."""
        with self._lock:
            known = self._pages.get(page_id)
        if known is None:
            known = observe.page(self.api, page_id)
            with self._lock:
                self._pages[page_id] = known
        return known

    def assets(self) -> dict[str, InstagramAsset]:
        with self._lock:
            known = self._assets
        if known is None:
            known = observe.instagram_assets(self.api, self.business_id)
            with self._lock:
                self._assets = known
        return known

    def business_name(self) -> str:
        if self._business_name is None:
            body = self.api.get(self.business_id, what="read the business portfolio", needs=observe.BUSINESS,
                                fields="id,name")
            self._business_name = str(body.get("name") or self.business_id)
        return self._business_name

    # -- resolve and discover (read-only)

    def resolve(self, member: Member) -> Account | None:
        """The roster's ``meta`` column (a business-scoped id, or an email), else the org email, else the personal one.

        Nobody, or several people with the same email: None.
        """
        given = member.identities.get(self.name, "").strip()
        if given and "@" not in given:
            user = observe.business_user(self.api, self.business_id, given)
        else:
            user = observe.by_email(self.api, self.business_id, [given] if given else [member.email, member.personal_email])
        if user is None:
            return None
        account = observe.account(user)
        return replace(account, attributes={**account.attributes, "roster_name": member.name})

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        wanted = actions.options(options or {})  # before anything is read
        user = observe.business_user(self.api, self.business_id, account.id)
        if user is None:
            return []  # no longer in the portfolio: nothing of it is left to remove
        reaches = observe.reach(self.api, self.business_id, account.id, self.page_ids, self.page, self.assets,
                                self.read_fanout)
        return actions.plan(account, user, reaches, self.business_name(), wanted["remove_from_business"])

    # -- apply and check: one row of actions.KINDS per kind

    def apply(self, action: Action) -> Outcome:
        return actions.TABLE.apply(self, action)

    def apply_planned(self, action: Action) -> Outcome:
        return actions.TABLE.apply_planned(self, action)

    def check(self, action: Action) -> bool | None:
        return actions.TABLE.check(self, action)

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: the recorded tasks back where the member is still in the portfolio; the rest in ``lost``."""
        return restore_plan.restoration(self, account, applied)

    # -- audits, doctor

    def inventory(self) -> Iterator[Account]:
        """Every business user of the portfolio, page by page; each is active (one marked for removal still has access).

        Pending invitations are not people yet and are left out; people outside the portfolio have no email here.
        """
        for chunk in observe.business_users(self.api, self.business_id):
            yield from (observe.account(user) for user in chunk)

    def endpoints(self) -> dict[str, str]:
        url = self.config["api_url"]
        return {"api_url": url} if url.rstrip("/") != DEFAULT_URL else {}

    def test_connection(self) -> list[str]:
        return doctor.problems(self.api, self.business_id, self.page_ids, self.page, self.assets)

    def close(self) -> None:
        self.api.close()
