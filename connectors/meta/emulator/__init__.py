"""The stateful fake Graph API that tests, the contract kit and ``offboard demo`` run against.

``offboard.testing.sandbox`` imports ``<connector package>.emulator`` and calls
``start_sandbox``; tests build a ``MetaEmulator`` and seed its ``business``.
"""

from .sandbox import start_sandbox
from .server import VERSIONS, MetaEmulator
from .state import INSTAGRAM_TASKS, PAGE_TASKS, Business

__all__ = ["INSTAGRAM_TASKS", "PAGE_TASKS", "VERSIONS", "Business", "MetaEmulator", "start_sandbox"]
