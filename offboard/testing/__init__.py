"""What a connector's author tests with: the contract kit, the emulator base, the sandbox.

``pip install offboard[testing]`` brings pytest and registers ``offboard.testing.plugin``
(fixtures for connector tests) through pytest's ``pytest11`` entry point.
"""

from offboard.testing.contract import ConnectorContract, Harness, order_for_apply

__all__ = ["ConnectorContract", "Harness", "order_for_apply"]
