"""Order of calls: Google refuses sign-out and backup-code invalidation once a user is suspended,
and Gmail settings calls need the mailbox owner's own token, so suspension comes last in cut."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator

from offboard.spi import FatalError, Phase, State
from offboard.testing.contract import order_for_apply
from tests.connectors.google_workspace.conftest import ANN, FORMER


def _index(emulator: GoogleEmulator, predicate: Callable[..., bool]) -> int:
    return next(i for i, r in enumerate(emulator.log) if predicate(r))


def test_suspend_depends_on_every_other_cut_action(connector: GoogleWorkspaceConnector) -> None:
    actions = connector.discover(connector.resolve(ANN))
    suspend = next(a for a in actions if a.kind == "suspend")
    others = {a.id for a in actions if a.phase is Phase.CUT and a is not suspend}
    assert set(suspend.depends_on) == others
    assert {"google:signout", "google:backup-codes", "google:password", "google:gmail-forwarding"} <= others
    after_cut = {"license", "org_unit", "transfer"}
    assert all(not a.depends_on for a in actions if a is not suspend and a.kind not in after_cut)


def test_licence_org_unit_and_transfer_wait_for_the_whole_cut(make_connector) -> None:
    """The engine lets clean work overlap the cut: these three must not (Gmail settings need the licence)."""
    from offboard.connectors.google_workspace.emulator import LICENSE_PRODUCT, LICENSE_SKU

    connector = make_connector(org_unit="/Former members", license_product=LICENSE_PRODUCT, license_sku=LICENSE_SKU)
    actions = connector.discover(connector.resolve(ANN))
    cut = {a.id for a in actions if a.phase is Phase.CUT}
    waiting = [a for a in actions if a.kind in {"license", "org_unit", "transfer"}]
    assert {a.kind for a in waiting} == {"license", "org_unit", "transfer"}
    assert all(set(a.depends_on) == cut for a in waiting)


def test_suspension_is_sent_after_sign_out_backup_codes_and_gmail(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    for action in order_for_apply(connector.discover(connector.resolve(ANN))):
        assert connector.apply(action).state is State.CHANGED
    suspended_at = _index(emulator, lambda r: r.method == "PUT" and b'"suspended"' in r.body)
    assert _index(emulator, lambda r: r.path.endswith("/signOut")) < suspended_at
    assert _index(emulator, lambda r: r.path.endswith("/verificationCodes/invalidate")) < suspended_at
    gmail_writes = [i for i, r in enumerate(emulator.log) if r.is_write and r.path.startswith("/gmail/")]
    assert gmail_writes and max(gmail_writes) < suspended_at
    assert all(r.status < 400 for r in emulator.log), [(r.path, r.status) for r in emulator.log if r.status >= 400]


def test_gmail_settings_are_called_with_the_users_own_token(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    connector.discover(connector.resolve(ANN))
    subjects = {emulator.authority.subject_of(r.headers["authorization"].split()[1])
                for r in emulator.log if r.path.startswith("/gmail/")}
    admin_subjects = {emulator.authority.subject_of(r.headers["authorization"].split()[1])
                      for r in emulator.log if r.path.startswith("/admin/")}
    assert subjects == {ANN.email}
    assert admin_subjects == {"admin@example.org"}


def test_already_suspended_user_gets_no_step_google_would_refuse(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    actions = connector.discover(connector.resolve(FORMER))
    kinds = {a.kind for a in actions}
    assert not kinds & {"signout", "backup_codes", "password", "suspend", "gmail_delegate", "gmail_forwarding"}
    assert {"token", "asp", "group", "transfer"} <= kinds
    assert not any(r.path.startswith("/gmail/") for r in emulator.log)


def test_the_emulator_refuses_sign_out_of_a_suspended_user_and_the_connector_says_ok(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    signout = next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == "signout")
    emulator.workspace.user(ANN.email).suspended = True
    outcome = connector.apply(signout)
    assert outcome.state is State.OK and "suspended" in outcome.detail
    assert not emulator.requests("POST", "/signOut")
    with pytest.raises(FatalError, match=r"signing out ann\.lee@example\.org: Google answered 400 invalid"):
        connector.gateway.sign_out(ANN.email)
    with pytest.raises(FatalError, match="400 invalid"):
        connector.gateway.invalidate_backup_codes(ANN.email)


def test_concurrent_apply_from_many_threads(emulator: GoogleEmulator,
                                            connector: GoogleWorkspaceConnector) -> None:
    """Per-thread clients: the engine applies up to max_concurrency actions at once."""
    emulator.seed_member(ANN.email, groups=20, tokens=8, asps=3, delegates=2)
    actions = connector.discover(connector.resolve(ANN))
    with ThreadPoolExecutor(connector.max_concurrency) as pool:
        for phase in (Phase.CUT, Phase.CLEAN):
            batch = [a for a in actions if a.phase is phase and not a.depends_on]
            assert all(o.state is State.CHANGED for o in pool.map(connector.apply, batch))
            dependent = [a for a in actions if a.phase is phase and a.depends_on]
            assert all(o.state is State.CHANGED for o in pool.map(connector.apply, dependent))
    assert connector.discover(connector.resolve(ANN)) == []
    user = emulator.user(ANN.email)
    assert user["suspended"] and not user["includeInGlobalAddressList"]
    assert json.dumps(emulator.workspace.users[ANN.email].gmail.delegates) == "{}"


def test_apply_planned_sends_the_write_alone(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    """Right after the plan, no re-read before each write: one request per action."""
    from offboard.connectors.google_workspace.actions import KINDS

    actions = [a for a in order_for_apply(connector.discover(connector.resolve(ANN))) if KINDS[a.kind].write_first]
    emulator.clear_log()
    assert all(connector.apply_planned(a).state is State.CHANGED for a in actions)
    api = [r for r in emulator.log if r.path != "/token"]
    assert len(api) == len(actions) and all(r.is_write for r in api), [(r.method, r.path) for r in api]
    assert all(r.status < 400 for r in api)


def test_apply_planned_looks_when_google_refuses_and_finds_the_access_gone(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    actions = {a.kind: a for a in connector.discover(connector.resolve(ANN))}
    emulator.workspace.user(ANN.email).suspended = True  # by someone else, after the plan
    for kind in ("signout", "gmail_delegate", "gmail_imap"):
        outcome = connector.apply_planned(actions[kind])
        assert outcome.state is State.OK and "suspended" in outcome.detail, (kind, outcome)


def test_apply_planned_of_a_token_revoked_meanwhile_is_ok(emulator: GoogleEmulator,
                                                          connector: GoogleWorkspaceConnector) -> None:
    token = next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == "token")
    connector.gateway.delete_token(ANN.email, token.params["client_id"])
    outcome = connector.apply_planned(token)
    assert (outcome.state, outcome.detail) == (State.OK, "token was already revoked")


def test_discover_uses_the_user_resolve_just_read(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    account = connector.resolve(ANN)
    connector.discover(account)
    user_reads = [r for r in emulator.log if r.method == "GET" and r.path.endswith("/users/ann.lee%40example.org")]
    assert len(user_reads) == 1
    connector.discover(account)  # not right after a resolve: read again
    assert len([r for r in emulator.log if r.method == "GET" and r.path.endswith("/users/ann.lee%40example.org")]) == 2
