"""The engine's scheduler: cut first, clean in the slots cut cannot use, manual last, dependencies kept."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from offboard.apply.engine import Engine
from offboard.apply.journal import Journal
from offboard.apply.retry import RetryPolicy
from offboard.spi import Account, Action, Connector, ManualStep, Member, Outcome, Phase
from tests.fakes import FakeConnector

ACCOUNT = Account("s", "bob", "bob")
WAIT = 10.0  # a safety net against a hang, never reached when the scheduler is right


def action(id: str, phase: Phase, depends_on: tuple[str, ...] = ()) -> Action:
    return Action(id, "s", "k", id, phase, True, account=ACCOUNT, depends_on=depends_on)


class Recorder(Connector):
    """Records starts and ends; ``gates`` holds an action until another one has started."""

    name = "s"
    title = "S"

    def __init__(self, slots: int, gates: Mapping[str, str] | None = None) -> None:
        self.max_concurrency = slots
        self.gates = dict(gates or {})
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.started_ids: dict[str, threading.Event] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.planned: list[str] = []

    def _started(self, id: str) -> threading.Event:
        with self.lock:
            return self.started_ids.setdefault(id, threading.Event())

    def resolve(self, member: Member) -> Account | None:
        return ACCOUNT

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        return []

    def apply(self, action: Action) -> Outcome:
        with self.lock:
            self.events.append(("start", action.id))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self._started(action.id).set()
        if action.id in self.gates:
            assert self._started(self.gates[action.id]).wait(WAIT), f"{action.id}: {self.gates[action.id]} never started"
        with self.lock:
            self.events.append(("end", action.id))
            self.in_flight -= 1
        return Outcome.changed()

    def apply_planned(self, action: Action) -> Outcome:
        self.planned.append(action.id)
        return self.apply(action)

    def starts(self) -> list[str]:
        return [id for kind, id in self.events if kind == "start"]

    def index(self, kind: str, id: str) -> int:
        return self.events.index((kind, id))


def run(tmp_path, connector: Recorder, actions: list[Action], fresh: bool = False) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.create_run("r1", "expel", "m042", "Bob", "carol", {}, [("s", a) for a in actions])
    Engine(journal, {"s": connector}, RetryPolicy(sleep=lambda s: None)).execute("r1", fresh=fresh)
    journal.close()


PLAN = [
    action("session", Phase.CUT),
    action("token", Phase.CUT),
    action("suspend", Phase.CUT, ("session", "token")),
    action("group:a", Phase.CLEAN),
    action("group:b", Phase.CLEAN),
    action("group:c", Phase.CLEAN),
    action("confirm", Phase.MANUAL),
]


def test_with_one_slot_every_cut_action_ends_before_clean_starts_and_manual_is_last(tmp_path):
    connector = Recorder(slots=1)
    run(tmp_path, connector, PLAN)
    assert connector.starts() == ["session", "token", "suspend", "group:a", "group:b", "group:c", "confirm"]
    assert connector.most_in_flight == 1


def test_clean_fills_the_slots_cut_cannot_use_without_delaying_the_cut(tmp_path):
    # 3 slots: session and token take two, suspend waits for them and keeps the third;
    # so no clean action may start before the cut ones are done ...
    connector = Recorder(slots=3)
    run(tmp_path, connector, PLAN)
    assert connector.starts()[:2] == ["session", "token"]
    assert connector.index("start", "suspend") > max(connector.index("end", "session"), connector.index("end", "token"))
    assert connector.most_in_flight <= 3
    assert connector.starts()[-1] == "confirm"
    assert connector.index("start", "confirm") > max(connector.index("end", a.id) for a in PLAN[:-1])


def test_a_free_slot_goes_to_clean_while_cut_runs_and_the_suspension_is_not_kept_waiting(tmp_path):
    # 3 slots, one cut action before the suspension: one slot runs it, one is kept for the
    # suspension, one takes a clean action. The sign-out ends only once a clean action has
    # started (clean overlaps cut), and that clean action ends only once the suspension has
    # started: a clean action holding a slot must not keep the suspension waiting.
    plan = [action("session", Phase.CUT), action("suspend", Phase.CUT, ("session",)),
            action("group:a", Phase.CLEAN), action("group:b", Phase.CLEAN), action("group:c", Phase.CLEAN)]
    connector = Recorder(slots=3, gates={"session": "group:a", "group:a": "suspend"})
    run(tmp_path, connector, plan)
    assert connector.starts()[:2] == ["session", "group:a"]
    assert connector.index("start", "suspend") < connector.index("end", "group:a")
    assert connector.most_in_flight <= 3


def test_dependencies_across_phases_are_kept(tmp_path):
    # a clean action that must follow the suspension (Google: a licence removed only after the mailbox settings)
    plan = [action("session", Phase.CUT), action("suspend", Phase.CUT, ("session",)),
            action("license", Phase.CLEAN, ("suspend",)), action("group:a", Phase.CLEAN)]
    connector = Recorder(slots=4)
    run(tmp_path, connector, plan)
    assert connector.index("start", "license") > connector.index("end", "suspend")


@pytest.mark.parametrize("fresh", [True, False])
def test_a_fresh_run_applies_with_apply_planned_and_a_resumed_one_with_apply(tmp_path, fresh):
    connector = Recorder(slots=2)
    run(tmp_path, connector, PLAN, fresh=fresh)
    assert sorted(connector.planned) == (sorted(a.id for a in PLAN) if fresh else [])


def test_right_after_execute_only_manual_steps_it_did_not_apply_are_looked_at_again(tmp_path):
    class SelfClosing(Recorder):
        def apply(self, action: Action) -> Outcome:
            super().apply(action)
            return Outcome.manual()

        def check(self, action: Action) -> bool | None:
            self.checked.append(action.id)
            return False

    connector = SelfClosing(slots=1)
    connector.checked = []
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.create_run("r1", "expel", "m042", "Bob", "carol", {}, [("s", replace(action("deactivate", Phase.MANUAL), manual=ManualStep("Deactivate", self_closing=True)))])
    engine = Engine(journal, {"s": connector}, RetryPolicy(sleep=lambda s: None))
    engine.execute("r1")
    assert engine.refresh_manual("r1", skip_applied=True) == 0 and connector.checked == []
    assert engine.refresh_manual("r1") == 0 and connector.checked == ["deactivate"]  # later: asked again
    journal.close()


def test_a_dependency_cycle_is_skipped_not_hung(tmp_path, org):
    journal = Journal(tmp_path / "j.sqlite3")
    a = Action("fake:a", "fake", "x", "A", Phase.CUT, True, depends_on=("fake:b",))
    b = Action("fake:b", "fake", "x", "B", Phase.CUT, True, depends_on=("fake:a",))
    journal.create_run("r1", "expel", "m042", "Bob", "carol", {}, [("fake", a), ("fake", b)])
    connector = FakeConnector.__new__(FakeConnector)
    Engine(journal, {"fake": connector}, RetryPolicy()).execute("r1")
    assert [(r.state, r.detail) for r in journal.actions("r1")] == [("skipped", "dependency cycle in the plan")] * 2
