"""The emulated writes that put access back: members, role assignments, licences, delegates, groups.get.

A mixin of ``WorkspaceApi`` (``handlers``), which is over 300 lines already. Each insert is
refused as Google refuses it: what is there already is a 409, a missing group, role or
user a 404 or a 400, a field outside the documented values a 400.
"""

from __future__ import annotations

from collections.abc import Callable

from offboard.testing.emulation import Request, Response

from .auth import Grant
from .errors import ApiError, bad_request, not_found
from .state import Gmail, Membership, RoleAssignment, User, Workspace

Handler = Callable[[dict[str, str], Request, Grant], Response]
ROLES = ("OWNER", "MANAGER", "MEMBER")
DELIVERY = ("ALL_MAIL", "DAILY", "DIGEST", "DISABLED", "NONE")  # the Member resource's delivery_settings
SCOPES = ("CUSTOMER", "ORG_UNIT")


def duplicate(message: str) -> ApiError:
    return ApiError(409, message, "duplicate")


class PutBackApi:
    ws: Workspace

    def _user(self, key: str) -> User:
        raise NotImplementedError

    def _customer(self, params: dict[str, str], name: str = "customer") -> None:
        raise NotImplementedError

    def _mailbox(self, grant: Grant) -> Gmail:
        raise NotImplementedError

    def putback_handlers(self) -> dict[str, Handler]:
        return {
            "directory.groups.get": self.groups_get,
            "directory.members.insert": self.members_insert,
            "directory.roleAssignments.insert": self.role_assignments_insert,
            "licensing.licenseAssignments.insert": self.license_insert,
            "gmail.users.settings.delegates.create": self.delegates_create,
        }

    def groups_get(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        group = self.ws.group(params["groupKey"])
        if group is None:
            raise not_found("groupKey")
        return Response(200, group.to_api())

    def members_insert(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        group = self.ws.group(params["groupKey"])
        if group is None:
            raise not_found("groupKey")
        body = request.json() or {}
        email = str(body.get("email") or "")
        if not email:
            raise bad_request("Missing required field: memberKey", "required")
        role, delivery = body.get("role", "MEMBER"), body.get("delivery_settings", "ALL_MAIL")
        if role not in ROLES:
            raise bad_request(f"Invalid value for role: {role}")
        if delivery not in DELIVERY:
            raise bad_request(f"Invalid value for delivery_settings: {delivery}")
        user = self.ws.user(email)
        key = user.primary_email.lower() if user else email.lower()
        if key in group.members:
            raise duplicate("Member already exists.")
        member = Membership(user.primary_email if user else email, user.id if user else self.ws.new_id(),
                            role, delivery, body.get("type", "USER"))
        group.members[key] = member
        return Response(200, member.to_api())

    def role_assignments_insert(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self._customer(params)
        body = request.json() or {}
        role_id, assigned_to = str(body.get("roleId") or ""), str(body.get("assignedTo") or "")
        scope, unit = body.get("scopeType"), str(body.get("orgUnitId") or "")
        if role_id not in self.ws.roles:
            raise bad_request("Invalid Input: roleId", "invalid")
        user = self.ws.user(assigned_to)
        if user is None or user.id != assigned_to:  # assignedTo is a user id, never an email
            raise bad_request("Invalid Input: assignedTo", "invalid")
        if scope not in SCOPES or (scope == "ORG_UNIT") != bool(unit):
            raise bad_request("Invalid Input: scopeType and orgUnitId", "invalid")
        if any((a.role_id, a.user_id, a.scope_type, a.org_unit_id) == (role_id, user.id, scope, unit)
               for a in self.ws.role_assignments.values()):
            raise duplicate("Role assignment already exists for the role")
        assignment = RoleAssignment(self.ws.new_id(), role_id, user.id, str(scope), unit)
        self.ws.role_assignments[assignment.id] = assignment
        return Response(200, assignment.to_api())

    def license_insert(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        email = str((request.json() or {}).get("userId") or "")
        user = self.ws.user(email)
        if user is None:
            raise ApiError(400, "Invalid Input: userId", "invalid")
        key = (params["productId"], params["skuId"], user.primary_email.lower())
        if key in self.ws.licenses:
            raise ApiError(412, "User already has a license for the specified product and SKU", "conditionNotMet")
        self.ws.licenses.add(key)
        return Response(200, {"kind": "licensing#licenseAssignment", "productId": key[0], "skuId": key[1],
                              "userId": key[2], "etags": '"l"'})

    def delegates_create(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        """Added as ``accepted`` at once; the delegate must be of the same organization, never the owner."""
        delegate = str((request.json() or {}).get("delegateEmail") or "").lower()
        mailbox = self._mailbox(grant)
        if "@" not in delegate or delegate.split("@")[1] != self.ws.domain.lower() or delegate == grant.subject.lower():
            raise bad_request("Invalid delegate", "invalidArgument")
        if delegate in mailbox.delegates:
            raise ApiError(409, "Delegate already exists.", "alreadyExists")
        mailbox.delegates[delegate] = "accepted"
        return Response(200, {"delegateEmail": delegate, "verificationStatus": "accepted"})
