"""``offboard doctor`` for Google, and the OAuth scopes it checks, by the API and identity using them.

Directory, Data Transfer and Licensing calls act as the admin; Gmail settings calls act
as the user whose settings they change, so the Gmail scopes are delegated per user.
Each scope Google refuses is named, with where to grant it, before a run needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offboard.spi import AuthError, ConnectorError

from .errors import missing_scopes_error

if TYPE_CHECKING:
    from .api import Gateway, GoogleClients

AUTH = "https://www.googleapis.com/auth/"

DIRECTORY_SCOPES = (
    AUTH + "admin.directory.user",  # users: read, suspend, reset password, GAL, org unit
    AUTH + "admin.directory.user.security",  # sign-out, tokens, app passwords, backup codes
    AUTH + "admin.directory.group",  # the user's groups and memberships
    AUTH + "admin.directory.rolemanagement",  # admin role assignments
    AUTH + "admin.directory.device.mobile.action",  # list, block and wipe mobile devices
)
TRANSFER_SCOPES = (AUTH + "admin.datatransfer",)
LICENSING_SCOPES = (AUTH + "apps.licensing",)
GMAIL_SCOPES = (
    AUTH + "gmail.settings.basic",  # read delegates and forwarding, turn off POP and IMAP
    AUTH + "gmail.settings.sharing",  # remove delegates, turn off auto-forwarding
)
ALL_SCOPES = DIRECTORY_SCOPES + TRANSFER_SCOPES + LICENSING_SCOPES + GMAIL_SCOPES
# The written notice ([notice] via = "gmail"), delegated to its sender: only when a notice is configured.
MAIL_SCOPES = (
    AUTH + "gmail.send",  # send the notice, and nothing else: no reading, no drafts
    AUTH + "gmail.metadata",  # find a sent notice again by its Message-ID (labels and headers, never bodies)
)


def admin_scopes(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The admin's scopes: Data Transfer and Licensing only when the config asks for them."""
    return (DIRECTORY_SCOPES + (TRANSFER_SCOPES if config["transfer_to"] else ())
            + (LICENSING_SCOPES if config["license_product"] else ()))


def problems(gateway: Gateway, config: Mapping[str, Any]) -> list[str]:
    """The key, the token endpoint, every scope, the admin and transfer_to, as sentences; none when all is well.

    Every problem at once where one does not hide the next: the admin is looked up unless the token
    endpoint refused the key or an admin scope is missing (the admin's token is then refused too).
    """
    try:
        found, blocked = _scope_problems(gateway)
    except ConnectorError as exc:
        return [str(exc)]
    if blocked:
        return found
    try:
        not_admin = _admin_problems(gateway)
        if not_admin:  # every other directory read would be refused too
            return found + not_admin
        target = config["transfer_to"]
        if target and gateway.user(target) is None:
            found.append(f"transfer_to {target} is not a user of the domain: set [connectors.google] transfer_to to "
                         "a mailbox of the domain, or remove it")
    except ConnectorError as exc:
        found.append(str(exc))
    return found


def _admin_problems(gateway: Gateway) -> list[str]:
    admin = gateway.admin
    fix = "set [connectors.google] admin to one"
    try:
        user = gateway.user(admin)
    except AuthError as exc:
        if "403 forbidden" not in str(exc):
            raise
        return [f"{admin} is not a super admin (Google answered 403 forbidden): {fix}"]
    return [] if user and user.get("isAdmin") else [f"{admin} is not a super admin: {fix}"]


def _scope_problems(gateway: Gateway) -> tuple[list[str], bool]:
    """The scopes not authorized, as one sentence; and whether the admin cannot be looked up at all."""
    clients, admin = gateway.clients, gateway.admin
    missing: list[str] = []
    for wanted in (gateway.admin_scopes, gateway.user_scopes):  # Gmail grants are per client, not per user
        error = clients.grant(admin, wanted)
        if error == "unauthorized_client":
            missing += clients.missing_scopes(admin, wanted)
        elif error:
            return [f"the token endpoint refused the service account acting as {admin} ({error}): "
                    "check the key and that the admin is a user of the domain"], True
    found = [str(missing_scopes_error(clients.client_id, admin, missing))] if missing else []
    return found, bool(set(missing) & set(gateway.admin_scopes))  # the admin's token asks for all of them


def mail_problems(source: Gateway | GoogleClients, sender: str) -> list[str]:
    """For ``[notice] via = "gmail"``: the sender is a user of the domain (not suspended: with a gateway,
    which reads the directory) and the service account may act as them with ``MAIL_SCOPES``, each
    missing scope named with where to grant it; none when all is well."""
    from .api import Gateway  # here: the api package imports this module

    clients = source.clients if isinstance(source, Gateway) else source
    gone = f"the notice's sender {sender} is not a user of the domain: set [notice] from to a mailbox of the domain"
    try:
        if isinstance(source, Gateway):
            user = source.user(sender)
            if user is None:
                return [gone]
            if user.get("suspended"):
                return [f"the notice's sender {sender} is suspended: unsuspend it or set [notice] from to another mailbox"]
        error = clients.grant(sender, MAIL_SCOPES)
        if error == "unauthorized_client":
            missing = clients.missing_scopes(sender, MAIL_SCOPES) or list(MAIL_SCOPES)
            return [str(missing_scopes_error(clients.client_id, sender, missing))]
        if error == "invalid_grant":
            return [gone]
        if error:
            return [f"the token endpoint refused the service account acting as {sender} ({error}): "
                    "check the key and that the sender is a user of the domain"]
        return []
    except ConnectorError as exc:
        return [str(exc)]
