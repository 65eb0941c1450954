"""The demo's Bitwarden: a started emulator holding a small, realistic organization vault."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

from .server import BitwardenEmulator
from .state import ADMIN, CONFIRMED, INVITED, OWNER, REVOKED, USER, Access, Organization

CLIENT_ID_ENV, CLIENT_SECRET_ENV = "BW_CLIENT_ID", "BW_CLIENT_SECRET"


def seed(org: Organization, domain: str, members: Sequence[Member]) -> dict[str, str]:
    """The organization of a small volunteer group; answers roster id -> member id.

    An owner (whose organization API key offboard uses) and every active roster member with a
    confirmed membership, the first as an admin; former members revoked. Collections hold the
    shared logins: Instagram and X in the "Social media" group (everyone but the first member),
    the bank portal in "Finance" (the second member), the Wi-Fi and door codes in "Everyone".
    The last active member also manages Instagram directly. One invitation is still open.
    """
    org.add_member(f"vault-owner@{domain}", "Vault Owner", type=OWNER, two_factor=True)
    instagram = org.add_collection("Instagram", "instagram")
    x = org.add_collection("X (Twitter)", "x-twitter")
    bank = org.add_collection("Bank portal", "bank-portal")
    wifi = org.add_collection("Wi-Fi & door codes", "wifi-door-codes")
    ids: dict[str, str] = {}
    active = [m for m in members if m.status != "former"]
    for member in members:
        email = member.identities.get("bitwarden") or member.email
        if member.status == "former":
            ids[member.id] = org.add_member(email, member.name, status=REVOKED, prior_status=CONFIRMED)
        else:
            first = bool(active) and member is active[0]
            ids[member.id] = org.add_member(email, member.name, type=ADMIN if first else USER, two_factor=first)
    everyone = [ids[m.id] for m in active]
    org.add_group("Social media", {instagram: Access(), x: Access()}, everyone[1:], external_id="social-media")
    org.add_group("Finance", {bank: Access(read_only=True)}, everyone[1:2], external_id="finance")
    org.add_group("Everyone", {wifi: Access(read_only=True)}, everyone, external_id="everyone")
    if everyone:
        org.grant(everyone[-1], instagram, Access(manage=True))
    org.add_member(f"new.volunteer@{domain}", status=INVITED)  # invited, not accepted yet: no Bitwarden account
    return ids


def start_sandbox(domain: str, members: Sequence[Member], workdir: Path) -> Sandbox:
    """A started emulator on a current server (revoke and restore exist), rate limits off as when self-hosted.

    The config points at it as at a self-hosted server (``/api``, ``/identity``) over plain http to
    127.0.0.1 (``insecure_endpoint``); the organization's API key is only in the environment.
    ``workdir`` is unused: the config names no file.
    """
    emulator = BitwardenEmulator(f"{domain} volunteers")
    seed(emulator.org, domain, members)
    emulator.start()
    config = {"client_id_env": CLIENT_ID_ENV, "client_secret_env": CLIENT_SECRET_ENV,
              "api_url": f"{emulator.url}/api", "identity_url": f"{emulator.url}/identity", "insecure_endpoint": True}
    return Sandbox(emulator, config, {CLIENT_ID_ENV: emulator.client_id, CLIENT_SECRET_ENV: emulator.client_secret})
