"""``offboard doctor`` for Slack: is the token one that can do the job, before a run needs it?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offboard.spi import ConnectorError

from . import errors, observe

if TYPE_CHECKING:
    from .connector import SlackConnector


def problems(connector: SlackConnector) -> list[str]:
    """Problems as sentences; empty when the token works, is an admin's user token and has every scope."""
    from .connector import GRID_SCOPE, SCIM_SCOPE, SCOPES

    api = connector.api
    found: list[str] = []
    try:
        token = api.token
        if not token.startswith("xoxp-"):
            found.append(
                f"the token in {connector.config['token_env']} is not a user token (xoxp-...): only an admin's "
                "user token may kick members, edit user groups and use SCIM"
            )
        response = api.call("auth.test")
        team = connector.team()
        admin = observe.user(api, team.user_id)
    except ConnectorError as exc:
        return [*found, str(exc)]
    if not (admin.get("is_admin") or admin.get("is_owner")):
        found.append(f"the token's user {admin.get('name', team.user_id)} is not a workspace admin or owner: "
                     "Slack will refuse deactivation and kicks")
    granted = errors.header(response.headers, "X-OAuth-Scopes")
    if granted is not None:
        wanted = list(SCOPES)
        if connector.config["scim"]:
            wanted.append(SCIM_SCOPE)
        if team.enterprise_id:
            wanted.append(GRID_SCOPE)
        have = {s.strip() for s in granted.split(",")}
        missing = [s for s in wanted if s not in have]
        if missing:
            found.append(f"the token lacks the scopes {', '.join(missing)}: add them under OAuth & Permissions "
                         "in the Slack app's settings, reinstall the app and use the new token")
    if connector.config["scim"]:
        try:
            api.scim_call("GET", "Users?startIndex=1&count=1", "list users")
        except ConnectorError as exc:
            found.append(str(exc))
    return found
