"""Open Collective: remove a member's roles on the collective's team and withdraw their pending invitations."""

from .connector import OpenCollectiveConnector

__all__ = ["OpenCollectiveConnector"]
