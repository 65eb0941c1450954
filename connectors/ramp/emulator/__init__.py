"""The stateful fake Ramp that tests, the contract kit and ``offboard demo`` run against.

``offboard.testing.sandbox`` imports ``<connector package>.emulator`` and calls
``start_sandbox``; tests build a ``RampEmulator`` with the knobs they need.
"""

from .sandbox import start_sandbox
from .server import ALL_SCOPES, RampEmulator
from .state import Org, Task

__all__ = ["ALL_SCOPES", "Org", "RampEmulator", "Task", "start_sandbox"]
