"""Meta's actions: how a plan is built, and the one table of what each kind observes and does.

Order, and why everything that ends access is ``cut``: the member's tasks on each Page (and
on each Page's Instagram account) go first: that ends their hand on what the organization
publishes. Removing them from the portfolio comes after those (``depends_on``) and is ``cut``
too: it also ends what the plan does not list (ad accounts, catalogs, Pages not configured),
so it is not tidying up. It waits for the task removals so that each Page's removal is
recorded with its tasks, and done, even when Meta refuses the portfolio removal (the last
admin). It cannot be undone: re-inviting needs the person to accept. A suspension
(``remove_from_business: false``) removes the tasks only, and reinstatement gives them back.

``KINDS`` is the table the connector delegates to: a new kind is one builder and one row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from offboard.spi import Account, Action, AuthError, FatalError, Outcome, Phase
from offboard.spi.kinds import Kind, KindTable

from . import access, observe, restore_acts
from .api import GraphApi
from .errors import GoneError
from .observe import BUSINESS, NAME, PAGES, InstagramAsset, PageInfo, PageReach

Params = Mapping[str, Any]
OPTIONS = {"remove_from_business": True}


class Meta(Protocol):
    """What observing and acting need from the connector: the API, the portfolio, Pages and Instagram accounts read once."""

    api: GraphApi
    business_id: str

    def page(self, page_id: str) -> PageInfo: ...

    def assets(self) -> dict[str, InstagramAsset]: ...

    def business_name(self) -> str: ...


def options(given: Mapping[str, Any]) -> dict[str, bool]:
    """A playbook step's options, each true or false; anything else is refused, naming the option."""
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise FatalError(f"the playbook's meta step has unknown option(s) {', '.join(unknown)} "
                         f"(known: {', '.join(OPTIONS)}): fix the playbook")
    wrong = sorted(k for k, v in given.items() if not isinstance(v, bool))
    if wrong:
        raise FatalError(f"the playbook's meta option(s) {', '.join(wrong)} must be true or false: fix the playbook")
    return {**OPTIONS, **given}


# ---------------------------------------------------------------- the plan


def plan(account: Account, user: Mapping[str, Any], reaches: Sequence[PageReach], business_name: str,
         remove_from_business: bool) -> list[Action]:
    """Every change for one business user, from what discovery saw."""
    planned: list[Action] = []
    seen: set[str] = set()
    for reach in reaches:
        if reach.tasks:
            planned.append(page_tasks(account, reach.page, reach.tasks, not remove_from_business))
        asset = reach.instagram
        if asset is not None and reach.instagram_tasks and asset.id not in seen:
            seen.add(asset.id)
            planned.append(instagram_tasks(account, asset, reach.page, reach.instagram_tasks, not remove_from_business))
        if reach.unlisted_instagram and reach.unlisted_instagram not in seen:
            seen.add(reach.unlisted_instagram)
            planned.append(access.instagram_review(account, reach.page, reach.unlisted_instagram, business_name))
    tasks = tuple(a.id for a in planned if a.phase is Phase.CUT)
    if remove_from_business:
        planned.append(leave_portfolio(account, user, business_name, tasks))
    for reach in reaches:
        planned += access.steps(account, reach.page, reach.outsiders)
    return planned


def _tasks(tasks: Sequence[str]) -> str:
    return ", ".join(tasks)


def page_tasks(account: Account, page: PageInfo, tasks: list[str], reversible: bool) -> Action:
    return Action(id=f"meta:page:{page.id}", connector=NAME, kind="page-tasks",
                  summary=f'Remove the tasks of {account.label} on the Facebook Page "{page.name}" ({_tasks(tasks)})',
                  phase=Phase.CUT, reversible=reversible, account=account,
                  before={"page": page.id, "name": page.name, "tasks": tasks}, after={"page": page.id, "tasks": []},
                  params={"user": account.id, "page": page.id, "name": page.name, "tasks": tasks})


def instagram_tasks(account: Account, asset: InstagramAsset, page: PageInfo, tasks: list[str], reversible: bool) -> Action:
    return Action(id=f"meta:instagram:{asset.id}", connector=NAME, kind="instagram-tasks",
                  summary=f"Remove the tasks of {account.label} on the Instagram account @{asset.username} (linked to the "
                          f'Page "{page.name}") ({_tasks(tasks)})',
                  phase=Phase.CUT, reversible=reversible, account=account,
                  before={"asset": asset.id, "username": asset.username, "page": page.id, "tasks": tasks},
                  after={"asset": asset.id, "tasks": []},
                  params={"user": account.id, "asset": asset.id, "username": asset.username, "tasks": tasks})


def leave_portfolio(account: Account, user: Mapping[str, Any], business_name: str, after: tuple[str, ...]) -> Action:
    role = str(user.get("role") or "")
    return Action(id=f"meta:portfolio:{account.id}", connector=NAME, kind="portfolio-remove",
                  summary=f'Remove {account.label} from the business portfolio "{business_name}"'
                          + (f" (role {role})" if role else "") + "; only a new invitation they accept brings them back",
                  phase=Phase.CUT, reversible=False, account=account,
                  before={"business_name": business_name, "name": user.get("name"), "email": user.get("email"),
                          "role": role, "in_portfolio": True},
                  after={"in_portfolio": False},
                  params={"user": account.id, "business_name": business_name}, depends_on=after)


# ---------------------------------------------------------------- observe and act, per kind


def _page_tasks_now(meta: Meta, p: Params) -> list[str]:
    return observe.page_tasks(meta.api, meta.page(p["page"]), meta.business_id, p["user"])


def _instagram_tasks_now(meta: Meta, p: Params) -> list[str]:
    asset = InstagramAsset(p["asset"], "", p["username"])
    return observe.instagram_tasks(meta.api, asset, meta.business_id, p["user"])


def _unassign_page(meta: Meta, p: Params) -> Outcome:
    now = _page_tasks_now(meta, p)
    if not now:
        return Outcome.ok(f'no task on the Page "{p["name"]}"', {"tasks": []})
    page = meta.page(p["page"])
    meta.api.delete(f"{page.id}/assigned_users", what=f'remove a person\'s tasks on the Page "{page.name}"', needs=PAGES,
                    token=page.token, user=p["user"])
    return Outcome.changed(f'removed their tasks on the Page "{page.name}" ({_tasks(now)})', {"tasks": []})


def _unassign_instagram(meta: Meta, p: Params) -> Outcome:
    now = _instagram_tasks_now(meta, p)
    if not now:
        return Outcome.ok(f"no task on the Instagram account @{p['username']}", {"tasks": []})
    meta.api.delete(f"{p['asset']}/assigned_users", what=f"remove a person's tasks on the Instagram account "
                    f"@{p['username']}", needs=BUSINESS, user=p["user"])
    return Outcome.changed(f"removed their tasks on the Instagram account @{p['username']} ({_tasks(now)})", {"tasks": []})


def in_portfolio(meta: Meta, p: Params) -> bool:
    return observe.business_user(meta.api, meta.business_id, p["user"]) is not None


def _leave_portfolio(meta: Meta, p: Params, look_first: bool = True) -> Outcome:
    """DELETE /{business-user-id}. Meta answers 100/33 both when they are gone and when the token may not see them:
    a read tells which."""
    name = p["business_name"]
    if look_first and not in_portfolio(meta, p):
        return Outcome.ok(f'not in the business portfolio "{name}"', {"in_portfolio": False})
    try:
        meta.api.delete(p["user"], what=f'remove a person from the business portfolio "{name}"', needs=BUSINESS)
    except GoneError:
        if in_portfolio(meta, p):
            raise AuthError(f'Meta refused to remove a person from the business portfolio "{name}" although they are '
                            "in it: the system user must be an admin of the portfolio, with business_management") from None
        return Outcome.ok(f'not in the business portfolio "{name}"', {"in_portfolio": False})
    return Outcome.changed(f'removed from the business portfolio "{name}"; only a new invitation they accept brings them '
                           "back", {"in_portfolio": False})


KINDS: dict[str, Kind[Meta]] = {
    # Whether Meta answers a DELETE of no tasks differently is not documented: task removals always look first.
    "page-tasks": Kind(lambda meta, p: not _page_tasks_now(meta, p), _unassign_page),
    "instagram-tasks": Kind(lambda meta, p: not _instagram_tasks_now(meta, p), _unassign_instagram),
    # A portfolio removal planned moments ago goes without its look: 100/33 says "already gone" (confirmed by a read).
    "portfolio-remove": Kind(lambda meta, p: not in_portfolio(meta, p), _leave_portfolio,
                             lambda meta, p: _leave_portfolio(meta, p, look_first=False)),
    "page-access-manual": Kind(access.outsider_gone, access.remove_outsider_by_hand),
    "page-access-review": Kind(access.reviewed, access.review_by_hand),
    "instagram-review": Kind(lambda meta, p: None, access.instagram_by_hand),
    # Restore kinds (``restore_plan`` builds them): the same tasks back on each Page and Instagram account.
    "page-tasks-restore": Kind(restore_acts.page_back, restore_acts.assign_page),
    "instagram-tasks-restore": Kind(restore_acts.instagram_back, restore_acts.assign_instagram),
}


TABLE = KindTable("Meta", KINDS)  # the connector's apply, apply_planned and check
