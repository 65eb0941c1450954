"""The emulated Google Workspace that tests, the contract kit and ``offboard demo`` run against.

The real google-api-python-client and google-auth talk to it over HTTP on 127.0.0.1:
``server`` checks every request against the bundled discovery documents
(``discovery_check``) and the token grants (``auth``), and answers batch requests call by
call (``batch``), ``handlers`` serve the methods on ``state``, ``errors`` are Google's
bodies, ``sandbox`` seeds a sample org.
"""

from .sandbox import LICENSE_PRODUCT, LICENSE_SKU, seeded_emulator, start_sandbox
from .server import TOKEN_PATH, GoogleEmulator

__all__ = ["LICENSE_PRODUCT", "LICENSE_SKU", "TOKEN_PATH", "GoogleEmulator", "seeded_emulator", "start_sandbox"]
