"""``offboard doctor`` for Bitwarden: can offboard get a token, read the members, and revoke?

Each problem is one sentence with its fix. Nothing here writes: the revoke check asks the
server whether the route exists (``observe.route_exists``), as discovery does.
"""

from __future__ import annotations

from offboard.spi import ConnectorError, NotFoundError

from . import observe
from .api import BitwardenApi
from .console import REVOKE_SINCE


def too_old(version: str | None) -> str:
    shown = f" (version {version})" if version else ""
    return (f"this Bitwarden server{shown} is too old to revoke members through its API (revoke and restore came with "
            f"server {REVOKE_SINCE}): update it. Until then offboard asks a person to revoke each member in the Admin "
            "Console; with the playbook option remove_if_no_revoke: true it removes them from the organization "
            "instead, which cannot be undone (they would have to be invited again)")


def problems(api: BitwardenApi) -> list[str]:
    """Problems as sentences; empty when a token comes, the members can be listed and revoke exists."""
    try:
        api.token()
        observe.members(api)
    except NotFoundError:
        return [f"there is no Bitwarden Public API at {api.api_url} (HTTP 404 for /public/members): check api_url "
                "(https://api.bitwarden.com, https://api.bitwarden.eu, or https://HOST/api for a self-hosted server)"]
    except ConnectorError as exc:
        return [str(exc)]
    try:
        if not observe.route_exists(api, "revoke"):
            return [too_old(api.server_version())]
    except ConnectorError as exc:
        return [str(exc)]
    return []
