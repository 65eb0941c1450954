"""Read-only observations: the portfolio's people, each Page (its name, token, Instagram account), who has tasks.

These are the facts that go into a plan's before-state (a suspension's end gives the same
tasks back) and that ``check`` re-reads. Nothing here writes; every request is a read,
retried on its own by the engine (``GraphApi.get``, each page of ``GraphApi.pages``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from offboard.spi import ACTIVE, Account, AuthError

from .api import GraphApi
from .errors import GoneError

NAME = "meta"
USER_FIELDS = "id,name,email,role,tasks,pending_email,marked_for_removal,business"
BUSINESS = ("business_management",)
PAGES = ("pages_show_list", "pages_manage_metadata")


@dataclass(frozen=True)
class PageInfo:
    """A Page as the system user sees it; ``token`` is its Page access token (never shown)."""

    id: str
    name: str
    token: str = field(repr=False)
    instagram: str | None = None  # the linked Instagram account's IG user id


@dataclass(frozen=True)
class InstagramAsset:
    """An Instagram account of the portfolio: ``id`` is the asset whose ``assigned_users`` list people."""

    id: str
    ig_user_id: str
    username: str


@dataclass(frozen=True)
class PageReach:
    """What one Page gives the member: tasks on it and on its Instagram account, and who has access from outside."""

    page: PageInfo
    tasks: list[str]
    outsiders: list[dict[str, Any]]
    instagram: InstagramAsset | None = None
    instagram_tasks: list[str] = field(default_factory=list)
    unlisted_instagram: str | None = None  # linked, but not an asset of the portfolio: offboard cannot see its people


# ---------------------------------------------------------------- people of the portfolio


def account(user: dict[str, Any]) -> Account:
    """A business user as an ``Account``: active while in the portfolio (marked for removal still has access)."""
    email = str(user.get("email") or "")
    return Account(NAME, str(user["id"]), email or str(user.get("name") or user["id"]), {
        "name": str(user.get("name") or ""),
        "email": email,
        "role": str(user.get("role") or ""),
        ACTIVE: True,
        "marked_for_removal": bool(user.get("marked_for_removal")),
        "pending_email": str(user.get("pending_email") or ""),
    })


def business_user(api: GraphApi, business_id: str, user_id: str) -> dict[str, Any] | None:
    """The person under this business-scoped id, when they are in this portfolio; None otherwise."""
    try:
        user = api.get(user_id, what="read a person of the business portfolio", needs=BUSINESS, fields=USER_FIELDS)
    except GoneError:
        return None
    owner = (user.get("business") or {}).get("id")
    return user if owner in (None, business_id) else None


def business_users(api: GraphApi, business_id: str) -> Iterator[list[dict[str, Any]]]:
    return api.pages(f"{business_id}/business_users", what="list the people of the business portfolio", needs=BUSINESS,
                     fields=USER_FIELDS)


def by_email(api: GraphApi, business_id: str, emails: Sequence[str]) -> dict[str, Any] | None:
    """The one business user with the first of ``emails`` that anyone has; None when nobody has it or several do."""
    wanted = [e.strip().lower() for e in emails if e and e.strip()]
    if not wanted:
        return None
    found: dict[str, list[dict[str, Any]]] = {e: [] for e in wanted}
    for chunk in business_users(api, business_id):
        for user in chunk:
            email = str(user.get("email") or "").strip().lower()
            if email in found:
                found[email].append(user)
    for email in wanted:
        if found[email]:
            return found[email][0] if len(found[email]) == 1 else None  # the same email twice: ambiguous
    return None


# ---------------------------------------------------------------- Pages and Instagram


def page(api: GraphApi, page_id: str) -> PageInfo:
    """The Page's name, its Page access token (the system user needs a task on it) and linked Instagram account."""
    body = api.get(page_id, what=f"read the Page {page_id}", needs=PAGES,
                   fields="id,name,access_token,instagram_business_account")
    name = str(body.get("name") or page_id)
    token = str(body.get("access_token") or "")
    if not token:
        raise AuthError(f'Meta gives no Page access token for the Page "{name}" ({page_id}): the system user needs a task '
                        f'on it: in Business settings > Accounts > Pages, select "{name}", Assign people, choose the system '
                        "user and give it Full control (MANAGE)")
    api.remember_secret(token)
    instagram = (body.get("instagram_business_account") or {}).get("id")
    return PageInfo(page_id, name, token, str(instagram) if instagram else None)


def page_tasks(api: GraphApi, page: PageInfo, business_id: str, user_id: str) -> list[str]:
    """The member's tasks on the Page (empty: none). ``business`` is required by Meta on this edge."""
    for chunk in api.pages(f"{page.id}/assigned_users", what=f'list the people assigned to the Page "{page.name}"',
                           needs=PAGES, token=page.token, business=business_id, fields="id,name,tasks"):
        for item in chunk:
            if str(item.get("id")) == user_id:
                return [str(t) for t in item.get("tasks") or []]
    return []


def outsiders(api: GraphApi, page: PageInfo) -> list[dict[str, Any]]:
    """People with access to the Page outside any portfolio (the ``roles`` edge): ids and names only, no email."""
    people = api.every(f"{page.id}/roles", what=f'list who has access to the Page "{page.name}" outside the portfolio',
                       needs=PAGES, token=page.token, fields="id,name,tasks")
    return [{"id": str(p.get("id")), "name": str(p.get("name") or ""), "tasks": [str(t) for t in p.get("tasks") or []]}
            for p in people]


def instagram_assets(api: GraphApi, business_id: str) -> dict[str, InstagramAsset]:
    """The portfolio's Instagram accounts, by IG user id (what a Page's ``instagram_business_account`` gives)."""
    found = api.every(f"{business_id}/owned_instagram_assets", what="list the Instagram accounts of the business portfolio",
                      needs=BUSINESS, fields="id,ig_user_id,ig_username")
    return {str(a.get("ig_user_id")): InstagramAsset(str(a["id"]), str(a.get("ig_user_id")), str(a.get("ig_username") or ""))
            for a in found if a.get("id")}


def instagram_tasks(api: GraphApi, asset: InstagramAsset, business_id: str, user_id: str) -> list[str]:
    for chunk in api.pages(f"{asset.id}/assigned_users", what=f"list the people assigned to the Instagram account "
                           f"@{asset.username}", needs=BUSINESS, business=business_id, fields="id,name,tasks"):
        for item in chunk:
            if str(item.get("id")) == user_id:
                return [str(t) for t in item.get("tasks") or []]
    return []


def reach(api: GraphApi, business_id: str, user_id: str, page_ids: Sequence[str], page_of: Callable[[str], PageInfo],
          assets: Callable[[], dict[str, InstagramAsset]], fanout: int) -> list[PageReach]:
    """Each configured Page's reads, ``fanout`` Pages at once; the first failure is raised."""
    def one(page_id: str) -> PageReach:
        info = page_of(page_id)
        tasks = page_tasks(api, info, business_id, user_id)
        people = outsiders(api, info)
        if info.instagram is None:
            return PageReach(info, tasks, people)
        asset = assets().get(info.instagram)
        if asset is None:
            return PageReach(info, tasks, people, unlisted_instagram=info.instagram)
        return PageReach(info, tasks, people, asset, instagram_tasks(api, asset, business_id, user_id))

    if fanout <= 1 or len(page_ids) <= 1:
        return [one(p) for p in page_ids]
    with ThreadPoolExecutor(min(fanout, len(page_ids)), thread_name_prefix="meta-read") as pool:
        return list(pool.map(one, page_ids))
