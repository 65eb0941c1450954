"""Ramp: deactivate the user, suspend (or terminate) their cards through Ramp's deferred tasks; undo on reinstatement."""

from .connector import RampConnector

__all__ = ["RampConnector"]
