"""The demo's Meta: a started emulator seeded with a small, realistic portfolio for ``offboard demo``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

from .server import MetaEmulator

ORG_NAME = "Example Volunteers"
API_VERSION = "v25.0"
TOKEN_ENV = "META_SYSTEM_USER_TOKEN"


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator: the portfolio "Example Volunteers" with its two Pages and an Instagram account.

    Every member still with the organization is a business user (under the roster's ``meta`` id when
    there is one): the first is an admin with full control of both Pages, the others create content
    on the main Page and its Instagram account, and each second one also moderates the events Page.
    A former member is no longer in the portfolio. Someone outside the portfolio (a photographer,
    with their own profile) creates content on the events Page, where no API can remove them. The
    system user offboard acts as has full control of both Pages. ``workdir`` is unused.
    """
    emulator = MetaEmulator(ORG_NAME)
    biz = emulator.business
    main = biz.add_page(ORG_NAME)
    events = biz.add_page(f"{ORG_NAME} Events")
    instagram = biz.link_instagram(main, domain.split(".")[0].replace("-", "") + "volunteers")
    for page in (main, events):
        biz.assign(page, emulator.system_user_id, ["MANAGE"])
    active = [m for m in members if m.status != "former"]
    for index, member in enumerate(active):
        uid = biz.add_user(member.name, member.email, "ADMIN" if index == 0 else "EMPLOYEE",
                           user_id=member.identities.get("meta", ""))
        if index == 0:
            biz.assign(main, uid, ["MANAGE"])
            biz.assign(events, uid, ["MANAGE"])
            instagram.assigned[uid] = ["CONTENT", "MESSAGES", "COMMUNITY_ACTIVITY", "ANALYZE", "ADVERTISE"]
            continue
        biz.assign(main, uid, ["CREATE_CONTENT", "MODERATE", "ANALYZE"])
        instagram.assigned[uid] = ["CONTENT", "COMMUNITY_ACTIVITY"]
        if index % 2 == 0:
            biz.assign(events, uid, ["MODERATE", "MESSAGING"])
    biz.add_user("Old Treasurer", f"old.treasurer@{domain}", "FINANCE_EDITOR")  # on no roster
    biz.add_outsider(events, "Pat Photographer", ["CREATE_CONTENT"])
    emulator.start()
    config = {"token_env": TOKEN_ENV, "business_id": biz.id, "page_ids": [main, events], "api_url": emulator.url,
              "api_version": API_VERSION, "insecure_endpoint": True}
    return Sandbox(emulator, config, {TOKEN_ENV: emulator.token})
