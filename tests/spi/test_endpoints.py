"""Endpoint overrides: https, or plain http only to an emulator on this machine with insecure_endpoint = true."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator
from offboard.connectors.slack import SlackConnector

from offboard.spi import AuthError, ConfigError, ConnectorContext, Member, check_endpoint
from offboard.spi.endpoints import is_loopback

ADVICE = "use https, or for an emulator on this machine (127.0.0.1, ::1, localhost) set insecure_endpoint = true"
ONLY_HERE = "(insecure_endpoint = true allows plain http only to 127.0.0.1, ::1, localhost)"
BOB = Member("m042", "Bob Example", "bob@example.org")


def context(base_dir: Path = Path(".")) -> ConnectorContext:
    return ConnectorContext("Example Org", "example.org", base_dir, {"SLACK_ADMIN_TOKEN": "xoxp-1"})


# ---------------------------------------------------------------- the shared check


@pytest.mark.parametrize("url", ["", "https://slack.example/api/", "HTTPS://proxy.example:8443/"])
def test_https_and_no_override_pass_as_they_are(url: str) -> None:
    assert check_endpoint(url, False, "[connectors.x] base_url") == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:5555/api/", "http://127.8.9.10/", "http://[::1]:5555/",
                                 "http://localhost:5555/", "http://LOCALHOST/"])
def test_plain_http_to_this_machine_passes_with_insecure_endpoint(url: str) -> None:
    assert check_endpoint(url, True, "[connectors.x] base_url") == url


def test_plain_http_to_this_machine_is_refused_without_insecure_endpoint() -> None:
    with pytest.raises(ConfigError) as caught:
        check_endpoint("http://127.0.0.1:5555/api/", False, "[connectors.slack] base_url")
    assert str(caught.value) == f"[connectors.slack] base_url 'http://127.0.0.1:5555/api/' is plain http: {ADVICE}"


@pytest.mark.parametrize("url", ["http://slack.example/api/", "http://10.0.0.1/", "http://127.0.0.1.evil.example/",
                                 "http://localhost.evil.example/", "http://[::2]/", "http://0.0.0.0/"])
def test_plain_http_to_another_host_is_refused_even_with_insecure_endpoint(url: str) -> None:
    with pytest.raises(ConfigError, match=r"is plain http to .*, which is not this machine: use https"):
        check_endpoint(url, True, "[connectors.x] base_url")
    with pytest.raises(ConfigError, match="is plain http: use https"):
        check_endpoint(url, False, "[connectors.x] base_url")


@pytest.mark.parametrize("url", ["127.0.0.1:5555/api/", "ftp://files.example/", "https://", "http://[::1/"])
def test_what_is_not_a_web_address_is_refused(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_endpoint(url, True, "[connectors.x] base_url")
    assert str(caught.value) == f"[connectors.x] base_url {url!r} is not a web address: give a URL such as https://host/path/"


def test_loopback_is_127_8_the_ipv6_loopback_and_localhost() -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "127.255.0.1", "::1", "[::1]", "localhost", "localhost.")] == [True] * 6
    assert [is_loopback(h) for h in ("128.0.0.1", "::", "example.org", "localhost.example", "")] == [False] * 5


# ---------------------------------------------------------------- each connector checks its overrides when built


def test_google_api_endpoint_over_plain_http_is_refused(tmp_path: Path) -> None:
    table = {"service_account_file": "sa.json", "admin": "admin@example.org", "api_endpoint": "http://127.0.0.1:5555"}
    with pytest.raises(ConfigError) as caught:
        GoogleWorkspaceConnector(table, context(tmp_path))
    assert str(caught.value) == f"[connectors.google] api_endpoint 'http://127.0.0.1:5555' is plain http: {ADVICE}"


def test_google_reports_a_plain_http_endpoint_with_its_other_problems(tmp_path: Path) -> None:
    table = {"service_account_file": "sa.json", "admin": "admin", "api_endpoint": "http://google.example/"}
    with pytest.raises(ConfigError) as caught:
        GoogleWorkspaceConnector(table, context(tmp_path))
    assert str(caught.value) == ("[connectors.google]: 'admin' must be an email address, not 'admin'; "
                                 f"[connectors.google] api_endpoint 'http://google.example/' is plain http: {ADVICE}")


def test_slack_base_url_over_plain_http_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        SlackConnector({"base_url": "http://slack.example/api/"}, context())
    assert str(caught.value) == f"[connectors.slack] base_url 'http://slack.example/api/' is plain http: {ADVICE}"


def test_slack_scim_base_url_over_plain_http_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        SlackConnector({"scim": True, "scim_base_url": "http://127.0.0.1:5555/scim/v2/"}, context())
    assert str(caught.value) == f"[connectors.slack] scim_base_url 'http://127.0.0.1:5555/scim/v2/' is plain http: {ADVICE}"


def test_slack_names_both_endpoints_at_once_and_insecure_endpoint_does_not_reach_other_hosts() -> None:
    with pytest.raises(ConfigError) as caught:
        SlackConnector({"base_url": "http://slack.example/api/", "scim_base_url": "http://scim.example/v2/",
                        "insecure_endpoint": True}, context())
    assert str(caught.value) == (
        f"[connectors.slack] base_url 'http://slack.example/api/' is plain http to slack.example, which is not this "
        f"machine: use https {ONLY_HERE}; [connectors.slack] scim_base_url 'http://scim.example/v2/' is plain http to "
        f"scim.example, which is not this machine: use https {ONLY_HERE}")


def test_loopback_endpoints_with_insecure_endpoint_are_accepted_and_listed(tmp_path: Path) -> None:
    slack = SlackConnector({"base_url": "http://127.0.0.1:5555/api/", "scim_base_url": "http://[::1]:5555/scim/v2/",
                            "insecure_endpoint": True}, context())
    assert slack.endpoints() == {"base_url": "http://127.0.0.1:5555/api/", "scim_base_url": "http://[::1]:5555/scim/v2/"}
    google = GoogleWorkspaceConnector({"service_account_file": "sa.json", "admin": "admin@example.org",
                                       "api_endpoint": "http://localhost:5555", "insecure_endpoint": True},
                                      context(tmp_path))
    assert google.endpoints() == {"api_endpoint": "http://localhost:5555"}  # no key file: no token_uri to state
    slack.close()
    google.close()


def test_no_override_lists_nothing() -> None:
    slack = SlackConnector({}, context())
    assert slack.endpoints() == {}
    slack.close()


# ---------------------------------------------------------------- the Google key file's token_uri


@pytest.fixture(scope="module")
def authority() -> GoogleEmulator:
    return GoogleEmulator("example.org")  # never started: only its service account's key is used


def google_with_key(tmp_path: Path, authority: GoogleEmulator, token_uri: str, **table: object) -> GoogleWorkspaceConnector:
    (tmp_path / "sa.json").write_text(json.dumps(authority.authority.key_file(token_uri)))
    return GoogleWorkspaceConnector({"service_account_file": "sa.json", "admin": "admin@example.org", **table},
                                    context(tmp_path))


def test_a_key_file_token_uri_over_plain_http_is_refused_before_anything_is_sent(
        tmp_path: Path, authority: GoogleEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    connector = google_with_key(tmp_path, authority, "http://oauth.example/token")
    connects: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: connects.append(address))
    with pytest.raises(AuthError) as caught:
        connector.resolve(BOB)
    assert str(caught.value) == (f"service account key file {tmp_path}/sa.json: token_uri 'http://oauth.example/token' "
                                 f"is plain http: {ADVICE}")
    assert connects == []  # the signed assertion never left
    connector.close()


def test_a_key_file_token_uri_to_another_host_is_refused_even_with_insecure_endpoint(
        tmp_path: Path, authority: GoogleEmulator) -> None:
    connector = google_with_key(tmp_path, authority, "http://oauth.example/token", insecure_endpoint=True)
    with pytest.raises(AuthError) as caught:
        connector.gateway.clients.credentials("admin@example.org", ["scope"])
    assert str(caught.value) == (f"service account key file {tmp_path}/sa.json: token_uri 'http://oauth.example/token' is "
                                 f"plain http to oauth.example, which is not this machine: use https {ONLY_HERE}")
    connector.close()


def test_a_loopback_token_uri_with_insecure_endpoint_is_used_and_listed(tmp_path: Path, authority: GoogleEmulator) -> None:
    connector = google_with_key(tmp_path, authority, "http://127.0.0.1:5555/token", insecure_endpoint=True)
    assert connector.gateway.clients.credentials("admin@example.org", ["scope"]) is not None
    assert connector.endpoints() == {"token_uri": "http://127.0.0.1:5555/token"}
    connector.close()


def test_googles_own_token_uri_is_no_override(tmp_path: Path, authority: GoogleEmulator) -> None:
    connector = google_with_key(tmp_path, authority, "https://oauth2.googleapis.com/token")
    assert connector.gateway.clients.credentials("admin@example.org", ["scope"]) is not None
    assert connector.endpoints() == {}
    connector.close()
