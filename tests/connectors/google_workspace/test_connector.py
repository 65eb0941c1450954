"""Config, inventory, the waited-for data transfer, device options and the sandbox."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator, start_sandbox

from offboard.apply.pacing import Pacer
from offboard.spi import ConfigError, ConnectorContext, Member, Phase, RetriableError, State
from tests.connectors.google_workspace.conftest import ANN, BEN, DOMAIN, FORMER


def _context(tmp_path: Path, pacer: Pacer | None = None) -> ConnectorContext:
    return ConnectorContext("Example", DOMAIN, tmp_path, {}, **({"pacer": pacer} if pacer else {}))


@pytest.mark.parametrize(("extra", "message"), [
    ({"admin": "admin"}, "'admin' must be an email address"),
    ({"org_unit": "Former"}, "'org_unit' must be a path starting with '/'"),
    ({"license_product": "Google-Apps"}, "'license_product' and 'license_sku' go together"),
    ({"wipe": True}, "unknown key 'wipe'"),
])
def test_config_is_checked_at_load_time(tmp_path: Path, extra: dict[str, object], message: str) -> None:
    config = {"service_account_file": "secrets/sa.json", "admin": "admin@example.org", **extra}
    with pytest.raises(ConfigError, match=message):
        GoogleWorkspaceConnector(config, _context(tmp_path))


def test_loading_the_package_does_not_import_the_google_libraries() -> None:
    code = ("import sys, offboard.connectors.google_workspace as g; g.GoogleWorkspaceConnector; "
            "print(sorted(m for m in sys.modules if m.startswith(('google', 'httplib2'))))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_construction_is_offline(emulator: GoogleEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Building and closing a connector sends nothing and opens no connection: doctor and runs do that."""
    emulator.write_key_file(tmp_path / "secrets" / "sa.json")
    emulator.clear_log()
    connects: list[object] = []

    def refuse(sock: socket.socket, address: object) -> None:
        connects.append(address)
        raise OSError("construction must not connect")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    connector = GoogleWorkspaceConnector({"service_account_file": "secrets/sa.json", "admin": f"admin@{DOMAIN}",
                                          "api_endpoint": emulator.url, "insecure_endpoint": True,
                                          "transfer_to": f"archive@{DOMAIN}"},
                                         _context(tmp_path))
    connector.close()
    monkeypatch.undo()
    assert (connects, emulator.log) == ([], [])


def test_inventory_streams_one_call_per_page_of_500(emulator: GoogleEmulator,
                                                    connector: GoogleWorkspaceConnector) -> None:
    for i in range(1100):
        emulator.add_user(f"member{i:04d}@{DOMAIN}", last_login="1970-01-01T00:00:00.000Z")
    emulator.clear_log()
    accounts = connector.inventory()
    first = next(accounts)
    assert len(emulator.requests("GET", "/admin/directory/v1/users")) == 1
    rest = list(accounts)
    pages = emulator.requests("GET", "/admin/directory/v1/users")
    assert len(pages) == 3 and all(r.query["maxResults"] == ["500"] for r in pages)
    by_id = {a.id: a for a in [first, *rest]}
    assert len(by_id) == len(emulator.workspace.users)
    assert by_id[f"admin@{DOMAIN}"].attributes["is_admin"] is True
    assert by_id[FORMER.email].attributes["suspended"] is True and not by_id[FORMER.email].active
    assert by_id[ANN.email].active
    assert by_id["member0001@example.org"].attributes["last_login"] is None
    assert set(by_id[ANN.email].attributes) >= {"suspended", "archived", "is_admin", "last_login", "user_id"}


def test_the_data_transfer_is_waited_for_with_paced_polls(emulator: GoogleEmulator, tmp_path: Path,
                                                          make_connector: Callable[..., GoogleWorkspaceConnector]
                                                          ) -> None:
    paced: list[tuple[str, str | None]] = []

    class Recording(Pacer):
        def pace(self, bucket: str, key: str | None = None) -> None:
            paced.append((bucket, key))

    make_connector()  # writes the key file
    connector = GoogleWorkspaceConnector({"service_account_file": "secrets/sa.json", "admin": f"admin@{DOMAIN}",
                                          "api_endpoint": emulator.url, "insecure_endpoint": True,
                                          "transfer_to": f"archive@{DOMAIN}"},
                                         _context(tmp_path, Recording()))
    emulator.workspace.transfer_polls = 3
    transfer = next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == "transfer")
    outcome = connector.apply(transfer)
    assert outcome.state is State.CHANGED and "archive@example.org" in outcome.detail
    assert len(emulator.requests("GET", "/admin/datatransfer/v1/transfers/")) == 4  # 3 in progress, then completed
    assert paced == [("datatransfer-poll", transfer_id) for transfer_id in emulator.workspace.transfers] * 4
    assert connector.apply(transfer).state is State.OK
    assert len(emulator.requests("POST", "/admin/datatransfer/v1/transfers")) == 1


def test_a_long_transfer_is_handed_back_to_the_engine_and_resumed(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.workspace.transfer_polls = 100
    transfer = next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == "transfer")
    with pytest.raises(RetriableError, match="still in progress") as caught:
        connector.apply(transfer)
    assert caught.value.retry_after == 60
    assert connector.check(transfer) is False
    assert connector.apply(transfer).state is State.CHANGED  # the engine's retry waits for the same transfer
    assert len(emulator.requests("POST", "/admin/datatransfer/v1/transfers")) == 1
    assert connector.check(transfer) is True


def test_devices_are_blocked_unless_the_playbook_asks_for_a_wipe(emulator: GoogleEmulator,
                                                                 connector: GoogleWorkspaceConnector) -> None:
    account = connector.resolve(ANN)
    block = next(a for a in connector.discover(account) if a.kind == "device")
    wipe = next(a for a in connector.discover(account, {"wipe_devices": True}) if a.kind == "device")
    assert (block.params["action"], block.reversible) == ("block", True)
    assert (wipe.params["action"], wipe.reversible) == ("admin_account_wipe", False)
    assert block.before["model"] == "Pixel 8" and block.phase is Phase.CLEAN
    assert connector.apply(wipe).state is State.CHANGED
    assert [d.status for d in emulator.workspace.devices.values() if d.email == ANN.email] == ["ACCOUNT_WIPING"]


def test_before_state_is_kept_for_reinstatement(connector: GoogleWorkspaceConnector) -> None:
    actions = {a.id: a for a in connector.discover(connector.resolve(ANN))}
    assert actions["google:group:members@example.org"].before == {
        "group": "members@example.org", "name": "Members", "role": "OWNER", "delivery_settings": "ALL_MAIL"}
    assert actions["google:gmail-delegate:secretary@example.org"].before == {
        "delegate": "secretary@example.org", "status": "accepted"}
    assert actions["google:gmail-forwarding"].before["emailAddress"] == ANN.personal_email
    token = next(a for a in actions.values() if a.kind == "token")
    assert token.before["app"] == "Slack" and token.before["scopes"]
    assert not any("verificationCode" in str(a.to_dict()) for a in actions.values())


def test_pop_is_turned_off_where_it_is_on(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    pop = next(a for a in connector.discover(connector.resolve(BEN)) if a.kind == "gmail_pop")
    assert pop.before == {"accessWindow": "allMail", "disposition": "leaveInInbox"} and pop.reversible
    assert connector.apply(pop).state is State.CHANGED
    assert emulator.workspace.user(BEN.email).gmail.pop["accessWindow"] == "disabled"
    assert connector.check(pop) is True


def test_a_member_with_no_account_resolves_to_none(connector: GoogleWorkspaceConnector) -> None:
    assert connector.resolve(Member("m-9", "Nobody", f"nobody@{DOMAIN}")) is None
    assert connector.resolve(Member("m-2", "Ben", "ben@elsewhere.example", identities={"google": BEN.email}))


def test_heavy_member_for_benchmarks(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.seed_member(f"heavy@{DOMAIN}", groups=60, tokens=8, asps=3, delegates=2)
    kinds = [a.kind for a in connector.discover(connector.resolve(Member("h", "Heavy", f"heavy@{DOMAIN}")))]
    assert (kinds.count("group"), kinds.count("token"), kinds.count("asp"), kinds.count("gmail_delegate")) == (
        60, 8, 3, 2)


def test_sandbox_is_ready_for_a_connector(tmp_path: Path) -> None:
    members = [ANN, BEN, FORMER]
    sandbox = start_sandbox(DOMAIN, members, tmp_path)
    try:
        assert (tmp_path / "secrets" / "sa.json").stat().st_mode & 0o077 == 0
        connector = GoogleWorkspaceConnector(sandbox.config, _context(tmp_path))
        assert connector.test_connection() == []
        ids = {a.id for a in connector.inventory()}
        assert {f"old-intern@{DOMAIN}", f"bot-noreply@{DOMAIN}", ANN.email, FORMER.email} <= ids
        assert connector.resolve(FORMER).attributes["suspended"] is True
        assert connector.discover(connector.resolve(BEN))
        assert sandbox.environ == {}
        connector.close()
    finally:
        sandbox.stop()


def test_the_readme_lists_exactly_the_scopes_the_connector_asks_for() -> None:
    readme = (Path(__file__).parents[3] / "connectors" / "google_workspace" / "README.md").read_text()
    line = next(ln.strip() for ln in readme.splitlines() if ln.strip().startswith("https://www.googleapis.com/auth/"))
    assert line.split(",") == list(GoogleWorkspaceConnector.permissions)


def test_licensing_calls_are_paced_at_its_one_a_second(emulator: GoogleEmulator, tmp_path: Path,
                                                       make_connector: Callable[..., GoogleWorkspaceConnector]
                                                       ) -> None:
    paced: list[str] = []

    class Recording(Pacer):
        def pace(self, bucket: str, key: str | None = None) -> None:
            paced.append(bucket)

        def count(self, bucket: str) -> None:
            paced.append(f"{bucket} (counted, not waited for)")

    make_connector()  # writes the key file
    emulator.workspace.assign_license(ANN.email, "Google-Apps", "1010020027")
    connector = GoogleWorkspaceConnector({"service_account_file": "secrets/sa.json", "admin": f"admin@{DOMAIN}",
                                          "api_endpoint": emulator.url, "insecure_endpoint": True,
                                          "license_product": "Google-Apps", "license_sku": "1010020027"},
                                         _context(tmp_path, Recording()))
    licence = next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == "license")
    assert paced == ["licensing (counted, not waited for)"]  # the plan's read: several members' go at once
    assert connector.apply(licence).state is State.CHANGED
    assert paced[1:] == ["licensing"] * 2  # apply looks again, then removes it: each request waits its turn
    assert connector.rate_limits["licensing"].rate == 1.0
