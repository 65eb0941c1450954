"""Fixtures: a fresh emulator per test with a collective and its committee, a connector wired to it over real HTTP,
and the emulator's full state part by part."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.opencollective import OpenCollectiveConnector
from offboard.connectors.opencollective.emulator import OpenCollectiveEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import Action, ConnectorContext, Member, NotRestorable

COLLECTIVE = "example-volunteers"
COMMITTEE = "example-volunteers-cc"
ALICE = Member("m-alice", "Alice Liddell", "alice@example.org", "alice@mail.test",
               identities={"opencollective": "alice-liddell"})
ALICE_SLUG = "alice-liddell"


class Org:
    """An emulator with the collective "example-volunteers", its committee (an admin, whose token offboard uses)
    and Alice, who signs in with her personal email."""

    def __init__(self, emulator: OpenCollectiveEmulator) -> None:
        self.emulator = emulator
        self.platform = emulator.platform
        self.platform.add_account(COLLECTIVE, "Example Volunteers", "COLLECTIVE")
        self.platform.add_account(COMMITTEE, "Coordinating Committee", email="cc@example.org")
        self.platform.add_member(COLLECTIVE, COMMITTEE, "ADMIN", "2019-01-10")
        self.alice = self.platform.add_account(ALICE_SLUG, ALICE.name, email=ALICE.personal_email)
        self.token = emulator.issue_token(COMMITTEE)

    def give(self, *roles: str, slug: str = ALICE_SLUG, since: str = "2021-04-01", description: str | None = None) -> None:
        for role in roles:
            self.platform.add_member(COLLECTIVE, slug, role, since, description)

    def invite(self, role: str, slug: str = ALICE_SLUG, since: str = "2024-06-01") -> None:
        self.platform.add_invitation(COLLECTIVE, slug, role, since)

    def roles(self, slug: str = ALICE_SLUG) -> list[str]:
        who = self.platform.slug(slug).id
        with self.emulator.lock:
            return sorted(e.role for e in self.platform.members if e.account_id == who)

    def invitations(self, slug: str = ALICE_SLUG) -> list[str]:
        who = self.platform.slug(slug).id
        with self.emulator.lock:
            return sorted(e.role for e in self.platform.invitations if e.account_id == who)

    def connect(self, **kwargs: Any) -> OpenCollectiveConnector:
        return connect(self.emulator, token=kwargs.pop("token", self.token), **kwargs)

    def writes(self) -> list[str]:
        """The operation names of the mutations that reached the emulator, in order."""
        return [name for name, _ in self.emulator.operations() if name.startswith("OffboardRemove")
                or name.startswith("OffboardInvite")]


@pytest.fixture
def make_org(start_emulator: Callable[[OpenCollectiveEmulator], OpenCollectiveEmulator]) -> Callable[..., Org]:
    def make(**kwargs: Any) -> Org:
        emulator = OpenCollectiveEmulator(**kwargs)
        org = Org(emulator)  # seeded before it starts serving
        start_emulator(emulator)
        return org

    return make


@pytest.fixture
def org(make_org: Callable[..., Org]) -> Org:
    return make_org()


def connect(emulator: OpenCollectiveEmulator, *, token: str = "", environ: dict[str, str] | None = None,
            pacer: Pacer | None = None, **config: Any) -> OpenCollectiveConnector:
    context = ConnectorContext(
        org_name="Example Volunteers",
        org_domain="example.org",
        base_dir=Path("."),
        environ=environ if environ is not None else {"OPENCOLLECTIVE_TOKEN": token},
        pacer=pacer or Pacer(),  # paces nothing: tests do not sleep
    )
    table = {"collective_slug": COLLECTIVE, "api_url": f"{emulator.url}/graphql/v2", "insecure_endpoint": True, **config}
    return OpenCollectiveConnector(table, context)


def state(emulator: OpenCollectiveEmulator) -> dict[str, Any]:
    """Everything a run can touch, one part per fact: each team entry ("role:COLLECTIVE:SLUG:ROLE") and each pending
    invitation ("invitation:COLLECTIVE:SLUG:ROLE"), with its since and description."""
    platform = emulator.platform
    with emulator.lock:
        slug = {a.id: a.slug for a in platform.accounts.values()}
        return {
            **{f"role:{slug[e.collective_id]}:{slug[e.account_id]}:{e.role}": (e.since, e.description)
               for e in platform.members},
            **{f"invitation:{slug[e.collective_id]}:{slug[e.account_id]}:{e.role}": (e.since, e.description)
               for e in platform.invitations},
        }


def lost_parts(action: Action, item: NotRestorable) -> Collection[str]:
    """The part of ``state`` a removal listed as lost leaves changed: its team entry, or its invitation."""
    p = action.params
    kind = {"remove-role": "role", "remove-invitation": "invitation"}[action.kind]
    return {f"{kind}:{p['collective']}:{p['slug']}:{p['role']}"}
