"""The four roles of a collective's team that offboard removes, their names in the interface, their order.

Open Collective calls them "core" roles: ADMIN (approves expenses, moves money), ACCOUNTANT
(reads every financial record, receipt and invoice), COMMUNITY_MANAGER (posts updates to all
contributors, moderates comments) and MEMBER (shown as a Core Contributor on the collective's
page). Backers, followers and attendees are not access, and are left alone.

``CORE_ROLES`` is highest first: the order in which a reinstated member's one invitation is chosen
(Open Collective keeps one pending invitation per person and collective).
"""

from __future__ import annotations

CORE_ROLES = ("ADMIN", "ACCOUNTANT", "COMMUNITY_MANAGER", "MEMBER")

# What the collective's Team page calls each role (MemberRoleLabels in opencollective-api).
LABELS = {"ADMIN": "Administrator", "ACCOUNTANT": "Accountant", "COMMUNITY_MANAGER": "Community Manager",
          "MEMBER": "Core Contributor"}

GRAPHQL_LIST = "[" + ", ".join(CORE_ROLES) + "]"  # the role filter as a GraphQL list literal


def label(role: str) -> str:
    return LABELS.get(role, role.replace("_", " ").title())


def rank(role: str) -> int:
    """0 for the highest role (ADMIN); unknown roles after every known one."""
    return CORE_ROLES.index(role) if role in CORE_ROLES else len(CORE_ROLES)


def highest(roles: list[str]) -> str | None:
    return min(roles, key=rank) if roles else None
