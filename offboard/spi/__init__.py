"""The connector contract: the model connectors and the engine share, the error taxonomy, the base class."""

from offboard.apply.pacing import RateLimit
from offboard.spi.connector import ConfigField, Connector, ConnectorContext, validate_config
from offboard.spi.endpoints import check_endpoint
from offboard.spi.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    FatalError,
    NotFoundError,
    RetriableError,
    describe,
)
from offboard.spi.mail import DeliveryUnknown, Mailbox, SentMail
from offboard.spi.model import (
    ACTIVE,
    ROSTER_KEYS,
    Account,
    Action,
    Capability,
    ManualStep,
    Member,
    NotRestorable,
    Outcome,
    Phase,
    Restoration,
    State,
)

__all__ = [
    "ACTIVE",
    "ROSTER_KEYS",
    "Account",
    "Action",
    "AuthError",
    "Capability",
    "ConfigError",
    "ConfigField",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "DeliveryUnknown",
    "FatalError",
    "Mailbox",
    "ManualStep",
    "Member",
    "NotFoundError",
    "NotRestorable",
    "Outcome",
    "Phase",
    "RateLimit",
    "Restoration",
    "RetriableError",
    "SentMail",
    "State",
    "check_endpoint",
    "describe",
    "validate_config",
]
