"""``offboard doctor`` for Open Collective: can the token do the job, before a run needs it?

Three reads: the token's user (``me``), the collective, and its admins. Two things only show
at the first change, as no read reveals them: the token's scope ``account`` and its 2FA
pre-authorization (the README's troubleshooting says how to set both).
"""

from __future__ import annotations

from offboard.spi import ConnectorError

from . import observe
from .api import OpenCollectiveApi
from .errors import TEAM, TOKEN_PAGE

PERMISSIONS = ("a personal token of an admin of the collective, with the scope 'account'",
               "pre-authorized for 2FA when its user has two-factor authentication (Advanced privileges)")


def problems(api: OpenCollectiveApi, slug: str) -> list[str]:
    """Problems as sentences, each with its fix; empty when the token's user administers the collective."""
    try:
        user = observe.me(api)
    except ConnectorError as exc:
        return [str(exc)]
    if user is None:
        return [f"Open Collective does not say whose personal token {api.token_env} holds: create a personal token in "
                f"{TOKEN_PAGE}, signed in as an admin of {slug}"]
    who = f"{observe.one_line(user.get('name') or '')} (@{user.get('slug')})"
    try:
        team = observe.team(api, slug)
    except ConnectorError as exc:
        return [str(exc)]
    admins = {r.account.get("id") for r in team.roles if r.role == "ADMIN"}
    if user.get("id") not in admins:
        return [f"the token's user {who} is not an admin of {team.name} (@{slug}): Open Collective lets only its admins "
                f"remove and invite team members; use a personal token of one of its admins (listed in {TEAM}), or ask "
                "an admin to invite this user as Administrator"]
    try:
        observe.invitations(api, slug)
    except ConnectorError as exc:
        return [str(exc)]
    return []
