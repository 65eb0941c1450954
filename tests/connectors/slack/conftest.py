"""Fixtures: a fresh emulator per test, and a connector wired to it through the real slack-sdk."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.slack import SlackConnector
from offboard.connectors.slack.emulator import SCIM_PLANS, SlackEmulator

from offboard.apply.pacing import Pacer
from offboard.spi import ConnectorContext, Member

ALICE = Member("m-alice", "Alice Liddell", "alice@example.org")


@pytest.fixture(scope="session")
def stoppers() -> Iterator[list[threading.Thread]]:
    """Emulators stop in the background: ``Emulator.stop`` waits out serve_forever's 0.5 s poll."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join()


@pytest.fixture
def make_emulator(stoppers: list[threading.Thread]) -> Iterator[Callable[..., SlackEmulator]]:
    started: list[SlackEmulator] = []

    def make(plan: str = "business+", **kwargs: Any) -> SlackEmulator:
        emulator = SlackEmulator(plan=plan, **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        stopper = threading.Thread(target=emulator.stop, name=f"stop-{emulator.url}")
        stopper.start()
        stoppers.append(stopper)


def connect(emulator: SlackEmulator, *, scim: bool | None = None, token: str | None = None,
            environ: dict[str, str] | None = None, pacer: Pacer | None = None, **config: Any) -> SlackConnector:
    """A connector for the emulator; SCIM on when the plan has it, unless told otherwise."""
    context = ConnectorContext(
        org_name="Example Org",
        org_domain="example.org",
        base_dir=Path("."),
        environ=environ if environ is not None else {"SLACK_ADMIN_TOKEN": token or emulator.admin_token},
        pacer=pacer or Pacer(),  # paces nothing: tests do not sleep
    )
    table = {
        "scim": emulator.plan in SCIM_PLANS if scim is None else scim,
        "base_url": f"{emulator.url}/api/",
        "scim_base_url": f"{emulator.url}/scim/v2/",
        "insecure_endpoint": True,
        **config,
    }
    return SlackConnector(table, context)


@pytest.fixture
def emulator(make_emulator: Callable[..., SlackEmulator]) -> SlackEmulator:
    return make_emulator("business+")
