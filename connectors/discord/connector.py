"""The Discord connector: ban (or kick) an expelled member, take a suspended member's roles, put them back.

One server (guild), one bot token, API v10. The member is known only by the roster's ``discord`` column
(their user id): ``identity_column`` tells the planner so, and ``resolve`` never guesses from a name
or an email, which Discord does not show bots anyway. This class declares and delegates: HTTP is in
``api``, reads in ``guild``, the plan in ``plan``, each kind's check and act in ``actions``/``acts``,
the reinstatement in ``restore_plan``, the doctor's checks in ``doctor``.
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
    FatalError,
    Member,
    Outcome,
    Restoration,
    check_endpoint,
)

from . import actions, doctor, guild, plan, restore_plan
from .api import API_URL, RATE_LIMITS, DiscordApi
from .errors import INTENT_FIX

INVENTORY_INTENT = "offboard audit lists the server's members, which needs the Server Members intent: " + INTENT_FIX


class DiscordConnector(Connector):
    name = "discord"
    title = "Discord"
    version = "0.1.0"
    capabilities = frozenset({Capability.REVOKE, Capability.SUSPEND, Capability.RESTORE, Capability.INVENTORY})
    config_fields = (
        ConfigField("token_env", "environment variable holding the bot's token (Developer Portal > Bot > Reset Token)",
                    default="DISCORD_BOT_TOKEN", secret=True),
        ConfigField("guild_id", "the server's id (Developer Mode on: right-click the server's icon > Copy Server ID)",
                    required=True),
        ConfigField("api_url", f"API root, e.g. an emulator's http://127.0.0.1:PORT/api/v10 (default: {API_URL})",
                    default=API_URL),
        ConfigField("insecure_endpoint", "allow plain http in api_url to this machine (127.0.0.1, ::1, localhost): "
                    "an emulator, never Discord", default=False, type=bool),
    )
    permissions = ("Kick Members", "Ban Members", "Manage Roles", "Timeout Members (for timeout_days)",
                   "Server Members Intent (privileged, for offboard audit)")
    identity_column = True
    max_concurrency = 4
    rate_limits = RATE_LIMITS

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        guild_id = str(self.config["guild_id"]).strip()
        if not guild_id.isdigit():
            raise ConfigError(f"[connectors.{self.name}] guild_id {guild_id!r} is not a server id (digits only): in "
                              "Discord, turn on User Settings > Advanced > Developer Mode, right-click the server's icon "
                              "and choose Copy Server ID")
        url = check_endpoint(self.config["api_url"], self.config["insecure_endpoint"], f"[connectors.{self.name}] api_url")
        # stripped: a token pasted with its line end would make every request unsendable (an invalid header)
        self.api = DiscordApi(token=lambda: context.secret_from_env(self.config["token_env"]).strip(),
                              token_env=self.config["token_env"], guild_id=guild_id, base_url=url or API_URL,
                              pace=context.pace, read=context.read)
        self._bot_id: str | None = None
        self._lock = threading.Lock()

    def bot_id(self) -> str:
        """The bot's own user id (``/users/@me``), read once per connector."""
        with self._lock:
            if self._bot_id is None:
                self._bot_id = str(guild.bot_user(self.api)["id"])
            return self._bot_id

    # -- resolve and discover (read-only)

    def resolve(self, member: Member) -> Account | None:
        """The roster's ``discord`` user id: a member of the server is an active account; a user who is not a
        member is an inactive one, banned (an audit and a reinstatement must see the ban) or not (they left, or never
        joined, and an invite link would let them in: an expulsion bans them); a user Discord does not know is None."""
        uid = member.identities.get(self.name, "").strip()
        if not uid:
            return None
        if not uid.isdigit():
            raise FatalError(f"the roster's discord column for {member.name} holds {uid!r}, which is not a Discord user "
                             "id: in Discord, turn on User Settings > Advanced > Developer Mode, right-click the member "
                             "and choose Copy User ID, and put that number in the roster")
        found = guild.member(self.api, uid)
        if found is not None:
            return guild.account(found["user"], found, banned=False)
        banned = guild.ban(self.api, uid)
        if banned:
            return guild.account(banned["user"], None, banned=True)
        known = guild.user(self.api, uid)
        return guild.account(known, None, banned=False) if known else None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """Read-only: the member, the server's roles and owner, and the bot's own place in the hierarchy. Someone
        not in the server is banned by an expulsion that bans (else an invite link lets them back in); nothing else."""
        chosen = plan.options(options)  # before anything is read
        found = guild.member(self.api, account.id)
        if found is None:
            if chosen.removes != "ban" or guild.ban(self.api, account.id) is not None:
                return []
            return [plan.ban_outsider(account, guild.server(self.api), chosen)]
        server = guild.server(self.api)
        bot = guild.member(self.api, self.bot_id())
        seen = plan.Seen(server, found, server.top((bot or {}).get("roles") or []))
        return plan.plan(account, seen, chosen)

    # -- apply and check: one row of actions.KINDS per kind

    def apply(self, action: Action) -> Outcome:
        return actions.TABLE.apply(self.api, action)

    def apply_planned(self, action: Action) -> Outcome:
        return actions.TABLE.apply_planned(self.api, action)

    def check(self, action: Action) -> bool | None:
        return actions.TABLE.check(self.api, action)

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """Read-only: unban, the person's own rejoin step, roles back, timeout lifted; the rest in ``lost``."""
        return restore_plan.restoration(self.api, guild.server(self.api), account, applied)

    # -- audits and doctor

    def inventory(self) -> Iterator[Account]:
        """Every member (active), then every banned user (inactive), 1000 a page in user id order."""
        for page in self.api.pages(f"{self.api.guild}/members", "list the server's members",
                                   lambda m: str(m["user"]["id"]), missing_access=INVENTORY_INTENT):
            yield from (guild.account(m["user"], m, banned=False) for m in page)
        for page in self.api.pages(f"{self.api.guild}/bans", "list the server's bans", lambda b: str(b["user"]["id"]),
                                   permission="Ban Members"):
            yield from (guild.account(b["user"], None, banned=True) for b in page)

    def endpoints(self) -> dict[str, str]:
        return {"api_url": self.config["api_url"]} if self.config["api_url"] != API_URL else {}

    def test_connection(self) -> list[str]:
        return doctor.problems(self.api)

    def close(self) -> None:
        self.api.close()
