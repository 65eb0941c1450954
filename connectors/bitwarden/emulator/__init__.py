"""The stateful fake Bitwarden (identity server and Public API) that tests, the contract kit and ``offboard demo`` use.

``offboard.testing.sandbox`` imports ``<connector package>.emulator`` and calls ``start_sandbox``;
tests build a ``BitwardenEmulator`` (``old_server=True`` for a server without revoke and restore).
"""

from .sandbox import start_sandbox
from .server import BitwardenEmulator
from .state import Access, Organization

__all__ = ["Access", "BitwardenEmulator", "Organization", "start_sandbox"]
