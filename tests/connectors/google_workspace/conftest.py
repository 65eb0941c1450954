"""Fixtures: a seeded Workspace emulator on 127.0.0.1 and a connector pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator, seeded_emulator

from offboard.spi import ConnectorContext, Member

DOMAIN = "example.org"
ANN = Member("m-001", "Ann Lee", f"ann.lee@{DOMAIN}", personal_email="ann.lee@gmail.example")
BEN = Member("m-002", "Ben Ortiz", f"ben.ortiz@{DOMAIN}")
FORMER = Member("m-003", "Cleo Former", f"cleo.former@{DOMAIN}", status="former")


@pytest.fixture
def emulator() -> Iterator[GoogleEmulator]:
    em = seeded_emulator(DOMAIN, [ANN, BEN, FORMER]).start()
    try:
        yield em
    finally:
        em.stop()


@pytest.fixture
def make_connector(emulator: GoogleEmulator, tmp_path: Path) -> Iterator[Callable[..., GoogleWorkspaceConnector]]:
    emulator.write_key_file(tmp_path / "secrets" / "sa.json")
    made: list[GoogleWorkspaceConnector] = []

    def make(**overrides: Any) -> GoogleWorkspaceConnector:
        config = {"service_account_file": "secrets/sa.json", "admin": f"admin@{DOMAIN}",
                  "api_endpoint": emulator.url, "insecure_endpoint": True, "transfer_to": f"archive@{DOMAIN}", **overrides}
        context = ConnectorContext(org_name="Example", org_domain=DOMAIN, base_dir=tmp_path, environ={})
        connector = GoogleWorkspaceConnector({k: v for k, v in config.items() if v is not None}, context)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Callable[..., GoogleWorkspaceConnector]) -> GoogleWorkspaceConnector:
    return make_connector()
