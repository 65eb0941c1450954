"""The error taxonomy connectors sort their failures into; the engine alone decides to retry."""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """Base of the error taxonomy. ``str(err)`` must never contain a secret."""

    kind: ClassVar[str] = "fatal"


class RetriableError(ConnectorError):
    """Throttling, 5xx, timeouts, resets: the engine retries, honouring ``retry_after``."""

    kind = "retriable"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """Bad or insufficient credentials. Never retried; the message says what to grant."""

    kind = "auth"


class NotFoundError(ConnectorError):
    """The object is not there. Connectors turn "already gone" into ``ok`` themselves."""

    kind = "not-found"


class FatalError(ConnectorError):
    """Anything else the system refused. Never retried."""

    kind = "fatal"


class ConfigError(Exception):
    """A connector's configuration is wrong; raised at load time, before anything runs."""


def describe(error: BaseException) -> str:
    """One sentence for people: a connector error says it itself (it is written to hold no
    secret); anything else is a bug in the connector, and is named as one."""
    if isinstance(error, ConnectorError):
        return str(error)
    return f"internal error in connector: {type(error).__name__}: {error}"
