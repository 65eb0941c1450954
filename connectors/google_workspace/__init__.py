"""Google Workspace: the connector (entry point ``google``) and, beside it, its emulator.

Importing this package does not import google-api-python-client or google-auth:
they load on the first API call, so ``offboard --help`` stays fast.
"""

from .connector import GoogleWorkspaceConnector

__all__ = ["GoogleWorkspaceConnector"]
