"""Lost answers: slack-sdk sends each request once (``retry_handlers=[]``; urllib never re-sends).

The emulator's ``drop`` fault makes the change, then closes the connection without an answer.
The SDK raises at once, the engine retries the action, and the action looks before it acts.
"""

from __future__ import annotations

from offboard.connectors.slack.emulator import SlackEmulator

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import RetriableError, State
from tests.connectors.slack.conftest import ALICE, connect


def test_a_deactivation_whose_answer_is_lost_is_sent_once_and_seen_done_by_the_retry(
        emulator: SlackEmulator, sleeps: list[float]) -> None:
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    connector = connect(emulator)
    deactivate = next(a for a in connector.discover(connector.resolve(ALICE)) if a.kind == "deactivate")
    emulator.faults.script_match, emulator.faults.script_method = f"/Users/{uid}", "DELETE"
    emulator.faults.script.append("drop")
    attempts: list[BaseException] = []

    def apply() -> object:
        try:
            return connector.apply_planned(deactivate)
        except RetriableError as exc:
            attempts.append(exc)
            raise

    attempted = call_with_retries(apply, RetryPolicy())  # the engine's retry of the action
    assert len(attempts) == 1 and "deactivate user" in str(attempts[0])
    assert attempted.value is not None and attempted.value.state is State.OK  # the retry saw it done
    assert [r.dropped for r in emulator.requests("DELETE", f"/Users/{uid}")] == [True]  # sent once, no hidden re-send
    with emulator.lock:
        assert emulator.workspace.users[uid]["deleted"] is True
