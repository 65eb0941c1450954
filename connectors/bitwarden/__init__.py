"""Bitwarden: revoke the organization membership, leave groups, list the collections whose logins to rotate."""

from .connector import BitwardenConnector

__all__ = ["BitwardenConnector"]
