"""Slack: deactivate (SCIM or a self-closing manual step), kick from private channels, leave user groups."""

from .connector import SlackConnector

__all__ = ["SlackConnector"]
