"""The state behind the Meta emulator: one business portfolio, its people, Pages, Instagram accounts and tokens.

Plain data with the few rules Meta applies to it: a Page's ``assigned_users`` lists business
and system users with their tasks; its ``roles`` edge lists only people outside any
portfolio (Meta's reference), which no API call changes; an Instagram account linked to a
Page is a business asset with its own ``assigned_users``; removing someone from the
portfolio also ends every task they had on its assets; a re-invited person who accepts comes
back with a new business-scoped id.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

PAGE_TASKS = ("ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MANAGE", "MESSAGING", "MODERATE", "MODERATE_COMMUNITY",
              "PAGES_MESSAGING", "PAGES_MESSAGING_SUBSCRIPTIONS", "CASHIER_ROLE", "MANAGE_JOBS", "MANAGE_LEADS")
INSTAGRAM_TASKS = ("ADVERTISE", "ANALYZE", "COMMUNITY_ACTIVITY", "CONTENT", "MESSAGES")
ROLES = ("ADMIN", "EMPLOYEE", "DEVELOPER", "FINANCE_EDITOR", "FINANCE_ANALYST", "ADS_RIGHTS_REVIEWER", "MANAGE",
         "DEFAULT")
PERMISSIONS = ("business_management", "pages_show_list", "pages_manage_metadata", "pages_read_engagement")


@dataclass
class BusinessUser:
    id: str
    name: str
    email: str
    role: str = "EMPLOYEE"
    pending_email: str = ""
    marked_for_removal: bool = False
    two_fac_status: str = "enabled"
    title: str = ""

    def render(self, business: Business) -> dict[str, Any]:
        first, _, last = self.name.partition(" ")
        return {"id": self.id, "name": self.name, "email": self.email, "first_name": first, "last_name": last,
                "role": self.role, "tasks": [self.role], "title": self.title, "pending_email": self.pending_email,
                "marked_for_removal": self.marked_for_removal, "two_fac_status": self.two_fac_status,
                "business": {"id": business.id, "name": business.name}}


@dataclass
class SystemUser:
    id: str
    name: str
    role: str = "ADMIN"


@dataclass
class Page:
    id: str
    name: str
    assigned: dict[str, list[str]] = field(default_factory=dict)  # business or system user id -> tasks
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)  # people outside the portfolio: id -> {id,name,tasks}
    instagram: str | None = None  # the linked Instagram account's IG user id


@dataclass
class Instagram:
    ig_user_id: str
    asset_id: str  # the business asset's id: the node with assigned_users
    username: str
    assigned: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Token:
    user_id: str  # the system user it acts as
    permissions: frozenset[str]
    page_id: str | None = None  # a Page access token
    invalid: str = ""  # "expired", "invalidated": refused with code 190 and that subcode


class Business:
    """One portfolio: business users, system users, Pages (with people outside it), Instagram assets, tokens."""

    def __init__(self, name: str, business_id: str = "") -> None:
        self._ids = itertools.count(1)
        self.id = business_id or self.new_id("10")
        self.name = name
        self.users: dict[str, BusinessUser] = {}
        self.system_users: dict[str, SystemUser] = {}
        self.pages: dict[str, Page] = {}
        self.instagram: dict[str, Instagram] = {}  # by IG user id
        self.tokens: dict[str, Token] = {}
        self.invitations: list[dict[str, str]] = []  # POST /{business}/business_users: pending until accepted

    def new_id(self, prefix: str) -> str:
        """A fresh numeric id, never one already given (a roster's ``meta`` column may name ids too)."""
        taken = {getattr(self, "id", ""), *getattr(self, "users", ()), *getattr(self, "pages", ())}
        while (candidate := f"{prefix}{next(self._ids):013d}") in taken:
            pass
        return candidate

    # -- building

    def add_user(self, name: str, email: str, role: str = "EMPLOYEE", user_id: str = "") -> str:
        uid = user_id or self.new_id("11")
        self.users[uid] = BusinessUser(uid, name, email, role)
        return uid

    def add_system_user(self, name: str, role: str = "ADMIN") -> str:
        uid = self.new_id("12")
        self.system_users[uid] = SystemUser(uid, name, role)
        return uid

    def add_page(self, name: str, page_id: str = "") -> str:
        pid = page_id or self.new_id("13")
        self.pages[pid] = Page(pid, name)
        return pid

    def assign(self, page_id: str, user_id: str, tasks: list[str]) -> None:
        self.pages[page_id].assigned[user_id] = list(tasks)

    def add_outsider(self, page_id: str, name: str, tasks: list[str]) -> str:
        """Someone with Page access through their own profile, outside the portfolio (the ``roles`` edge)."""
        pid = self.new_id("14")
        self.pages[page_id].roles[pid] = {"id": pid, "name": name, "tasks": list(tasks)}
        return pid

    def link_instagram(self, page_id: str, username: str) -> Instagram:
        account = Instagram(self.new_id("178"), self.new_id("15"), username)
        self.instagram[account.ig_user_id] = account
        self.pages[page_id].instagram = account.ig_user_id
        return account

    def asset(self, asset_id: str) -> Instagram | None:
        return next((a for a in self.instagram.values() if a.asset_id == asset_id), None)

    def issue_token(self, user_id: str, permissions: frozenset[str] | None = None, page_id: str | None = None) -> str:
        token = "EAA" + secrets.token_urlsafe(36).replace("-", "x").replace("_", "y")
        self.tokens[token] = Token(user_id, frozenset(PERMISSIONS) if permissions is None else permissions, page_id)
        return token

    def page_token(self, system_user: str, page_id: str, permissions: frozenset[str]) -> str:
        """The Page access token for a system user with a task on the Page, with the permissions of the token that
        asked: one per such pair, issued on first ask."""
        for token, info in self.tokens.items():
            if (info.user_id, info.page_id, info.permissions) == (system_user, page_id, permissions) and not info.invalid:
                return token
        return self.issue_token(system_user, permissions, page_id)

    # -- what people do outside the API

    def remove_user(self, user_id: str) -> None:
        """Out of the portfolio, and so off every asset of it."""
        self.users.pop(user_id)
        for page in self.pages.values():
            page.assigned.pop(user_id, None)
        for account in self.instagram.values():
            account.assigned.pop(user_id, None)

    def accept_invitation(self, email: str, name: str, role: str = "EMPLOYEE") -> str:
        """A re-invited person accepts: they come back under a new business-scoped id, with no task on any asset."""
        self.invitations = [i for i in self.invitations if i["email"].lower() != email.lower()]
        return self.add_user(name, email, role)

    def remove_outsider(self, page_id: str, person_id: str) -> None:
        """What a Page admin does in Page settings > Page access."""
        self.pages[page_id].roles.pop(person_id, None)
