"""Meta: remove a member's tasks on the organization's Facebook Pages and Instagram accounts, and the portfolio."""

from .connector import MetaConnector

__all__ = ["MetaConnector"]
