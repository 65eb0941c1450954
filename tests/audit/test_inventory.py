"""Reading a connector for an audit: its inventory page by page with the engine's retries, and discovery."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import seeded_emulator
from offboard.connectors.slack import SlackConnector
from offboard.connectors.slack.emulator import SlackEmulator

from offboard.apply.retry import RetryPolicy
from offboard.audit.inventory import discoverer, stream_inventory
from offboard.spi import Account, ConnectorContext, ConnectorError, NotFoundError, RetriableError
from tests.audit.listed import Listed, action

SIX = [Account("listed", f"u{page}{i}", f"u{page}{i}") for page in range(3) for i in range(2)]


def test_a_throttled_page_is_retried_without_delivering_an_account_twice(sleeps):
    connector = Listed(SIX, faults={2: RetriableError("429", retry_after=7)})
    assert [a.id for a in stream_inventory(connector, RetryPolicy())] == ["u00", "u01", "u10", "u11", "u20", "u21"]
    assert sleeps == [7]  # Retry-After honoured, through the engine's sleep
    # inventory() cannot resume mid-way, so the pages before the throttled one are read again: 3 pages, 5 calls
    assert connector.calls == 5


def test_a_page_that_stays_throttled_ends_the_stream_with_its_error(sleeps):
    connector = Listed(SIX, faults={n: RetriableError("429") for n in range(2, 20)})
    with pytest.raises(RetriableError):
        list(stream_inventory(connector, RetryPolicy(max_attempts=3)))
    assert len(sleeps) == 2


class ThrottledOnce(Listed):
    def discover(self, account, options=None):
        self.calls += 1
        if self.calls == 1:
            raise RetriableError("429", retry_after=2)
        return [action(account, "eng")]


def test_discovery_is_retried_and_any_error_it_ends_with_is_a_connector_error(sleeps):
    account = Account("listed", "U1", "ann@x.org")
    assert [a.kind for a in discoverer(ThrottledOnce(), RetryPolicy())(account)] == ["eng"]
    assert sleeps == [2]
    with pytest.raises(NotFoundError, match="gone"):
        discoverer(Listed(access={"U1": NotFoundError("gone")}), RetryPolicy())(account)
    with pytest.raises(ConnectorError, match=r"^internal error in connector: KeyError: 'boom'$"):
        discoverer(Listed(access={"U1": KeyError("boom")}), RetryPolicy())(account)


def test_google_inventory_streams_with_one_call_per_page(tmp_path, sleeps):
    emulator = seeded_emulator("example.org").start()
    try:
        with emulator.lock:
            for i in range(1200):
                emulator.workspace.add_user(f"user{i:05d}@example.org")
            total = len(emulator.workspace.users)
        emulator.write_key_file(tmp_path / "sa.json")
        connector = GoogleWorkspaceConnector(
            {"service_account_file": "sa.json", "admin": "admin@example.org", "api_endpoint": emulator.url,
             "insecure_endpoint": True},
            ConnectorContext("x", "example.org", tmp_path, {}))
        stream = stream_inventory(connector, RetryPolicy())
        next(stream)
        assert len(emulator.requests("GET", "/users")) == 1  # the first account comes before the second page is read
        assert sum(1 for _ in stream) == total - 1
        assert len(emulator.requests("GET", "/users")) == math.ceil(total / 500) == 3
        connector.close()
    finally:
        emulator.stop()


def test_slack_inventory_streams_with_one_call_per_page(sleeps):
    emulator = SlackEmulator(enforce_rate_limits=False).start()
    try:
        with emulator.lock:
            for i in range(450):
                emulator.workspace.add_user(f"user{i}", f"user{i}@example.org")
            total = len(emulator.workspace.users)
        connector = SlackConnector({"base_url": f"{emulator.url}/api/", "insecure_endpoint": True},
                                   ConnectorContext("x", "example.org", Path("."), {"SLACK_ADMIN_TOKEN": emulator.admin_token}))
        assert sum(1 for a in stream_inventory(connector, RetryPolicy()) if a.active) == total
        assert len(emulator.requests(path_contains="/api/users.list")) == math.ceil(total / 200) == 3
    finally:
        emulator.stop()
