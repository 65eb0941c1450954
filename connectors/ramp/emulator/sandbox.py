"""The demo's Ramp: a started emulator seeded with a small business from the roster, for ``offboard demo``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

from .server import RampEmulator


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator whose card tasks finish at their first status read, so a demo run does not wait.

    Each active member is a cardholder with a virtual card for events, every other one also a
    physical card; the first member's physical card was suspended before (it stays so after a
    reinstatement). A member who is not active (former) is deactivated, with a suspended card.
    The admin who made offboard's API client holds a card too. ``workdir`` is unused: the config
    names no file, and the client's id and secret are only in the environment.
    """
    emulator = RampEmulator(task_polls=0, admin_email=f"ramp-admin@{domain}")
    org = emulator.org
    org.add_card(emulator.admin_id, "Admin expenses")
    for index, member in enumerate(members):
        first, _, last = member.name.partition(" ")
        active = member.status == "active"
        uid = org.add_user(member.email, first, last, status="USER_ACTIVE" if active else "USER_INACTIVE")
        org.add_card(uid, f"{first}'s events", state="ACTIVE" if active else "SUSPENDED")
        if active and index % 2 == 0:
            org.add_card(uid, "Travel", physical=True, state="SUSPENDED" if index == 0 else "ACTIVE")
    emulator.start()
    config = {"client_id_env": "RAMP_CLIENT_ID", "client_secret_env": "RAMP_CLIENT_SECRET", "api_url": emulator.url,
              "insecure_endpoint": True}
    return Sandbox(emulator, config, {"RAMP_CLIENT_ID": emulator.client_id, "RAMP_CLIENT_SECRET": emulator.client_secret})
