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
left; with ``Capability.RESTORE``, a run then its restore leaves the system as it was but
for what the restore plan lists as lost (compared part by part when the harness gives the
system's ``state``); and no secret shows in any action, outcome, error or log line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from offboard.spi import ACTIVE, Account, Action, Capability, Connector, ConnectorError, Member, Phase, State, validate_config
from offboard.spi.model import NotRestorable, Restoration

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
ABSENT = object()  # a part of the state that is not there


def no_parts(action: Action, item: NotRestorable) -> Collection[str]:
    return ()


@dataclass
class Harness:
    """A connector wired to its emulator, with a member who has access to revoke.

    ``state`` (for ``Capability.RESTORE``): the system's full state that a run can touch, read from the
    emulator as parts (part name -> comparable value: "member:C1:U2" -> True, "user:U2" -> False...);
    ``lost_parts`` names the parts a change the restore plan lists as lost leaves changed (an ended
    session: none). After a run and its restore, every other part must be as it was before the run.
    """

    connector: Connector
    member: Member
    writes: Callable[[], int]  # how many state-changing requests reached the system so far
    secrets: Sequence[str] = ()  # values that must never appear in any output
    # What a person does for a manual step (a removal, or its restore); None: manual steps are left out.
    complete_manual: Callable[[Action], None] | None = None
    state: Callable[[], Mapping[str, Any]] | None = None
    lost_parts: Callable[[Action, NotRestorable], Collection[str]] = no_parts


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


def run(harness: Harness, actions: Sequence[Action]) -> list[Action]:
    """Apply ``actions`` in order, a person doing the manual steps where the harness can (else they are left
    out); the actions done, as a journal records them."""
    done = []
    for action in order_for_apply(actions):
        manual = action.phase is Phase.MANUAL
        if manual and harness.complete_manual is None:
            continue
        before = harness.writes()
        outcome = harness.connector.apply(action)
        if manual:
            assert outcome.state in (State.MANUAL, State.OK), f"{action.id}: {outcome}"
            assert harness.writes() == before, f"manual step {action.id} sent a write"
            assert harness.complete_manual is not None
            harness.complete_manual(action)
            outcome = harness.connector.apply(action)
            assert outcome.state is State.OK, f"{action.id} done by a person, yet: {outcome}"
        else:
            assert outcome.state is State.CHANGED, f"{action.id}: {outcome}"
            assert harness.writes() > before, f"{action.id} answered changed but sent no write"
        done.append(action)
    return done


def accounted(applied: Sequence[Action], restoration: Restoration) -> None:
    """What ``lost`` and ``already`` name are applied actions, and no action is both lost and back already."""
    ids = {a.id for a in applied}
    lost, already = {item.action_id for item in restoration.lost}, set(restoration.already)
    assert lost <= ids, f"lost names actions that were not applied: {sorted(lost - ids)}"
    assert already <= ids, f"already names actions that were not applied: {sorted(already - ids)}"
    assert len(already) == len(restoration.already), "already names an action twice"
    assert not lost & already, f"both lost and back already: {sorted(lost & already)}"


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
        """``Capability.RESTORE``: run, then restore, and the system is as it was but for what is lost.

        ``plan_restore`` (read-only) right after the run finds nothing back already; its actions bring the
        access back, so that ``discover`` finds it again; planned again, there is nothing left to do and
        every applied change is either lost or back already (never both). With the harness's ``state``, the
        whole state is compared, part by part, less the parts of what the plan listed as lost.
        """
        connector = harness.connector
        if Capability.RESTORE not in type(connector).capabilities:
            pytest.skip("the connector cannot restore access")
        start = dict(harness.state()) if harness.state is not None else {}
        applied = run(harness, connector.discover(resolved(harness)))
        before = harness.writes()
        restoration = connector.plan_restore(resolved(harness), applied)
        assert harness.writes() == before, "plan_restore changed the system"
        accounted(applied, restoration)
        assert restoration.already == [], f"nothing was put back since the run, yet back already: {restoration.already}"
        lost = {item.action_id for item in restoration.lost}
        run(harness, restoration.actions)
        again = connector.plan_restore(resolved(harness), applied)
        assert again.actions == [], "restored, yet more to restore"
        accounted(applied, again)
        assert lost <= {item.action_id for item in again.lost}, "lost, yet back after the restore"
        unaccounted = [a.id for a in applied if a.id not in {i.action_id for i in again.lost} | set(again.already)]
        assert unaccounted == [], f"restored, yet neither back already nor lost: {unaccounted}"
        found = {a.id for a in connector.discover(resolved(harness))}
        missing = [a.id for a in applied if a.reversible and a.id not in lost and a.id not in found]
        assert missing == [], f"not back after the restore: {missing}"
        if harness.state is not None:
            by_id = {a.id: a for a in applied}
            excused = {part for item in restoration.lost for part in harness.lost_parts(by_id[item.action_id], item)}
            now = dict(harness.state())
            changed = sorted(p for p in set(start) | set(now)
                             if p not in excused and start.get(p, ABSENT) != now.get(p, ABSENT))
            assert changed == [], f"not as before the run (and not listed as lost): {changed}"

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
            if Capability.RESTORE in type(connector).capabilities:  # a restore may make secrets: a new password
                applied = [a for a in actions if a.phase is not Phase.MANUAL]
                restoration = connector.plan_restore(resolved(harness), applied)
                seen += [json.dumps(a.to_dict()) for a in restoration.actions]
                seen += [item.reason for item in restoration.lost]
                for action in order_for_apply(restoration.actions):
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
