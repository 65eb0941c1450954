"""Discord: ban (or kick) an expelled member, take a suspended member's roles, and put them back on reinstatement."""

from .connector import DiscordConnector

__all__ = ["DiscordConnector"]
