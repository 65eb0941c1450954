"""Fixtures: a seeded Workspace emulator on 127.0.0.1 and a connector pointed at it, and the emulator's full state."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator, seeded_emulator

from offboard.apply.retry import RetryPolicy, retried_read
from offboard.spi import Action, ConnectorContext, Member, NotRestorable

DOMAIN = "example.org"
ANN = Member("m-001", "Ann Lee", f"ann.lee@{DOMAIN}", personal_email="ann.lee@gmail.example")
BEN = Member("m-002", "Ben Ortiz", f"ben.ortiz@{DOMAIN}")
FORMER = Member("m-003", "Cleo Former", f"cleo.former@{DOMAIN}", status="former")

# What each kind that cannot come back changed, as ``snapshot`` names it (a sign-out leaves nothing to see).
LOST_PARTS = {"token": "tokens", "asp": "asps", "backup_codes": "backup_codes", "transfer": "transfers",
              "signout": None}
# A reinstatement after an expulsion sets a new password, to be changed at first sign-in: not the one before.
NEW_PASSWORD = {"password", "change_password"}


def snapshot(emulator: GoogleEmulator, email: str) -> dict[str, Any]:
    """Everything the emulator holds about the user, whatever a run could touch, one part per key."""
    with emulator.lock:
        ws = emulator.workspace
        user = ws.user(email)
        assert user is not None
        key = user.primary_email.lower()
        return {
            "suspended": user.suspended, "archived": user.archived, "gal": user.include_in_gal,
            "org_unit": user.org_unit_path, "password": user.password_sha256,
            "change_password": user.change_password_at_next_login,
            "tokens": sorted(user.tokens), "asps": sorted(user.asps), "backup_codes": list(user.backup_codes),
            "delegates": dict(user.gmail.delegates), "forwarding": dict(user.gmail.forwarding),
            "pop": dict(user.gmail.pop), "imap": dict(user.gmail.imap),
            "groups": {g.email: (g.members[key].role, g.members[key].delivery_settings, g.members[key].type)
                       for g in ws.groups.values() if key in g.members},
            "roles": sorted((a.role_id, a.scope_type, a.org_unit_id) for a in ws.role_assignments.values()
                            if a.user_id == user.id),
            "licenses": sorted(lic for lic in ws.licenses if lic[2] == key),
            "devices": {d.resource_id: d.status for d in ws.devices.values() if d.email.lower() == key},
            "transfers": sorted(t.id for t in ws.transfers.values() if t.old_owner == user.id),
        }


def lost_part(action: Action, item: NotRestorable) -> Collection[str]:
    """The part of ``snapshot`` a change listed as lost leaves changed."""
    part = LOST_PARTS.get(action.kind)
    return {part} if part else set()


@pytest.fixture
def emulator() -> Iterator[GoogleEmulator]:
    """The sample org, with the committee's secretary who sends written notices (a user, not on the roster)."""
    em = seeded_emulator(DOMAIN, [ANN, BEN, FORMER])
    em.workspace.add_user(f"secretary@{DOMAIN}", given_name="Committee", family_name="Secretary")
    em.start()
    try:
        yield em
    finally:
        em.stop()


@pytest.fixture
def revealed() -> list[tuple[str, str]]:
    """What the connectors showed the operator, (label, secret), in order: a reinstated member's new password."""
    return []


@pytest.fixture
def make_connector(emulator: GoogleEmulator, tmp_path: Path,
                   revealed: list[tuple[str, str]]) -> Iterator[Callable[..., GoogleWorkspaceConnector]]:
    """``make_connector(**config)``; ``operator=False``: nobody is there to be shown a secret (``revealing`` None)."""
    emulator.write_key_file(tmp_path / "secrets" / "sa.json")
    made: list[GoogleWorkspaceConnector] = []

    def make(*, operator: bool = True, retried: bool = False, **overrides: Any) -> GoogleWorkspaceConnector:
        """``retried``: each read retried by the engine (``retried_read``; use with ``sleeps``), else tried once."""
        config = {"service_account_file": "secrets/sa.json", "admin": f"admin@{DOMAIN}",
                  "api_endpoint": emulator.url, "insecure_endpoint": True, "transfer_to": f"archive@{DOMAIN}", **overrides}
        context = ConnectorContext(org_name="Example", org_domain=DOMAIN, base_dir=tmp_path, environ={},
                                   revealing=(lambda label, secret: revealed.append((label, secret))) if operator else None,
                                   retrying=(lambda read: retried_read(read, RetryPolicy(max_attempts=3))) if retried else None)
        connector = GoogleWorkspaceConnector({k: v for k, v in config.items() if v is not None}, context)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Callable[..., GoogleWorkspaceConnector]) -> GoogleWorkspaceConnector:
    return make_connector()
