"""Read-only observations of one organization member: who they are and what they could reach.

Nothing here writes. Every request is a read retried on its own by the engine. These facts are
the plan's before-states (reinstatement needs the groups) and what ``check`` re-observes.

Collections are named by id and external id only: Bitwarden keeps collection names encrypted, so
the Public API never shows them. Groups have plain names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from offboard.spi import ACTIVE, Account

from .api import BitwardenApi

INVITED, ACCEPTED, CONFIRMED, STAGED, REVOKED = 0, 1, 2, 3, -1
STATUS = {INVITED: "invited", ACCEPTED: "accepted", CONFIRMED: "confirmed", STAGED: "staged", REVOKED: "revoked"}
TYPE = {0: "owner", 1: "admin", 2: "user", 3: "manager", 4: "custom"}
PROBE_ID = "00000000-0000-0000-0000-000000000000"  # any id does: a probe asks for a route, not a member


def status_name(value: Any) -> str:
    """"confirmed" for 2...: the word for a member's status as the API gives it (an integer)."""
    return STATUS.get(value, str(value)) if isinstance(value, int) else str(value)


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def account(member: dict[str, Any]) -> Account:
    """An Account from a member object (list or single). Only a revoked member cannot use the vault; an
    invited one may still accept the invitation, so counts as active."""
    status, kind = member.get("status"), member.get("type")
    attributes = {
        ACTIVE: status != REVOKED,
        "status": status_name(status),
        "type": TYPE.get(kind, str(kind)) if isinstance(kind, int) else "",
        "email": member.get("email") or "",
        "name": member.get("name") or "",
        "user_id": member.get("userId"),
        "two_factor": bool(member.get("twoFactorEnabled")),
        "external_id": member.get("externalId"),
    }
    return Account("bitwarden", member["id"], member.get("email") or member["id"], attributes)


def members(api: BitwardenApi) -> list[dict[str, Any]]:
    """Every member (``GET /public/members`` is not paginated), revoked and invited ones included."""
    return list(api.get("/public/members", "list the organization's members").get("data") or [])


def member(api: BitwardenApi, member_id: str) -> dict[str, Any] | None:
    """One member with their direct collections; None when they are no member (any more)."""
    found = api.find(f"/public/members/{member_id}", "read the member")
    return dict(found) if isinstance(found, dict) else None


def find(api: BitwardenApi, identity: str) -> dict[str, Any] | None:
    """By member id (a roster ``bitwarden`` column may give it), else by email, case-insensitively."""
    if is_guid(identity):
        return member(api, identity)
    wanted = identity.strip().casefold()
    return next((m for m in members(api) if (m.get("email") or "").casefold() == wanted), None)


def group_ids(api: BitwardenApi, member_id: str) -> list[str] | None:
    """The member's group ids; None when they are no member."""
    found = api.find(f"/public/members/{member_id}/group-ids", "read the member's groups")
    return [str(g) for g in found] if isinstance(found, list) else None


def groups(api: BitwardenApi) -> dict[str, dict[str, Any]]:
    """Every group by id, with its name and collections (``GET /public/groups`` includes them)."""
    data = api.get("/public/groups", "list the organization's groups").get("data") or []
    return {g["id"]: g for g in data}


def collections(api: BitwardenApi) -> dict[str, dict[str, Any]]:
    """Every shared collection by id, with its external id (names are encrypted: the API has none)."""
    data = api.get("/public/collections", "list the organization's collections").get("data") or []
    return {c["id"]: c for c in data}


def route_exists(api: BitwardenApi, route: str, member_id: str = PROBE_ID) -> bool:
    """Does this server have ``POST /public/members/{id}/<route>`` (revoke, restore: server 2026.2.0 and later)?

    Asked without writing: a GET on the route. ASP.NET Core's routing answers 405 when the path
    matches a route of another method and 404 when no route matches, before any controller runs.
    Anything but a 404 counts as "it exists", so that a proxy's odd answer never hides the endpoint.
    """
    return api.probe(f"/public/members/{member_id}/{route}", f"see whether the server can {route} members") != 404


@dataclass(frozen=True)
class Reach:
    """What discovery sees of one member: the member, their groups, and the groups' and collections' details."""

    member: dict[str, Any]
    group_ids: list[str]
    groups: dict[str, dict[str, Any]]
    collections: dict[str, dict[str, Any]]

    @property
    def status(self) -> int | None:
        value = self.member.get("status")
        return value if isinstance(value, int) else None

    @property
    def could_read_vault(self) -> bool:
        """Confirmed members hold the organization's key; invited and accepted ones never did (a revoked one
        may have: the API does not say what they were, so one with a Bitwarden account counts)."""
        return self.status == CONFIRMED or (self.status == REVOKED and self.member.get("userId") is not None)

    def member_groups(self) -> list[dict[str, str]]:
        """The member's groups as ``{"id", "name"}``, by name (the API's order is not stable: a saved plan must be
        found again as it was)."""
        named = [{"id": gid, "name": str((self.groups.get(gid) or {}).get("name") or gid)} for gid in self.group_ids]
        return sorted(named, key=lambda g: (g["name"].casefold(), g["id"]))

    def reachable(self) -> list[dict[str, Any]]:
        """Each collection the member could open, directly or through a group, with how and with what rights."""
        found: dict[str, dict[str, Any]] = {}

        def add(access: dict[str, Any], via: str) -> None:
            cid = str(access.get("id"))
            entry = found.setdefault(cid, {"id": cid, "external_id": (self.collections.get(cid) or {}).get("externalId"),
                                           "via": [], "hide_passwords": True, "read_only": True, "manage": False})
            entry["via"].append(via)
            entry["hide_passwords"] = entry["hide_passwords"] and bool(access.get("hidePasswords"))
            entry["read_only"] = entry["read_only"] and bool(access.get("readOnly"))
            entry["manage"] = entry["manage"] or bool(access.get("manage"))

        for access in self.member.get("collections") or []:
            add(access, "directly")
        for group in self.member_groups():
            for access in (self.groups.get(group["id"]) or {}).get("collections") or []:
                add(access, f"group {group['name']}")
        return sorted(found.values(), key=lambda c: (c["external_id"] is None, str(c["external_id"] or ""), c["id"]))


def reach(api: BitwardenApi, found: dict[str, Any]) -> Reach:
    """The reads of discovery, after the member: their groups, every group, every collection.

    Servers before early 2023 list groups without their collections (``null``); then each of the
    member's groups is read on its own, which has always included them.
    """
    ids = group_ids(api, found["id"]) or []
    every = groups(api)
    for gid in ids:
        if gid in every and every[gid].get("collections") is None:
            single = api.find(f"/public/groups/{gid}", "read one of the member's groups")
            if isinstance(single, dict):
                every[gid] = single
    return Reach(found, ids, every, collections(api))
