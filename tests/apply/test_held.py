"""Actions that depend on a manual step are held while it is open, never sent, and run once it is closed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from offboard import operations
from offboard.apply.confirm import ConfirmRequest, confirm_step
from offboard.apply.engine import Engine
from offboard.apply.journal import Journal
from offboard.apply.retry import RetryPolicy
from offboard.apply.runs import (
    HeldItem,
    RunSummary,
    get_run,
    is_interrupted,
    refresh_run,
    summarize,
    unfinished_run,
)
from offboard.apply.states import Progress, RunStatus
from offboard.plans.plan import Plan
from offboard.spi import Action, ManualStep, Outcome, Phase, State
from tests.apply.test_retries import rows
from tests.apply.test_scheduling import Recorder, action

STEP = "Turn off the account in the admin pages"  # the fake's self-closing step
ENG, ALL = "fake:after:ui-only:eng", "fake:after:ui-only:all"


@pytest.fixture
def held_org(org):
    org.write("playbooks/fake.yaml", "name: fake\ndescription: the fake system alone\nsteps:\n  - connector: fake\n")
    return org


def expel(session, org, access: list[str]) -> RunSummary:
    org.fake.add_user("bob@example.org", access)
    result = operations.expel(session, operations.ExpelRequest("m042", "fake", yes=True, unsigned=True))
    assert result.run is not None
    return result.run


def done_by_hand(org, item: str) -> None:
    with org.fake.edit() as state:
        state["users"]["bob@example.org"]["access"].remove(item)


def refresh(session, run_id: str) -> int:
    connectors = session.connectors_for_plan(Plan.from_dict(get_run(session.journal, run_id).plan))
    return refresh_run(session.journal, run_id, connectors, session.retry)


def test_the_dependents_of_an_open_step_are_held_not_sent_and_the_run_waits_on_a_person(held_org, session):
    summary = expel(session, held_org, ["session", "active", "ui-only", "after:ui-only:eng", "after:ui-only:all"])
    found = rows(session, summary)
    assert found["fake:ui-only"].state is State.MANUAL
    for id in (ENG, ALL):
        assert (found[id].state, found[id].detail, found[id].attempts) == (Progress.HELD, f"waits for: {STEP}", 0)
    assert ENG not in held_org.fake.applied and ALL not in held_org.fake.applied
    assert summary.status is RunStatus.INCOMPLETE
    assert summary.held == [HeldItem("fake", ENG, "Invite to eng", STEP), HeldItem("fake", ALL, "Invite to all", STEP)]
    assert summary.to_dict()["held"][0] == {"system": "fake", "action": ENG, "title": "Invite to eng",
                                            "waits": f"waits for {STEP}"}
    assert session.journal.interrupted_runs() == [] and unfinished_run(session.journal) is None
    assert not is_interrupted(session.journal, summary.run.id)


def test_when_the_system_shows_the_step_done_refresh_closes_it_and_runs_what_it_held(held_org, session):
    run_id = expel(session, held_org, ["session", "active", "ui-only", "after:ui-only:eng", "after:ui-only:all"]).run.id
    assert refresh(session, run_id) == 0  # not done yet: still held
    assert rows(session, summarize(session.journal, run_id))[ENG].state is Progress.HELD

    done_by_hand(held_org, "ui-only")
    assert refresh(session, run_id) == 1
    summary = summarize(session.journal, run_id)
    found = rows(session, summary)
    assert (found[ENG].state, found[ALL].state) == (State.CHANGED, State.CHANGED)
    assert held_org.fake.applied.count(ENG) == 1 and held_org.fake.applied.count(ALL) == 1
    assert summary.status is RunStatus.COMPLETE and summary.held == []


def test_a_dependent_of_a_dependent_is_held_too_and_runs_after_it(held_org, session):
    welcome = "fake:after:after:ui-only:eng:welcome"
    run_id = expel(session, held_org, ["ui-only", "after:ui-only:eng", "after:after:ui-only:eng:welcome"]).run.id
    found = rows(session, summarize(session.journal, run_id))
    assert (found[welcome].state, found[welcome].detail) == (Progress.HELD, f"waits for: {STEP}")

    done_by_hand(held_org, "ui-only")
    assert refresh(session, run_id) == 1
    assert held_org.fake.applied[-2:] == [ENG, welcome]
    assert summarize(session.journal, run_id).status is RunStatus.COMPLETE


def test_a_step_closed_at_once_lets_its_dependents_run_in_the_same_execute(held_org, session):
    held_org.fake.fault("fake:ui-only", "done")  # a person did it just before the run reached it
    summary = expel(session, held_org, ["session", "ui-only", "after:ui-only:eng", "after:after:ui-only:eng:welcome"])
    found = rows(session, summary)
    assert found["fake:ui-only"].state is State.OK
    assert {found[id].state for id in (ENG, "fake:after:after:ui-only:eng:welcome")} == {State.CHANGED}
    assert held_org.fake.applied.index("fake:ui-only") < held_org.fake.applied.index(ENG)
    assert summary.status is RunStatus.COMPLETE


def test_a_step_confirmed_by_a_person_leaves_the_run_interrupted_and_resume_runs_what_it_held(held_org, session):
    after = "fake:after:by-hand:eng"
    run_id = expel(session, held_org, ["session", "by-hand", "after:by-hand:eng"]).run.id
    assert rows(session, summarize(session.journal, run_id))[after].state is Progress.HELD
    assert unfinished_run(session.journal) is None

    _, closed = confirm_step(session.journal, run_id, ConfirmRequest("by-hand", "Alice"))
    assert closed and after not in held_org.fake.applied  # confirming runs nothing: there are no connectors
    assert summarize(session.journal, run_id).status is RunStatus.INTERRUPTED
    assert unfinished_run(session.journal, "m042") == get_run(session.journal, run_id)
    assert is_interrupted(session.journal, run_id)

    resumed = operations.resume(session, run_id)
    assert resumed.run is not None and resumed.run.status is RunStatus.COMPLETE
    assert rows(session, resumed.run)[after].state is State.CHANGED
    assert held_org.fake.applied.count(after) == 1


def test_a_held_run_is_shown_with_what_it_waits_for(held_org, session, cli):
    run_id = expel(session, held_org, ["ui-only", "after:ui-only:eng"]).run.id
    code, out, _ = cli("status", run_id)
    assert code == 3
    assert f"held     fake         Invite to eng (waits for: {STEP})" in out
    code, out, _ = cli("status")
    assert f"held: {ENG}: Invite to eng (waits for {STEP})" in out
    report = sorted((held_org.root / ".offboard" / "reports").glob("*.md"))[-1].read_text()
    assert "1 change held until a person's step is done" in report
    assert f"- Fake System: Invite to eng: offboard does this itself once “{STEP}” is done.\n" in report


# -- the engine alone


def manual(id: str) -> Action:
    return replace(action(id, Phase.MANUAL), manual=ManualStep(id, self_closing=True))


class Waiting(Recorder):
    """Manual steps stay open: a person has not done them yet."""

    def apply(self, action: Action) -> Outcome:
        super().apply(action)
        return Outcome.manual() if action.phase is Phase.MANUAL else Outcome.changed()


def test_a_held_action_is_not_recorded_again_while_its_step_stays_open_and_runs_through_apply_once_closed(tmp_path):
    connector = Waiting(slots=1)
    journal = Journal(tmp_path / "journal.sqlite3")
    plan = [action("cut", Phase.CUT), manual("restore"), action("invite", Phase.CLEAN, ("restore",)),
            action("group", Phase.CLEAN)]
    journal.create_run("r1", "reinstate", "m042", "Bob", "carol", {}, [("s", a) for a in plan])
    engine = Engine(journal, {"s": connector}, RetryPolicy(sleep=lambda s: None))
    engine.execute("r1", fresh=True)
    assert connector.starts() == ["cut", "group", "restore"]  # the manual rule does not wait for its own dependent
    first = {r.action.id: r for r in journal.actions("r1")}["invite"]
    assert (first.state, first.detail) == (Progress.HELD, "waits for: restore")

    engine.execute("r1", fresh=True)  # still open: left as it is
    assert connector.starts() == ["cut", "group", "restore"]
    assert {r.action.id: r for r in journal.actions("r1")}["invite"] == first

    journal.record_outcome("r1", "s", "restore", State.CHANGED, attempts=0, detail="done")
    engine.execute("r1", fresh=True)
    assert connector.starts()[-1] == "invite" and "invite" not in connector.planned  # planned earlier: apply
    assert {r.action.id: r.state for r in journal.actions("r1")}["invite"] is State.CHANGED
    journal.close()


def test_a_step_carried_over_to_a_new_run_takes_what_it_held_with_it(held_org, session):
    access = ["ui-only", "after:ui-only:eng"]
    first = expel(session, held_org, access)
    second = expel(session, held_org, access)  # the step is handed over: the new run waits for it
    left = rows(session, summarize(session.journal, first.run.id))[ENG]
    assert (left.state, left.detail) == (State.SKIPPED, f"not sent: the step it waits for was carried over to run "
                                                         f"{second.run.id}")
    assert summarize(session.journal, first.run.id).status is RunStatus.COMPLETE
    assert rows(session, second)[ENG].state is Progress.HELD and unfinished_run(session.journal) is None
    assert ENG not in held_org.fake.applied
