"""The standard connector suite (offboard.testing.contract) over the Workspace emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import LICENSE_PRODUCT, LICENSE_SKU, GoogleEmulator

from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.google_workspace.conftest import ANN, NEW_PASSWORD, lost_part, snapshot


class EmulatorSecrets(Sequence[str]):
    """Read at assertion time: the key, every token issued so far, every password the connector sent
    (a reinstatement's new one, shown once to the operator, included)."""

    def __init__(self, emulator: GoogleEmulator) -> None:
        self.emulator = emulator

    def _values(self) -> list[str]:
        passwords = [json.loads(r.body)["password"] for r in self.emulator.requests("PUT", "/users/")
                     if b'"password"' in r.body]
        return [*self.emulator.secrets(), *passwords]

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._values()[index]

    def __len__(self) -> int:
        return len(self._values())


class TestGoogleContract(ConnectorContract):
    @pytest.fixture
    def harness(self, emulator: GoogleEmulator,
                make_connector: Callable[..., GoogleWorkspaceConnector]) -> Harness:
        connector = make_connector(org_unit="/Former members", license_product=LICENSE_PRODUCT,
                                   license_sku=LICENSE_SKU)
        # The contract's run is an expulsion: its restore sets a new password (test_restore checks it).
        return Harness(connector=connector, member=ANN, writes=lambda: len(emulator.writes()),
                       secrets=EmulatorSecrets(emulator),
                       state=lambda: {k: v for k, v in snapshot(emulator, ANN.email).items() if k not in NEW_PASSWORD},
                       lost_parts=lost_part)


def test_the_secrets_checked_are_real(emulator: GoogleEmulator,
                                      make_connector: Callable[..., GoogleWorkspaceConnector]) -> None:
    """The contract's secret check is only worth something if it sees the key, tokens and password."""
    connector = make_connector()
    connector.apply(next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == "password"))
    values = list(EmulatorSecrets(emulator))
    assert any("PRIVATE KEY" in v for v in values)
    assert any(v.startswith("ya29.") for v in values)
    assert len(values) >= 4  # key, key body, a token, the password
