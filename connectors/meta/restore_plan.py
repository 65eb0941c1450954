"""The restore plan: from what a suspension or expulsion applied, what gives the member their access back (read-only).

A suspension removed tasks only: each Page and Instagram account gets the recorded tasks back
(``POST .../assigned_users``). A removal from the portfolio cannot come back through the API:
Meta needs a new invitation that the person accepts, and they return under a new
business-scoped id. So the plan looks for the person first under the recorded id, then by
the recorded email: when they are back (they accepted an invitation), the removal is
``already`` and the tasks are given to the id they have now; when they are not, the removal
and every task are ``lost``, each with the way back. Steps a person did outside the
portfolio (Page access) cannot be undone by offboard either, and say so. It re-observes
first: tasks held again are ``already``, tasks gained meanwhile are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offboard.spi import Account, Action, NotRestorable, Phase, Restoration

from . import observe
from .actions import Meta
from .errors import GoneError
from .observe import NAME, InstagramAsset
from .restore_acts import merged

MANUAL = ("page-access-manual", "page-access-review", "instagram-review")


def restoration(meta: Meta, account: Account, applied: Sequence[Action]) -> Restoration:
    result = Restoration()
    mine = [a for a in applied if a.connector == NAME]
    if not mine:
        return result
    current = _current(meta, account, mine)
    for action in mine:
        if action.kind == "portfolio-remove":
            if current is not None:
                result.already.append(action.id)
            else:
                result.lost.append(NotRestorable(action.id, _reinvite(account, action)))
        elif action.kind in ("page-tasks", "instagram-tasks"):
            if current is None:
                result.lost.append(NotRestorable(action.id, _tasks_lost(account, action)))
            else:
                _tasks_back(meta, account, action, str(current["id"]), result)
        elif action.kind in MANUAL:
            result.lost.append(NotRestorable(action.id, _manual_lost(action)))
        else:
            result.lost.append(NotRestorable(action.id, f"offboard cannot undo a Meta action of kind {action.kind!r}"))
    return result


def _current(meta: Meta, account: Account, applied: Sequence[Action]) -> Mapping[str, Any] | None:
    """The member in the portfolio now: under the recorded id, else (re-invited, new id) under the recorded email."""
    user = observe.business_user(meta.api, meta.business_id, account.id)
    if user is not None:
        return user
    emails = [str(account.attributes.get("email") or "")]
    emails += [str((a.before or {}).get("email") or "") for a in applied if a.kind == "portfolio-remove"]
    return observe.by_email(meta.api, meta.business_id, [e for e in emails if e])


def _reinvite(account: Account, action: Action) -> str:
    before = action.before or {}
    email = before.get("email") or account.attributes.get("email") or account.label
    role = f" with the role {before['role']}" if before.get("role") else ""
    return (f'A removal from the business portfolio "{before.get("business_name") or ""}" cannot be undone through the API: '
            f"re-invite {email} from Business settings > Users > People > Invite people{role}; they must accept the "
            "invitation by email, and their tasks on Pages and Instagram accounts are then assigned again there")


def _tasks_lost(account: Account, action: Action) -> str:
    before, p = action.before or {}, action.params
    where = f'the Page "{p.get("name")}"' if action.kind == "page-tasks" else f"the Instagram account @{p.get('username')}"
    return (f"{account.label} is no longer in the business portfolio, so their tasks on {where} "
            f"({', '.join(before.get('tasks') or ())}) cannot be given back: once they accept a new invitation, assign "
            "them in Business settings > Accounts (Pages or Instagram accounts) > Assign people, with those tasks")


def _manual_lost(action: Action) -> str:
    p = action.params
    if action.kind == "page-access-manual":
        return (f'{p.get("person_name")} was removed by a person from the access of the Page "{p.get("name")}"; offboard '
                "cannot add anyone outside the portfolio: if they should have it back, a Page admin adds them in Page "
                "settings > Page access, and they accept")
    what = f'the Page "{p.get("name")}"' if action.kind == "page-access-review" else \
        f'the Instagram account linked to the Page "{p.get("name")}"'
    return (f"If someone was removed from {what} at this check, offboard cannot put them back: a Page admin adds them "
            "again where they were removed, and they accept")


def _tasks_back(meta: Meta, account: Account, action: Action, user_id: str, result: Restoration) -> None:
    p = action.params
    wanted = [str(t) for t in (action.before or {}).get("tasks") or p.get("tasks") or []]
    try:
        if action.kind == "page-tasks":
            page = meta.page(p["page"])
            now = observe.page_tasks(meta.api, page, meta.business_id, user_id)
        else:
            asset = InstagramAsset(p["asset"], "", p["username"])
            now = observe.instagram_tasks(meta.api, asset, meta.business_id, user_id)
    except GoneError:
        where = f'The Page "{p.get("name")}"' if action.kind == "page-tasks" else \
            f"The Instagram account @{p.get('username')}"
        result.lost.append(NotRestorable(action.id, f"{where} no longer exists, or the system user can no longer see it"))
        return
    if set(wanted) <= set(now):
        result.already.append(action.id)
        return
    after = merged(now, wanted)
    if action.kind == "page-tasks":
        result.actions.append(Action(
            id=f"meta:restore:page:{page.id}", connector=NAME, kind="page-tasks-restore",
            summary=f'Give {account.label} back their tasks on the Facebook Page "{page.name}" ({", ".join(wanted)})',
            phase=Phase.CUT, reversible=True, account=account,
            before={"page": page.id, "name": page.name, "tasks": now}, after={"page": page.id, "tasks": after},
            params={"user": user_id, "page": page.id, "name": page.name, "tasks": wanted}))
        return
    result.actions.append(Action(
        id=f"meta:restore:instagram:{asset.id}", connector=NAME, kind="instagram-tasks-restore",
        summary=f"Give {account.label} back their tasks on the Instagram account @{asset.username} ({', '.join(wanted)})",
        phase=Phase.CUT, reversible=True, account=account,
        before={"asset": asset.id, "username": asset.username, "tasks": now}, after={"asset": asset.id, "tasks": after},
        params={"user": user_id, "asset": asset.id, "username": asset.username, "tasks": wanted}))
