"""Discovery at the physical limit: only the dependent chain is waited for, the memberships go in batches.

Asserted through the emulator's request log: which requests went out together (a gate holds an
answer until the requests that must come with it have arrived), what each batch carried, and
what was read again alone. No real sleeping: the engine's waits are recorded (``sleeps``).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterable

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.api.batch import batch_uri
from offboard.connectors.google_workspace.emulator import LICENSE_PRODUCT, LICENSE_SKU, TOKEN_PATH, GoogleEmulator

from offboard.spi import FatalError, State
from offboard.testing.contract import order_for_apply
from offboard.testing.emulation import LoggedRequest, Request, Response
from tests.connectors.google_workspace.conftest import ANN, DOMAIN, FORMER

ANN_PATH = "/admin/directory/v1/users/ann.lee%40example.org"
LICENSE_PATH = f"/apps/licensing/v1/product/{LICENSE_PRODUCT}/sku/{LICENSE_SKU}/user/ann.lee%40example.org"


class Gate:
    """Holds the answers to the requests ``held`` picks until each name of ``together`` has arrived
    (``name`` says which a request is), for 10 s at most; ``in_time`` tells whether they all did."""

    def __init__(self, emulator: GoogleEmulator, held: Callable[[Request], bool], together: Iterable[str],
                 name: Callable[[Request], str] = lambda r: r.path) -> None:
        self.waiting = set(together)
        self.opened = threading.Event()
        self.in_time = True
        lock = threading.Lock()
        handle = emulator.handle

        def gated(request: Request) -> Response:
            with lock:
                self.waiting.discard(name(request))
                if not self.waiting:
                    self.opened.set()
            if held(request) and not self.opened.wait(10):
                self.in_time = False
            return handle(request)

        emulator.handle = gated  # type: ignore[method-assign]


def subject(request: Request) -> str:
    """Whom a token grant asks to act as: the ``sub`` of its signed assertion."""
    if request.path != TOKEN_PATH:
        return ""
    payload = request.form()["assertion"].split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def membership_reads(emulator: GoogleEmulator) -> list[LoggedRequest]:
    return emulator.requests("GET", "/members/")


def batches_of(emulator: GoogleEmulator, path: str) -> list[tuple[LoggedRequest, list[LoggedRequest]]]:
    """The batch requests whose calls' paths contain ``path``."""
    return [(b, parts) for b, parts in emulator.batches() if any(path in p.path for p in parts)]


def test_sixty_groups_are_read_in_one_batch_of_sixty_calls(emulator: GoogleEmulator,
                                                           connector: GoogleWorkspaceConnector) -> None:
    emulator.seed_member(ANN.email, groups=60)
    actions = connector.discover(connector.resolve(ANN))
    [(batch, parts)] = batches_of(emulator, "/members/")
    assert (batch.method, batch.path, batch.status) == ("POST", "/batch/admin/directory_v1", 200)
    assert len(parts) == 60 and all(p.method == "GET" and p.status == 200 for p in parts)
    assert membership_reads(emulator) == parts  # none read on its own
    assert len([a for a in actions if a.kind == "group"]) == 60
    assert batch not in emulator.writes()


def test_discovery_waits_for_the_dependent_chain_only(emulator: GoogleEmulator,
                                                      make_connector: Callable[..., GoogleWorkspaceConnector]) -> None:
    """Three round trips: both token grants; users.get with every list read by email (one batch) and the
    licence; then what needs their answers (the memberships and the mail settings in a batch each)."""
    connector = make_connector(license_product=LICENSE_PRODUCT, license_sku=LICENSE_SKU)
    first_batch = {ANN_PATH, f"{ANN_PATH}/tokens", f"{ANN_PATH}/asps", f"{ANN_PATH}/verificationCodes",
                   "/admin/directory/v1/groups", "/admin/directory/v1/customer/my_customer/roleassignments",
                   "/admin/directory/v1/customer/my_customer/devices/mobile", f"/admin/directory/v1/users/archive%40{DOMAIN}"}
    grants = Gate(emulator, lambda r: r.path == TOKEN_PATH, {f"admin@{DOMAIN}", ANN.email}, subject)
    licence = Gate(emulator, lambda r: r.path == ANN_PATH, {LICENSE_PATH})
    actions = connector.discover(connector.resolve(ANN))
    assert grants.in_time, "the mailbox owner's token was not asked for beside the admin's"
    assert licence.in_time, "the licence was not read with users.get"
    [(_, calls)] = batches_of(emulator, ANN_PATH)
    assert {c.path for c in calls} == first_batch
    [(_, members)] = batches_of(emulator, "/members/")
    [(mail, settings)] = batches_of(emulator, "/gmail/")
    assert mail.path == "/batch/gmail/v1" and {c.path.rsplit("/", 1)[1] for c in settings} == {
        "delegates", "autoForwarding", "pop", "imap"}
    alone = {r.path for r in emulator.log if r.path != TOKEN_PATH and "x-emulator-batch" not in r.headers}
    second_wave = {"/admin/directory/v1/customer/my_customer/roles", "/admin/datatransfer/v1/transfers"}
    assert alone == {LICENSE_PATH} | second_wave  # each of the second needs an answer of the first; nothing needs theirs
    assert len(emulator.batches()) == 3 and all("/members/" in c.path for c in members)
    assert len(emulator.requests("POST", TOKEN_PATH)) == 2
    assert {"group", "admin_role", "transfer", "license", "gmail_delegate"} <= {a.kind for a in actions}


@pytest.mark.parametrize("fault", ["429", "503", "403"])
def test_a_call_throttled_inside_the_batch_is_read_again_alone(
        emulator: GoogleEmulator, make_connector: Callable[..., GoogleWorkspaceConnector], sleeps: list[float],
        fault: str) -> None:
    connector = make_connector(retried=True)
    emulator.seed_member(ANN.email, groups=60)
    emulator.faults.retry_after = 7
    emulator.faults.script_match = "/members/"
    emulator.faults.script.append(fault)
    actions = connector.discover(connector.resolve(ANN))
    [(batch, parts)] = batches_of(emulator, "/members/")
    throttled = [p for p in parts if p.status >= 400]
    assert batch.status == 200 and len(throttled) == 1 and len(parts) == 60
    alone = [r for r in membership_reads(emulator) if r not in parts]
    assert [(r.path, r.status) for r in alone] == [(throttled[0].path, 200)]  # that call alone, not the batch
    assert len(sleeps) == 1 and (sleeps[0] >= 7 if fault == "429" else sleeps[0] > 0)
    assert len([a for a in actions if a.kind == "group"]) == 60


def test_a_call_answered_404_in_the_batch_is_a_group_left_meanwhile(emulator: GoogleEmulator,
                                                                    connector: GoogleWorkspaceConnector) -> None:
    emulator.seed_member(ANN.email, groups=10)
    emulator.faults.script_match = "/members/"
    emulator.faults.script.append("404")
    actions = connector.discover(connector.resolve(ANN))
    assert len(membership_reads(emulator)) == 10  # not read again
    assert len([a for a in actions if a.kind == "group"]) == 9


def test_a_call_refused_in_the_batch_fails_the_discovery(emulator: GoogleEmulator,
                                                         connector: GoogleWorkspaceConnector) -> None:
    emulator.faults.script_match = "/members/"
    emulator.faults.script.append("400")
    account = connector.resolve(ANN)
    with pytest.raises(FatalError, match=r"reading membership of ann\.lee@example\.org in .*: Google answered 400"):
        connector.discover(account)


def test_a_batch_whose_connection_breaks_is_read_again_whole(
        emulator: GoogleEmulator, make_connector: Callable[..., GoogleWorkspaceConnector], sleeps: list[float]) -> None:
    connector = make_connector(retried=True)
    emulator.faults.script_match = "/members/"
    emulator.faults.script.append("reset")
    actions = connector.discover(connector.resolve(ANN))
    assert [b.status for b, _ in batches_of(emulator, "/members/")] == [0, 200]
    assert len(sleeps) == 1 and any(a.kind == "group" for a in actions)


def test_more_calls_than_a_batch_takes_go_in_several(emulator: GoogleEmulator,
                                                     connector: GoogleWorkspaceConnector) -> None:
    emulator.seed_member(ANN.email, groups=1001)
    groups = [g["email"] for g in connector.gateway.groups(ANN.email)]
    assert len(connector.gateway.memberships(groups, ANN.email)) == 1001
    assert sorted(len(parts) for _, parts in batches_of(emulator, "/members/")) == [1, 1000]


def test_tokens_are_reused_while_valid(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    """One grant for the admin and one for the mailbox owner, for a whole run and another discovery."""
    for action in order_for_apply(connector.discover(connector.resolve(ANN))):
        assert connector.apply_planned(action).state in (State.CHANGED, State.OK)
    connector.discover(connector.resolve(ANN))
    assert len(emulator.requests("POST", TOKEN_PATH)) == 2


def test_a_suspended_member_has_no_mailbox_read(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    kinds = {a.kind for a in connector.discover(connector.resolve(FORMER))}
    assert "group" in kinds and not any(r.path.startswith("/gmail/") for r in emulator.log)


def test_the_batch_goes_to_the_configured_endpoint_or_googles() -> None:
    assert batch_uri("directory", "") == "https://www.googleapis.com/batch/admin/directory_v1"
    assert batch_uri("directory", "http://127.0.0.1:8080/") == "http://127.0.0.1:8080/batch/admin/directory_v1"
    assert batch_uri("gmail", "") == "https://gmail.googleapis.com/batch/gmail/v1"


def test_a_list_throttled_in_the_first_batch_is_read_again_alone(
        emulator: GoogleEmulator, make_connector: Callable[..., GoogleWorkspaceConnector], sleeps: list[float]) -> None:
    connector = make_connector(retried=True)
    emulator.faults.script_match = "/tokens"
    emulator.faults.script.extend(["429", "503"])
    actions = connector.discover(connector.resolve(ANN))
    assert [r.status for r in emulator.requests(path_contains="/tokens")] == [429, 503, 200]
    assert len(emulator.requests(path_contains="/asps")) == 1 and len(sleeps) == 2
    assert any(a.kind == "token" for a in actions)


def test_a_member_without_an_account_is_one_batch_answered_404(emulator: GoogleEmulator,
                                                               connector: GoogleWorkspaceConnector) -> None:
    from offboard.spi import Member

    assert connector.resolve(Member("m-404", "Nobody", f"nobody@{DOMAIN}")) is None
    [(batch, calls)] = emulator.batches()
    assert batch.status == 200 and calls[0].path == "/admin/directory/v1/users/nobody%40example.org"
    assert calls[0].status == 404 and len(emulator.log) <= 2 + 1 + len(calls)  # grants, the batch, its calls
    assert not any(r.path.startswith("/gmail/") for r in emulator.log)
