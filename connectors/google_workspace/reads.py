"""Discovery's reads of one user, each sent as soon as what it needs is known.

Only the chain of dependent round trips is waited for. The roster email is enough to start:
the admin's token grant and the mailbox owner's (Gmail settings act as the owner) go out
together, then ``users.get`` with every list Google reads by email (tokens, app passwords,
backup codes, groups, admin role assignments, mobile devices) and ``transfer_to``'s own
``users.get``, all in one Directory batch request (``api.batch``; one connection, not eight),
and the licence beside it (another API). What needs an answer waits for that answer alone:
the memberships for the group list (another batch), the next pages of a long list, the role
names for assignments, the transfers for both users' ids, and Gmail's four settings (a Gmail
batch) for ``users.get``: Google refuses a suspended user's mailbox calls, so they wait to know,
and the owner's token is there by then, so they end with the memberships. ``resolve`` sends
the first batch and returns with it; ``discover`` takes what it needs. Every request, each
batch and each call Google throttled inside one, goes through the engine's retry of one read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any

from offboard.spi import FatalError

from .api import Gateway
from .api.lists import MAIL

# Read in one Directory batch request with users.get: each takes the roster email (the first page of each list).
FIRST = ("user", "tokens", "asps", "codes", "groups", "roles", "devices")


@dataclass(frozen=True)
class Wanted:
    """What the config asks discovery to read beyond the user's own access."""

    transfer_to: str = ""
    license_product: str = ""
    license_sku: str = ""


class UserReads:
    """Every read of one user's discovery, each started as soon as it can be; the first batch (with
    ``user``) is read in the caller's thread, the rest on the gateway's threads."""

    def __init__(self, gw: Gateway, email: str, wanted: Wanted) -> None:
        self.gw = gw
        self.started = time.monotonic()
        self.grants = gw.warm_tokens(email)  # under way; a failure is for the reads that need the token to say
        self.futures: dict[str, Future[Any]] = {}
        if wanted.license_product:  # another API: its own request, beside the batch
            self.futures["license"] = gw.start(
                lambda: gw.has_license(wanted.license_product, wanted.license_sku, email, at_once=True))
        listings = {name: gw.listing(name, email) for name in FIRST}
        target = wanted.transfer_to
        if target and target.lower() != email.lower():
            listings["new owner"] = gw.listing("user", target)
        first = gw.first_answers(listings, f"reading {email} and the lists of their access")
        self.user = gw.user_of(first["user"])
        if self.user is None:
            return
        for name in ("tokens", "asps", "codes"):  # one answer each, in hand
            self.futures[name] = _settled(gw.finish, listings[name], first[name])
        self.futures["devices"] = gw.start(lambda: gw.finish(listings["devices"], first["devices"]))
        primary = self.user["primaryEmail"]  # the roster may name an alias: Gmail acts as the mailbox itself
        self.futures["groups"] = gw.start(lambda: self._groups(primary, gw.finish(listings["groups"], first["groups"])))
        self.futures["roles"] = gw.start(lambda: self._roles(gw.finish(listings["roles"], first["roles"])))
        if not self.user.get("suspended"):  # Gmail answers nothing for a suspended user
            self.futures["mailbox"] = gw.start(lambda: gw.mail_settings(primary))
        if "new owner" in listings:
            owner, old_id = first["new owner"], self.user["id"]
            self.futures["transfer"] = gw.start(lambda: self._transfer_state(target, owner, old_id))

    def fresh(self, seconds: float) -> bool:
        return time.monotonic() - self.started <= seconds

    def results(self, needed: Callable[[str], bool]) -> dict[str, Any]:
        """The answers of the reads ``needed`` names, once every read ended; the first failure among them is raised."""
        wait(self.futures.values())
        answers: dict[str, Any] = {}
        for name, future in self.futures.items():
            error = future.exception()
            if name == "mailbox":  # one batch, four answers (or one error for the four)
                answers.update(dict.fromkeys(MAIL, error) if error is not None else future.result())
            else:
                answers[name] = error if error is not None else future.result()
        wanted = {name: answer for name, answer in answers.items() if needed(name)}
        for answer in wanted.values():
            if isinstance(answer, BaseException):
                raise answer
        return wanted

    # -- the reads that wait for another's answer

    def _groups(self, email: str, groups: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        return list(zip(groups, self.gw.memberships([g["email"] for g in groups], email), strict=True))

    def _roles(self, assignments: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        return assignments, (self.gw.role_names() if assignments else {})

    def _transfer_state(self, target: str, answer: Any, old_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        owner = self.gw.user_of(answer)
        if owner is None:
            raise FatalError(f"transfer_to {target} is not a user of the domain: fix [connectors.google] transfer_to")
        return owner, self.gw.transfers(old_id, owner["id"])


def _settled(fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """A future already done: ``fn(*args)``'s answer or its error (nothing left to read)."""
    future: Future[Any] = Future()
    try:
        future.set_result(fn(*args))
    except Exception as exc:  # kept for ``results``, raised there if the read is needed
        future.set_exception(exc)
    return future
