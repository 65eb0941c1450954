"""Reading a connector for an audit: its inventory page by page, and what a deactivated account can still reach.

Both go through the engine's retries (``offboard.apply.retry``): the inventory with
``iterate_with_retries`` (a throttled page is read again, no account is delivered twice),
discovery with ``call_with_retries``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from offboard.apply.retry import RetryPolicy, call_with_retries, iterate_with_retries
from offboard.spi import Account, Action, Connector, ConnectorError, describe

Discover = Callable[[Account], list[Action]]


def stream_inventory(connector: Connector, policy: RetryPolicy) -> Iterator[Account]:
    """The connector's accounts, one at a time as its pages come: one API call per page while no page fails.

    After a retriable error the inventory is read again from the start and the accounts already
    delivered are skipped (lists are read in a stable order).
    """
    return iterate_with_retries(connector.inventory, policy)


def discoverer(connector: Connector, policy: RetryPolicy) -> Discover:
    """``connector.discover`` with retries; any error it ends with is a ``ConnectorError``."""

    def discover(account: Account) -> list[Action]:
        found = call_with_retries(lambda: connector.discover(account), policy)
        if found.error is None:
            return list(found.value or [])
        if isinstance(found.error, ConnectorError):
            raise found.error
        raise ConnectorError(describe(found.error))

    return discover
