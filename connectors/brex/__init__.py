"""Brex: lock (or terminate) a member's cards and suspend their account; reinstate them exactly."""

from .connector import BrexConnector

__all__ = ["BrexConnector"]
