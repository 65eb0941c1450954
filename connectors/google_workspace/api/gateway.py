"""Every read and write the connector makes, as small named calls.

Admin APIs (Directory, Data Transfer, Licensing) act as the configured admin; Gmail
settings act as the mailbox owner, as Google requires. Lists are followed page by page.
The scopes come from the caller (``doctor`` names them), so that this module knows HTTP only.

Every read request (a get, each page of a list, a transfer's status poll, a batch of reads)
goes through ``read``, the engine's retry of one read (``ConnectorContext.read``): a throttled
page is read again on its own, never the lists around it, and a call Google throttled inside a
batch alone (``batch``). Writes go out once, one request each: the engine journals and retries
them as part of their action, which looks first (``actions``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from offboard.spi import NotFoundError

from .batch import BatchReads, Retrying
from .clients import GoogleClients
from .lists import CUSTOMER, UserLists
from .putback import Operator, PutBack

DRIVE_APP_ID = "55656082996"
CALENDAR_APP_ID = "435070579839"
READ_FANOUT = 10  # calls of a batch that Google throttled, read again alone at once
LIST_KINDS = 16  # the reads of one user's discovery (``reads``) that run side by side, each on its own thread

T = TypeVar("T")


def _once(fn: Callable[[], T], /) -> T:
    return fn()


class Pacing(Protocol):
    """What the gateway asks of the engine's pacing (``ConnectorContext``)."""

    def pace(self, bucket: str, key: str | None = None) -> None: ...

    def count(self, bucket: str) -> None: ...


class Gateway(BatchReads, UserLists, PutBack):
    def __init__(self, clients: GoogleClients, admin: str, admin_scopes: tuple[str, ...],
                 user_scopes: tuple[str, ...], read: Retrying = _once, operator: Operator | None = None,
                 pacing: Pacing | None = None) -> None:
        self.clients = clients
        self.admin = admin
        self.admin_scopes = admin_scopes
        self.user_scopes = user_scopes  # Gmail settings, delegated to each mailbox owner
        self.read = read  # the engine's retry of one read request; never used for a write
        self.pacing = pacing  # the engine's pacing (``ConnectorContext``): the Licensing API takes one request a second
        self.operator = operator  # shown a new password once (``new_password``); None: nobody, and it is refused
        # Threads start on first use and stay, with the clients they hold, until close().
        self._lists = ThreadPoolExecutor(LIST_KINDS, thread_name_prefix="google-list")
        self._readers = ThreadPoolExecutor(READ_FANOUT, thread_name_prefix="google-read")

    def close(self) -> None:
        self._lists.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.clients.close()

    def start(self, read: Callable[[], T]) -> Future[T]:
        """A read on a thread of its own, so that discovery waits for the slowest read, not their sum.

        Reads only, and none that waits for another started here (the threads are few).
        """
        return self._lists.submit(read)

    def warm_tokens(self, email: str) -> list[Future[None]]:
        """The admin's token and the mailbox owner's (Gmail settings act as the owner), both asked for at
        once while the caller builds its first requests (each reused while valid), then the clients of
        the APIs read after the first round trip."""
        self.clients.ready_to_grant([(self.admin, self.admin_scopes), (email, self.user_scopes)])
        return [self._lists.submit(self.clients.warm, self.admin, self.admin_scopes, ("datatransfer",)),
                self._lists.submit(self.clients.warm, email, self.user_scopes, ("gmail",))]

    # -- plumbing

    def admin_call(self, api: str, make: Callable[[Any], Any], what: str, at_once: bool = False) -> Any:
        """``at_once``: a read the plan waits for, sent now but counted, so that the paced requests after it
        (the Licensing API's, one a second) wait for its share."""
        if api == "licensing" and self.pacing is not None:
            (self.pacing.count if at_once else self.pacing.pace)("licensing")
        service = self.clients.service(api, self.admin, self.admin_scopes)
        return self.clients.run(make(service), what, self.admin, self.admin_scopes)

    def gmail_call(self, email: str, make: Callable[[Any], Any], what: str) -> Any:
        service = self.clients.service("gmail", email, self.user_scopes)
        return self.clients.run(make(service.users().settings()), what, email, self.user_scopes)

    def admin_read(self, api: str, make: Callable[[Any], Any], what: str, at_once: bool = False) -> Any:
        """One read request as the admin, retried on its own by the engine (``read``)."""
        return self.read(lambda: self.admin_call(api, make, what, at_once))

    def gmail_read(self, email: str, make: Callable[[Any], Any], what: str) -> Any:
        """One Gmail settings read as the mailbox owner, retried on its own by the engine."""
        return self.read(lambda: self.gmail_call(email, make, what))

    def _or_none(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except NotFoundError:
            return None

    # -- users

    def user_pages(self, page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
        return self.pages("directory", lambda s, t: s.users().list(
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

    def delete_token(self, email: str, client_id: str) -> bool:
        """False when the token was already gone."""
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.tokens().delete(
            userKey=email, clientId=client_id), f"revoking token {client_id} of {email}")) is not None

    def delete_asp(self, email: str, code_id: int) -> bool:
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.asps().delete(
            userKey=email, codeId=code_id), f"deleting app password {code_id} of {email}")) is not None

    def invalidate_backup_codes(self, email: str) -> None:
        self.admin_call("directory", lambda s: s.verificationCodes().invalidate(userKey=email),
                        f"invalidating backup codes of {email}")

    # -- groups and roles

    def membership(self, group: str, email: str) -> dict[str, Any] | None:
        return self._or_none(lambda: self.admin_read("directory", lambda s: s.members().get(
            groupKey=group, memberKey=email), f"reading membership of {email} in {group}"))

    def memberships(self, groups: list[str], email: str) -> list[dict[str, Any] | None]:
        """``membership`` for many groups in one round trip: Directory batch requests (``batch``)."""
        def get(group: str) -> Callable[[Any], Any]:
            return lambda s: s.members().get(groupKey=group, memberKey=email)

        return self.admin_reads("directory", [(get(g), f"reading membership of {email} in {g}") for g in groups],
                                f"reading the memberships of {email}")

    def remove_member(self, group: str, email: str) -> bool:
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.members().delete(
            groupKey=group, memberKey=email), f"removing {email} from {group}")) is not None

    def role_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for page in self.pages("directory", lambda s, t: s.roles().list(customer=CUSTOMER, pageToken=t),
                                "items", "listing admin roles"):
            names.update({r["roleId"]: r["roleName"] for r in page})
        return names

    def delete_role_assignment(self, assignment_id: str) -> bool:
        return self._or_none(lambda: self.admin_call("directory", lambda s: s.roleAssignments().delete(
            customer=CUSTOMER, roleAssignmentId=assignment_id),
            f"removing admin role assignment {assignment_id}")) is not None

    # -- mobile devices

    def device_action(self, resource_id: str, action: str) -> None:
        self.admin_call("directory", lambda s: s.mobiledevices().action(
            customerId=CUSTOMER, resourceId=resource_id, body={"action": action}),
            f"{action} on mobile device {resource_id}")

    # -- data transfer

    def transfers(self, old_owner_id: str, new_owner_id: str) -> list[dict[str, Any]]:
        return [t for page in self.pages("datatransfer", lambda s, t: s.transfers().list(
            oldOwnerUserId=old_owner_id, newOwnerUserId=new_owner_id, pageToken=t), "dataTransfers",
            "listing data transfers") for t in page]

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

    def has_license(self, product: str, sku: str, email: str, at_once: bool = False) -> bool:
        """``at_once``: discovery's read (several members' plans read together are not held a second each)."""
        return self._or_none(lambda: self.admin_read("licensing", lambda s: s.licenseAssignments().get(
            productId=product, skuId=sku, userId=email), f"reading licence {product}/{sku} of {email}",
            at_once)) is not None

    def remove_license(self, product: str, sku: str, email: str) -> bool:
        return self._or_none(lambda: self.admin_call("licensing", lambda s: s.licenseAssignments().delete(
            productId=product, skuId=sku, userId=email), f"removing licence {product}/{sku} of {email}")) is not None

    # -- Gmail settings, as the user

    def remove_delegate(self, email: str, delegate: str) -> bool:
        return self._or_none(lambda: self.gmail_call(email, lambda s: s.delegates().delete(
            userId=email, delegateEmail=delegate), f"removing mail delegate {delegate} of {email}")) is not None

    def disable_forwarding(self, email: str) -> None:
        self.gmail_call(email, lambda s: s.updateAutoForwarding(userId=email, body={"enabled": False}),
                        f"turning off auto-forwarding of {email}")

    def disable_pop(self, email: str) -> None:
        self.gmail_call(email, lambda s: s.updatePop(userId=email, body={"accessWindow": "disabled"}),
                        f"turning off POP for {email}")

    def disable_imap(self, email: str) -> None:
        self.gmail_call(email, lambda s: s.updateImap(userId=email, body={"enabled": False}),
                        f"turning off IMAP for {email}")
