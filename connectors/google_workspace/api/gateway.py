"""Every read and write the connector makes, as small named calls.

Admin APIs (Directory, Data Transfer, Licensing) act as the configured admin; Gmail
settings act as the mailbox owner, as Google requires. Lists are followed page by page.
The scopes come from the caller (``doctor`` names them), so that this module knows HTTP only.

Every read request (a get, each page of a list, a transfer's status poll) goes through
``read``, the engine's retry of one read (``ConnectorContext.read``): a throttled page is
read again on its own, never the lists around it. Writes go out once: the engine retries
them as part of their action, which looks first (``actions``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Protocol, TypeVar

from offboard.spi import NotFoundError

from .clients import GoogleClients
from .putback import Operator, PutBack

CUSTOMER = "my_customer"
DRIVE_APP_ID = "55656082996"
CALENDAR_APP_ID = "435070579839"
READ_FANOUT = 10  # group memberships read at once while discovering (the engine applies 10 at once too)
LIST_KINDS = 12  # the independent lists of one user (tokens, app passwords, groups, Gmail settings...)

T = TypeVar("T")


class Retrying(Protocol):
    """``ConnectorContext.read``: one read, retried by the engine."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def _once(fn: Callable[[], T], /) -> T:
    return fn()


class Gateway(PutBack):
    def __init__(self, clients: GoogleClients, admin: str, admin_scopes: tuple[str, ...],
                 user_scopes: tuple[str, ...], read_fanout: int = READ_FANOUT, read: Retrying = _once,
                 operator: Operator | None = None) -> None:
        self.clients = clients
        self.admin = admin
        self.admin_scopes = admin_scopes
        self.user_scopes = user_scopes  # Gmail settings, delegated to each mailbox owner
        self.read_fanout = read_fanout  # 1: every read waits for the one before (a benchmark's baseline)
        self.read = read  # the engine's retry of one read request; never used for a write
        self.operator = operator  # shown a new password once (``new_password``); None: nobody, and it is refused
        # Threads start on first use and stay, with the clients they hold, until close().
        self._lists = ThreadPoolExecutor(LIST_KINDS, thread_name_prefix="google-list")
        self._readers = ThreadPoolExecutor(read_fanout, thread_name_prefix="google-read")

    def close(self) -> None:
        self._lists.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.clients.close()

    def gather(self, reads: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
        """Independent reads side by side, one thread each; the first failure is raised once all ended.

        Reads only. Each is a different kind of list (at most one request of each in flight),
        so that discovery waits for the slowest of them, not for their sum.
        """
        if self.read_fanout <= 1:
            return {name: read() for name, read in reads.items()}
        futures = {name: self._lists.submit(read) for name, read in reads.items()}
        wait(futures.values())
        return {name: future.result() for name, future in futures.items()}

    # -- plumbing

    def admin_call(self, api: str, make: Callable[[Any], Any], what: str) -> Any:
        service = self.clients.service(api, self.admin, self.admin_scopes)
        return self.clients.run(make(service), what, self.admin, self.admin_scopes)

    def gmail_call(self, email: str, make: Callable[[Any], Any], what: str) -> Any:
        service = self.clients.service("gmail", email, self.user_scopes)
        return self.clients.run(make(service.users().settings()), what, email, self.user_scopes)

    def admin_read(self, api: str, make: Callable[[Any], Any], what: str) -> Any:
        """One read request as the admin, retried on its own by the engine (``read``)."""
        return self.read(lambda: self.admin_call(api, make, what))

    def gmail_read(self, email: str, make: Callable[[Any], Any], what: str) -> Any:
        """One Gmail settings read as the mailbox owner, retried on its own by the engine."""
        return self.read(lambda: self.gmail_call(email, make, what))

    def _pages(self, api: str, make: Callable[[Any, str | None], Any], key: str, what: str) -> Iterator[list[Any]]:
        token: str | None = None
        while True:
            def request(service: Any, page_token: str | None = token) -> Any:
                return make(service, page_token)

            page = self.admin_read(api, request, what) or {}  # each page retried on its own
            yield page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return

    def _all(self, api: str, make: Callable[[Any, str | None], Any], key: str, what: str) -> list[dict[str, Any]]:
        return [item for page in self._pages(api, make, key, what) for item in page]

    def _or_none(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except NotFoundError:
            return None

    # -- users

    def user(self, email: str) -> dict[str, Any] | None:
        return self._or_none(lambda: self.admin_read(
            "directory", lambda s: s.users().get(userKey=email), f"reading user {email}"))

    def user_pages(self, page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
        return self._pages("directory", lambda s, t: s.users().list(
            customer=CUSTOMER, maxResults=page_size, orderBy="email", pageToken=t), "users", "listing users")

    def update_user(self, email: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        return self.admin_call("directory", lambda s: s.users().update(userKey=email, body=body), what)

    def reset_password(self, email: str) -> None:
        """A random password nobody knows; it is neither logged nor returned."""
        password = secrets.token_urlsafe(32)
        self.update_user(email, {"password": password, "changePasswordAtNextLogin": False},
                         f"resetting the password of {email}")

    def sign_out(self, email: str) -> None:
        self.admin_call("directory", lambda s: s.users().signOut(userKey=email), f"signing out {email}")

    # -- security

    def tokens(self, email: str) -> list[dict[str, Any]]:
        page = self.admin_read("directory", lambda s: s.tokens().list(userKey=email), f"listing tokens of {email}")
        return (page or {}).get("items", [])

    def delete_token(self, email: str, client_id: str) -> bool:
        """False when the token was already gone."""
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.tokens().delete(
            userKey=email, clientId=client_id), f"revoking token {client_id} of {email}")) is not None

    def asps(self, email: str) -> list[dict[str, Any]]:
        page = self.admin_read("directory", lambda s: s.asps().list(userKey=email),
                               f"listing app passwords of {email}")
        return (page or {}).get("items", [])

    def delete_asp(self, email: str, code_id: int) -> bool:
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.asps().delete(
            userKey=email, codeId=code_id), f"deleting app password {code_id} of {email}")) is not None

    def backup_code_count(self, email: str) -> int:
        page = self.admin_read("directory", lambda s: s.verificationCodes().list(userKey=email),
                               f"counting backup codes of {email}")
        return len((page or {}).get("items", []))  # the codes themselves are secrets: only counted

    def invalidate_backup_codes(self, email: str) -> None:
        self.admin_call("directory", lambda s: s.verificationCodes().invalidate(userKey=email),
                        f"invalidating backup codes of {email}")

    # -- groups and roles

    def groups(self, email: str) -> list[dict[str, Any]]:
        return self._all("directory", lambda s, t: s.groups().list(userKey=email, maxResults=200, pageToken=t),
                         "groups", f"listing groups of {email}")

    def membership(self, group: str, email: str) -> dict[str, Any] | None:
        return self._or_none(lambda: self.admin_read("directory", lambda s: s.members().get(
            groupKey=group, memberKey=email), f"reading membership of {email} in {group}"))

    def memberships(self, groups: list[str], email: str) -> list[dict[str, Any] | None]:
        """``membership`` for many groups, a few at a time: a member of 60 groups should not wait
        60 round trips in a row for the plan. Reads only; each thread has its own client."""
        if len(groups) <= 1 or self.read_fanout <= 1:
            return [self.membership(g, email) for g in groups]
        return list(self._readers.map(lambda g: self.membership(g, email), groups))

    def remove_member(self, group: str, email: str) -> bool:
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.members().delete(
            groupKey=group, memberKey=email), f"removing {email} from {group}")) is not None

    def role_assignments(self, email: str) -> list[dict[str, Any]]:
        return self._all("directory", lambda s, t: s.roleAssignments().list(
            customer=CUSTOMER, userKey=email, pageToken=t), "items", f"listing admin roles of {email}")

    def role_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for page in self._pages("directory", lambda s, t: s.roles().list(customer=CUSTOMER, pageToken=t),
                                "items", "listing admin roles"):
            names.update({r["roleId"]: r["roleName"] for r in page})
        return names

    def delete_role_assignment(self, assignment_id: str) -> bool:
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.roleAssignments().delete(
            customer=CUSTOMER, roleAssignmentId=assignment_id),
            f"removing admin role assignment {assignment_id}")) is not None

    # -- mobile devices

    def devices(self, email: str) -> list[dict[str, Any]]:
        return self._all("directory", lambda s, t: s.mobiledevices().list(
            customerId=CUSTOMER, query=f"email:{email}", pageToken=t), "mobiledevices",
            f"listing mobile devices of {email}")

    def device_action(self, resource_id: str, action: str) -> None:
        self.admin_call("directory", lambda s: s.mobiledevices().action(
            customerId=CUSTOMER, resourceId=resource_id, body={"action": action}),
            f"{action} on mobile device {resource_id}")

    # -- data transfer

    def transfers(self, old_owner_id: str, new_owner_id: str) -> list[dict[str, Any]]:
        return self._all("datatransfer", lambda s, t: s.transfers().list(
            oldOwnerUserId=old_owner_id, newOwnerUserId=new_owner_id, pageToken=t), "dataTransfers",
            "listing data transfers")

    def start_transfer(self, old_owner_id: str, new_owner_id: str) -> dict[str, Any]:
        body = {"oldOwnerUserId": old_owner_id, "newOwnerUserId": new_owner_id, "applicationDataTransfers": [
            {"applicationId": DRIVE_APP_ID,
             "applicationTransferParams": [{"key": "PRIVACY_LEVEL", "value": ["PRIVATE", "SHARED"]}]},
            {"applicationId": CALENDAR_APP_ID,
             "applicationTransferParams": [{"key": "RELEASE_RESOURCES", "value": ["TRUE"]}]},
        ]}
        return self.admin_call("datatransfer", lambda s: s.transfers().insert(body=body),
                               "starting the Drive and Calendar data transfer")

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        return self.admin_read("datatransfer", lambda s: s.transfers().get(dataTransferId=transfer_id),
                               f"reading data transfer {transfer_id}")

    # -- licensing

    def has_license(self, product: str, sku: str, email: str) -> bool:
        return self._or_none(lambda: self.admin_read("licensing", lambda s: s.licenseAssignments().get(
            productId=product, skuId=sku, userId=email), f"reading licence {product}/{sku} of {email}")) is not None

    def remove_license(self, product: str, sku: str, email: str) -> bool:
        return self._or_none(lambda: self.admin_call("licensing", lambda s: s.licenseAssignments().delete(
            productId=product, skuId=sku, userId=email), f"removing licence {product}/{sku} of {email}")) is not None

    # -- Gmail settings, as the user

    def delegates(self, email: str) -> list[dict[str, Any]]:
        page = self.gmail_read(email, lambda s: s.delegates().list(userId=email), f"listing mail delegates of {email}")
        return (page or {}).get("delegates", [])

    def remove_delegate(self, email: str, delegate: str) -> bool:
        return self._or_none(lambda: self.gmail_call(email, lambda s: s.delegates().delete(
            userId=email, delegateEmail=delegate), f"removing mail delegate {delegate} of {email}")) is not None

    def forwarding(self, email: str) -> dict[str, Any]:
        return self.gmail_read(email, lambda s: s.getAutoForwarding(userId=email), f"reading forwarding of {email}")

    def disable_forwarding(self, email: str) -> None:
        self.gmail_call(email, lambda s: s.updateAutoForwarding(userId=email, body={"enabled": False}),
                        f"turning off auto-forwarding of {email}")

    def pop(self, email: str) -> dict[str, Any]:
        return self.gmail_read(email, lambda s: s.getPop(userId=email), f"reading POP settings of {email}")

    def disable_pop(self, email: str) -> None:
        self.gmail_call(email, lambda s: s.updatePop(userId=email, body={"accessWindow": "disabled"}),
                        f"turning off POP for {email}")

    def imap(self, email: str) -> dict[str, Any]:
        return self.gmail_read(email, lambda s: s.getImap(userId=email), f"reading IMAP settings of {email}")

    def disable_imap(self, email: str) -> None:
        self.gmail_call(email, lambda s: s.updateImap(userId=email, body={"enabled": False}),
                        f"turning off IMAP for {email}")
