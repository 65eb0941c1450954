"""The stateful fake Discord that tests, the contract kit and ``offboard demo`` run against.

``offboard.testing.sandbox`` imports ``<connector package>.emulator`` and calls
``start_sandbox``; tests build a ``DiscordEmulator`` with the knobs they need.
"""

from .sandbox import start_sandbox
from .server import DiscordEmulator

__all__ = ["DiscordEmulator", "start_sandbox"]
