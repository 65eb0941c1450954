"""The contract kit itself: the engine's test connector passes it, and a harness that counts no writes fails it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import pytest

from offboard.spi import Account, Action, Member, NotRestorable, Restoration
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


# ---------------------------------------------------------------- run, then restore: the state as it was


def state_of(system: FakeSystem, email: str) -> Callable[[], dict[str, bool]]:
    """The fake system's state for the harness: one part per access item of the user."""
    return lambda: {item: True for item in system.load()["users"][email]["access"]}


def session_part(action: Action, item: NotRestorable) -> Collection[str]:
    return {"session"} if action.kind == "signout" else ()


def test_the_restore_check_compares_the_whole_state_less_what_is_lost(tmp_path: Path, connector_context) -> None:
    harness, system = fake_harness(tmp_path, connector_context)
    harness.state, harness.lost_parts = state_of(system, "bob@example.org"), session_part
    ConnectorContract().test_restore_puts_back_what_was_removed(harness)


def test_a_part_not_back_and_not_listed_as_lost_fails_the_restore_check(tmp_path: Path, connector_context) -> None:
    harness, system = fake_harness(tmp_path, connector_context)
    harness.state = state_of(system, "bob@example.org")  # the ended session is not named as a part lost
    with pytest.raises(AssertionError, match=r"not as before the run \(and not listed as lost\): \['session'\]"):
        ConnectorContract().test_restore_puts_back_what_was_removed(harness)


class Overlapping(FakeConnector):
    """Says what it cannot bring back is back already, too."""

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        restoration = super().plan_restore(account, applied)
        restoration.already += [item.action_id for item in restoration.lost]
        return restoration


class Forgetful(FakeConnector):
    """Never says what is back already."""

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        restoration = super().plan_restore(account, applied)
        restoration.already = []
        return restoration


@pytest.mark.parametrize(("cls", "message"), [
    (Overlapping, "both lost and back already"),
    (Forgetful, "restored, yet neither back already nor lost"),
])
def test_each_applied_change_must_end_restored_lost_or_back_already(tmp_path: Path, connector_context,
                                                                    cls: type[FakeConnector], message: str) -> None:
    harness, _ = fake_harness(tmp_path, connector_context)
    harness.connector = cls({"state_file": "fake.json"}, connector_context())
    with pytest.raises(AssertionError, match=message):
        ConnectorContract().test_restore_puts_back_what_was_removed(harness)
