"""Every GraphQL operation offboard sends to Open Collective's API v2, in one place.

Each has a name (``operationName``, and the word people read in an error sentence). The
emulator validates each one against its schema (tests/connectors/opencollective), so a field
that does not exist in the real schema fails there, not at an organization's first run.
"""

from __future__ import annotations

from dataclasses import dataclass

from .roles import GRAPHQL_LIST


@dataclass(frozen=True)
class Operation:
    name: str
    document: str
    what: str  # for sentences: "reading the team of the collective"

    @property
    def is_mutation(self) -> bool:
        return self.document.lstrip().startswith("mutation")


ACCOUNT_FIELDS = "id slug name type"

ME = Operation("OffboardMe", "query OffboardMe { me { id slug name } }", "reading the token's user")

ACCOUNT = Operation("OffboardAccount", f"""
query OffboardAccount($slug: String!) {{
  account(slug: $slug, throwIfMissing: false) {{ {ACCOUNT_FIELDS} }}
}}""", "reading an account")

# One page of the collective's team: core roles only, inherited ones (from a parent collective) marked.
MEMBERS = Operation("OffboardMembers", f"""
query OffboardMembers($collective: String!, $limit: Int!, $offset: Int!) {{
  account(slug: $collective, throwIfMissing: false) {{
    id slug name
    members(role: {GRAPHQL_LIST}, limit: $limit, offset: $offset) {{
      totalCount
      nodes {{ id role since description inherited account {{ {ACCOUNT_FIELDS} }} }}
    }}
  }}
}}""", "reading the collective's team")

# ``members(email:)`` is for the collective's admins only, and matches the email a person signs in with.
MEMBER_BY_EMAIL = Operation("OffboardMemberByEmail", f"""
query OffboardMemberByEmail($collective: String!, $email: EmailAddress!) {{
  account(slug: $collective, throwIfMissing: false) {{
    members(role: {GRAPHQL_LIST}, email: $email, limit: 10, offset: 0) {{
      nodes {{ account {{ {ACCOUNT_FIELDS} }} }}
    }}
  }}
}}""", "looking up a team member by email")

# Pending invitations: null unless the token's user is an admin of the collective (or of its host).
INVITATIONS = Operation("OffboardInvitations", f"""
query OffboardInvitations($collective: String!) {{
  account(slug: $collective, throwIfMissing: false) {{
    memberInvitations(role: {GRAPHQL_LIST}) {{
      id role since description memberAccount {{ {ACCOUNT_FIELDS} }}
    }}
  }}
}}""", "reading the collective's pending invitations")

# Answers true even when nothing matched: offboard reads the team before and after.
REMOVE_MEMBER = Operation("OffboardRemoveMember", """
mutation OffboardRemoveMember($member: AccountReferenceInput!, $collective: AccountReferenceInput!,
                              $role: MemberRole!, $isInvitation: Boolean) {
  removeMember(memberAccount: $member, account: $collective, role: $role, isInvitation: $isInvitation)
}""", "removing a team member")

# Updates the person's pending invitation to this collective if there is one, instead of adding another.
INVITE_MEMBER = Operation("OffboardInviteMember", """
mutation OffboardInviteMember($member: AccountReferenceInput!, $collective: AccountReferenceInput!,
                              $role: MemberRole!, $description: String, $since: DateTime) {
  inviteMember(memberAccount: $member, account: $collective, role: $role, description: $description,
               since: $since) { id role since }
}""", "inviting a team member")

ALL = (ME, ACCOUNT, MEMBERS, MEMBER_BY_EMAIL, INVITATIONS, REMOVE_MEMBER, INVITE_MEMBER)
