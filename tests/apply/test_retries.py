"""Transient and permanent errors: what is retried, how long it waits, and that the run carries on."""

from __future__ import annotations

from offboard import operations
from offboard.apply.journal import ActionRow
from offboard.apply.runs import Failure, RunSummary
from offboard.apply.states import RunStatus
from offboard.spi import State


def expel(session) -> RunSummary:
    result = operations.expel(session, operations.ExpelRequest("m042", "test", yes=True, unsigned=True))
    assert result.run is not None
    return result.run


def rows(session, summary: RunSummary) -> dict[str, ActionRow]:
    return {r.action.id: r for r in session.journal.actions(summary.run.id)}


def test_throttling_is_retried_honouring_retry_after(org, session, sleeps):
    org.fake.fault("fake:suspend", "retriable:7", "retriable:7")
    suspend = rows(session, expel(session))["fake:suspend"]
    assert (suspend.state, suspend.attempts) == (State.CHANGED, 3)
    assert len(sleeps) == 2 and all(wait >= 7 for wait in sleeps)
    assert org.fake.effects.count("fake:suspend") == 1


def test_a_retriable_error_that_never_clears_fails_after_the_budget_and_the_run_goes_on(org, session, sleeps):
    org.fake.fault("fake:group:eng", *["retriable"] * 10)
    summary = expel(session)
    eng = rows(session, summary)["fake:group:eng"]
    assert summary.status is RunStatus.FAILED and summary.exit_code == 2
    assert (eng.state, eng.attempts, eng.last_error) == (State.FAILED, 6, "retriable: 429 Too Many Requests")
    assert summary.failures == [Failure("fake", "Remove from eng", "retriable: 429 Too Many Requests")]
    assert set(org.fake.effects) == {"fake:session", "fake:suspend", "fake:group:board", "fake:group:all"}


def test_permanent_errors_are_not_retried(org, session, sleeps):
    org.fake.fault("fake:session", "auth")
    org.fake.fault("fake:group:all", "fatal")
    summary = expel(session)
    found = rows(session, summary)
    assert summary.exit_code == 2
    assert found["fake:session"].attempts == 1
    assert found["fake:session"].last_error == "auth: token lacks the admin scope: grant it in the admin console"
    assert found["fake:group:all"].last_error == "fatal: 400 invalid request"
    assert sleeps == []
    # a failed sign-out does not hold back the suspension that depends on it
    assert found["fake:suspend"].state is State.CHANGED


def test_a_connector_bug_fails_one_action_not_the_run(org, session):
    org.fake.fault("fake:group:board", "crash")
    found = rows(session, expel(session))
    assert found["fake:group:board"].last_error == "internal error in connector: KeyError: 'bug'"
    assert found["fake:group:eng"].state is State.CHANGED


def test_on_failure_stop_skips_what_has_not_started(org, session):
    org.write("playbooks/test.yaml", "name: t\nsteps:\n  - connector: fake\n    on_failure: stop\n")
    org.fake.fault("fake:session", "fatal")
    found = rows(session, expel(session))
    assert found["fake:session"].state is State.FAILED
    skipped = [r for r in found.values() if r.state is State.SKIPPED]
    assert skipped and all(r.detail == "not started: a step of fake failed and the playbook says on_failure: stop"
                           for r in skipped)
    assert not set(org.fake.effects) & {r.action.id for r in skipped}


def test_expel_again_after_a_failure_plans_anew_and_does_only_what_is_left(org, session):
    org.fake.fault("fake:group:eng", "fatal")
    first = expel(session)
    assert first.status is RunStatus.FAILED
    again = expel(session)
    assert again.run.id != first.run.id
    assert again.counts["fake"] == {State.CHANGED: 1}
    assert org.fake.effects.count("fake:group:eng") == 1


def test_resume_of_a_failed_run_tries_only_what_failed_after_a_look(org, session):
    org.fake.fault("fake:group:eng", "fatal")
    first = expel(session)
    finished = operations.resume(session, first.run.id).run
    assert finished is not None and finished.run.id == first.run.id
    assert finished.counts["fake"] == {State.CHANGED: 5}
    eng = rows(session, finished)["fake:group:eng"]
    assert (eng.state, eng.last_error) == (State.CHANGED, None)
    assert org.fake.effects.count("fake:group:eng") == 1 and len(session.journal.runs()) == 1
