"""Transient and permanent errors: what is retried, how long it waits, and that the run carries on."""

from __future__ import annotations

import json


def actions_by_id(cli, run_id: str) -> dict[str, dict]:
    _, out, _ = cli("status", run_id, "--json")
    return {a["id"]: a for a in json.loads(out)["actions"]}


def run(cli, *extra: str) -> tuple[int, dict]:
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json", *extra)
    return code, json.loads(out)


def test_throttling_is_retried_honouring_retry_after(org, cli, sleeps):
    org.fake.fault("fake:suspend", "retriable:7", "retriable:7")
    _code, summary = run(cli)
    actions = actions_by_id(cli, summary["run_id"])
    assert actions["fake:suspend"]["state"] == "changed"
    assert actions["fake:suspend"]["attempts"] == 3
    assert len(sleeps) == 2 and all(wait >= 7 for wait in sleeps)
    assert org.fake.effects.count("fake:suspend") == 1


def test_a_retriable_error_that_never_clears_fails_after_the_budget_and_the_run_goes_on(org, cli, sleeps):
    org.fake.fault("fake:group:eng", *["retriable"] * 10)
    code, summary = run(cli)
    actions = actions_by_id(cli, summary["run_id"])
    assert code == 2
    assert summary["status"] == "failed"
    assert actions["fake:group:eng"]["state"] == "failed"
    assert actions["fake:group:eng"]["attempts"] == 6
    assert actions["fake:group:eng"]["last_error"] == "retriable: 429 Too Many Requests"
    assert summary["failed"] == [{"system": "fake", "action": "Remove from eng", "error": "retriable: 429 Too Many Requests"}]
    assert {a for a in org.fake.effects} == {"fake:session", "fake:suspend", "fake:group:board", "fake:group:all"}


def test_permanent_errors_are_not_retried(org, cli, sleeps):
    org.fake.fault("fake:session", "auth")
    org.fake.fault("fake:group:all", "fatal")
    code, summary = run(cli)
    actions = actions_by_id(cli, summary["run_id"])
    assert code == 2
    assert actions["fake:session"]["attempts"] == 1
    assert actions["fake:session"]["last_error"] == "auth: token lacks the admin scope: grant it in the admin console"
    assert actions["fake:group:all"]["last_error"] == "fatal: 400 invalid request"
    assert sleeps == []
    # a failed sign-out does not hold back the suspension that depends on it
    assert actions["fake:suspend"]["state"] == "changed"


def test_a_connector_bug_fails_one_action_not_the_run(org, cli):
    org.fake.fault("fake:group:board", "crash")
    _code, summary = run(cli)
    actions = actions_by_id(cli, summary["run_id"])
    assert actions["fake:group:board"]["last_error"] == "internal error in connector: KeyError: 'bug'"
    assert actions["fake:group:eng"]["state"] == "changed"


def test_on_failure_stop_skips_what_has_not_started(org, cli):
    org.write("playbooks/test.yaml", "name: t\nsteps:\n  - connector: fake\n    on_failure: stop\n")
    org.fake.fault("fake:session", "fatal")
    _code, summary = run(cli)
    actions = actions_by_id(cli, summary["run_id"])
    assert actions["fake:session"]["state"] == "failed"
    skipped = [a for a in actions.values() if a["state"] == "skipped"]
    assert skipped and all(a["detail"] == "not started: a step of fake failed and the playbook says on_failure: stop"
                           for a in skipped)
    assert org.fake.effects == [e for e in org.fake.effects if e not in {a["id"] for a in skipped}]


def test_running_again_after_a_failure_only_does_what_is_left(org, cli):
    org.fake.fault("fake:group:eng", "fatal")
    run(cli)
    _code, summary = run(cli)
    assert summary["systems"]["fake"]["counts"] == {"changed": 1}
    assert org.fake.effects.count("fake:group:eng") == 1
