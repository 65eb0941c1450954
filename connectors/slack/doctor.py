"""``offboard doctor`` for Slack: is the token one that can do the job, before a run needs it?

The scopes live here, the one place that checks them; the connector lists them in its
metadata. Nothing here knows the connector class: it is handed the API and the
workspace reader, so the connector may import this module and not the other way round.
"""

from __future__ import annotations

from collections.abc import Callable

from offboard.spi import ConnectorError

from . import errors, observe
from .api import SlackApi

# The user token's scopes: read the user, their channels and user groups; kick and invite back (private channels:
# groups:write; public ones, at reinstatement: channels:write); edit user groups.
SCOPES = ("users:read", "users:read.email", "channels:read", "groups:read", "channels:write", "groups:write",
          "usergroups:read", "usergroups:write")
SCIM_SCOPE = "admin"  # SCIM deactivation (Business+ and Enterprise Grid)
GRID_SCOPE = "admin.users:write"  # admin.users.session.reset (Enterprise Grid)
NOTIFY_SCOPE = "chat:write"  # offboard audit --notify


def problems(api: SlackApi, workspace: Callable[[], observe.Team], token_env: str, scim: bool) -> list[str]:
    """Problems as sentences; empty when the token works, is an admin's user token and has every scope."""
    found: list[str] = []
    try:
        token = api.token
        if not token.startswith("xoxp-"):
            found.append(
                f"the token in {token_env} is not a user token (xoxp-...): only an admin's "
                "user token may kick members, edit user groups and use SCIM"
            )
        response = api.call("auth.test")
        team = workspace()
        admin = observe.user(api, team.user_id)
    except ConnectorError as exc:
        return [*found, str(exc)]
    if not (admin.get("is_admin") or admin.get("is_owner")):
        found.append(f"the token's user {admin.get('name', team.user_id)} is not a workspace admin or owner: "
                     "Slack will refuse deactivation and kicks")
    granted = errors.header(response.headers, "X-OAuth-Scopes")
    if granted is not None:
        wanted = list(SCOPES)
        if scim:
            wanted.append(SCIM_SCOPE)
        if team.enterprise_id:
            wanted.append(GRID_SCOPE)
        have = {s.strip() for s in granted.split(",")}
        missing = [s for s in wanted if s not in have]
        if missing:
            found.append(f"the token lacks the scopes {', '.join(missing)}: add them under OAuth & Permissions "
                         "in the Slack app's settings, reinstall the app and use the new token")
    if scim:
        try:
            api.scim_call("GET", "Users?startIndex=1&count=1", "list users")
        except ConnectorError as exc:
            found.append(str(exc))
    return found
