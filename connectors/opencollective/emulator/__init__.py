"""The stateful fake Open Collective that tests, the contract kit and ``offboard demo`` run against.

``offboard.testing.sandbox`` imports ``<connector package>.emulator`` and calls
``start_sandbox``; tests build an ``OpenCollectiveEmulator`` with the team they need.
"""

from .sandbox import start_sandbox
from .server import OpenCollectiveEmulator

__all__ = ["OpenCollectiveEmulator", "start_sandbox"]
