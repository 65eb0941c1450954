"""The stateful fake Brex that tests, the contract kit and ``offboard demo`` run against.

``offboard.testing.sandbox`` imports ``<connector package>.emulator`` and calls ``start_sandbox``;
tests build a ``BrexEmulator`` and seed its ``account``.
"""

from .sandbox import start_sandbox
from .server import BrexEmulator

__all__ = ["BrexEmulator", "start_sandbox"]
