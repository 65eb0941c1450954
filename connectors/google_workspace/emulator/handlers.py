"""The emulated endpoints: Directory, Gmail settings and messages, Data Transfer and Licensing.

Each handler takes the path parameters, the request and the caller's grant, and works
on the ``Workspace``; it raises ``ApiError`` for Google's errors. Authentication,
scope and discovery checks happen before a handler runs (see ``server``). Over 300
lines, kept whole: one short handler per method, beside the table that routes to them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from offboard.testing.emulation import Request, Response

from .auth import Grant
from .errors import ApiError, bad_request, not_found
from .mail import MailApi
from .putback import PutBackApi
from .state import TRANSFER_APPS, Gmail, Transfer, User, Workspace, hash_password

Handler = Callable[[dict[str, str], Request, Grant], Response]
NO_CONTENT = Response(204, None)
DEVICE_ACTIONS = {"admin_remote_wipe": "WIPING", "admin_account_wipe": "ACCOUNT_WIPING", "approve": "APPROVED",
                  "block": "BLOCKED", "cancel_remote_wipe_then_activate": "APPROVED",
                  "cancel_remote_wipe_then_block": "BLOCKED"}


def _page(items: list[Any], request: Request, limit: int, key: str, kind: str) -> Response:
    """Google's paging: ``maxResults`` capped by the method's limit, ``pageToken`` an opaque cursor."""
    size = min(int(request.arg("maxResults") or limit), limit)
    start = int(request.arg("pageToken") or 0)
    body: dict[str, Any] = {"kind": kind, "etag": f'"{len(items)}"'}
    if items[start:start + size]:
        body[key] = items[start:start + size]
    if start + size < len(items):
        body["nextPageToken"] = str(start + size)
    return Response(200, body)


def _items(kind: str, etag: str, items: list[dict[str, Any]]) -> Response:
    """An unpaged list, which Google sends without ``items`` when it is empty."""
    return Response(200, {"kind": kind, "etag": etag, **({"items": items} if items else {})})


class WorkspaceApi(PutBackApi, MailApi):
    """Handlers by discovery method id."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    def handlers(self) -> dict[str, Handler]:
        return {
            "directory.users.get": self.users_get,
            "directory.users.list": self.users_list,
            "directory.users.update": self.users_update,
            "directory.users.patch": self.users_update,
            "directory.users.signOut": self.users_sign_out,
            "directory.tokens.list": self.tokens_list,
            "directory.tokens.delete": self.tokens_delete,
            "directory.asps.list": self.asps_list,
            "directory.asps.delete": self.asps_delete,
            "directory.verificationCodes.list": self.codes_list,
            "directory.verificationCodes.invalidate": self.codes_invalidate,
            "directory.groups.list": self.groups_list,
            "directory.members.get": self.members_get,
            "directory.members.delete": self.members_delete,
            "directory.roles.list": self.roles_list,
            "directory.roleAssignments.list": self.role_assignments_list,
            "directory.roleAssignments.delete": self.role_assignments_delete,
            "directory.mobiledevices.list": self.devices_list,
            "directory.mobiledevices.action": self.devices_action,
            "datatransfer.applications.list": self.transfer_apps_list,
            "datatransfer.transfers.insert": self.transfers_insert,
            "datatransfer.transfers.get": self.transfers_get,
            "datatransfer.transfers.list": self.transfers_list,
            "licensing.licenseAssignments.get": self.license_get,
            "licensing.licenseAssignments.delete": self.license_delete,
            "gmail.users.settings.delegates.list": self.delegates_list,
            "gmail.users.settings.delegates.delete": self.delegates_delete,
            "gmail.users.settings.getAutoForwarding": self._setting_get("forwarding"),
            "gmail.users.settings.updateAutoForwarding": self.forwarding_update,
            "gmail.users.settings.getPop": self._setting_get("pop"),
            "gmail.users.settings.updatePop": self._setting_update("pop"),
            "gmail.users.settings.getImap": self._setting_get("imap"),
            "gmail.users.settings.updateImap": self._setting_update("imap"),
            **self.putback_handlers(),
            **self.mail_handlers(),
        }

    # -- helpers

    def _user(self, key: str) -> User:
        user = self.ws.user(key)
        if user is None:
            raise not_found("userKey")
        return user

    def _customer(self, params: dict[str, str], name: str = "customer") -> None:
        if params.get(name) not in ("my_customer", self.ws.customer_id):
            raise ApiError(403, "Not Authorized to access this resource/api", "forbidden")

    @staticmethod
    def _refuse_if_suspended(user: User) -> None:
        # Google answers so for sign-out and backup-code invalidation of a suspended user
        # (GAM reports it as "User is suspended. You must unsuspend to process backupcodes").
        if user.suspended:
            raise bad_request("Invalid Input: user is suspended")

    # -- users

    def users_get(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        return Response(200, self.ws.user_to_api(self._user(params["userKey"])))

    def users_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        if not request.arg("customer") and not request.arg("domain"):
            raise bad_request("Bad Request", "badRequest")
        if request.arg("customer"):
            self._customer({"customer": request.arg("customer") or ""})
        elif request.arg("domain") != self.ws.domain:
            raise ApiError(403, "Not Authorized to access this resource/api", "forbidden")
        if request.arg("query") or request.arg("showDeleted") == "true":
            raise bad_request("the emulator does not implement users.list query or showDeleted")
        users = sorted(self.ws.users.values(), key=lambda u: u.primary_email.lower())
        return _page([self.ws.user_to_api(u) for u in users], request, 500, "users", "admin#directory#users")

    def users_update(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        user = self._user(params["userKey"])
        body = request.json() or {}
        if "password" in body:
            if len(body["password"]) < 8 and not body.get("hashFunction"):
                raise bad_request("Invalid Password")
            user.password_sha256 = hash_password(body["password"])
        if "changePasswordAtNextLogin" in body:
            user.change_password_at_next_login = bool(body["changePasswordAtNextLogin"])
        if "suspended" in body:
            user.suspended = bool(body["suspended"])
        if "archived" in body:
            user.archived = bool(body["archived"])
        if "includeInGlobalAddressList" in body:
            user.include_in_gal = bool(body["includeInGlobalAddressList"])
        if "orgUnitPath" in body:
            if not str(body["orgUnitPath"]).startswith("/"):
                raise bad_request("Invalid Input: orgUnitPath")
            user.org_unit_path = body["orgUnitPath"]
        return Response(200, self.ws.user_to_api(user))

    def users_sign_out(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self._refuse_if_suspended(self._user(params["userKey"]))
        return NO_CONTENT

    # -- security: tokens, app passwords, backup codes

    def tokens_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        user = self._user(params["userKey"])
        return _items("admin#directory#tokenList", '"t"', [t.to_api(user.id) for t in user.tokens.values()])

    def tokens_delete(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        if self._user(params["userKey"]).tokens.pop(params["clientId"], None) is None:
            raise not_found("clientId")
        return NO_CONTENT

    def asps_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        user = self._user(params["userKey"])
        return _items("admin#directory#aspList", '"a"', [a.to_api(user.id) for a in user.asps.values()])

    def asps_delete(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        try:
            code_id = int(params["codeId"])
        except ValueError:
            raise bad_request(f"Invalid value '{params['codeId']}' for codeId") from None
        if self._user(params["userKey"]).asps.pop(code_id, None) is None:
            raise not_found("codeId")
        return NO_CONTENT

    def codes_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        user = self._user(params["userKey"])
        return _items("admin#directory#verificationCodesList", '"v"', [
            {"kind": "admin#directory#verificationCode", "userId": user.id, "verificationCode": code, "etag": '"v"'}
            for code in user.backup_codes])

    def codes_invalidate(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        user = self._user(params["userKey"])
        self._refuse_if_suspended(user)
        user.backup_codes.clear()
        return NO_CONTENT

    # -- groups

    def groups_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        key = request.arg("userKey")
        if not key and not request.arg("customer") and not request.arg("domain"):
            raise bad_request("Bad Request", "badRequest")
        groups = sorted(self.ws.groups.values(), key=lambda g: g.email)
        if key:
            user = self._user(key)
            groups = [g for g in groups if user.primary_email.lower() in g.members]
        return _page([g.to_api() for g in groups], request, 200, "groups", "admin#directory#groups")

    def _membership(self, params: dict[str, str]) -> tuple[Any, str]:
        group = self.ws.group(params["groupKey"])
        if group is None:
            raise not_found("groupKey")
        key = params["memberKey"].lower()
        user = self.ws.user(key)
        key = user.primary_email.lower() if user else key
        if key not in group.members:
            raise not_found("memberKey")
        return group, key

    def members_get(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        group, key = self._membership(params)
        return Response(200, group.members[key].to_api())

    def members_delete(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        group, key = self._membership(params)
        del group.members[key]
        return NO_CONTENT

    # -- admin roles

    def roles_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self._customer(params)
        return _page([r.to_api() for r in self.ws.roles.values()], request, 100, "items", "admin#directory#roles")

    def role_assignments_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self._customer(params)
        assignments = list(self.ws.role_assignments.values())
        if key := request.arg("userKey"):
            user_id = self._user(key).id
            assignments = [a for a in assignments if a.user_id == user_id]
        if role_id := request.arg("roleId"):
            assignments = [a for a in assignments if a.role_id == role_id]
        return _page([a.to_api() for a in assignments], request, 200, "items", "admin#directory#roleAssignments")

    def role_assignments_delete(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self._customer(params)
        if self.ws.role_assignments.pop(params["roleAssignmentId"], None) is None:
            raise not_found("roleAssignmentId")
        return NO_CONTENT

    # -- mobile devices

    def devices_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self._customer(params, "customerId")
        devices = sorted(self.ws.devices.values(), key=lambda d: d.resource_id)
        if query := request.arg("query"):
            if not query.startswith("email:"):
                raise bad_request("the emulator implements only the email: query for mobile devices")
            devices = [d for d in devices if d.email.lower() == query[len("email:"):].lower()]
        return _page([d.to_api() for d in devices], request, 100, "mobiledevices", "admin#directory#mobiledevices")

    def devices_action(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self._customer(params, "customerId")
        device = self.ws.devices.get(params["resourceId"])
        if device is None:
            raise not_found("resourceId")
        action = (request.json() or {}).get("action")
        if action not in DEVICE_ACTIONS:
            raise bad_request(f"Invalid value for action: {action}")
        device.status = DEVICE_ACTIONS[action]
        return Response(200, None)

    # -- data transfer

    def transfer_apps_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        apps = [{"kind": "admin#datatransfer#ApplicationResource", "id": str(app_id), "name": app["name"],
                 "transferParams": app["transferParams"]} for app_id, app in TRANSFER_APPS.items()]
        return Response(200, {"kind": "admin#datatransfer#applicationsList", "applications": apps})

    def transfers_insert(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        body = request.json() or {}
        old = self.ws.user(str(body.get("oldOwnerUserId", "")))
        new = self.ws.user(str(body.get("newOwnerUserId", "")))
        if old is None or new is None or old.id != body["oldOwnerUserId"] or new.id != body["newOwnerUserId"]:
            raise bad_request("Invalid Input: oldOwnerUserId and newOwnerUserId must be user ids of this customer")
        if old.id == new.id:
            raise bad_request("Invalid Input: the old and new owner are the same user")
        apps = body.get("applicationDataTransfers") or []
        if not apps or any(int(a.get("applicationId", 0)) not in TRANSFER_APPS for a in apps):
            raise bad_request("Invalid Input: applicationId")
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        transfer = Transfer(self.ws.new_id(), old.id, new.id, apps, now, self.ws.transfer_polls)
        self.ws.transfers[transfer.id] = transfer
        return Response(200, transfer.to_api(just_started=True))

    def transfers_get(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        transfer = self.ws.transfers.get(params["dataTransferId"])
        if transfer is None:
            raise not_found("dataTransferId")
        answer = transfer.to_api()
        transfer.polls_left = max(0, transfer.polls_left - 1)
        return Response(200, answer)

    def transfers_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        transfers = [t.to_api() for t in self.ws.transfers.values()
                     if request.arg("oldOwnerUserId") in (None, t.old_owner)
                     and request.arg("newOwnerUserId") in (None, t.new_owner)]
        if status := request.arg("status"):
            transfers = [t for t in transfers if t["overallTransferStatusCode"] == status]
        return _page(transfers, request, 500, "dataTransfers", "admin#datatransfer#dataTransfersList")

    # -- licensing

    def _license(self, params: dict[str, str]) -> tuple[str, str, str]:
        key = (params["productId"], params["skuId"], params["userId"].lower())
        if key not in self.ws.licenses:
            raise ApiError(404, "User does not have a license for specified sku and product", "notFound")
        return key

    def license_get(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        product, sku, user = self._license(params)
        return Response(200, {"kind": "licensing#licenseAssignment", "productId": product, "skuId": sku,
                              "userId": user, "etags": '"l"'})

    def license_delete(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        self.ws.licenses.discard(self._license(params))
        return NO_CONTENT

    # -- Gmail settings (the caller is the mailbox owner; server.py checks it)

    def _mailbox(self, grant: Grant) -> Gmail:
        return self._user(grant.subject).gmail

    def delegates_list(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        delegates = [{"delegateEmail": email, "verificationStatus": status}
                     for email, status in sorted(self._mailbox(grant).delegates.items())]
        return Response(200, {"delegates": delegates} if delegates else {})

    def delegates_delete(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        if self._mailbox(grant).delegates.pop(params["delegateEmail"].lower(), None) is None:
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return NO_CONTENT

    def forwarding_update(self, params: dict[str, str], request: Request, grant: Grant) -> Response:
        body = request.json() or {}
        mailbox = self._mailbox(grant)
        if body.get("enabled") and not body.get("emailAddress"):
            raise bad_request("Forwarding address must be verified", "failedPrecondition")
        mailbox.forwarding = {k: v for k, v in body.items() if k in ("enabled", "emailAddress", "disposition")}
        return Response(200, dict(mailbox.forwarding))

    def _setting_get(self, name: str) -> Handler:
        """getPop, getImap, getAutoForwarding: the mailbox's ``name`` setting as it stands."""
        def get(params: dict[str, str], request: Request, grant: Grant) -> Response:
            return Response(200, dict(getattr(self._mailbox(grant), name)))
        return get

    def _setting_update(self, name: str) -> Handler:
        """updatePop, updateImap: the fields sent replace those of the ``name`` setting."""
        def update(params: dict[str, str], request: Request, grant: Grant) -> Response:
            mailbox = self._mailbox(grant)
            setattr(mailbox, name, {**getattr(mailbox, name), **(request.json() or {})})
            return Response(200, dict(getattr(mailbox, name)))
        return update
