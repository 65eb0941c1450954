"""The building blocks of the action table (``actions``): what an observe or an act is made of.

``observe`` answers whether the wanted state already holds (``True``), does not
(``False``) or cannot be seen (``None``), with a sentence; ``act`` makes the change and
says whether it changed anything (a delete that finds the item gone did not). Shared by
the rows that end access and the rows that put it back (``putback``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from offboard.spi import NotFoundError

from .api import Gateway

Params = Mapping[str, Any]


class Pace(Protocol):
    """``ConnectorContext.pace``: wait for a bucket (``key``: that key's own bucket of the same limit)."""

    def __call__(self, bucket: str, key: str | None = None) -> None: ...


Seen = tuple[bool | None, str]
Done = tuple[bool, str]  # (changed, sentence): False when a delete found the item already gone
Observe = Callable[[Gateway, Params], Seen]
Act = Callable[[Gateway, Params, Pace], Done]

SUSPENDED = "the account is suspended: it can no longer sign in or use a session"
MAILBOX_CLOSED = "the account is suspended: Gmail serves neither its mailbox nor its settings"


@dataclass(frozen=True)
class Kind:
    observe: Observe
    act: Act
    write_first: bool = False


def user_of(gw: Gateway, p: Params) -> dict[str, Any]:
    user = gw.user(p["user"])
    if user is None:
        raise NotFoundError(f"user {p['user']} no longer exists")
    return user


def suspended(gw: Gateway, p: Params) -> bool:
    return bool(user_of(gw, p).get("suspended"))


def moot_once_suspended(gw: Gateway, p: Params) -> Seen:
    """Sign-out and password reset leave no trace to read back; suspension makes them moot."""
    return (True, SUSPENDED) if suspended(gw, p) else (None, "")


def mailbox(read: Observe) -> Observe:
    """Gmail refuses settings calls for a suspended user; so does the need for them."""
    def observe(gw: Gateway, p: Params) -> Seen:
        return (True, MAILBOX_CLOSED) if suspended(gw, p) else read(gw, p)
    return observe


def gone(present: Callable[[Gateway, Params], bool], already: str) -> Observe:
    """Done once the item (a token, a membership, a setting that is on) is no longer there."""
    def observe(gw: Gateway, p: Params) -> Seen:
        there = present(gw, p)
        return (not there, "" if there else already.format_map(p))
    return observe


def user_field(name: str, wanted: Callable[[Params], Any]) -> Observe:
    """A field of the user resource that must hold ``wanted(params)``."""
    def observe(gw: Gateway, p: Params) -> Seen:
        target = wanted(p)
        done = user_of(gw, p).get(name) == target
        return (done, f"{name} is already {target}" if done else "")
    return observe


def write(call: Callable[[Gateway, Params], object], done: str) -> Act:
    """An update or a command: it changes something each time it is sent."""
    def act(gw: Gateway, p: Params, pace: Pace) -> Done:
        call(gw, p)
        return True, done.format_map(p)
    return act


def delete(call: Callable[[Gateway, Params], bool], done: str, already: str) -> Act:
    """A delete that finds the item gone (Google's 404) changed nothing."""
    def act(gw: Gateway, p: Params, pace: Pace) -> Done:
        gone = call(gw, p)
        return gone, (done if gone else already).format_map(p)
    return act


def user_setting(field: str, value: Any, doing: str, done: str) -> Kind:
    """A row that sets one field of the user (``suspended``, ``includeInGlobalAddressList``): it is
    recognisable when already so, so the write may go first."""
    return Kind(user_field(field, lambda p: value),
                write(lambda gw, p: gw.update_user(p["user"], {field: value}, doing.format(**p)), done),
                write_first=True)
