"""The nodes and edges the emulator answers, one handler each, and the table that routes to them.

What each needs is checked as Meta documents it: ``business_management`` for the portfolio's
people and assets, a Page access token and ``pages_manage_metadata`` for a Page's
``assigned_users`` (with the required ``business`` parameter), ``pages_show_list`` to read a
Page and get its token. Wording the references do not give is marked UNCONFIRMED in the
connector's README; the codes follow Meta's error-handling guide.
"""

from __future__ import annotations

import json
from typing import Any

from .graph import Call, Handler, error, unsupported
from .state import INSTAGRAM_TASKS, PAGE_TASKS, ROLES, Instagram, Page

USER_FIELDS = ("id", "name", "email", "first_name", "last_name", "role", "tasks", "title", "pending_email",
               "marked_for_removal", "two_fac_status", "business", "finance_permission", "ip_permission",
               "business_role_request", "invited_user_type")
ASSIGNED_FIELDS = ("id", "name", "tasks", "permitted_tasks", "user_type", "business")
SUCCESS = {"success": True}


# ---------------------------------------------------------------- the token's user, the portfolio


def me(call: Call) -> dict[str, Any]:
    user = call.node
    return call.pick({"id": user.id, "name": user.name, "role": user.role}, ("id", "name", "role"), ("id", "name"))


def permissions(call: Call) -> dict[str, Any]:
    if call.token.page_id is not None or call.node_id != call.token.user_id:
        raise error(400, "(#100) Permissions can only be read for the token's own user", 100)
    return {"data": [{"permission": p, "status": "granted"} for p in sorted(call.token.permissions)]}


def business(call: Call) -> dict[str, Any]:
    if call.token.user_id not in call.business.system_users:
        raise unsupported("GET", call.node_id)
    info = {"id": call.business.id, "name": call.business.name, "verification_status": "not_verified"}
    return call.pick(info, ("id", "name", "verification_status", "created_time", "timezone_id"), ("id", "name"))


def business_users(call: Call) -> dict[str, Any]:
    call.need("business_management")
    users = [call.pick(u.render(call.business), USER_FIELDS, ("id", "name")) for u in call.business.users.values()]
    return call.paged(users)


def invite(call: Call) -> dict[str, Any]:
    """POST /{business}/business_users: an invitation the person must accept (never accepted here by itself)."""
    call.need("business_management")
    call.need_admin()
    email, role = call.required("email"), call.params.get("role", "EMPLOYEE")
    if role not in ROLES:
        raise error(400, f"(#100) Param role must be one of {{{', '.join(ROLES)}}}", 100)
    request_id = call.business.new_id("16")
    call.business.invitations.append({"id": request_id, "email": email, "role": role})
    return {"id": request_id}


def owned_instagram_assets(call: Call) -> dict[str, Any]:
    call.need("business_management")
    assets = [{"id": a.asset_id, "ig_user_id": a.ig_user_id, "ig_username": a.username}
              for a in call.business.instagram.values()]
    return call.paged([call.pick(a, ("id", "ig_user_id", "ig_username"), ("id",)) for a in assets])


def business_user(call: Call) -> dict[str, Any]:
    call.need("business_management")
    return call.pick(call.node.render(call.business), USER_FIELDS, ("id", "name"))


def remove_business_user(call: Call) -> dict[str, Any]:
    call.need("business_management")
    call.need_admin()
    call.business.remove_user(call.node_id)
    return SUCCESS


# ---------------------------------------------------------------- Pages


def page(call: Call) -> dict[str, Any]:
    call.need("pages_show_list")
    node: Page = call.node
    info: dict[str, Any] = {"id": node.id, "name": node.name, "category": "Community organization"}
    if node.instagram:
        info["instagram_business_account"] = {"id": node.instagram}
    if call.token.page_id == node.id:
        info["access_token"] = call.token_value
    elif call.token.page_id is None and call.token.user_id in node.assigned:  # a task on the Page gives its token
        info["access_token"] = call.business.page_token(call.token.user_id, node.id, call.token.permissions)
    allowed = ("id", "name", "category", "link", "access_token", "instagram_business_account", "tasks")
    return call.pick(info, allowed, ("id", "name"))


def _assignee(call: Call, user_id: str, tasks: list[str], permitted: tuple[str, ...]) -> dict[str, Any]:
    business, system = call.business.users.get(user_id), call.business.system_users.get(user_id)
    name = business.name if business else system.name if system else ""
    item = {"id": user_id, "name": name, "tasks": list(tasks), "permitted_tasks": list(permitted),
            "user_type": "SYSTEM_USER" if system else "BUSINESS_USER",
            "business": {"id": call.business.id, "name": call.business.name}}
    return call.pick(item, ASSIGNED_FIELDS, ("id", "name"))


def _check_business(call: Call) -> None:
    if call.required("business") != call.business.id:
        raise error(400, "(#100) Param business must be the id of a business that owns or manages this object", 100)


def _tasks(call: Call, known: tuple[str, ...]) -> list[str]:
    raw = call.required("tasks")
    try:
        tasks = json.loads(raw)
    except json.JSONDecodeError:
        tasks = [t.strip() for t in raw.strip("[]").split(",") if t.strip()]
    if not isinstance(tasks, list) or not tasks:
        raise error(400, "(#100) Param tasks must be an array", 100)
    for i, task in enumerate(tasks):
        if task not in known:
            raise error(400, f"(#100) Param tasks[{i}] must be one of {{{', '.join(known)}}}", 100)
    return [str(t) for t in tasks]


def _assignable(call: Call) -> str:
    user = call.required("user")
    if user not in call.business.users and user not in call.business.system_users:
        raise error(400, f"(#100) Param user must be a business-scoped user id of business {call.business.id}", 100)
    return user


def page_assigned_users(call: Call) -> dict[str, Any]:
    call.need_page_token(call.node_id)
    call.need("pages_manage_metadata")
    _check_business(call)
    node: Page = call.node
    return call.paged([_assignee(call, uid, tasks, PAGE_TASKS) for uid, tasks in node.assigned.items()])


def page_assign(call: Call) -> dict[str, Any]:
    call.need_page_token(call.node_id)
    call.need("pages_manage_metadata")
    user, tasks = _assignable(call), _tasks(call, PAGE_TASKS)
    call.node.assigned[user] = tasks
    return SUCCESS


def page_unassign(call: Call) -> dict[str, Any]:
    call.need_page_token(call.node_id)
    call.need("pages_manage_metadata")
    call.node.assigned.pop(call.required("user"), None)
    return SUCCESS


def page_roles(call: Call) -> dict[str, Any]:
    """People with access to the Page outside any portfolio: read only, no API adds or removes them."""
    call.need_page_token(call.node_id)
    node: Page = call.node
    return call.paged([call.pick(p, ("id", "name", "tasks"), ("id", "name")) for p in node.roles.values()])


# ---------------------------------------------------------------- Instagram


def ig_user(call: Call) -> dict[str, Any]:
    account: Instagram = call.node
    return call.pick({"id": account.ig_user_id, "username": account.username},
                     ("id", "username", "name", "profile_picture_url"), ("id",))


def ig_asset(call: Call) -> dict[str, Any]:
    call.need("business_management")
    account: Instagram = call.node
    return call.pick({"id": account.asset_id, "ig_user_id": account.ig_user_id, "ig_username": account.username},
                     ("id", "ig_user_id", "ig_username"), ("id",))


def ig_assigned_users(call: Call) -> dict[str, Any]:
    call.need("business_management")
    _check_business(call)
    account: Instagram = call.node
    return call.paged([_assignee(call, uid, tasks, INSTAGRAM_TASKS) for uid, tasks in account.assigned.items()])


def ig_assign(call: Call) -> dict[str, Any]:
    call.need("business_management")
    user, tasks = _assignable(call), _tasks(call, INSTAGRAM_TASKS)
    call.node.assigned[user] = tasks
    return SUCCESS


def ig_unassign(call: Call) -> dict[str, Any]:
    call.need("business_management")
    call.node.assigned.pop(call.required("user"), None)
    return SUCCESS


ROUTES: dict[tuple[str, str], dict[str, Handler]] = {
    ("system_user", ""): {"GET": me},
    ("system_user", "permissions"): {"GET": permissions},
    ("business", ""): {"GET": business},
    ("business", "business_users"): {"GET": business_users, "POST": invite},
    ("business", "owned_instagram_assets"): {"GET": owned_instagram_assets},
    ("business_user", ""): {"GET": business_user, "DELETE": remove_business_user},
    ("page", ""): {"GET": page},
    ("page", "assigned_users"): {"GET": page_assigned_users, "POST": page_assign, "DELETE": page_unassign},
    ("page", "roles"): {"GET": page_roles},  # GET only (SDK v25): POST and DELETE are unsupported requests
    ("ig_user", ""): {"GET": ig_user},
    ("ig_asset", ""): {"GET": ig_asset},
    ("ig_asset", "assigned_users"): {"GET": ig_assigned_users, "POST": ig_assign, "DELETE": ig_unassign},
}
