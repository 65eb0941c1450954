"""The organization the fake Bitwarden holds: members, groups, collections and the organization's API key.

Kept apart from HTTP so tests and the sandbox can seed and inspect it directly. The rules
are those of bitwarden/server (``RevokeOrganizationUsersValidator``, ``RestoreOrganizationUserCommand``,
``GroupUser_UpdateGroups.sql``) as the Public API runs them: it acts as the organization itself
(a system user, ``EventSystemUser.PublicApi``), so the "yourself" and "only owners" refusals
that a person meets in the Admin Console do not arise here.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# OrganizationUserStatusType and OrganizationUserType, as the API sends them (integers)
INVITED, ACCEPTED, CONFIRMED, STAGED, REVOKED = 0, 1, 2, 3, -1
OWNER, ADMIN, USER, CUSTOM = 0, 1, 2, 4

ALREADY_REVOKED = "Already revoked."
ALREADY_ACTIVE = "Already active."
ONE_OWNER = "Organization must have at least one confirmed owner."


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Access:
    """A member's or group's permissions on one collection (AssociationWithPermissions)."""

    read_only: bool = False
    hide_passwords: bool = False
    manage: bool = False

    def json(self, target: str) -> dict[str, Any]:
        return {"id": target, "readOnly": self.read_only, "hidePasswords": self.hide_passwords, "manage": self.manage}


@dataclass
class OrgMember:
    id: str
    email: str
    name: str | None
    user_id: str | None  # None while Invited: no Bitwarden account is linked yet
    status: int
    type: int
    external_id: str | None = None
    two_factor: bool = False
    collections: dict[str, Access] = field(default_factory=dict)
    prior_status: int | None = None  # what revoke replaced (StatusNew in the server), for restore


@dataclass
class Group:
    id: str
    name: str
    external_id: str | None
    collections: dict[str, Access] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)


@dataclass
class Collection:
    id: str
    name: str  # encrypted in Bitwarden: the API never shows it; kept here for tests and the demo
    external_id: str | None


class Organization:
    """One organization: its members, groups and collections, and its API key (``UseApi`` switch too)."""

    def __init__(self, name: str) -> None:
        self.id = new_id()
        self.name = name
        self.api_key = secrets.token_urlsafe(22)  # a 30-character secret, like the Admin Console's
        self.use_api = True
        self.list_group_collections = True  # False: GET /public/groups lists no collections (servers before 2023)
        self.members: dict[str, OrgMember] = {}
        self.groups: dict[str, Group] = {}
        self.collections: dict[str, Collection] = {}

    # -- seeding

    def add_member(self, email: str, name: str | None = None, *, status: int = CONFIRMED, type: int = USER,
                   external_id: str | None = None, two_factor: bool = False, prior_status: int | None = None) -> str:
        mid = new_id()
        user_id = None if status == INVITED or (status == REVOKED and prior_status == INVITED) else new_id()
        self.members[mid] = OrgMember(mid, email, None if user_id is None else name, user_id, status, type, external_id,
                                      two_factor, prior_status=prior_status)
        return mid

    def add_collection(self, name: str, external_id: str | None = None) -> str:
        cid = new_id()
        self.collections[cid] = Collection(cid, name, external_id)
        return cid

    def add_group(self, name: str, collections: Mapping[str, Access] | Iterable[str] = (), members: Iterable[str] = (),
                  external_id: str | None = None) -> str:
        gid = new_id()
        grants = dict(collections) if isinstance(collections, Mapping) else {c: Access() for c in collections}
        self.groups[gid] = Group(gid, name, external_id, grants, set(members))
        return gid

    def grant(self, member_id: str, collection_id: str, access: Access | None = None) -> None:
        self.members[member_id].collections[collection_id] = access or Access()

    # -- reading

    def group_ids_of(self, member_id: str) -> list[str]:
        return [g.id for g in self.groups.values() if member_id in g.members]

    def confirmed_owners_except(self, member_id: str) -> bool:
        return any(m.type == OWNER and m.status == CONFIRMED and m.id != member_id for m in self.members.values())

    # -- changes (each answers Bitwarden's refusal message, or None)

    def revoke(self, member_id: str) -> str | None:
        member = self.members[member_id]
        if member.status == REVOKED:
            return ALREADY_REVOKED
        if member.type == OWNER and not self.confirmed_owners_except(member_id):
            return ONE_OWNER
        member.prior_status, member.status = member.status, REVOKED
        return None

    def restore(self, member_id: str) -> str | None:
        member = self.members[member_id]
        if member.status != REVOKED:
            return ALREADY_ACTIVE
        member.status = member.prior_status if member.prior_status is not None else self._inferred_status(member)
        member.prior_status = None
        return None

    def remove(self, member_id: str) -> str | None:
        member = self.members[member_id]
        if member.type == OWNER and not self.confirmed_owners_except(member_id):
            return ONE_OWNER
        del self.members[member_id]
        for group in self.groups.values():
            group.members.discard(member_id)
        return None

    def set_groups(self, member_id: str, group_ids: Iterable[str]) -> None:
        """PUT group-ids replaces the whole list; ids of no group of this organization are dropped silently."""
        wanted = set(group_ids)
        for group in self.groups.values():
            if group.id in wanted:
                group.members.add(member_id)
            else:
                group.members.discard(member_id)

    @staticmethod
    def _inferred_status(member: OrgMember) -> int:
        """OrganizationUser.GetPriorActiveOrganizationUserStatusType for rows revoked before StatusNew existed."""
        return CONFIRMED if member.user_id is not None else INVITED

    # -- JSON, as the Public API's response models serialize (camelCase, enums as integers)

    def member_json(self, member: OrgMember) -> dict[str, Any]:
        return {
            "object": "member",
            "id": member.id,
            "userId": member.user_id,
            "name": member.name,
            "email": member.email,
            "twoFactorEnabled": member.two_factor,
            "status": member.status,
            "collections": [access.json(cid) for cid, access in member.collections.items() if cid in self.collections],
            "resetPasswordEnrolled": False,
            "ssoExternalId": None,
            "type": member.type,
            "externalId": member.external_id,
            "permissions": {} if member.type == CUSTOM else None,
        }

    def group_json(self, group: Group) -> dict[str, Any]:
        return {
            "object": "group",
            "id": group.id,
            "collections": [access.json(cid) for cid, access in group.collections.items() if cid in self.collections],
            "name": group.name,
            "externalId": group.external_id,
        }

    def collection_json(self, collection: Collection) -> dict[str, Any]:
        groups = [g.collections[collection.id].json(g.id) for g in self.groups.values() if collection.id in g.collections]
        return {"object": "collection", "id": collection.id, "groups": groups, "externalId": collection.external_id}
