"""The writes that put access back (reinstatement), beside the gateway's reads and removals.

A mixin of ``Gateway``, which provides ``admin_call``, ``admin_read``, ``gmail_call`` and
``operator``: kept apart because with them the gateway passes 300 lines.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Protocol

from offboard.spi import FatalError, NotFoundError

CUSTOMER = "my_customer"
PASSWORD_BYTES = 12  # 16 characters of letters, digits, - and _: typeable, and far past Google's minimum of 8


class Operator(Protocol):
    """Who is shown a secret the connector makes, once: the ``ConnectorContext`` (``revealing`` None: nobody)."""

    revealing: Callable[[str, str], None] | None

    def reveal(self, label: str, secret: str) -> None: ...


class PutBack:
    operator: Operator | None

    def admin_call(self, api: str, make: Callable[[Any], Any], what: str) -> Any:
        raise NotImplementedError

    def admin_read(self, api: str, make: Callable[[Any], Any], what: str) -> Any:
        raise NotImplementedError

    def gmail_call(self, email: str, make: Callable[[Any], Any], what: str) -> Any:
        raise NotImplementedError

    def group(self, group: str) -> dict[str, Any] | None:
        """The group, or None when it no longer exists (deleted during a suspension)."""
        try:
            return self.admin_read("directory", lambda s: s.groups().get(groupKey=group), f"reading group {group}")
        except NotFoundError:
            return None

    def add_member(self, group: str, email: str, role: str, delivery_settings: str | None) -> None:
        body = {"email": email, "role": role, "type": "USER",
                **({"delivery_settings": delivery_settings} if delivery_settings else {})}
        self.admin_call("directory", lambda s: s.members().insert(groupKey=group, body=body),
                        f"adding {email} to {group}")

    def add_role_assignment(self, role_id: str, user_id: str, scope_type: str, org_unit_id: str | None) -> None:
        body = {"roleId": role_id, "assignedTo": user_id, "scopeType": scope_type,
                **({"orgUnitId": org_unit_id} if org_unit_id else {})}
        self.admin_call("directory", lambda s: s.roleAssignments().insert(customer=CUSTOMER, body=body),
                        f"assigning admin role {role_id} to user {user_id}")

    def new_password(self, email: str) -> None:
        """A new random password that the member must change at first sign-in, shown once to the operator.

        Refused before anything is sent when nobody is there to see it: a password nobody was shown
        would lock the member out. The password is neither logged, returned nor kept here.
        """
        label = f"New password of {email}"
        if self.operator is None or self.operator.revealing is None:
            raise FatalError(f"the new password of {email} would be shown to nobody: reinstate the member at a "
                             "terminal (offboard reinstate), where it is shown once to you")
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        self.admin_call("directory", lambda s: s.users().update(
            userKey=email, body={"password": password, "changePasswordAtNextLogin": True}),
            f"setting a new password for {email}")
        self.operator.reveal(label, password)

    def add_license(self, product: str, sku: str, email: str) -> None:
        self.admin_call("licensing", lambda s: s.licenseAssignments().insert(
            productId=product, skuId=sku, body={"userId": email}), f"assigning licence {product}/{sku} to {email}")

    def add_delegate(self, email: str, delegate: str) -> None:
        """Gmail adds a delegate as ``accepted``, without a verification mail."""
        self.gmail_call(email, lambda s: s.delegates().create(userId=email, body={"delegateEmail": delegate}),
                        f"adding mail delegate {delegate} of {email}")

    def set_forwarding(self, email: str, setting: dict[str, Any]) -> None:
        self.gmail_call(email, lambda s: s.updateAutoForwarding(userId=email, body=setting),
                        f"setting auto-forwarding of {email}")

    def set_pop(self, email: str, setting: dict[str, Any]) -> None:
        self.gmail_call(email, lambda s: s.updatePop(userId=email, body=setting), f"setting POP for {email}")

    def set_imap(self, email: str, setting: dict[str, Any]) -> None:
        self.gmail_call(email, lambda s: s.updateImap(userId=email, body=setting), f"setting IMAP for {email}")
