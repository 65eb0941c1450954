"""The stateful fake Slack that tests, benchmarks, the contract kit and ``offboard demo`` run against.

``offboard.testing.sandbox`` imports ``<connector package>.emulator`` and calls
``start_sandbox``; tests build a ``SlackEmulator`` on the plan they need.
"""

from .sandbox import start_sandbox
from .server import SlackEmulator
from .state import PLANS, SCIM_PLANS

__all__ = ["PLANS", "SCIM_PLANS", "SlackEmulator", "start_sandbox"]
