"""The standard connector suite over the emulator, once per way a playbook uses Discord.

Ban (the expel default), kick (``ban: false``), and a suspension that keeps the member in the server
(roles taken, a timeout or a role for suspended members). After a ban or a kick the restore needs the
person to join again with an invite link: the harness does what they would do. After a kick the person is an
inactive account (not in the server, free to come back), so the whole suite runs in every mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from offboard.connectors.discord.emulator import DiscordEmulator

from offboard.spi import Action
from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.discord.conftest import BOB, KICK, SUSPEND, Org, connect, state, with_options

MODES: dict[str, dict[str, Any] | None] = {"ban": {}, "kick": KICK, "suspend": SUSPEND, "suspended-role": None}


class TestDiscordContract(ConnectorContract):
    @pytest.fixture(params=list(MODES))
    def harness(self, request: pytest.FixtureRequest, make_emulator: Callable[..., DiscordEmulator]) -> Harness:
        emulator = make_emulator()
        org = Org(emulator)
        options = MODES[request.param]
        if options is None:
            options = {"ban": False, "kick": False, "suspended_role": emulator.add_role("Suspended", 0, position=1)}

        def rejoin(action: Action) -> None:
            assert action.kind == "rejoin", action.kind
            emulator.join(org.bob)  # what the person does with the invite link

        return Harness(
            connector=connect(emulator, cls=with_options(options)),
            member=BOB,
            writes=lambda: len(emulator.writes()),
            secrets=[emulator.bot_token],
            complete_manual=rejoin,
            state=lambda: state(emulator),
        )
