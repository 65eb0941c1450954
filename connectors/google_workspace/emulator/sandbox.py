"""The sample org that tests, benchmarks and ``offboard demo`` start from.

An admin, an archive account (the default ``transfer_to``), the roster's members with
varied access, an orphan and a bot: enough for every action kind and audit situation. The
service account's delegation allows the connector's scopes and the written notice's
(``gmail.send``, ``gmail.metadata``): a member sends it (``[notice] from``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Faults, Sandbox

from ..doctor import MAIL_SCOPES
from .server import GoogleEmulator

LICENSE_PRODUCT, LICENSE_SKU = "Google-Apps", "1010020027"  # Workspace Business Starter


def seeded_emulator(domain: str, members: Sequence[Member] = (), faults: Faults | None = None,
                    transfer_polls: int = 1) -> GoogleEmulator:
    """An unstarted emulator with a small org: an admin, an archive account, the members, an orphan and a bot."""
    emulator = GoogleEmulator(domain, faults, transfer_polls)
    emulator.grant_scopes(*MAIL_SCOPES)
    ws = emulator.workspace
    ws.add_user(f"admin@{domain}", given_name="Workspace", family_name="Admin", admin=True)
    ws.add_user(f"archive@{domain}", given_name="Archive", family_name="Account")
    groups_admin = ws.add_role("_GROUPS_ADMIN_ROLE")
    for i, member in enumerate(members):
        email = member.identity_for("google")
        former = member.status == "former"
        ws.seed_member(email, groups=3 + i % 3, tokens=1 + i % 3, asps=1, delegates=1,
                       forwarding=(member.personal_email or f"{email.split('@')[0]}@gmail.com") if i % 2 == 0 else "",
                       devices=0 if former else 1, backup_codes=0 if former else 10, suspended=former)
        if i % 3 == 1:
            ws.set_pop(email)
        ws.assign_license(email, LICENSE_PRODUCT, LICENSE_SKU)
        if i == 0:
            ws.assign_role(email, groups_admin.id)
    ws.add_user(f"old-intern@{domain}", last_login="2025-03-02T16:20:00.000Z")
    ws.add_member(f"members@{domain}", f"old-intern@{domain}")
    ws.add_token(f"old-intern@{domain}", "Zoom")
    ws.add_user(f"bot-noreply@{domain}", given_name="Notifications", family_name="Bot",
                last_login="1970-01-01T00:00:00.000Z")
    ws.add_member(f"announce@{domain}", f"bot-noreply@{domain}", "MANAGER")
    return emulator


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started, seeded emulator and the ``[connectors.google]`` table that points at it."""
    # Transfers complete at the first poll: the demo shows the wait without spending the
    # engine's poll spacing on it (tests keep the default of one "inProgress" answer).
    emulator = seeded_emulator(domain, members, transfer_polls=0)
    emulator.start()
    emulator.write_key_file(workdir / "secrets" / "sa.json")
    return Sandbox(emulator, config={"service_account_file": "secrets/sa.json", "admin": f"admin@{domain}",
                                     "api_endpoint": emulator.url, "insecure_endpoint": True,
                                     "transfer_to": f"archive@{domain}"}, environ={})
