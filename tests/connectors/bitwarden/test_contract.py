"""The standard connector suite over the emulator, on a current server and on one without revoke and restore.

On the old server the revocation and the restoration are steps a person does in the Admin Console: the
harness does them in the emulator, and the member's groups grant no collection, so that there is no
rotation checklist (a step no system can see done).
"""

from __future__ import annotations

import pytest
from offboard.connectors.bitwarden.emulator import BitwardenEmulator

from offboard.spi import Action
from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.bitwarden.conftest import ALICE, Make, Secrets, connect, lost_parts, seed, state


class TestBitwardenContract(ConnectorContract):
    @pytest.fixture(params=["current", "old"])
    def harness(self, request: pytest.FixtureRequest, make_emulator: Make) -> Harness:
        old = request.param == "old"
        emulator: BitwardenEmulator = make_emulator(old_server=old)
        ids = seed(emulator, collections=not old)

        def in_the_admin_console(action: Action) -> None:
            with emulator.lock:
                {"revoke-manual": emulator.org.revoke, "restore-manual": emulator.org.restore}[action.kind](ids.alice)

        return Harness(
            connector=connect(emulator),
            member=ALICE,
            writes=lambda: len(emulator.writes()),
            secrets=Secrets(emulator),
            complete_manual=in_the_admin_console if old else None,
            state=lambda: state(emulator),
            lost_parts=lost_parts(emulator, ids.alice),
        )
