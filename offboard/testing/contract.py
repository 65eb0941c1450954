"""The standard test suite every connector gets for free (the Singer SDK idea).

Install ``offboard[testing]`` and use it from a connector's tests::

    from offboard.testing import ConnectorContract, Harness

    class TestSlackContract(ConnectorContract):
        @pytest.fixture
        def harness(self, slack_emulator):
            return Harness(connector=..., member=..., writes=lambda: len(slack_emulator.writes()))

The suite checks: metadata and config schema are valid; discovery sends no write; apply
changes (and a write reaches the system: a stubbed ``writes`` fails here), apply again is
``ok`` with no write, and so after ``apply_planned``; discovery afterwards finds nothing
left; and no secret shows in any action, outcome, error or log line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from offboard.spi import ACTIVE, Account, Action, Capability, Connector, ConnectorError, Member, Phase, State, validate_config

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class Harness:
    """A connector wired to its emulator, with a member who has access to revoke."""

    connector: Connector
    member: Member
    writes: Callable[[], int]  # how many state-changing requests reached the system so far
    secrets: Sequence[str] = ()  # values that must never appear in any output
    complete_manual: Callable[[Action], None] | None = None  # what a person does for a manual step


def order_for_apply(actions: Sequence[Action]) -> list[Action]:
    """Phases in order, and within a phase each action after the ones it depends on."""
    pending = sorted(actions, key=lambda a: a.phase.rank)
    done: set[str] = set()
    ordered: list[Action] = []
    known = {a.id for a in actions}
    while pending:
        ready = next(a for a in pending if all(d in done or d not in known for d in a.depends_on))
        pending.remove(ready)
        ordered.append(ready)
        done.add(ready.id)
    return ordered


def resolved(harness: Harness) -> Account:
    """The harness member's account: the suite needs one to work on."""
    account = harness.connector.resolve(harness.member)
    assert account is not None, "the harness member must have an account in the system"
    return account


class ConnectorContract:
    """Subclass it and provide a ``harness`` fixture; every test here then runs for you."""

    def test_metadata_is_complete(self, harness: Harness) -> None:
        cls = type(harness.connector)
        assert NAME_PATTERN.match(cls.name), f"connector name {cls.name!r} must be lower_snake_case"
        assert cls.title and cls.version
        assert cls.capabilities and all(isinstance(c, Capability) for c in cls.capabilities)
        assert cls.max_concurrency >= 1
        if Capability.INVENTORY in cls.capabilities:
            assert type(harness.connector).inventory is not Connector.inventory

    def test_config_schema_is_valid(self, harness: Harness) -> None:
        cls = type(harness.connector)
        names = [f.name for f in cls.config_fields]
        assert len(names) == len(set(names)), "config field names repeat"
        for f in cls.config_fields:
            assert f.description, f"config field {f.name} has no description"
            if f.secret:
                assert f.name.endswith(("_env", "_file")), f"secret field {f.name} must name an env var or a file"
        required = {f.name: "x" for f in cls.config_fields if f.required}
        with pytest.raises(Exception, match="unknown key 'no_such_key'"):
            validate_config(cls, {**required, "no_such_key": 1})

    def test_resolve_finds_the_member(self, harness: Harness) -> None:
        account = resolved(harness)
        assert account is not None, "the harness member must have an account"
        assert account.system == harness.connector.name

    def test_discover_sends_no_write(self, harness: Harness) -> None:
        before = harness.writes()
        account = resolved(harness)
        actions = harness.connector.discover(account)
        assert actions, "the harness member must have access to revoke"
        assert harness.writes() == before, "discovery changed the system"
        ids = [a.id for a in actions]
        assert len(ids) == len(set(ids)), "action ids repeat"
        for action in actions:
            assert action.connector == harness.connector.name
            assert action.summary
            json.dumps(action.to_dict())  # plans are saved as JSON
            assert Action.from_dict(action.to_dict()) == action

    def test_inventory_says_which_accounts_are_active(self, harness: Harness) -> None:
        """For audits: every account carries ``attributes["active"]``, and ``discover`` takes them as they come."""
        connector = harness.connector
        if Capability.INVENTORY not in type(connector).capabilities:
            pytest.skip("the connector has no inventory")
        before = harness.writes()
        accounts = list(connector.inventory())
        assert harness.writes() == before, "the inventory changed the system"
        for account in accounts:
            assert account.system == connector.name
            assert isinstance(account.attributes.get(ACTIVE), bool), f"{account.id}: attributes['{ACTIVE}'] must be a bool"
        account = resolved(harness)
        listed = [a for a in accounts if a.id == account.id]
        assert listed, "the member's account (as resolve gives it) is not in the inventory under the same id"
        assert [a.id for a in connector.discover(listed[0])] == [a.id for a in connector.discover(account)]

    def test_apply_then_apply_again_is_ok(self, harness: Harness) -> None:
        connector = harness.connector
        actions = order_for_apply(connector.discover(resolved(harness)))
        for action in actions:
            if action.phase is Phase.MANUAL:
                before = harness.writes()
                assert connector.apply(action).state is State.MANUAL
                assert harness.writes() == before, f"manual step {action.id} sent a write"
                continue
            before = harness.writes()
            outcome = connector.apply(action)
            assert outcome.state is State.CHANGED, f"{action.id}: {outcome}"
            assert harness.writes() > before, (f"{action.id} answered changed but no write reached the system: "
                                               "the harness's writes() must count the system's real writes")
        for action in actions:
            if action.phase is Phase.MANUAL:
                if harness.complete_manual is None:
                    continue
                harness.complete_manual(action)
            before = harness.writes()
            outcome = connector.apply(action)
            assert outcome.state is State.OK, f"second apply of {action.id}: {outcome}"
            assert harness.writes() == before, f"second apply of {action.id} sent a write"

    def test_apply_planned_then_apply_again_is_ok(self, harness: Harness) -> None:
        """``apply_planned`` (a run applied right after its plan) reaches the same end as ``apply``."""
        connector = harness.connector
        actions = order_for_apply(connector.discover(resolved(harness)))
        for action in actions:
            expected = State.MANUAL if action.phase is Phase.MANUAL else State.CHANGED
            before = harness.writes()
            outcome = connector.apply_planned(action)
            assert outcome.state is expected, f"{action.id}: {outcome}"
            assert (harness.writes() > before) is (expected is State.CHANGED), f"{action.id}: writes do not match {outcome}"
        for action in actions:
            if action.phase is Phase.MANUAL:
                continue
            before = harness.writes()
            outcome = connector.apply(action)
            assert outcome.state is State.OK, f"apply after apply_planned of {action.id}: {outcome}"
            assert harness.writes() == before, f"apply after apply_planned of {action.id} sent a write"
            assert connector.check(action) in (True, None), f"{action.id} not in place after apply_planned"

    def test_discover_again_finds_nothing_left(self, harness: Harness) -> None:
        connector = harness.connector
        first = order_for_apply(connector.discover(resolved(harness)))
        for action in first:
            connector.apply(action)
            if action.phase is Phase.MANUAL and harness.complete_manual:
                harness.complete_manual(action)
        account = resolved(harness)
        left = connector.discover(account) if account else []
        for action in left:
            assert action.phase is Phase.MANUAL, f"left after apply: {action.id} ({action.summary})"
            assert connector.check(action) is not True, f"{action.id} is done but still discovered"
        for action in first:
            if action.phase is not Phase.MANUAL:
                assert connector.check(action) in (True, None), f"{action.id} not in place after apply"

    def test_restore_puts_back_what_was_removed(self, harness: Harness) -> None:
        """``Capability.RESTORE``: after a run, ``plan_restore`` (read-only) and its actions bring the access back,
        so that ``discover`` finds it again; what it says cannot come back is every change that is not reversible."""
        connector = harness.connector
        if Capability.RESTORE not in type(connector).capabilities:
            pytest.skip("the connector cannot restore access")
        applied = [a for a in order_for_apply(connector.discover(resolved(harness))) if a.phase is not Phase.MANUAL]
        for action in applied:
            connector.apply(action)
        before = harness.writes()
        restoration = connector.plan_restore(resolved(harness), applied)
        assert harness.writes() == before, "plan_restore changed the system"
        lost = {item.action_id for item in restoration.lost}
        assert {a.id for a in applied if not a.reversible} <= lost, "a change that cannot be undone is not listed as lost"
        for action in order_for_apply(restoration.actions):
            before = harness.writes()
            outcome = connector.apply(action)
            assert outcome.state is State.CHANGED, f"restoring {action.id}: {outcome}"
            assert harness.writes() > before, f"restoring {action.id} answered changed but sent no write"
        assert connector.plan_restore(resolved(harness), applied).actions == [], "restored, yet more to restore"
        found = {a.id for a in connector.discover(resolved(harness))}
        missing = [a.id for a in applied if a.reversible and a.id not in lost and a.id not in found]
        assert missing == [], f"not back after the restore: {missing}"

    def test_no_secret_in_any_output(self, harness: Harness, caplog: pytest.LogCaptureFixture, capsys) -> None:
        caplog.set_level(logging.DEBUG)
        connector = harness.connector
        seen: list[str] = []
        try:
            account = resolved(harness)
            actions = connector.discover(account)
            seen += [json.dumps(a.to_dict()) for a in actions]
            for action in order_for_apply(actions):
                outcome = connector.apply(action)
                seen.append(f"{outcome.detail} {json.dumps(outcome.observed)}")
            seen += connector.test_connection()
        except ConnectorError as exc:
            seen.append(str(exc))
        captured = capsys.readouterr()
        seen += [caplog.text, captured.out, captured.err]
        text = "\n".join(seen)
        for secret in harness.secrets:
            assert secret and secret not in text, "a secret appeared in the connector's output"
