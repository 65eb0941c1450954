"""Fixtures: a fresh emulator per test, seeded with a small portfolio, and a connector wired to it over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.meta import MetaConnector
from offboard.connectors.meta.emulator import MetaEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import Action, ConnectorContext, Member, NotRestorable

ALICE = Member("m-alice", "Alice Liddell", "alice@example.org", "alice@home.test")
BOB = Member("m-bob", "Bob Builder", "bob@example.org")
TOKEN_ENV = "META_SYSTEM_USER_TOKEN"


@dataclass
class Org:
    """The seeded portfolio: two Pages, an Instagram account on the first, Alice and Bob, an outsider on the second."""

    emulator: MetaEmulator
    main: str
    events: str
    instagram: str  # the Instagram asset id
    alice: str
    bob: str
    outsider: str


@pytest.fixture
def make_emulator(start_emulator: Callable[[MetaEmulator], MetaEmulator]) -> Callable[..., MetaEmulator]:
    return lambda **kwargs: start_emulator(MetaEmulator(**kwargs))


def seed(emulator: MetaEmulator) -> Org:
    biz = emulator.business
    with emulator.lock:
        main, events = biz.add_page("Example Volunteers"), biz.add_page("Example Volunteers Events")
        instagram = biz.link_instagram(main, "examplevolunteers")
        for page in (main, events):
            biz.assign(page, emulator.system_user_id, ["MANAGE"])
        alice = biz.add_user(ALICE.name, ALICE.email, "EMPLOYEE")
        bob = biz.add_user(BOB.name, BOB.email, "ADMIN")
        biz.assign(main, alice, ["CREATE_CONTENT", "MODERATE"])
        biz.assign(events, alice, ["MODERATE"])
        biz.assign(main, bob, ["MANAGE"])
        instagram.assigned[alice] = ["CONTENT", "COMMUNITY_ACTIVITY"]
        instagram.assigned[bob] = ["CONTENT"]
        outsider = biz.add_outsider(events, "Pat Photographer", ["CREATE_CONTENT"])
    return Org(emulator, main, events, instagram.asset_id, alice, bob, outsider)


@pytest.fixture
def org(make_emulator: Callable[..., MetaEmulator]) -> Org:
    return seed(make_emulator())


def connect(emulator: MetaEmulator, pages: list[str] | None = None, *, token: str | None = None,
            environ: Mapping[str, str] | None = None, **config: Any) -> MetaConnector:
    """A connector for the emulator, every Page of it configured unless told otherwise."""
    context = ConnectorContext("Example Volunteers", "example.org", Path("."),
                               environ=environ if environ is not None else {TOKEN_ENV: token or emulator.token},
                               pacer=Pacer())  # paces nothing: tests do not sleep
    table = {"business_id": emulator.business.id,
             "page_ids": list(emulator.business.pages) if pages is None else pages,
             "api_url": emulator.url, "insecure_endpoint": True, **config}
    return MetaConnector(table, context)


def state(emulator: MetaEmulator) -> dict[str, Any]:
    """Everything a run can touch, one part per fact: each person in the portfolio ("portfolio:U"), each person's
    tasks on each Page ("page:P:U") and Instagram account ("instagram:A:U"), each outsider on a Page ("outsider:P:X")."""
    biz = emulator.business
    with emulator.lock:
        return {
            **{f"portfolio:{u.id}": (u.name, u.email, u.role) for u in biz.users.values()},
            **{f"page:{p.id}:{uid}": sorted(tasks) for p in biz.pages.values() for uid, tasks in p.assigned.items()},
            **{f"instagram:{a.asset_id}:{uid}": sorted(tasks) for a in biz.instagram.values()
               for uid, tasks in a.assigned.items()},
            **{f"outsider:{p.id}:{x}": person["name"] for p in biz.pages.values() for x, person in p.roles.items()},
        }


def lost_parts(uid: str) -> Callable[[Action, NotRestorable], Collection[str]]:
    """What a lost change leaves changed: the portfolio removal, the person's tasks, an outsider removed by hand."""
    def parts(action: Action, item: NotRestorable) -> Collection[str]:
        p = action.params
        return {"portfolio-remove": {f"portfolio:{uid}"}, "page-tasks": {f"page:{p.get('page')}:{uid}"},
                "instagram-tasks": {f"instagram:{p.get('asset')}:{uid}"},
                "page-access-manual": {f"outsider:{p.get('page')}:{p.get('person')}"}}.get(action.kind, set())
    return parts
