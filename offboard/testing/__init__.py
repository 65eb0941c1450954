"""What a connector's author tests with: the contract kit, the emulator base, the sandbox.

``pip install offboard[testing]`` brings pytest and registers ``offboard.testing.plugin``
(fixtures for connector tests) through pytest's ``pytest11`` entry point. The contract kit is
imported on first use: the sandbox and the emulators, which ``offboard demo`` runs, need no pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offboard.testing.contract import ConnectorContract, Harness, order_for_apply

__all__ = ["ConnectorContract", "Harness", "order_for_apply"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from offboard.testing import contract

    return getattr(contract, name)
