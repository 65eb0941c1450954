"""The demo's Open Collective: a started emulator seeded with the sample org's collective and its team."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

from .server import OpenCollectiveEmulator

COLLECTIVE = "example-volunteers"
COMMITTEE = "example-volunteers-cc"  # the coordinating committee's own login, whose personal token offboard uses
TOKEN_ENV = "OPENCOLLECTIVE_TOKEN"

# The team, by the demo roster's member ids: (role, since), plus pending invitations. m007 (the treasurer) is an
# admin, so the demo suspends and reinstates an admin; m042 (expelled in the demo) holds two roles and an invitation.
ROLES = {"m001": [("MEMBER", "2020-05-04")], "m007": [("ADMIN", "2022-03-01")],
         "m042": [("ACCOUNTANT", "2023-01-15"), ("MEMBER", "2021-09-01")]}
INVITATIONS = {"m042": [("COMMUNITY_MANAGER", "2024-06-01")]}


def slug_of(name: str) -> str:
    """An Open Collective slug from a name, as its sign-up form suggests one: "Dan Treasurer" -> "dan-treasurer"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "member"


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator with the collective "example-volunteers" and an account per roster member.

    Each member's account has the slug of their roster ``opencollective`` column, else one derived from their
    name (alice-admin, dan-treasurer, bob-example, fran-former for the demo roster), and signs in with their
    personal email, as most people do. The committee's login is an admin, with the token the config names; an
    old treasurer who is on no roster is still an accountant (an audit finds them); Fran, a former member, has
    no role left. ``workdir`` is unused: the config names no file.
    """
    emulator = OpenCollectiveEmulator()
    platform = emulator.platform
    platform.add_account(COLLECTIVE, "Example Volunteers", "COLLECTIVE")
    platform.add_account(COMMITTEE, "Coordinating Committee", email=f"cc@{domain}")
    platform.add_member(COLLECTIVE, COMMITTEE, "ADMIN", "2019-01-10", "Coordinating committee")
    for member in members:
        slug = (member.identities.get("opencollective") or "").strip().lstrip("@").lower() or slug_of(member.name)
        platform.add_account(slug, member.name, email=member.personal_email or member.email)
        if member.status == "former":
            continue
        for role, since in ROLES.get(member.id, ()):
            platform.add_member(COLLECTIVE, slug, role, since, "Treasurer" if role == "ADMIN" else None)
        for role, since in INVITATIONS.get(member.id, ()):
            platform.add_invitation(COLLECTIVE, slug, role, since)
    platform.add_account("old-treasurer", "Old Treasurer", email="old.treasurer@mail.test")
    platform.add_member(COLLECTIVE, "old-treasurer", "ACCOUNTANT", "2018-02-01")
    token = emulator.issue_token(COMMITTEE)
    emulator.start()
    config = {"token_env": TOKEN_ENV, "collective_slug": COLLECTIVE, "api_url": f"{emulator.url}/graphql/v2",
              "insecure_endpoint": True}
    return Sandbox(emulator, config, {TOKEN_ENV: token})
