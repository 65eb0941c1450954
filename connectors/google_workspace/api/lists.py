"""A user's reads that discovery makes by email, each a ``Listing``: its request and what is kept of it.

Named so that each can be read alone (``tokens(email)``: what ``actions`` re-checks) or all at
once, with ``users.get``, in one Directory batch request (``first_answers``): the first page of
each list comes in the batch, the pages after it are read one by one (``finish``). A mixin of
``Gateway``, which provides the plumbing; kept apart because with it the gateway passes 300 lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from offboard.spi import ConnectorError, NotFoundError

CUSTOMER = "my_customer"
UNREAD: Any = object()  # ``finish``: the first answer is still to be read


def _items(answer: Any) -> list[dict[str, Any]]:
    return list((answer or {}).get("items", []))


def _on_settings(listing: Listing) -> Callable[[Any], Any]:
    return lambda service: listing.make(service.users().settings(), None)


def _with_token(make: Callable[[Any, str | None], Any], token: str | None) -> Callable[[Any], Any]:
    return lambda service: make(service, token)


@dataclass(frozen=True)
class Listing:
    """One read of a user: its request (paged when ``key`` names the items) and what is kept of the answer."""

    make: Callable[[Any, str | None], Any]  # (Directory service, page token) -> request
    what: str  # for messages: "listing tokens of bob@example.org"
    key: str = ""  # a paged list's items; "" for one answer, kept by ``keep``
    keep: Callable[[Any], Any] = field(default=lambda answer: answer)


MAIL = ("delegates", "forwarding", "pop", "imap")  # what discovery reads of a mailbox


class UserLists:
    user_scopes: tuple[str, ...]

    def admin_read(self, api: str, make: Callable[[Any], Any], what: str) -> Any:
        raise NotImplementedError

    def gmail_read(self, email: str, make: Callable[[Any], Any], what: str) -> Any:
        raise NotImplementedError

    def batch_answers(self, api: str, calls: Sequence[tuple[Callable[[Any], Any], str]], what: str,
                      subject: str = "", scopes: Sequence[str] = ()) -> list[Any]:
        raise NotImplementedError

    def listing(self, name: str, email: str) -> Listing:
        """``user``, ``tokens``, ``asps``, ``codes`` (counted: they are secrets), ``groups``, ``roles``, ``devices``."""
        if name == "user":
            return Listing(lambda s, t: s.users().get(userKey=email), f"reading user {email}")
        if name == "tokens":
            return Listing(lambda s, t: s.tokens().list(userKey=email), f"listing tokens of {email}", keep=_items)
        if name == "asps":
            return Listing(lambda s, t: s.asps().list(userKey=email), f"listing app passwords of {email}", keep=_items)
        if name == "codes":
            return Listing(lambda s, t: s.verificationCodes().list(userKey=email),
                           f"counting backup codes of {email}", keep=lambda answer: len(_items(answer)))
        if name == "groups":
            return Listing(lambda s, t: s.groups().list(userKey=email, maxResults=200, pageToken=t),
                           f"listing groups of {email}", "groups")
        if name == "roles":
            return Listing(lambda s, t: s.roleAssignments().list(customer=CUSTOMER, userKey=email, pageToken=t),
                           f"listing admin roles of {email}", "items")
        if name == "devices":
            return Listing(lambda s, t: s.mobiledevices().list(customerId=CUSTOMER, query=f"email:{email}",
                                                               pageToken=t), f"listing mobile devices of {email}",
                           "mobiledevices")
        raise KeyError(name)

    def mail_listing(self, name: str, email: str) -> Listing:
        """A Gmail setting of ``MAIL``, read as the mailbox owner: its request on ``users().settings()``."""
        if name == "delegates":
            return Listing(lambda s, t: s.delegates().list(userId=email), f"listing mail delegates of {email}",
                           keep=lambda answer: list((answer or {}).get("delegates", [])))
        if name == "forwarding":
            return Listing(lambda s, t: s.getAutoForwarding(userId=email), f"reading forwarding of {email}")
        if name == "pop":
            return Listing(lambda s, t: s.getPop(userId=email), f"reading POP settings of {email}")
        if name == "imap":
            return Listing(lambda s, t: s.getImap(userId=email), f"reading IMAP settings of {email}")
        raise KeyError(name)

    def mail_settings(self, email: str) -> dict[str, Any]:
        """Each of ``MAIL``, or its error, from one Gmail batch request as the mailbox owner."""
        listings = [self.mail_listing(name, email) for name in MAIL]
        calls = [(_on_settings(listing), listing.what) for listing in listings]
        answers = self.batch_answers("gmail", calls, f"reading the mail settings of {email}", email, self.user_scopes)
        return {name: answer if isinstance(answer, ConnectorError) else listing.keep(answer)
                for name, listing, answer in zip(MAIL, listings, answers, strict=True)}

    def finish(self, listing: Listing, first: Any = UNREAD) -> Any:
        """What is kept of ``listing``: read now, or from its ``first`` answer (or error) and the pages after it."""
        if isinstance(first, ConnectorError):
            raise first
        if listing.key:
            return [item for page in self.pages("directory", listing.make, listing.key, listing.what, first)
                    for item in page]
        if first is UNREAD:
            first = self.admin_read("directory", lambda s: listing.make(s, None), listing.what)
        return listing.keep(first)

    def pages(self, api: str, make: Callable[[Any, str | None], Any], key: str, what: str,
              first: Any = UNREAD) -> Iterator[list[Any]]:
        """A list page by page, each page read (and retried) on its own; ``first``: page one, read already."""
        page, token = first, None
        while True:
            if page is UNREAD:
                page = self.admin_read(api, _with_token(make, token), what)
            page = page or {}
            yield page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return
            page = UNREAD

    def first_answers(self, listings: Mapping[str, Listing], what: str) -> dict[str, Any]:
        """Each listing's first answer, or its error, from one batch request (``users.get`` comes with the lists)."""
        calls = [(_with_token(listing.make, None), listing.what) for listing in listings.values()]
        return dict(zip(listings, self.batch_answers("directory", calls, what), strict=True))

    def user_of(self, answer: Any) -> dict[str, Any] | None:
        """A ``users.get`` answer: the user, None when Google answered 404; other errors are raised."""
        if isinstance(answer, NotFoundError):
            return None
        if isinstance(answer, ConnectorError):
            raise answer
        return dict(answer)

    # -- each alone

    def user(self, email: str) -> dict[str, Any] | None:
        try:
            return self.user_of(self.finish(self.listing("user", email)))
        except NotFoundError:
            return None

    def tokens(self, email: str) -> list[dict[str, Any]]:
        return list(self.finish(self.listing("tokens", email)))

    def asps(self, email: str) -> list[dict[str, Any]]:
        return list(self.finish(self.listing("asps", email)))

    def backup_code_count(self, email: str) -> int:
        return int(self.finish(self.listing("codes", email)))

    def groups(self, email: str) -> list[dict[str, Any]]:
        return list(self.finish(self.listing("groups", email)))

    def role_assignments(self, email: str) -> list[dict[str, Any]]:
        return list(self.finish(self.listing("roles", email)))

    def devices(self, email: str) -> list[dict[str, Any]]:
        return list(self.finish(self.listing("devices", email)))

    def delegates(self, email: str) -> list[dict[str, Any]]:
        return list(self._mail("delegates", email))

    def forwarding(self, email: str) -> dict[str, Any]:
        return dict(self._mail("forwarding", email))

    def pop(self, email: str) -> dict[str, Any]:
        return dict(self._mail("pop", email))

    def imap(self, email: str) -> dict[str, Any]:
        return dict(self._mail("imap", email))

    def _mail(self, name: str, email: str) -> Any:
        listing = self.mail_listing(name, email)
        return listing.keep(self.gmail_read(email, lambda s: listing.make(s, None), listing.what))
