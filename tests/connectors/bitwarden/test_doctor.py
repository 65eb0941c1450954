"""``offboard doctor``: each problem as one sentence with its fix, and nothing written while finding out."""

from __future__ import annotations

from offboard.connectors.bitwarden.emulator import BitwardenEmulator

from tests.connectors.bitwarden.conftest import Make, connect, seed


def test_a_working_key_on_a_current_server_has_no_problem(emulator: BitwardenEmulator) -> None:
    seed(emulator)
    assert connect(emulator).test_connection() == []
    assert [r.path for r in emulator.log] == ["/identity/connect/token", "/api/public/members",
                                              "/api/public/members/00000000-0000-0000-0000-000000000000/revoke"]
    assert emulator.writes() == []


def test_an_old_server_is_named_with_its_version_and_what_the_option_does(make_emulator: Make) -> None:
    emulator = make_emulator(old_server=True)
    assert connect(emulator).test_connection() == [
        "this Bitwarden server (version 2025.12.1) is too old to revoke members through its API (revoke and restore came "
        "with server 2026.2.0): update it. Until then offboard asks a person to revoke each member in the Admin Console; "
        "with the playbook option remove_if_no_revoke: true it removes them from the organization instead, which cannot "
        "be undone (they would have to be invited again)"]
    assert emulator.writes() == []


def test_credentials_problems_come_first_and_alone(emulator: BitwardenEmulator) -> None:
    assert connect(emulator, environ={}).test_connection() == [
        "environment variable BW_CLIENT_ID is not set: export it with the credential"]
    wrong = {"BW_CLIENT_ID": emulator.client_id, "BW_CLIENT_SECRET": "nope"}
    (problem,) = connect(emulator, environ=wrong).test_connection()
    assert problem.startswith("Bitwarden's identity server refused the organization API key (invalid_client)")
    assert "nope" not in problem
    emulator.org.use_api = False
    (disabled,) = connect(emulator).test_connection()
    assert "or the organization may not use the API" in disabled


def test_an_api_url_that_is_not_the_api_is_named(make_emulator: Make) -> None:
    emulator = make_emulator()
    (problem,) = connect(emulator, api_url=f"{emulator.url}/web", identity_url=f"{emulator.url}/identity").test_connection()
    assert problem == (f"there is no Bitwarden Public API at {emulator.url}/web (HTTP 404 for /public/members): check "
                       "api_url (https://api.bitwarden.com, https://api.bitwarden.eu, or https://HOST/api for a "
                       "self-hosted server)")
