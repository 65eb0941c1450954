"""The emulator's GraphQL schema: the part of Open Collective's API v2 offboard uses, with its real names.

Written in SDL after server/graphql/schemaV2.graphql (opencollective-api): the same types,
fields, arguments, defaults and enums, for the fields offboard reads and the two mutations it
sends, and nothing else, so that any other field fails validation as an unknown one does at
Open Collective. graphql-core parses, validates and executes it (the Python port of the
graphql-js that Apollo Server runs), so the error messages are the reference ones.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, GraphQLSchema, ValueNode, build_schema
from graphql.language import StringValueNode

from .state import AccountRecord, Caller, Entry, Platform, Refusal, timestamp

ACCOUNT_FIELDS = """
  id: String!
  slug: String!
  name: String
  type: AccountType!
  members(limit: Int! = 100, offset: Int! = 0, role: [MemberRole], email: EmailAddress,
          includeInherited: Boolean = true): MemberCollection!
  memberInvitations(role: [MemberRole]): [MemberInvitation]
"""

SDL = f"""
scalar DateTime
scalar EmailAddress

enum MemberRole {{
  BACKER ADMIN CONTRIBUTOR HOST ATTENDEE MEMBER COMMUNITY_MANAGER FUNDRAISER FOLLOWER ACCOUNTANT CONNECTED_ACCOUNT
}}
enum AccountType {{ BOT COLLECTIVE EVENT FUND INDIVIDUAL ORGANIZATION PROJECT VENDOR }}

input AccountReferenceInput {{ id: String legacyId: Int slug: String }}

interface Account {{ {ACCOUNT_FIELDS} }}
type Individual implements Account {{ {ACCOUNT_FIELDS} }}
type Collective implements Account {{ {ACCOUNT_FIELDS} }}
type Organization implements Account {{ {ACCOUNT_FIELDS} }}
type Event implements Account {{ {ACCOUNT_FIELDS} }}
type Project implements Account {{ {ACCOUNT_FIELDS} }}

type MemberCollection {{ offset: Int limit: Int totalCount: Int nodes: [Member] }}
type Member {{
  id: String! role: MemberRole! since: DateTime! createdAt: DateTime! description: String inherited: Boolean!
  account: Account
}}
type MemberInvitation {{
  id: String! createdAt: DateTime! account: Account! memberAccount: Account! role: MemberRole! description: String
  since: DateTime
}}

type Query {{
  account(id: String, slug: String, githubHandle: String, throwIfMissing: Boolean = true): Account
  me: Individual
}}
type Mutation {{
  removeMember(memberAccount: AccountReferenceInput!, account: AccountReferenceInput!, role: MemberRole!,
               isInvitation: Boolean): Boolean
  inviteMember(memberAccount: AccountReferenceInput!, account: AccountReferenceInput!, role: MemberRole!,
               description: String, since: DateTime, privateNote: String, isNewUser: Boolean = false): MemberInvitation!
}}
"""

EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*$")  # graphql-scalars' test
ABSENT = object()


def _email(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"Value is not string: {value}")
    if not EMAIL.match(value):
        raise ValueError(f"Value is not a valid email address: {value}")
    return value


def _date_time(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"DateTime cannot represent non string value: {value}")
    try:
        return timestamp(value)
    except ValueError:
        raise ValueError(f"DateTime cannot represent an invalid date-time-string {value}.") from None


def _literal(parse: Any) -> Any:
    def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
        if not isinstance(node, StringValueNode):
            raise TypeError("Can only validate strings")
        return parse(node.value)
    return parse_literal


def build() -> GraphQLSchema:
    schema = build_schema(SDL)
    for name, parse in (("EmailAddress", _email), ("DateTime", _date_time)):
        scalar: Any = schema.type_map[name]
        # graphql-core 3.2 calls parse_value, parse_literal and serialize; 3.3 their coerce_* successors
        for attribute, function in (("parse_value", parse), ("coerce_input_value", parse), ("serialize", str),
                                    ("coerce_output_value", str), ("parse_literal", _literal(parse)),
                                    ("coerce_input_literal", _literal(parse))):
            if hasattr(scalar, attribute):
                setattr(scalar, attribute, function)
    account_type: Any = schema.type_map["Account"]
    account_type.resolve_type = lambda value, _info, _type: value.record.typename
    return schema


def _refused(refusal: Refusal) -> GraphQLError:
    return GraphQLError(refusal.message, extensions={"code": refusal.code})


class AccountView:
    """An account as the caller sees it: its fields, its team and (for its admins) its pending invitations."""

    def __init__(self, platform: Platform, caller: Caller, record: AccountRecord) -> None:
        self.platform, self.caller, self.record = platform, caller, record
        self.id, self.slug, self.name, self.type = record.id, record.slug, record.name, record.type

    def view(self, account_id: str) -> AccountView:
        return AccountView(self.platform, self.caller, self.platform.accounts[account_id])

    def members(self, _info: Any, limit: int, offset: int, role: list[str] | None = None, email: str | None = None,
                includeInherited: bool = True) -> dict[str, Any]:
        limit, offset = (100 if limit < 0 else limit), max(offset, 0)
        if limit > 1000:
            raise GraphQLError("Cannot fetch more than 1,000 members at the same time, please adjust the limit",
                               extensions={"code": "INTERNAL_SERVER_ERROR"})
        if email is not None and not self.platform.is_admin(self.caller.user, self.record):
            raise GraphQLError('Only admins can lookup for members using the "email" argument',
                               extensions={"code": "BadRequest"})
        rows = [(e, inherited) for e, inherited in self.platform.team(self.record, includeInherited)
                if (not role or e.role in role)
                and (email is None or self.platform.accounts[e.account_id].email.lower() == email.lower())]
        nodes = [{"id": e.id, "role": e.role, "since": e.since, "createdAt": e.created_at, "description": e.description,
                  "inherited": inherited, "account": self.view(e.account_id)} for e, inherited in rows]
        return {"offset": offset, "limit": limit, "totalCount": len(rows), "nodes": nodes[offset:offset + limit]}

    def memberInvitations(self, _info: Any, role: list[str] | None = None) -> list[dict[str, Any]] | None:
        """null unless the caller is an admin of the account (MemberInvitationsQuery)."""
        if not self.platform.is_admin(self.caller.user, self.record):
            return None
        return [self.invitation(e) for e in self.platform.invitations
                if e.collective_id == self.record.id and (not role or e.role in role)]

    def invitation(self, entry: Entry) -> dict[str, Any]:
        return {"id": entry.id, "createdAt": entry.created_at, "account": self.view(entry.collective_id),
                "memberAccount": self.view(entry.account_id), "role": entry.role, "description": entry.description,
                "since": entry.since}


class Root:
    """The root value: Query and Mutation fields, for one request's caller."""

    def __init__(self, platform: Platform, caller: Caller) -> None:
        self.platform, self.caller = platform, caller

    def _view(self, record: AccountRecord) -> AccountView:
        return AccountView(self.platform, self.caller, record)

    def account(self, _info: Any, id: str | None = None, slug: str | None = None, githubHandle: str | None = None,
                throwIfMissing: bool = True) -> AccountView | None:
        if slug:
            found = self.platform.by_slug(slug)
            missing = f"No collective found with slug {slug}", "INTERNAL_SERVER_ERROR"
        elif id:
            found, missing = self.platform.accounts.get(id), ("Account Not Found", "NotFound")
        else:
            raise GraphQLError("Please provide a slug or an id", extensions={"code": "INTERNAL_SERVER_ERROR"})
        if found is None and throwIfMissing:
            raise GraphQLError(missing[0], extensions={"code": missing[1]})
        return self._view(found) if found else None

    def me(self, _info: Any) -> AccountView | None:
        return self._view(self.caller.user) if self.caller.user else None

    def removeMember(self, _info: Any, memberAccount: dict[str, Any], account: dict[str, Any], role: str,
                     isInvitation: bool | None = None) -> bool:
        try:
            return self.platform.remove_member(self.caller, memberAccount, account, role, isInvitation)
        except Refusal as refusal:
            raise _refused(refusal) from None

    def inviteMember(self, _info: Any, memberAccount: dict[str, Any], account: dict[str, Any], role: str,
                     description: Any = ABSENT, since: Any = ABSENT, privateNote: str | None = None,
                     isNewUser: bool = False) -> dict[str, Any]:
        changes = {k: v for k, v in (("description", description), ("since", since)) if v is not ABSENT}
        try:
            entry = self.platform.invite_member(self.caller, memberAccount, account, role, changes)
        except Refusal as refusal:
            raise _refused(refusal) from None
        return AccountView(self.platform, self.caller, self.platform.accounts[entry.collective_id]).invitation(entry)
