"""Where people click: the web vault's Admin Console pages that manual steps link to.

The web vault lives beside the API: ``vault.bitwarden.com`` for ``api.bitwarden.com``,
``vault.bitwarden.eu`` for the EU cloud, and the server's root for a self-hosted
``https://HOST/api``. Routes are those of bitwarden/clients (``/#/organizations/<id>/members``,
``/vault?collectionId=<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

CLOUD_VAULTS = {"api.bitwarden.com": "https://vault.bitwarden.com", "api.bitwarden.eu": "https://vault.bitwarden.eu"}
CLOUD_IDENTITIES = {"api.bitwarden.com": "https://identity.bitwarden.com",
                    "api.bitwarden.eu": "https://identity.bitwarden.eu"}
REVOKE_SINCE = "2026.2.0"  # the first server release with revoke and restore in the Public API


def _root(api_url: str) -> tuple[str, str]:
    """(scheme://host[:port], path without a trailing /api) of an API root."""
    parts = urlsplit(api_url.rstrip("/"))
    path = parts.path[: -len("/api")] if parts.path.lower().endswith("/api") else parts.path
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")), path


def vault_url(api_url: str) -> str:
    host = (urlsplit(api_url).hostname or "").lower()
    if host in CLOUD_VAULTS:
        return CLOUD_VAULTS[host]
    origin, path = _root(api_url)
    return origin + path


def identity_url(api_url: str) -> str:
    """The identity server that matches an API root: the same cloud, or ``https://HOST/identity`` beside ``/api``."""
    host = (urlsplit(api_url).hostname or "").lower()
    if host in CLOUD_IDENTITIES:
        return CLOUD_IDENTITIES[host]
    origin, path = _root(api_url)
    return f"{origin}{path}/identity"


def cloud_mismatch(api_url: str, identity: str) -> str | None:
    """The identity root ``api_url`` needs when ``identity`` is a Bitwarden cloud's that cannot go with it (the other
    cloud's, or a cloud's for a self-hosted API); None otherwise."""
    identity_host = (urlsplit(identity).hostname or "").lower()
    clouds = {urlsplit(u).hostname for u in CLOUD_IDENTITIES.values()}
    wanted = identity_url(api_url)
    if identity_host in clouds and identity_host != urlsplit(wanted).hostname:
        return wanted
    return None


@dataclass(frozen=True)
class Console:
    """The Admin Console of one organization."""

    vault: str
    org_id: str

    @property
    def members(self) -> str:
        return f"{self.vault}/#/organizations/{self.org_id}/members"

    def collection(self, collection_id: str) -> str:
        return f"{self.vault}/#/organizations/{self.org_id}/vault?collectionId={collection_id}"
