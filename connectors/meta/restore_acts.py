"""What each restore kind observes and does: the recorded tasks back on a Page or an Instagram account.

These are rows of ``actions.KINDS`` like every other kind; ``restore_plan`` builds the actions.
Each act looks first, so a second apply is ``ok``; tasks gained meanwhile are kept (Meta's
POST sets the whole list, so the tasks there now are sent too); a person no longer in the
portfolio cannot be given tasks, which is ``skipped`` with the way back, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from offboard.spi import Outcome

from . import observe
from .observe import BUSINESS, PAGES, InstagramAsset

if TYPE_CHECKING:
    from .actions import Meta

Params = Mapping[str, Any]


def merged(now: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The recorded tasks, then any held now that they do not name."""
    return [*wanted, *(t for t in now if t not in wanted)]


def _gone(meta: Meta, p: Params) -> Outcome | None:
    if observe.business_user(meta.api, meta.business_id, p["user"]) is not None:
        return None
    return Outcome.skipped("they are no longer in the business portfolio, so Meta cannot give them tasks: re-invite them "
                           "from Business settings > Users > People; once they accept, assign them the tasks there")


def page_back(meta: Meta, p: Params) -> bool:
    now = observe.page_tasks(meta.api, meta.page(p["page"]), meta.business_id, p["user"])
    return set(p["tasks"]) <= set(now)


def assign_page(meta: Meta, p: Params) -> Outcome:
    page = meta.page(p["page"])
    now = observe.page_tasks(meta.api, page, meta.business_id, p["user"])
    if set(p["tasks"]) <= set(now):
        return Outcome.ok(f'already has their tasks on the Page "{page.name}"', {"tasks": now})
    if (gone := _gone(meta, p)) is not None:
        return gone
    tasks = merged(now, p["tasks"])
    meta.api.post(f"{page.id}/assigned_users", what=f'give a person their tasks on the Page "{page.name}" back',
                  needs=PAGES, token=page.token, user=p["user"], tasks=tasks)
    return Outcome.changed(f'gave back their tasks on the Page "{page.name}" ({", ".join(p["tasks"])})', {"tasks": tasks})


def _instagram_now(meta: Meta, p: Params) -> list[str]:
    return observe.instagram_tasks(meta.api, InstagramAsset(p["asset"], "", p["username"]), meta.business_id, p["user"])


def instagram_back(meta: Meta, p: Params) -> bool:
    return set(p["tasks"]) <= set(_instagram_now(meta, p))


def assign_instagram(meta: Meta, p: Params) -> Outcome:
    now = _instagram_now(meta, p)
    if set(p["tasks"]) <= set(now):
        return Outcome.ok(f"already has their tasks on the Instagram account @{p['username']}", {"tasks": now})
    if (gone := _gone(meta, p)) is not None:
        return gone
    tasks = merged(now, p["tasks"])
    meta.api.post(f"{p['asset']}/assigned_users", what=f"give a person their tasks on the Instagram account "
                  f"@{p['username']} back", needs=BUSINESS, user=p["user"], tasks=tasks)
    return Outcome.changed(f"gave back their tasks on the Instagram account @{p['username']} ({', '.join(p['tasks'])})",
                           {"tasks": tasks})
