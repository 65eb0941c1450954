"""The demo's Brex: a started emulator seeded with a small, realistic account for ``offboard demo``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

from .server import BrexEmulator

TOKEN_ENV = "BREX_API_TOKEN"


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator with a Brex user for every member, each with one or two cards.

    Everyone has a virtual card for online subscriptions; every other member also carries a physical
    card, and the first member's physical card is still in the mail (SHIPPED). A former member's
    account is DISABLED and their card LOCKED, as a committee would have left it. The token belongs
    to a finance admin with the scopes users and cards. The roster's ``brex`` column, where given as
    an email, is the member's Brex login. ``workdir`` is unused: the config names no file.
    """
    emulator = BrexEmulator(admin_email=f"finance@{domain}")
    account = emulator.account
    account.add_card(emulator.admin_id, "Operations", "VIRTUAL")
    for index, member in enumerate(members):
        first, _, last = member.name.partition(" ")
        identity = member.identities.get("brex", "")
        former = member.status == "former"
        uid = account.add_user(first, last, identity if "@" in identity else member.email,
                               "DISABLED" if former else "ACTIVE")
        account.add_card(uid, "Online subscriptions", "VIRTUAL", "LOCKED" if former else "ACTIVE")
        if index % 2 == 0 and not former:
            account.add_card(uid, "Events", "PHYSICAL", "SHIPPED" if index == 0 else "ACTIVE")
    emulator.start()
    config = {"token_env": TOKEN_ENV, "api_url": emulator.url, "insecure_endpoint": True}
    return Sandbox(emulator, config, {TOKEN_ENV: emulator.admin_token})
