"""``ConnectorContext.read``: the engine's retry of one read, so that a plan survives what an apply survives.

A discovery reads 20 lists and more. Retried as one unit, one failure in five made it fail
nearly always; each read is now retried on its own (same budget rules as an action, honouring
``Retry-After``), and a read that spent its budget is not started over by what encloses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator, seeded_emulator
from offboard.connectors.slack import SlackConnector
from offboard.connectors.slack.emulator import SlackEmulator

from offboard.apply.retry import RetryPolicy, call_with_retries, retried_read
from offboard.plans.discovery import discover_system
from offboard.plans.playbook import Step
from offboard.spi import ConnectorContext, Member, RetriableError

DOMAIN = "example.org"
ANN = Member("m-001", "Ann Lee", f"ann.lee@{DOMAIN}")
POLICY = RetryPolicy(max_attempts=3)


def engine_context(tmp_path: Path, environ: dict[str, str] | None = None,
                   policy: RetryPolicy = POLICY) -> ConnectorContext:
    """What ``Session.context`` hands a connector: reads retried by the engine under ``policy``."""
    return ConnectorContext("Example", DOMAIN, tmp_path, environ or {},
                            retrying=lambda read: retried_read(read, policy))


def failing(*answers: object) -> Callable[[], object]:
    """A read that raises or answers each of ``answers`` in turn; ``calls`` counts them."""
    queue = list(answers)

    def read() -> object:
        read.calls += 1  # type: ignore[attr-defined]
        answer = queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    read.calls = 0  # type: ignore[attr-defined]
    return read


# ---------------------------------------------------------------- the context and the retry


def test_a_context_built_without_the_engine_tries_each_read_once(tmp_path: Path) -> None:
    read = failing(RetriableError("429", retry_after=3))
    with pytest.raises(RetriableError):
        ConnectorContext("Example", DOMAIN, tmp_path, {}).read(read)
    assert read.calls == 1  # type: ignore[attr-defined]


def test_the_sessions_context_retries_one_read_honouring_retry_after(session, sleeps: list[float]) -> None:
    from tests.fakes import FakeConnector

    read = failing(RetriableError("429", retry_after=7), RetriableError("503"), "answer")
    assert session.context(FakeConnector).read(read) == "answer"
    assert read.calls == 3  # type: ignore[attr-defined]
    assert len(sleeps) == 2 and sleeps[0] >= 7


def test_a_read_that_spent_its_budget_is_not_started_over_by_what_encloses_it(sleeps: list[float]) -> None:
    read = failing(*[RetriableError("503")] * 9)
    attempted = call_with_retries(lambda: retried_read(read, POLICY), POLICY)  # an action, a discovery
    assert isinstance(attempted.error, RetriableError)
    assert (read.calls, attempted.attempts) == (3, 1)  # type: ignore[attr-defined]  # not 3 x 3


def test_a_failure_that_no_read_retried_is_still_retried_by_what_encloses_it(sleeps: list[float]) -> None:
    read = failing(RetriableError("503"), "answer")
    attempted = call_with_retries(read, POLICY)  # a connector that does not wrap its reads
    assert (attempted.value, attempted.attempts) == ("answer", 2)


def test_reads_retry_side_by_side_from_many_threads(tmp_path: Path, sleeps: list[float]) -> None:
    context = engine_context(tmp_path)
    reads = [failing(RetriableError("429"), i) for i in range(8)]
    results: dict[int, object] = {}

    def run(i: int) -> None:
        results[i] = context.read(reads[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: i for i in range(8)}
    assert len(sleeps) == 8


# ---------------------------------------------------------------- Google: each list read again on its own


@pytest.fixture
def google(tmp_path: Path) -> Iterator[GoogleEmulator]:
    emulator = seeded_emulator(DOMAIN, [ANN]).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def google_connector(emulator: GoogleEmulator, tmp_path: Path) -> GoogleWorkspaceConnector:
    emulator.write_key_file(tmp_path / "sa.json")
    return GoogleWorkspaceConnector({"service_account_file": "sa.json", "admin": f"admin@{DOMAIN}",
                                     "api_endpoint": emulator.url, "insecure_endpoint": True,
                                     "transfer_to": f"archive@{DOMAIN}"}, engine_context(tmp_path))


def test_google_discovery_reads_again_only_the_list_that_failed(google: GoogleEmulator, tmp_path: Path,
                                                               sleeps: list[float]) -> None:
    connector = google_connector(google, tmp_path)
    google.faults.script_match = "/tokens"  # resolve already sends the lists that need only the email
    google.faults.script.extend(["429", "503"])
    try:
        account = connector.resolve(ANN)
        assert account is not None
        actions = connector.discover(account)
    finally:
        connector.close()
    assert any(a.kind == "token" for a in actions)
    assert [r.status for r in google.requests(path_contains="/tokens")] == [429, 503, 200]
    assert len(google.requests(path_contains="/asps")) == 1  # the other lists were not read again
    assert len([r for r in google.log if r.path.endswith("/v1/groups")]) == 1
    assert len(sleeps) == 2


def test_a_read_that_spends_its_budget_fails_that_systems_discovery_once(google: GoogleEmulator, tmp_path: Path,
                                                                        sleeps: list[float]) -> None:
    connector = google_connector(google, tmp_path)
    google.faults.script_match = "/asps"
    google.faults.script.extend(["503"] * 9)
    try:
        plan = discover_system(Step("google", "google"), connector, ANN, POLICY)
    finally:
        connector.close()
    assert plan.error and plan.note is not None and "listing app passwords" in plan.note
    assert len(google.requests(path_contains="/asps")) == 3  # one read's budget, not three discoveries' worth
    assert len(google.requests(path_contains="/tokens")) == 1


# ---------------------------------------------------------------- Slack: each page read again on its own


def test_slack_discovery_reads_again_only_the_page_that_failed(tmp_path: Path, sleeps: list[float]) -> None:
    emulator = SlackEmulator(plan="business+", enforce_rate_limits=False).start()
    try:
        with emulator.lock:
            uid = emulator.workspace.add_user("ann", ANN.email, ANN.name)
            for i in range(3):
                emulator.workspace.add_channel(f"private-{i}", private=True, members={uid, emulator.admin_id})
        context = engine_context(tmp_path, {"SLACK_ADMIN_TOKEN": emulator.admin_token})
        connector = SlackConnector({"scim": True, "base_url": f"{emulator.url}/api/",
                                    "scim_base_url": f"{emulator.url}/scim/v2/", "insecure_endpoint": True}, context)
        account = connector.resolve(ANN)
        assert account is not None
        emulator.clear_log()
        emulator.faults.script_match = "users.conversations"
        emulator.faults.script.extend(["429", "reset"])
        actions = connector.discover(account)
    finally:
        emulator.stop()
    assert [a.kind for a in actions if a.kind == "deactivate"] == ["deactivate"]
    assert len(actions[0].before["private_channels"]) == 3
    assert [r.status for r in emulator.requests(path_contains="users.conversations")] == [429, 0, 200]
    assert len(emulator.requests(path_contains="users.info")) == 1
    assert len(sleeps) == 2
