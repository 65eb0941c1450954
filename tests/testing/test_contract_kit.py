"""The contract kit itself: the engine's test connector passes it, and a harness that counts no writes fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from offboard.spi import Member
from offboard.testing import ConnectorContract, Harness
from tests.fakes import FakeConnector, FakeSystem

pytest_plugins = ["pytester"]


def fake_harness(folder: Path, context) -> tuple[Harness, FakeSystem]:
    system = FakeSystem(folder / "fake.json")
    system.add_user("bob@example.org", ["session", "active", "group:eng", "group:all"])
    connector = FakeConnector({"state_file": "fake.json"}, context())
    return Harness(connector, Member("m042", "Bob", "bob@example.org"), writes=lambda: system.writes), system


class TestFakeConnectorContract(ConnectorContract):
    """The engine's test connector keeps the contract every real connector keeps."""

    @pytest.fixture
    def harness(self, tmp_path: Path, connector_context) -> Harness:
        return fake_harness(tmp_path, connector_context)[0]


STUBBED = """
import pytest
from offboard.spi import Member
from offboard.testing import ConnectorContract, Harness
from tests.fakes import FakeConnector, FakeSystem


class TestStubbed(ConnectorContract):
    @pytest.fixture
    def harness(self, tmp_path, connector_context):
        FakeSystem(tmp_path / "fake.json").add_user("bob@example.org", ["session", "active", "group:eng"])
        connector = FakeConnector({"state_file": "fake.json"}, connector_context())
        return Harness(connector, Member("m042", "Bob", "bob@example.org"), writes=lambda: 0)
"""


def test_a_harness_whose_write_counter_is_stubbed_fails_the_contract(pytester):
    pytester.syspathinsert(Path(__file__).resolve().parents[2])  # tests.fakes
    pytester.makepyfile(test_stubbed=STUBBED)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7, failed=3, skipped=0)
    assert "no write reached the system" in result.stdout.str()


def test_the_plugin_fixtures_come_with_the_install(pytester):
    pytester.makepyfile(test_fixtures="""
def test_context(connector_context, recorded_sleeps):
    context = connector_context({"TOKEN": "x"})
    assert context.org_domain == "example.org" and context.secret_from_env("TOKEN") == "x"
    assert recorded_sleeps == []
""")
    pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)
