"""Errors: classified for the engine, which retries; the connector never does."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.doctor import AUTH, DIRECTORY_SCOPES, GMAIL_SCOPES
from offboard.connectors.google_workspace.emulator import GoogleEmulator
from offboard.connectors.google_workspace.errors import from_http_error

from offboard.spi import Action, AuthError, FatalError, NotFoundError, RetriableError, State
from tests.connectors.google_workspace.conftest import ANN


def _first(connector: GoogleWorkspaceConnector, kind: str) -> Action:
    return next(a for a in connector.discover(connector.resolve(ANN)) if a.kind == kind)


@pytest.mark.parametrize(("fault", "retry_after"), [("429", 7.0), ("503", None), ("500", None), ("403", None)])
def test_throttling_and_backend_errors_are_retriable(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector,
                                                     fault: str, retry_after: float | None) -> None:
    token = _first(connector, "token")
    emulator.faults.retry_after = 7
    emulator.faults.script_match = "/tokens"
    emulator.faults.script.append(fault)
    with pytest.raises(RetriableError) as caught:
        connector.apply(token)
    assert caught.value.retry_after == retry_after
    assert len(emulator.requests(path_contains="/tokens")) == 2  # the discovery's read, then the failed one
    assert connector.apply(token).state is State.CHANGED  # what the engine's retry then does


def test_the_403_rate_limit_body_is_googles(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.faults.script_match = "/admin/"
    emulator.faults.script.append("403")
    with pytest.raises(RetriableError, match="403 userRateLimitExceeded: Quota exceeded"):
        connector.gateway.user(ANN.email)


def test_a_connection_reset_is_retriable(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    """A reset surfaces at once for the engine to retry: httplib2 no longer reconnects and sends
    again by itself (it cannot tell a request the server applied from one it never read)."""
    group = _first(connector, "group")
    emulator.faults.script_match = "/members/"
    emulator.faults.script.append("reset")
    before = len(emulator.requests(path_contains="/members/"))
    with pytest.raises(RetriableError, match="connection problem"):
        connector.apply(group)
    assert [r.status for r in emulator.requests(path_contains="/members/")][before:] == [0]
    assert connector.apply(group).state is State.CHANGED


def test_a_token_endpoint_outage_is_retriable_and_not_retried_by_google_auth(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.faults.script_match = "/token"
    emulator.faults.script.append("503")
    with pytest.raises(RetriableError, match="token endpoint is unavailable"):
        connector.gateway.user(ANN.email)
    assert len(emulator.requests("POST", "/token")) == 1
    assert connector.resolve(ANN) is not None


@pytest.mark.parametrize("status", ["400", "409", "412"])
def test_client_errors_are_fatal(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector, status: str) -> None:
    group = _first(connector, "group")
    emulator.faults.script_match = "/members/"
    emulator.faults.script.append(status)
    with pytest.raises(FatalError, match=f"Google answered {status}"):
        connector.apply(group)


def test_a_404_for_a_member_or_token_already_gone_is_ok(emulator: GoogleEmulator,
                                                        connector: GoogleWorkspaceConnector) -> None:
    actions = connector.discover(connector.resolve(ANN))
    group = next(a for a in actions if a.kind == "group")
    token = next(a for a in actions if a.kind == "token")
    with emulator.lock:  # someone else removed them between the plan and the run
        del emulator.workspace.groups[group.params["group"]].members[ANN.email]
        del emulator.workspace.users[ANN.email].tokens[token.params["client_id"]]
    assert connector.apply(group).state is State.OK
    assert connector.apply(token).state is State.OK
    # and when the re-check still saw them, the delete's 404 is ok too
    connector.gateway.membership = lambda group, email: {"role": "MEMBER"}  # type: ignore[method-assign]
    connector.gateway.tokens = lambda email: [{"clientId": token.params["client_id"]}]  # type: ignore[method-assign]
    assert connector.apply(group).state is State.OK
    assert connector.apply(token).state is State.OK
    assert [r.status for r in emulator.writes()] == [404, 404]


def test_an_account_deleted_since_the_plan_has_nothing_left_to_end(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    actions = connector.discover(connector.resolve(ANN))
    emulator.delete_user(ANN.email)
    for action in actions:
        assert connector.apply(action).state is State.OK, action.id
        assert connector.check(action) is True
    assert emulator.writes() == []


def test_the_token_endpoint_unreachable_is_a_sentence_for_doctor(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.stop()
    (problem,) = connector.test_connection()
    assert problem.startswith(f"reaching the token endpoint {emulator_url(problem)}/token: connection problem")


def test_a_missing_scope_is_named_with_where_to_grant_it(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.revoke_scopes(AUTH + "admin.directory.user.security")
    client_id = emulator.authority.client_id
    expected = (
        f"the service account (client ID {client_id}) is not authorized for scope "
        "https://www.googleapis.com/auth/admin.directory.user.security (acting as admin@example.org): "
        f"add it to client ID {client_id} in the Admin console > Security > API controls > Domain-wide delegation"
    )
    with pytest.raises(AuthError) as caught:
        connector.resolve(ANN)
    assert str(caught.value) == expected
    assert connector.test_connection() == [expected]


def test_a_missing_gmail_scope_is_named_for_the_user(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.revoke_scopes(AUTH + "gmail.settings.sharing")
    with pytest.raises(AuthError, match=r"not authorized for scope https://www.googleapis.com/auth/"
                                        r"gmail.settings.sharing \(acting as ann.lee@example.org\)"):
        connector.discover(connector.resolve(ANN))


def test_no_delegation_at_all_lists_every_scope(emulator: GoogleEmulator,
                                                make_connector: Callable[..., GoogleWorkspaceConnector]) -> None:
    emulator.set_delegation(False)
    problems = make_connector(transfer_to="").test_connection()
    assert len(problems) == 1
    listed = problems[0].split(" is not authorized for scopes ")[1].split(" (acting as")[0].split(", ")
    assert listed == [*DIRECTORY_SCOPES, *GMAIL_SCOPES]


def test_doctor_is_quiet_when_all_is_well(connector: GoogleWorkspaceConnector) -> None:
    assert connector.test_connection() == []


def test_doctor_reports_an_admin_who_is_not_one(make_connector: Callable[..., GoogleWorkspaceConnector]) -> None:
    problems = make_connector(admin="archive@example.org").test_connection()
    assert problems == ["archive@example.org is not a super admin (Google answered 403 forbidden): "
                        "set [connectors.google] admin to one"]


def test_doctor_reports_a_missing_key_file(make_connector: Callable[..., GoogleWorkspaceConnector]) -> None:
    problems = make_connector(service_account_file="secrets/nope.json").test_connection()
    assert len(problems) == 1 and "nope.json does not exist" in problems[0]


def _http_error(status: int, reason: str, headers: dict[str, str] | None = None) -> SimpleNamespace:
    body = f'{{"error": {{"code": {status}, "message": "m", "errors": [{{"reason": "{reason}"}}]}}}}'
    return SimpleNamespace(resp=SimpleNamespace(status=status, get=(headers or {}).get), content=body.encode())


@pytest.mark.parametrize(("status", "reason", "kind"), [
    (429, "rateLimitExceeded", RetriableError), (500, "backendError", RetriableError),
    (502, "", RetriableError), (403, "rateLimitExceeded", RetriableError),
    (403, "userRateLimitExceeded", RetriableError), (403, "quotaExceeded", RetriableError),
    (403, "backendError", RetriableError), (403, "forbidden", AuthError),
    (403, "insufficientPermissions", AuthError), (401, "authError", AuthError), (400, "invalid", FatalError),
    (404, "notFound", NotFoundError), (409, "duplicate", FatalError), (412, "conditionNotMet", FatalError),
])
def test_classification(status: int, reason: str, kind: type) -> None:
    assert type(from_http_error(_http_error(status, reason), "doing it")) is kind


def test_retry_after_comes_from_the_header() -> None:
    error = from_http_error(_http_error(429, "rateLimitExceeded", {"retry-after": "12"}), "x")
    assert isinstance(error, RetriableError) and error.retry_after == 12.0


def emulator_url(problem: str) -> str:
    return problem.split("reaching the token endpoint ")[1].split("/token")[0]


def test_an_api_not_enabled_in_the_project_says_where_to_enable_it(
        emulator: GoogleEmulator, connector: GoogleWorkspaceConnector) -> None:
    emulator.disable_api("admin")
    expected = ("reading user admin@example.org: the Admin SDK API is not enabled in the service account's Google Cloud "
                "project: enable it in Google Cloud console > APIs & Services > Library, then try again")
    assert connector.test_connection() == [expected]


def test_doctor_names_a_missing_gmail_scope_and_a_wrong_transfer_to_together(
        emulator: GoogleEmulator, make_connector: Callable[..., GoogleWorkspaceConnector]) -> None:
    emulator.revoke_scopes(AUTH + "gmail.settings.sharing")
    connector = make_connector(transfer_to="nobody@example.org")
    client_id = emulator.authority.client_id
    assert connector.test_connection() == [
        f"the service account (client ID {client_id}) is not authorized for scope {AUTH}gmail.settings.sharing (acting "
        f"as admin@example.org): add it to client ID {client_id} in the Admin console > Security > API controls > "
        "Domain-wide delegation",
        "transfer_to nobody@example.org is not a user of the domain: set [connectors.google] transfer_to to a mailbox "
        "of the domain, or remove it"]
