"""The demo's Slack: a started emulator seeded with a small, realistic workspace for ``offboard demo``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

from .server import SlackEmulator


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator on Business+ with SCIM, so a demo run completes without a person.

    Every member gets realistic access: #general and two public channels, the shared
    private #coordination, a private project channel of their own, a private #lounge the
    admin is not in (deactivation still covers it), and user groups (@volunteers for
    all, @coordinators for the first member alone, so expelling them disables it).
    Former members are already deactivated; an orphan account matches no member; a bot
    is there too. ``workdir`` is unused: the config names no file.
    """
    emulator = SlackEmulator(plan="business+", domain=domain.split(".")[0], admin_email=f"slack-admin@{domain}")
    ws, admin = emulator.workspace, emulator.admin_id
    ids = {}
    for member in members:
        handle = member.email.split("@")[0].replace(".", "-")
        ids[member.id] = ws.add_user(handle, member.email, member.name, title="Volunteer")
    everyone = set(ids.values())
    orphan = ws.add_user("old-treasurer", f"old.treasurer@{domain}", "Old Treasurer", title="Treasurer")
    ws.add_user("deploybot", "", "Deploy Bot", bot=True)
    ws.add_channel("announcements", private=False, members=everyone | {admin, orphan})
    ws.add_channel("events", private=False, members=everyone)
    ws.add_channel("coordination", private=True, members=everyone | {admin, orphan})
    ws.add_channel("lounge", private=True, members=everyone)
    for member in members:
        ws.add_channel(f"{ws.users[ids[member.id]]['name']}-projects", private=True, members={ids[member.id], admin})
    ws.add_usergroup("volunteers", "Volunteers", sorted(everyone))
    if members:
        ws.add_usergroup("coordinators", "Coordinators", [ids[members[0].id]])
    for member in members:
        if member.status == "former":
            ws.deactivate(ids[member.id])
    emulator.start()
    config = {"token_env": "SLACK_ADMIN_TOKEN", "scim": True, "base_url": f"{emulator.url}/api/",
              "scim_base_url": f"{emulator.url}/scim/v2/", "insecure_endpoint": True}
    return Sandbox(emulator, config, {"SLACK_ADMIN_TOKEN": emulator.admin_token})
