"""Read-only observations: the collective's team, its pending invitations, an account by slug or by email.

Every request here is a read, retried on its own by the engine (``OpenCollectiveApi.read``;
each page of the team on its own). ``discover``, ``check``, every ``apply`` (which looks first
and looks again after: ``removeMember`` answers true even when nothing matched) and the
doctor all read through this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from offboard.spi import ROSTER_KEYS, Account, AuthError, FatalError

from . import queries
from .api import OpenCollectiveApi
from .errors import TEAM

NAME = "opencollective"
PAGE_SIZE = 100


@dataclass(frozen=True)
class Role:
    """One core role of one account on the collective (a ``Member`` node)."""

    role: str
    since: str
    description: str | None
    inherited: bool  # held on the parent collective (events and projects inherit their parent's team)
    account: dict[str, Any]  # id, slug, name, type

    def record(self) -> dict[str, Any]:
        """What a plan keeps of it: enough to invite the person back with the same role and dates."""
        return {"role": self.role, "since": self.since, "description": self.description}


@dataclass(frozen=True)
class Invitation:
    """A pending invitation to join the collective's team, which its invitee may still accept."""

    role: str
    since: str | None
    description: str | None
    account: dict[str, Any]

    def record(self) -> dict[str, Any]:
        return {"role": self.role, "since": self.since, "description": self.description}


@dataclass(frozen=True)
class Team:
    collective: dict[str, Any]  # id, slug, name
    roles: list[Role]

    @property
    def name(self) -> str:
        return one_line(self.collective.get("name") or self.collective.get("slug") or "")

    def of(self, account_id: str) -> list[Role]:
        """The roles ``account_id`` holds on the collective itself (inherited ones cannot be removed here)."""
        return [r for r in self.roles if r.account.get("id") == account_id and not r.inherited]


def one_line(text: str) -> str:
    """A name as plain text on one line: a name cannot add a line to a plan."""
    return " ".join(str(text).split())


def missing_collective(slug: str) -> FatalError:
    return FatalError(f"Open Collective has no collective with the slug {slug!r}: check collective_slug in "
                      f"[connectors.{NAME}] (the last part of the collective's address, https://opencollective.com/SLUG)")


def team_pages(api: OpenCollectiveApi, slug: str) -> Iterator[tuple[dict[str, Any], list[Role]]]:
    """The collective and its core roles, a page at a time (offset paging, each page retried on its own)."""
    offset = 0
    while True:
        data = api.read(queries.MEMBERS, {"collective": slug, "limit": PAGE_SIZE, "offset": offset})
        collective = data.get("account")
        if collective is None:
            raise missing_collective(slug)
        members = collective.get("members") or {}
        nodes = [n for n in members.get("nodes") or [] if n and n.get("account")]
        yield ({k: collective.get(k) for k in ("id", "slug", "name")},
               [Role(n["role"], n.get("since") or "", n.get("description"), bool(n.get("inherited")), n["account"])
                for n in nodes])
        offset += len(members.get("nodes") or [])
        if not members.get("nodes") or offset >= int(members.get("totalCount") or 0):
            return


def team(api: OpenCollectiveApi, slug: str) -> Team:
    collective: dict[str, Any] = {}
    roles: list[Role] = []
    for seen, page in team_pages(api, slug):
        collective = seen
        roles += page
    return Team(collective, roles)


def roles_of(api: OpenCollectiveApi, slug: str, account_id: str) -> dict[str, Role]:
    """The roles one account holds on the collective, by role."""
    return {r.role: r for r in team(api, slug).of(account_id)}


def invitations(api: OpenCollectiveApi, slug: str) -> list[Invitation]:
    """Pending invitations; Open Collective shows them to the collective's admins only."""
    data = api.read(queries.INVITATIONS, {"collective": slug})
    collective = data.get("account")
    if collective is None:
        raise missing_collective(slug)
    found = collective.get("memberInvitations")
    if found is None:
        raise AuthError(f"the token's user is not an admin of {slug}, so Open Collective hides its pending invitations: "
                        f"use a personal token of one of its admins, listed in {TEAM}")
    return [Invitation(i["role"], i.get("since"), i.get("description"), i["memberAccount"])
            for i in found if i and i.get("memberAccount")]


def invitations_of(api: OpenCollectiveApi, slug: str, account_id: str) -> dict[str, Invitation]:
    return {i.role: i for i in invitations(api, slug) if i.account.get("id") == account_id}


def account_by_slug(api: OpenCollectiveApi, slug: str) -> dict[str, Any] | None:
    found = api.read(queries.ACCOUNT, {"slug": slug}).get("account")
    return dict(found) if found else None


def account_by_email(api: OpenCollectiveApi, collective: str, email: str) -> dict[str, Any] | None:
    """The team member who signs in with ``email``: ``members(email:)`` is an admins-only filter that matches
    without showing anyone's address. A person with no core role (or only an invitation) is not found."""
    data = api.read(queries.MEMBER_BY_EMAIL, {"collective": collective, "email": email})
    if data.get("account") is None:
        raise missing_collective(collective)
    nodes = ((data["account"].get("members") or {}).get("nodes")) or []
    found = next((n["account"] for n in nodes if n and n.get("account")), None)
    return dict(found) if found else None


def me(api: OpenCollectiveApi) -> dict[str, Any] | None:
    found = api.read(queries.ME).get("me")
    return dict(found) if found else None


def account(found: dict[str, Any]) -> Account:
    """An Account from an Open Collective account: its id (stable; a slug can be renamed) and a label people know."""
    slug, name = str(found.get("slug") or ""), one_line(found.get("name") or "")
    attributes: dict[str, Any] = {"active": True, "slug": slug, "name": name, "type": found.get("type") or "",
                                  ROSTER_KEYS: [slug]}  # the roster's opencollective column holds the slug
    return Account(NAME, str(found["id"]), f"{name} (@{slug})" if name else f"@{slug}", attributes)
