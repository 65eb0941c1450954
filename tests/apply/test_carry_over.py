"""A person's confirmation is never asked twice: a new run of the member carries manual steps over."""

from __future__ import annotations

from offboard import operations
from offboard.apply.states import RunStatus
from offboard.spi import State
from tests.apply.test_retries import expel, rows

STEP = "bank:remove-signer"


def confirm(session, run_id: str, by: str):
    return operations.confirm(session, run_id, operations.ConfirmRequest(STEP, by, reference="bank case 7"))


def test_a_step_closed_in_an_earlier_run_is_closed_in_the_next_naming_that_run(org, session):
    first = expel(session)
    confirm(session, first.run.id, "Alice")
    assert confirm(session, first.run.id, "Bob").closed
    org.fake.add_user("bob@example.org", ["group:added-back"])  # access granted again: the CC expels again

    second = expel(session)
    assert second.run.id != first.run.id
    step = rows(session, second)[STEP]
    assert step.state is State.CHANGED
    assert step.detail == f"done, confirmed by Alice and Bob (in run {first.run.id})"
    assert second.status is RunStatus.COMPLETE and second.manual == []


def test_a_step_still_waiting_is_handed_over_with_its_first_confirmation(org, session):
    first = expel(session)
    confirm(session, first.run.id, "Alice")  # one of the two confirmers

    second = expel(session)
    handed = rows(session, second)[STEP]
    assert (handed.state, handed.detail) == (State.MANUAL, "confirmed by Alice; waiting for a second confirmer")
    left = rows(session, first)[STEP]
    assert (left.state, left.detail) == (State.SKIPPED, f"carried over to run {second.run.id}")
    earlier = operations.status(session, first.run.id)
    assert earlier.summary.status is RunStatus.COMPLETE and len(earlier.summary.reports) == 2  # its report says so

    assert confirm(session, second.run.id, "Bob").closed  # only the second confirmer is still asked
    assert operations.status(session, second.run.id).summary.status is RunStatus.COMPLETE
