"""The standard connector suite over the emulator: a member with an active, a shipped, a locked and a terminated card."""

from __future__ import annotations

import pytest
from offboard.connectors.brex.emulator import BrexEmulator

from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.brex.conftest import ALICE, connect, lost_parts, seed, state


class TestBrexContract(ConnectorContract):
    @pytest.fixture
    def harness(self, emulator: BrexEmulator) -> Harness:
        seeded = seed(emulator)
        return Harness(
            connector=connect(emulator),
            member=ALICE,
            writes=lambda: len(emulator.writes()),
            secrets=[emulator.admin_token],
            state=lambda: state(emulator),
            lost_parts=lost_parts(seeded.uid),
        )
