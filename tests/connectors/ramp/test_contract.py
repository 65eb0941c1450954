"""The standard connector suite over the emulator: a suspension (cards suspended, then put back exactly) and an
expulsion with ``terminate_cards`` (the terminated cards are listed as lost, everything else comes back).

Card tasks answer IN_PROGRESS to their first status read (the emulator's default), so every apply here
goes through the engine's retry of one read, as in a session; its waits are recorded, never slept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

import pytest
from offboard.connectors.ramp import RampConnector
from offboard.connectors.ramp.emulator import RampEmulator

from offboard.spi import Account, Action
from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.ramp.conftest import ALICE, connect, lost_parts, seed, state


class Terminating(RampConnector):
    """The connector as an expel playbook step with ``terminate_cards: true`` runs it."""

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        return super().discover(account, {"terminate_cards": True, **(options or {})})


class Secrets(Sequence[str]):
    """The client secret and every access token the emulator has issued so far, read when the suite looks."""

    def __init__(self, emulator: RampEmulator) -> None:
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

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


def harness(emulator: RampEmulator, cls: type[RampConnector] = RampConnector) -> Harness:
    seed(emulator)
    return Harness(
        connector=connect(emulator, cls=cls),
        member=ALICE,
        writes=lambda: len(emulator.writes()),
        secrets=Secrets(emulator),  # tokens included: none may show in any output
        state=lambda: state(emulator),
        lost_parts=lost_parts,
    )


class TestRampSuspendContract(ConnectorContract):
    @pytest.fixture
    def harness(self, make_emulator: Callable[..., RampEmulator]) -> Harness:
        return harness(make_emulator())


class TestRampExpelContract(ConnectorContract):
    @pytest.fixture
    def harness(self, make_emulator: Callable[..., RampEmulator]) -> Harness:
        return harness(make_emulator(), Terminating)
