"""offboard doctor: the config, the roster, the state folder, and each connector with the endpoints it overrides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from offboard.connectors.google_workspace.emulator import GoogleEmulator, seeded_emulator
from offboard.connectors.slack.emulator import SlackEmulator

from tests.conftest import CONFIG

ADVICE = "use https, or for an emulator on this machine (127.0.0.1, ::1, localhost) set insecure_endpoint = true"


@pytest.fixture
def emulators(org, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GoogleEmulator, SlackEmulator]]:
    google = seeded_emulator("example.org").start()
    slack = SlackEmulator(plan="business+").start()
    google.write_key_file(org.root / "secrets" / "sa.json")
    monkeypatch.setenv("SLACK_ADMIN_TOKEN", slack.admin_token)
    try:
        yield google, slack
    finally:
        google.stop()
        slack.stop()


def configure(org, google: GoogleEmulator, slack: SlackEmulator, google_extra: str = "insecure_endpoint = true\n",
              slack_extra: str = "insecure_endpoint = true\n") -> None:
    org.write("offboard.toml", CONFIG
              + f'\n[connectors.google]\nservice_account_file = "secrets/sa.json"\nadmin = "admin@example.org"\n'
              f'api_endpoint = "{google.url}"\n{google_extra}'
              f'\n[connectors.slack]\nscim = true\nbase_url = "{slack.url}/api/"\nscim_base_url = "{slack.url}/scim/v2/"\n'
              f"{slack_extra}")


def test_doctor_states_each_overridden_endpoint(org, cli, emulators) -> None:
    google, slack = emulators
    configure(org, google, slack)
    assert cli("doctor") == (0, (
        f"Config:  {org.root}/offboard.toml\n"
        f"Roster:  {org.root}/roster.csv (4 members)\n"
        f"State:   {org.root}/.offboard\n"
        "Signing: not configured (run offboard keygen)\n"
        "fake       ok\n"
        "google     ok\n"
        f"  endpoint: api_endpoint = {google.url} (insecure, loopback emulator)\n"
        f"  endpoint: token_uri = {google.url}/token (insecure, loopback emulator)\n"
        "slack      ok\n"
        f"  endpoint: base_url = {slack.url}/api/ (insecure, loopback emulator)\n"
        f"  endpoint: scim_base_url = {slack.url}/scim/v2/ (insecure, loopback emulator)\n"), "")


def test_doctor_states_nothing_more_for_a_connector_without_overrides(org, cli) -> None:
    code, out, err = cli("doctor")
    assert (code, err) == (0, "")
    assert out.endswith("fake       ok\n")
    assert "endpoint" not in out


def test_doctor_refuses_a_plain_http_endpoint_in_one_line(org, cli, emulators) -> None:
    google, slack = emulators
    configure(org, google, slack, slack_extra="")
    assert cli("doctor") == (1, "", f"Error: offboard.toml: [connectors.slack] base_url '{slack.url}/api/' is plain http: "
                                    f"{ADVICE}; [connectors.slack] scim_base_url '{slack.url}/scim/v2/' is plain http: {ADVICE}\n")
    assert slack.requests() == [] and google.requests() == []


def test_doctor_names_a_plain_http_token_uri_as_googles_problem(org, cli, emulators) -> None:
    google, slack = emulators
    configure(org, google, slack)
    key = org.root / "secrets" / "sa.json"
    key.write_text(key.read_text().replace(f"{google.url}/token", "http://oauth.example/token"))
    code, out, err = cli("doctor")
    assert (code, err) == (1, "")
    assert (f"google     PROBLEMS\n  endpoint: api_endpoint = {google.url} (insecure, loopback emulator)\n"
            f"  - service account key file {key}: token_uri 'http://oauth.example/token' is plain http to oauth.example, "
            "which is not this machine: use https (insecure_endpoint = true allows plain http only to 127.0.0.1, ::1, "
            "localhost)\nslack      ok\n") in out
    assert google.requests(path_contains="/token") == []


def test_doctor_says_a_state_folder_others_may_write_to(org, cli) -> None:
    state = org.root / ".offboard"
    state.mkdir(mode=0o700)
    state.chmod(0o777)
    code, out, err = cli("doctor")
    assert (code, err) == (1, "")
    assert (f"State:   {state}\n  - state folder {state} is writable by others (mode 0777): run chmod 700 {state}\n"
            "Signing: ") in out
