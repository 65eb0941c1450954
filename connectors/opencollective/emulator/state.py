"""The state behind the Open Collective emulator: accounts, team roles, pending invitations, and the rules.

Plain data with the rules opencollective-api applies (server/graphql/v2/mutation/MemberMutations.ts,
MemberInvitationMutations.ts, models/MemberInvitation.ts, lib/two-factor-authentication/lib.ts):

- only an admin of a collective removes or invites (``Unauthorized``), and only the four core roles;
- the last admin cannot be removed, and a fiscal host's policy may require at least N admins (both
  ``Forbidden``, checked for any ADMIN removal, a pending invitation's too, before 2FA);
- 2FA: when the caller has it, or the collective requires it of its admins, a personal token must be
  pre-authorized ("This personal token is not pre-authorized for 2FA", an untyped error);
- ``removeMember`` answers true whether or not anything matched;
- ``inviteMember`` refuses a role the person holds, and updates their pending invitation to the
  collective if there is one (one per person and collective) instead of adding another;
- accepting makes a team entry with the invitation's role, description and since;
- events and projects list their parent's ADMIN, ACCOUNTANT and MEMBER entries as inherited.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CORE = ("ACCOUNTANT", "ADMIN", "MEMBER", "COMMUNITY_MANAGER")
INHERITED = ("ACCOUNTANT", "ADMIN", "MEMBER")
TYPENAMES = {"INDIVIDUAL": "Individual", "COLLECTIVE": "Collective", "ORGANIZATION": "Organization",
             "EVENT": "Event", "PROJECT": "Project"}


class Refusal(Exception):
    """What the API throws: a message and Apollo's ``extensions.code`` (INTERNAL_SERVER_ERROR for untyped errors)."""

    def __init__(self, message: str, code: str = "INTERNAL_SERVER_ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def timestamp(value: str | None = None) -> str:
    """ISO 8601 in UTC with milliseconds, as the DateTime scalar serializes ("2022-03-01T00:00:00.000Z")."""
    moment = datetime.now(UTC) if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class AccountRecord:
    id: str
    slug: str
    name: str
    type: str = "INDIVIDUAL"
    email: str = ""  # what the person signs in with; the API shows it to nobody here
    has_2fa: bool = False
    parent_id: str | None = None  # events and projects
    require_2fa_for_admins: bool = False  # the collective's REQUIRE_2FA_FOR_ADMINS policy
    host_minimum_admins: int = 0  # its fiscal host's COLLECTIVE_MINIMUM_ADMINS policy; 0: none

    @property
    def typename(self) -> str:
        return TYPENAMES[self.type]


@dataclass
class Entry:
    """A team entry (``Member``) or a pending invitation (``MemberInvitation``): who, where, which role, since when."""

    id: str
    collective_id: str
    account_id: str
    role: str
    since: str
    description: str | None
    created_at: str
    order: int  # creation order: lists come oldest first


@dataclass
class Token:
    user_id: str
    preauthorized_2fa: bool = False
    scopes: tuple[str, ...] = ("account",)
    expired: bool = False


@dataclass
class Caller:
    user: AccountRecord | None
    token: Token | None


@dataclass
class Platform:
    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    members: list[Entry] = field(default_factory=list)
    invitations: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):08x}"

    # -- building

    def add_account(self, slug: str, name: str, type: str = "INDIVIDUAL", **attributes: Any) -> AccountRecord:
        record = AccountRecord(self.new_id("acc"), slug.lower(), name, type, **attributes)
        self.accounts[record.id] = record
        return record

    def _entry(self, prefix: str, collective: AccountRecord, account: AccountRecord, role: str, since: str | None,
               description: str | None) -> Entry:
        order = next(self._ids)
        return Entry(f"{prefix}_{order:08x}", collective.id, account.id, role, timestamp(since), description, timestamp(),
                     order)

    def add_member(self, collective: str, account: str, role: str, since: str | None = None,
                   description: str | None = None) -> Entry:
        entry = self._entry("mem", self.slug(collective), self.slug(account), role, since, description)
        self.members.append(entry)
        return entry

    def add_invitation(self, collective: str, account: str, role: str, since: str | None = None,
                       description: str | None = None) -> Entry:
        entry = self._entry("mi", self.slug(collective), self.slug(account), role, since, description)
        self.invitations.append(entry)
        return entry

    # -- looking up

    def by_slug(self, slug: str) -> AccountRecord | None:
        return next((a for a in self.accounts.values() if a.slug == slug.lower()), None)

    def slug(self, slug: str) -> AccountRecord:
        found = self.by_slug(slug)
        if found is None:
            raise KeyError(f"no account {slug!r} in the emulator")
        return found

    def by_reference(self, reference: dict[str, Any]) -> AccountRecord | None:
        """fetchAccountWithReference: by id, else by slug."""
        if reference.get("id"):
            return self.accounts.get(str(reference["id"]))
        if reference.get("slug"):
            return self.by_slug(str(reference["slug"]))
        raise Refusal("Please provide an id or a slug")

    def team(self, collective: AccountRecord, inherited: bool = True) -> list[tuple[Entry, bool]]:
        """The collective's entries oldest first, each with whether it is inherited from the parent."""
        rows = [(e, False) for e in self.members if e.collective_id == collective.id]
        if inherited and collective.parent_id and collective.type in ("EVENT", "PROJECT"):
            rows += [(e, True) for e in self.members if e.collective_id == collective.parent_id and e.role in INHERITED]
        return sorted(rows, key=lambda row: row[0].order)

    def is_admin(self, user: AccountRecord | None, collective: AccountRecord) -> bool:
        """isAdminOfCollective: the account itself, an ADMIN of it, or an ADMIN of its parent."""
        if user is None:
            return False
        if user.id == collective.id:
            return True
        ids = {collective.id, collective.parent_id} - {None}
        return any(e.account_id == user.id and e.role == "ADMIN" and e.collective_id in ids for e in self.members)

    def admins(self, collective: AccountRecord) -> list[Entry]:
        ids = {collective.id, collective.parent_id} - {None}
        return [e for e in self.members if e.collective_id in ids and e.role == "ADMIN"]

    # -- the rules

    def _references(self, member: dict[str, Any], collective: dict[str, Any]) -> tuple[AccountRecord, AccountRecord]:
        found, where = self.by_reference(member), self.by_reference(collective)
        if found is None or where is None:
            raise Refusal("Account Not Found", "NotFound")
        return found, where

    def _two_factor(self, caller: Caller, collective: AccountRecord) -> None:
        """enforceForAccount: 2FA when the user has it or the collective requires it; a token must be pre-authorized."""
        user = caller.user
        assert user is not None
        if not (user.has_2fa or collective.require_2fa_for_admins):
            return
        if not user.has_2fa:
            raise Refusal("Two factor authentication must be configured", "2FA_REQUIRED")
        if caller.token is not None and not caller.token.preauthorized_2fa:
            raise Refusal("This personal token is not pre-authorized for 2FA")

    def _scope(self, caller: Caller, signed_out: str) -> None:
        """checkRemoteUserCanUseAccount."""
        if caller.user is None:
            raise Refusal(signed_out, "Unauthorized")
        if caller.token is not None and "account" not in caller.token.scopes:
            raise Refusal('The Personal Token is not allowed for operations in scope "account".', "Forbidden")

    def remove_member(self, caller: Caller, member: dict[str, Any], collective: dict[str, Any], role: str,
                      is_invitation: bool | None) -> bool:
        self._scope(caller, "You need to be logged in to manage account.")
        found, where = self._references(member, collective)
        if not self.is_admin(caller.user, where):
            raise Refusal("Only admins can remove a member.", "Unauthorized")
        if role not in CORE:
            raise Refusal("You can only remove accountants, admins, members, or community managers.", "Forbidden")
        if role == "ADMIN":
            admins = self.admins(where)
            if len(admins) == 1 and admins[0].account_id == found.id:
                raise Refusal("There must be at least one admin for the account.", "Forbidden")
            minimum = where.host_minimum_admins
            if minimum and len(admins) <= minimum:
                raise Refusal(f"Your host policy requires at least {minimum} admins for this account.", "Forbidden")
        self._two_factor(caller, where)
        rows = self.invitations if is_invitation else self.members
        rows[:] = [e for e in rows if not (e.account_id == found.id and e.collective_id == where.id and e.role == role)]
        return True  # whether or not anything matched

    def invite_member(self, caller: Caller, member: dict[str, Any], collective: dict[str, Any], role: str,
                      changes: dict[str, Any]) -> Entry:
        """``changes``: the optional arguments given (description, since), as lodash's pick keeps them."""
        self._scope(caller, "You need to be logged in to manage account.")
        found, where = self._references(member, collective)
        if not self.is_admin(caller.user, where):
            raise Refusal("Only admins can send an invitation.", "Unauthorized")
        if role not in CORE:
            raise Refusal("You can only invite accountants, admins, or members.", "Forbidden")
        if found.type != "INDIVIDUAL":
            raise Refusal("You can only invite users.", "Forbidden")
        self._two_factor(caller, where)
        if any(e.account_id == found.id and e.collective_id == where.id and e.role == role for e in self.members):
            raise Refusal(f"This user already have the {role} role on this Collective")
        existing = next((e for e in self.invitations if e.account_id == found.id and e.collective_id == where.id), None)
        if existing is not None:  # one invitation per person and collective: it is updated
            existing.role = role
            if "description" in changes:
                existing.description = changes["description"]
            if "since" in changes:
                existing.since = timestamp(changes["since"]) if changes["since"] else existing.since
            return existing
        entry = self._entry("mi", where, found, role, changes.get("since"), changes.get("description"))
        self.invitations.append(entry)
        return entry

    def accept(self, invitation: Entry) -> Entry | None:
        """MemberInvitation.accept: a team entry with its role, description and since (none if held already)."""
        self.invitations.remove(invitation)
        if any(e.account_id == invitation.account_id and e.collective_id == invitation.collective_id
               and e.role == invitation.role for e in self.members):
            return None
        order = next(self._ids)
        entry = Entry(f"mem_{order:08x}", invitation.collective_id, invitation.account_id, invitation.role,
                      invitation.since, invitation.description, timestamp(), order)
        self.members.append(entry)
        return entry
