"""The state of the emulated Workspace: users, groups, tokens, devices, transfers.

Plain data with Google's field names in ``to_api`` so that the HTTP layer stays thin.
Seeding helpers live here too, because tests and the sandbox both build orgs with them;
that takes it a little past 300 lines, all of it flat data.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mail import MailMessage

SUPER_ADMIN_ROLE_ID = "91447453409034241"
DRIVE_APP_ID = 55656082996
CALENDAR_APP_ID = 435070579839
TRANSFER_APPS = {
    DRIVE_APP_ID: {"name": "Drive and Docs", "transferParams": [
        {"key": "PRIVACY_LEVEL", "value": ["PRIVATE", "SHARED"]}]},
    CALENDAR_APP_ID: {"name": "Calendar", "transferParams": [{"key": "RELEASE_RESOURCES", "value": ["TRUE"]}]},
}
APP_NAMES = ("Slack", "Zoom", "Trello", "Canva", "Notion", "Miro", "Mailchimp", "Calendly", "Dropbox", "Asana")


@dataclass
class Token:
    client_id: str
    display_text: str
    scopes: list[str]

    def to_api(self, user_key: str) -> dict[str, Any]:
        return {"kind": "admin#directory#token", "clientId": self.client_id, "displayText": self.display_text,
                "scopes": list(self.scopes), "userKey": user_key, "anonymous": False, "nativeApp": False,
                "etag": _etag(self.client_id)}


@dataclass
class Asp:
    code_id: int
    name: str
    creation_time: int  # milliseconds since the epoch, as Google reports it

    def to_api(self, user_key: str) -> dict[str, Any]:
        return {"kind": "admin#directory#asp", "codeId": self.code_id, "name": self.name,
                "creationTime": str(self.creation_time), "lastTimeUsed": "0", "userKey": user_key,
                "etag": _etag(str(self.code_id))}


@dataclass
class Gmail:
    """A user's Gmail settings that matter when access ends, and the messages the user sent (oldest first)."""

    delegates: dict[str, str] = field(default_factory=dict)  # delegate email -> verificationStatus
    forwarding: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    pop: dict[str, Any] = field(default_factory=lambda: {"accessWindow": "disabled"})
    imap: dict[str, Any] = field(default_factory=lambda: {"enabled": True, "autoExpunge": True,
                                                          "expungeBehavior": "archive", "maxFolderSize": 0})
    messages: list[MailMessage] = field(default_factory=list)


@dataclass
class User:
    id: str
    primary_email: str
    given_name: str
    family_name: str
    suspended: bool = False
    archived: bool = False
    last_login: str = "1970-01-01T00:00:00.000Z"
    include_in_gal: bool = True
    org_unit_path: str = "/"
    password_sha256: str = ""
    change_password_at_next_login: bool = False
    tokens: dict[str, Token] = field(default_factory=dict)
    asps: dict[int, Asp] = field(default_factory=dict)
    backup_codes: list[str] = field(default_factory=list)
    gmail: Gmail = field(default_factory=Gmail)


@dataclass
class Membership:
    email: str
    id: str
    role: str = "MEMBER"  # OWNER, MANAGER, MEMBER
    delivery_settings: str = "ALL_MAIL"
    type: str = "USER"

    def to_api(self) -> dict[str, Any]:
        return {"kind": "admin#directory#member", "id": self.id, "email": self.email, "role": self.role,
                "type": self.type, "status": "ACTIVE", "delivery_settings": self.delivery_settings,
                "etag": _etag(self.email + self.role)}


@dataclass
class Group:
    id: str
    email: str
    name: str
    members: dict[str, Membership] = field(default_factory=dict)  # lower-cased email -> membership

    def to_api(self) -> dict[str, Any]:
        return {"kind": "admin#directory#group", "id": self.id, "email": self.email, "name": self.name,
                "directMembersCount": str(len(self.members)), "adminCreated": True, "etag": _etag(self.id)}


@dataclass
class Role:
    id: str
    name: str
    is_super_admin: bool = False

    def to_api(self) -> dict[str, Any]:
        return {"kind": "admin#directory#role", "roleId": self.id, "roleName": self.name,
                "isSystemRole": True, "isSuperAdminRole": self.is_super_admin, "etag": _etag(self.id)}


@dataclass
class RoleAssignment:
    id: str
    role_id: str
    user_id: str
    scope_type: str = "CUSTOMER"  # or ORG_UNIT, with org_unit_id
    org_unit_id: str = ""

    def to_api(self) -> dict[str, Any]:
        return {"kind": "admin#directory#roleAssignment", "roleAssignmentId": self.id, "roleId": self.role_id,
                "assignedTo": self.user_id, "assigneeType": "user", "scopeType": self.scope_type,
                **({"orgUnitId": self.org_unit_id} if self.org_unit_id else {}), "etag": _etag(self.id)}


@dataclass
class Device:
    resource_id: str
    email: str
    model: str
    type: str  # ANDROID, IOS_SYNC, ...
    os: str
    status: str = "APPROVED"

    def to_api(self) -> dict[str, Any]:
        return {"kind": "admin#directory#mobiledevice", "resourceId": self.resource_id,
                "deviceId": self.resource_id[::-1], "email": [self.email], "model": self.model, "type": self.type,
                "os": self.os, "status": self.status, "lastSync": "2026-11-20T10:00:00.000Z",
                "etag": _etag(self.resource_id + self.status)}


@dataclass
class Transfer:
    id: str
    old_owner: str
    new_owner: str
    applications: list[dict[str, Any]]
    request_time: str
    polls_left: int  # transfers.get answers still "inProgress" before the transfer completes

    def to_api(self, just_started: bool = False) -> dict[str, Any]:
        status = "inProgress" if just_started or self.polls_left > 0 else "completed"
        return {"kind": "admin#datatransfer#DataTransfer", "id": self.id, "oldOwnerUserId": self.old_owner,
                "newOwnerUserId": self.new_owner, "overallTransferStatusCode": status,
                "requestTime": self.request_time, "etag": _etag(self.id + status),
                "applicationDataTransfers": [{**app, "applicationTransferStatus": status} for app in self.applications]}


def _etag(seed: str) -> str:
    return '"' + hashlib.sha256(seed.encode()).hexdigest()[:27] + '"'


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class Workspace:
    """One customer's directory. Not thread-safe: the emulator holds its lock around every call."""

    def __init__(self, domain: str, transfer_polls: int = 1) -> None:
        self.domain = domain
        self.customer_id = "C0" + hashlib.sha256(domain.encode()).hexdigest()[:7]
        self.transfer_polls = transfer_polls  # polls answered "inProgress" before a transfer completes
        self.users: dict[str, User] = {}  # lower-cased primary email -> user
        self.groups: dict[str, Group] = {}
        self.roles: dict[str, Role] = {SUPER_ADMIN_ROLE_ID: Role(SUPER_ADMIN_ROLE_ID, "_SEED_ADMIN_ROLE", True)}
        self.role_assignments: dict[str, RoleAssignment] = {}
        self.devices: dict[str, Device] = {}
        self.transfers: dict[str, Transfer] = {}
        self.licenses: set[tuple[str, str, str]] = set()  # (productId, skuId, lower-cased email)
        self._ids = itertools.count(100000000000000000001)

    def new_id(self) -> str:
        return str(next(self._ids))

    # -- lookups

    def user(self, key: str) -> User | None:
        """By primary email or by id, as ``userKey`` allows."""
        found = self.users.get(key.lower())
        return found or next((u for u in self.users.values() if u.id == key), None)

    def group(self, key: str) -> Group | None:
        found = self.groups.get(key.lower())
        return found or next((g for g in self.groups.values() if g.id == key), None)

    def is_admin(self, user: User) -> bool:
        return any(a.user_id == user.id and self.roles[a.role_id].is_super_admin
                   for a in self.role_assignments.values())

    def user_to_api(self, user: User) -> dict[str, Any]:
        return {
            "kind": "admin#directory#user", "id": user.id, "primaryEmail": user.primary_email,
            "name": {"givenName": user.given_name, "familyName": user.family_name,
                     "fullName": f"{user.given_name} {user.family_name}"},
            "isAdmin": self.is_admin(user), "isDelegatedAdmin": False, "suspended": user.suspended,
            "archived": user.archived, "lastLoginTime": user.last_login, "creationTime": "2024-01-15T09:00:00.000Z",
            "agreedToTerms": True, "changePasswordAtNextLogin": user.change_password_at_next_login,
            "ipWhitelisted": False, "includeInGlobalAddressList": user.include_in_gal, "orgUnitPath": user.org_unit_path,
            "isMailboxSetup": True, "isEnrolledIn2Sv": bool(user.backup_codes), "isEnforcedIn2Sv": False,
            "customerId": self.customer_id, "etag": _etag(user.id + str(user.suspended)),
            **({"suspensionReason": "ADMIN"} if user.suspended else {}),
        }

    # -- seeding

    def add_user(self, email: str, *, given_name: str = "", family_name: str = "", suspended: bool = False,
                 admin: bool = False, last_login: str = "2026-11-20T08:30:00.000Z", org_unit_path: str = "/",
                 backup_codes: int = 0) -> User:
        local = email.split("@")[0]
        user = User(self.new_id(), email, given_name or local.split(".")[0].title(),
                    family_name or (local.split(".")[-1].title() if "." in local else "User"),
                    suspended=suspended, last_login=last_login, org_unit_path=org_unit_path,
                    password_sha256=hash_password(secrets.token_urlsafe(16)),
                    backup_codes=[f"{secrets.randbelow(10**8):08d}" for _ in range(backup_codes)])
        self.users[email.lower()] = user
        if admin:
            self.assign_role(email, SUPER_ADMIN_ROLE_ID)
        return user

    def add_group(self, email: str, name: str = "") -> Group:
        group = self.groups.get(email.lower())
        if group is None:
            group = Group(self.new_id(), email, name or email.split("@")[0].replace("-", " ").title())
            self.groups[email.lower()] = group
        return group

    def add_member(self, group_email: str, email: str, role: str = "MEMBER",
                   delivery_settings: str = "ALL_MAIL") -> Membership:
        user = self.user(email)
        member = Membership(email, user.id if user else self.new_id(), role, delivery_settings)
        self.add_group(group_email).members[email.lower()] = member
        return member

    def add_token(self, email: str, display_text: str, scopes: list[str] | None = None) -> Token:
        digits = int(hashlib.sha256(f"{email}/{display_text}".encode()).hexdigest(), 16) % 10**12
        client_id = f"{digits:012d}-{display_text.lower().replace(' ', '')}.apps.googleusercontent.com"
        token = Token(client_id, display_text, scopes or ["openid", "https://www.googleapis.com/auth/userinfo.email"])
        self._user(email).tokens[client_id] = token
        return token

    def add_asp(self, email: str, name: str) -> Asp:
        user = self._user(email)
        asp = Asp(int(self.new_id()[-9:]), name, 1763000000000 + len(user.asps))
        user.asps[asp.code_id] = asp
        return asp

    def add_delegate(self, email: str, delegate: str, status: str = "accepted") -> None:
        self._user(email).gmail.delegates[delegate.lower()] = status

    def set_forwarding(self, email: str, address: str, disposition: str = "leaveInInbox") -> None:
        self._user(email).gmail.forwarding = {"enabled": True, "emailAddress": address, "disposition": disposition}

    def set_pop(self, email: str, access_window: str = "allMail") -> None:
        self._user(email).gmail.pop = {"accessWindow": access_window, "disposition": "leaveInInbox"}

    def add_role(self, name: str) -> Role:
        role = Role(self.new_id(), name)
        self.roles[role.id] = role
        return role

    def assign_role(self, email: str, role_id: str, org_unit_id: str = "") -> RoleAssignment:
        assignment = RoleAssignment(self.new_id(), role_id, self._user(email).id,
                                    "ORG_UNIT" if org_unit_id else "CUSTOMER", org_unit_id)
        self.role_assignments[assignment.id] = assignment
        return assignment

    def add_device(self, email: str, model: str = "Pixel 8", type: str = "ANDROID", os: str = "Android 15") -> Device:
        device = Device("AFiQxQ8" + secrets.token_hex(12), email, model, type, os)
        self.devices[device.resource_id] = device
        return device

    def assign_license(self, email: str, product_id: str, sku_id: str) -> None:
        self.licenses.add((product_id, sku_id, email.lower()))

    def seed_member(self, email: str, *, groups: int = 3, tokens: int = 2, asps: int = 1, delegates: int = 1,
                    forwarding: str = "", devices: int = 1, backup_codes: int = 10, suspended: bool = False) -> User:
        """A member with realistic access; the counts make a heavy user for benchmarks easy."""
        domain = email.split("@")[1]
        user = self.user(email) or self.add_user(email, suspended=suspended, backup_codes=backup_codes)
        roles = ("OWNER", "MANAGER") + ("MEMBER",) * 8
        for i in range(groups):
            name = ("members", "announce", "events", "finance", "outreach")[i] if i < 5 else f"team-{i:02d}"
            self.add_member(f"{name}@{domain}", email, roles[i % len(roles)],
                            "DIGEST" if i % 4 == 3 else "ALL_MAIL")
        for i in range(tokens):
            self.add_token(email, APP_NAMES[i % len(APP_NAMES)] + ("" if i < len(APP_NAMES) else f" {i}"))
        for i in range(asps):
            self.add_asp(email, ("Thunderbird", "iPhone Mail", "Outlook")[i % 3] + ("" if i < 3 else f" {i}"))
        for i in range(delegates):
            delegate = ("secretary", "treasurer", "chair", "press")[i % 4] + ("" if i < 4 else str(i))
            self.add_delegate(email, f"{delegate}@{domain}")
        if forwarding:
            self.set_forwarding(email, forwarding)
        for i in range(devices):
            self.add_device(email, *(("Pixel 8", "ANDROID", "Android 15"), ("iPhone 15", "IOS_SYNC", "iOS 18"))[i % 2])
        return user

    def delete_user(self, email: str) -> None:
        """As Google deletes a user: with their memberships, role assignments, devices and licences."""
        user = self._user(email)
        key = user.primary_email.lower()
        del self.users[key]
        for group in self.groups.values():
            group.members.pop(key, None)
        self.role_assignments = {k: a for k, a in self.role_assignments.items() if a.user_id != user.id}
        self.devices = {k: d for k, d in self.devices.items() if d.email.lower() != key}
        self.licenses = {lic for lic in self.licenses if lic[2] != key}

    def _user(self, email: str) -> User:
        user = self.user(email)
        if user is None:
            raise KeyError(f"no user {email} in the emulated workspace")
        return user
