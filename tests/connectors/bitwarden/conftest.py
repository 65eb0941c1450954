"""Fixtures: a fresh emulator per test, a connector wired to it over real HTTP, and the emulator's full state."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import pytest
from offboard.connectors.bitwarden import BitwardenConnector
from offboard.connectors.bitwarden.emulator import Access, BitwardenEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import Action, ConnectorContext, Member, NotRestorable

ALICE = Member("m-alice", "Alice Liddell", "alice@example.org")
Make = Callable[..., BitwardenEmulator]


@pytest.fixture
def make_emulator(start_emulator: Callable[[BitwardenEmulator], BitwardenEmulator]) -> Make:
    return lambda **kwargs: start_emulator(BitwardenEmulator(**kwargs))


@pytest.fixture
def emulator(make_emulator: Make) -> BitwardenEmulator:
    return make_emulator()


@dataclass
class Org:
    """The ids of what ``seed`` made."""

    owner: str
    alice: str
    bob: str
    social: str
    everyone: str
    instagram: str
    x: str
    bank: str
    wifi: str


def seed(emulator: BitwardenEmulator, collections: bool = True) -> Org:
    """An owner (the key's organization admin), Alice (a confirmed user in "Social media" and "Everyone", with the
    bank portal read-only directly) and Bob (in "Social media"). Without ``collections``, the groups grant nothing."""
    org = emulator.org
    owner = org.add_member("owner@example.org", "Olive Owner", type=0)
    alice = org.add_member(ALICE.email, ALICE.name)
    bob = org.add_member("bob@example.org", "Bob Builder")
    instagram, x = org.add_collection("Instagram", "instagram"), org.add_collection("X (Twitter)")
    bank, wifi = org.add_collection("Bank portal", "bank-portal"), org.add_collection("Wi-Fi", "wifi")
    social = org.add_group("Social media", {instagram: Access(), x: Access(manage=True)} if collections else {},
                           [alice, bob])
    everyone = org.add_group("Everyone", {wifi: Access(read_only=True)} if collections else {}, [alice, bob, owner])
    org.add_group("Finance", {bank: Access()}, [owner])
    if collections:
        org.grant(alice, bank, Access(read_only=True, hide_passwords=True))
    return Org(owner, alice, bob, social, everyone, instagram, x, bank, wifi)


def connect(emulator: BitwardenEmulator, *, environ: dict[str, str] | None = None, pacer: Pacer | None = None,
            **config: Any) -> BitwardenConnector:
    """A connector for the emulator, as the sandbox configures it (self-hosted layout, plain http to 127.0.0.1)."""
    context = ConnectorContext(
        org_name="Example Org",
        org_domain="example.org",
        base_dir=Path("."),
        environ=environ if environ is not None else {"BW_CLIENT_ID": emulator.client_id,
                                                      "BW_CLIENT_SECRET": emulator.client_secret},
        pacer=pacer or Pacer(),  # paces nothing: tests do not sleep
    )
    table = {"api_url": f"{emulator.url}/api", "identity_url": f"{emulator.url}/identity", "insecure_endpoint": True,
             **config}
    return BitwardenConnector(table, context)


class Secrets(Sequence[str]):
    """The key's secret and every access token the emulator issued, read when the check runs."""

    def __init__(self, emulator: BitwardenEmulator) -> None:
        self.emulator = emulator

    def _all(self) -> list[str]:
        with self.emulator.lock:
            return [self.emulator.client_secret, *self.emulator.tokens]

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())


def state(emulator: BitwardenEmulator) -> dict[str, Any]:
    """The organization's state a run can touch, one part per fact: each member's status and role
    ("member:<id>"), each group membership ("group:<gid>:<mid>"), each direct collection grant
    ("collection:<cid>:<mid>"), each group's collections ("group:<gid>:collections")."""
    org = emulator.org
    with emulator.lock:
        return {
            **{f"member:{m.id}": (m.status, m.type, m.email) for m in org.members.values()},
            **{f"group:{g.id}:{mid}": True for g in org.groups.values() for mid in g.members},
            **{f"collection:{cid}:{m.id}": (a.read_only, a.hide_passwords, a.manage)
               for m in org.members.values() for cid, a in m.collections.items()},
            **{f"group:{g.id}:collections": sorted(g.collections) for g in org.groups.values()},
        }


def lost_parts(emulator: BitwardenEmulator, member_id: str) -> Callable[[Action, NotRestorable], Collection[str]]:
    """What a change listed as lost leaves changed: a removal, every part of the member; a group deleted
    meanwhile, its membership; a rotation, nothing in Bitwarden."""
    def parts(action: Action, item: NotRestorable) -> Collection[str]:
        before = action.before or {}
        if action.kind in ("remove", "revoke", "revoke-manual"):
            return {f"member:{member_id}", *(f"group:{g['id']}:{member_id}" for g in before.get("groups") or []),
                    *(f"collection:{c['id']}:{member_id}" for c in before.get("collections") or [])}
        if action.kind == "groups":
            return {f"group:{g['id']}:{member_id}" for g in before.get("groups") or []}
        return set()
    return parts
