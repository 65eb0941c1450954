"""The standard connector suite over the emulator, once per Slack plan.

Free and Pro cannot deactivate or reactivate through the API: there each is a manual
step, and the harness does what the admin would do in Manage members.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from offboard.connectors.slack.emulator import PLANS, SCIM_PLANS, SlackEmulator

from offboard.spi import Action
from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.slack.conftest import ALICE, connect, lost_parts, state


class TestSlackContract(ConnectorContract):
    @pytest.fixture(params=PLANS)
    def harness(self, request: pytest.FixtureRequest, make_emulator: Callable[..., SlackEmulator]) -> Harness:
        emulator = make_emulator(request.param)
        uid = emulator.seed_member(ALICE.email, ALICE.name, private_channels=3, public_channels=2, usergroups=2)

        def in_manage_members(action: Action) -> None:
            {"deactivate-manual": emulator.deactivate, "reactivate-manual": emulator.reactivate}[action.kind](uid)

        return Harness(
            connector=connect(emulator),
            member=ALICE,
            writes=lambda: len(emulator.writes()),
            secrets=[emulator.admin_token],
            complete_manual=None if request.param in SCIM_PLANS else in_manage_members,
            state=lambda: state(emulator),
            lost_parts=lost_parts(emulator, uid),
        )
