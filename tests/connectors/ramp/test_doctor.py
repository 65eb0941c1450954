"""``offboard doctor`` for Ramp: every problem one sentence with its fix, found without changing anything."""

from __future__ import annotations

from collections.abc import Callable

from offboard.connectors.ramp.emulator import RampEmulator

from tests.connectors.ramp.conftest import connect

SCOPE_FIX = ("in Ramp, open Company > Developer (on older accounts Settings > Developer API), select offboard's app and "
             "enable {scopes} under Scopes (Configure allowed scopes); the next token offboard asks for carries it")


def test_a_client_that_can_do_the_job_has_no_problem(emulator: RampEmulator) -> None:
    assert connect(emulator).test_connection() == []
    assert emulator.writes() == []


def test_missing_scopes_from_the_tokens_scope(emulator: RampEmulator) -> None:
    client_id, secret = emulator.issue_client(scopes=["users:read", "cards:read"])
    problems = connect(emulator, environ={"RAMP_CLIENT_ID": client_id, "RAMP_CLIENT_SECRET": secret}).test_connection()
    assert problems == ["offboard's Ramp API client lacks the scopes users:write cards:write: "
                        + SCOPE_FIX.format(scopes="users:write cards:write")]
    assert emulator.writes() == []


def test_missing_scopes_found_by_reading_when_the_token_does_not_say(make_emulator: Callable[..., RampEmulator]) -> None:
    """Ramp may issue the token without a ``scope``: the doctor then asks, read-only, what the token may do."""
    emulator = make_emulator(report_scope=False)
    client_id, secret = emulator.issue_client(scopes=["users:read", "users:write"])
    problems = connect(emulator, environ={"RAMP_CLIENT_ID": client_id, "RAMP_CLIENT_SECRET": secret}).test_connection()
    assert problems == ["offboard's Ramp API client lacks the scopes cards:read cards:write: "
                        + SCOPE_FIX.format(scopes="cards:read cards:write")]
    probes = [r.path for r in emulator.requests("GET", "/deferred/status/")]
    assert probes == ["/developer/v1/users/deferred/status/00000000-0000-4000-8000-000000000000",
                      "/developer/v1/cards/deferred/status/00000000-0000-4000-8000-000000000000"]
    assert emulator.writes() == []


def test_credentials_that_do_not_work(emulator: RampEmulator) -> None:
    problems = connect(emulator, environ={"RAMP_CLIENT_ID": "ramp_id_x", "RAMP_CLIENT_SECRET": "ramp_sec_y"}).test_connection()
    assert len(problems) == 1 and problems[0].startswith("Ramp refused the API client's credentials (HTTP 401")
    assert "ramp_sec_y" not in problems[0]
    assert connect(emulator, environ={}).test_connection() == [
        "environment variable RAMP_CLIENT_ID is not set: export it with the credential"]


def test_a_client_without_the_client_credentials_grant(emulator: RampEmulator) -> None:
    client_id, secret = emulator.issue_client(grants=["authorization_code"])
    (problem,) = connect(emulator, environ={"RAMP_CLIENT_ID": client_id, "RAMP_CLIENT_SECRET": secret}).test_connection()
    assert problem.startswith("Ramp refused the API client's credentials (HTTP 400, DEVELOPER_7001, The grant type "
                              "client_credentials is not allowed for this application): check that RAMP_CLIENT_ID and "
                              "RAMP_CLIENT_SECRET hold the client id and secret of an app with the Client Credentials grant")


def test_ramp_down_is_said_as_such(emulator: RampEmulator) -> None:
    connector = connect(emulator, engine=False)
    connector.api.token()
    emulator.faults.script_match = "/developer/v1/users"
    emulator.faults.script.append("503")
    assert connector.test_connection() == [
        "Ramp could not list users for now (HTTP 503, DEVELOPER_7500, An internal error occurred)"]
