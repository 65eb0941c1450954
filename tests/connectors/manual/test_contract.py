"""The manual connector passes the standard connector suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from offboard.connectors.manual import ManualConnector

from offboard.spi import ConnectorContext, Member
from offboard.testing.contract import ConnectorContract, Harness


class TestManualContract(ConnectorContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        connector = ManualConnector({}, ConnectorContext("Example Org", "example.org", tmp_path, {}))
        steps = [{"id": "signer", "title": "Remove signer", "evidence": ["bank letter"], "second_confirmer": True}]
        original = connector.discover
        connector.discover = lambda account, options=None: original(account, {"system": "bank", "steps": steps})
        return Harness(connector, Member("m042", "Bob", "bob@example.org"), writes=lambda: 0)
