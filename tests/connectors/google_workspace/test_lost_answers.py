"""Lost answers: a write Google applied but whose answer never arrived is found again, never sent twice.

The emulator's ``drop`` fault applies a request, then closes the connection without a status
line: what a proxy or a broken link does. httplib2 would re-send such a request once by itself,
11 ms later, below any engine backoff; the connector's Http sends each request once, so that the
engine alone decides, and the transfer action finds the transfer it started by listing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.api.transport import http_class
from offboard.connectors.google_workspace.emulator import GoogleEmulator
from offboard.connectors.google_workspace.emulator.state import Transfer

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.spi import Action, RetriableError, State
from tests.connectors.google_workspace.conftest import ANN, DOMAIN

INSERT = "/admin/datatransfer/v1/transfers"


def _transfer(connector: GoogleWorkspaceConnector) -> Action:
    return next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == "transfer")


def _lose_the_answer_of(emulator: GoogleEmulator, method: str, path: str) -> None:
    emulator.faults.script_match, emulator.faults.script_method = path, method
    emulator.faults.script.append("drop")


def test_httplib2_does_not_send_a_write_again_when_its_answer_is_lost(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    transfer = _transfer(connector)
    _lose_the_answer_of(emulator, "POST", INSERT)
    with pytest.raises(RetriableError, match="starting the Drive and Calendar data transfer: connection problem"):
        connector.apply_planned(transfer)
    posts = emulator.requests("POST", INSERT)
    assert [p.dropped for p in posts] == [True]  # one POST, applied, unanswered; no hidden second one
    assert len(emulator.workspace.transfers) == 1


def test_a_transfer_whose_answer_was_lost_is_found_again_by_the_engines_retry(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector, sleeps: list[float]) -> None:
    transfer = _transfer(connector)
    _lose_the_answer_of(emulator, "POST", INSERT)
    attempted = call_with_retries(lambda: connector.apply_planned(transfer), RetryPolicy())  # the engine's retry
    assert attempted.error is None and attempted.value is not None
    assert (attempted.value.state, attempted.attempts) == (State.CHANGED, 2)
    assert len(emulator.workspace.transfers) == 1
    assert len(emulator.requests("POST", INSERT)) == 1
    assert connector.check(transfer) is True


def test_a_transfer_that_completed_after_a_failed_poll_is_not_started_again(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector, sleeps: list[float]) -> None:
    """The issue's run: a poll fails; the retry's check sees the transfer in progress, and it
    completes before the action lists the transfers again. It is still this action's transfer."""
    emulator.workspace.transfer_polls = 5
    transfer = _transfer(connector)
    emulator.faults.script_match, emulator.faults.script_method = f"{INSERT}/", "GET"
    emulator.faults.script.append("503")  # the first status poll
    lists = _complete_at_the_fourth_list(emulator, connector)
    attempted = call_with_retries(lambda: connector.apply_planned(transfer), RetryPolicy())
    assert attempted.error is None and attempted.value is not None
    assert attempted.value.state is State.CHANGED
    assert lists == ["none", "none", "inProgress", "completed"]  # check, act; then the retry's check and act
    assert len(emulator.workspace.transfers) == 1
    assert len(emulator.requests("POST", INSERT)) == 1


def _complete_at_the_fourth_list(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> list[str]:
    """Google finishes the transfer between the retry's check and its act: the status each list saw."""
    gateway = connector.gateway
    real: Callable[[str, str], list[dict[str, Any]]] = gateway.transfers
    seen: list[str] = []

    def transfers(old_owner_id: str, new_owner_id: str) -> list[dict[str, Any]]:
        if len(seen) == 3:
            with emulator.lock:
                for started in emulator.workspace.transfers.values():
                    started.polls_left = 0
        found = real(old_owner_id, new_owner_id)
        seen.append(",".join(t["overallTransferStatusCode"] for t in found) or "none")
        return found

    gateway.transfers = transfers  # type: ignore[method-assign]
    return seen


def test_a_transfer_google_failed_before_the_plan_is_not_the_actions_own(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan records the transfers already finished (``earlier``); any other is the action's own."""
    connector.gateway.start_transfer(emulator.user(ANN.email)["id"], emulator.user(f"archive@{DOMAIN}")["id"])
    [failed] = emulator.workspace.transfers
    real = Transfer.to_api

    def to_api(self: Transfer, just_started: bool = False) -> dict[str, Any]:
        answer = real(self, just_started)
        return {**answer, "overallTransferStatusCode": "failed"} if self.id == failed else answer

    monkeypatch.setattr(Transfer, "to_api", to_api)
    transfer = _transfer(connector)
    assert transfer.params["earlier"] == [failed]
    assert connector.check(transfer) is False
    emulator.workspace.transfer_polls = 0
    assert connector.apply(transfer).state is State.CHANGED
    assert len(emulator.workspace.transfers) == 2  # Google's failed one, and the one this action started
    assert connector.check(transfer) is True


def test_a_kept_alive_connection_the_server_closed_is_replaced_before_anything_is_sent() -> None:
    """What httplib2's hidden re-send was for: a server that closed an idle connection. The Http
    sees it closed before sending and connects anew, so the request goes out once and succeeds."""
    served: list[bytes] = []
    closed = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            served.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            self.close_connection = True  # as an idle timeout would, without saying so

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def shutdown_request(self, request: Any) -> None:
            super().shutdown_request(request)
            closed.set()

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    http = http_class()(timeout=5)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/write"
        assert http.request(url, "POST", body=b"first")[0].status == 200
        assert closed.wait(5)
        assert http.request(url, "POST", body=b"second")[0].status == 200
    finally:
        http.close()
        server.shutdown()
        server.server_close()
    assert served == [b"first", b"second"]
