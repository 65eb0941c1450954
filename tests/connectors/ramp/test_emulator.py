"""The emulator itself, over raw HTTP: as strict as Ramp where it matters, with Ramp's error bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from offboard.connectors.ramp.emulator import RampEmulator, start_sandbox

from offboard.spi import Member
from tests.connectors.ramp.conftest import ALICE, connect, seed


def token(emulator: RampEmulator, scope: str = "users:read users:write cards:read cards:write") -> str:
    answer = requests.post(f"{emulator.url}/developer/v1/token", auth=(emulator.client_id, emulator.client_secret),
                           data={"grant_type": "client_credentials", "scope": scope}, timeout=5)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def call(emulator: RampEmulator, method: str, path: str, bearer: str | None = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return requests.request(method, f"{emulator.url}{path}", headers=headers, timeout=5, **kwargs)


def test_the_token_endpoint_wants_basic_auth_and_a_form(emulator: RampEmulator) -> None:
    url = f"{emulator.url}/developer/v1/token"
    form = {"grant_type": "client_credentials", "scope": "users:read"}
    assert requests.post(url, data=form, timeout=5).status_code == 401
    refused = requests.post(url, auth=(emulator.client_id, "wrong"), data=form, timeout=5)
    assert refused.status_code == 401 and refused.json()["error_v2"]["error_code"] == "DEVELOPER_7002"
    as_json = requests.post(url, auth=(emulator.client_id, emulator.client_secret), json=form, timeout=5)
    assert as_json.status_code == 422
    no_scope = requests.post(url, auth=(emulator.client_id, emulator.client_secret),
                             data={"grant_type": "client_credentials"}, timeout=5)
    assert no_scope.json()["error_v2"]["fields_validation"] == {"scope": ["Field is required if grant_type=client_credentials."]}
    answer = requests.post(url, auth=(emulator.client_id, emulator.client_secret),
                           data={**form, "scope": "users:read bills:write"}, timeout=5).json()
    assert answer["scope"] == "users:read" and answer["token_type"] == "Bearer"  # not allowed: left out, not refused
    assert answer["access_token"].startswith("ramp_tok_") and answer["expires_in"] == 864000


def test_resources_want_a_bearer_token_with_the_scope(emulator: RampEmulator) -> None:
    assert call(emulator, "GET", "/developer/v1/users").json()["error_v2"]["error_code"] == "DEVELOPER_7002"
    reader = token(emulator, "users:read")
    refused = call(emulator, "GET", "/developer/v1/cards", reader)
    assert refused.status_code == 403
    assert refused.json()["error_v2"] | {"error_id": "x"} == {
        "error_code": "DEVELOPER_7100", "message": "These scopes are not allowed for this token: cards:read",
        "additional_info": {}, "notes": "", "error_id": "x"}
    assert refused.json()["error"] == {"message": "These scopes are not allowed for this token: cards:read", "details": {}}
    emulator.expire_tokens()
    assert call(emulator, "GET", "/developer/v1/users", reader).json()["error_v2"]["error_code"] == "DEVELOPER_7028"


def test_unknown_paths_methods_and_fields_are_refused(emulator: RampEmulator) -> None:
    bearer = token(emulator)
    assert call(emulator, "GET", "/developer/v1/nope", bearer).status_code == 404
    assert call(emulator, "DELETE", f"/developer/v1/users/{emulator.admin_id}", bearer).status_code == 405
    unknown = call(emulator, "GET", "/developer/v1/users", bearer, params={"emial": "a@b.c"})
    assert unknown.status_code == 422 and unknown.json()["error_v2"]["fields_validation"] == {"emial": ["Unknown field."]}
    assert call(emulator, "GET", "/developer/v1/users", bearer, params={"page_size": 500}).status_code == 422
    invited = call(emulator, "GET", "/developer/v1/users", bearer, params={"status": "INVITE_PENDING"})
    assert invited.status_code == 422  # Ramp's status filter takes no invite or onboarding status
    s = seed(emulator)
    path = f"/developer/v1/cards/{s.virtual}/deferred/suspension"
    assert call(emulator, "POST", path, bearer, json={}).json()["error_v2"]["fields_validation"] == {
        "idempotency_key": ["Missing data for required field."]}
    assert call(emulator, "POST", path, bearer, data="idempotency_key=k").status_code == 422  # JSON only
    assert call(emulator, "POST", f"/developer/v1/cards/{s.alice}/deferred/suspension", bearer,
                json={"idempotency_key": "k"}).status_code == 404
    assert emulator.org.tasks == {}


def test_one_key_one_task(emulator: RampEmulator) -> None:
    s = seed(emulator)
    bearer = token(emulator)
    path = f"/developer/v1/cards/{s.virtual}/deferred/suspension"
    first = call(emulator, "POST", path, bearer, json={"idempotency_key": "k-1"}).json()["id"]
    again = call(emulator, "POST", path, bearer, json={"idempotency_key": "k-1"}).json()["id"]
    assert first == again and len(emulator.org.tasks) == 1
    other = call(emulator, "POST", f"/developer/v1/cards/{s.physical}/deferred/suspension", bearer,
                 json={"idempotency_key": "k-1"})
    assert other.status_code == 422, "a key names one request"
    statuses = [call(emulator, "GET", f"/developer/v1/cards/deferred/status/{first}", bearer).json() for _ in range(3)]
    assert [t["status"] for t in statuses] == ["IN_PROGRESS", "SUCCESS", "SUCCESS"]
    assert statuses[1] == {"id": first, "status": "SUCCESS", "data": {"card_id": s.virtual},
                           "context": {"acting_user_id": emulator.admin_id, "card_id": s.virtual}}
    assert emulator.org.cards[s.virtual]["state"] == "SUSPENDED"
    assert call(emulator, "GET", "/developer/v1/cards/deferred/status/nope", bearer).status_code == 404


def test_tasks_that_do_not_apply_end_in_error(emulator: RampEmulator) -> None:
    s = seed(emulator)
    emulator.org.task_polls = 0
    bearer = token(emulator)

    def task(card: str, operation: str, key: str) -> dict[str, Any]:
        task_id = call(emulator, "POST", f"/developer/v1/cards/{card}/deferred/{operation}", bearer,
                       json={"idempotency_key": key}).json()["id"]
        return dict(call(emulator, "GET", f"/developer/v1/cards/deferred/status/{task_id}", bearer).json())

    assert task(s.terminated, "suspension", "a")["data"]["error"] == "Card is terminated"
    assert task(s.suspended_before, "suspension", "b")["data"]["error"] == "Card is already suspended"
    assert task(s.virtual, "unsuspension", "c")["data"]["error"] == "Card is not suspended"
    emulator.org.deactivate(s.alice)
    assert task(s.suspended_before, "unsuspension", "d")["data"]["error"] == \
        "Cannot unsuspend a card whose cardholder is not active"
    assert task(s.virtual, "termination", "e")["status"] == "SUCCESS"


def test_lists_page_and_leave_out_what_ramp_leaves_out(emulator: RampEmulator) -> None:
    s = seed(emulator)
    emulator.org.add_user("sus@example.org", "Sus", "Pended", status="USER_SUSPENDED")
    bearer = token(emulator)
    users = call(emulator, "GET", "/developer/v1/users", bearer).json()
    assert "sus@example.org" not in {u["email"] for u in users["data"]} and users["page"] == {"next": None}
    first = call(emulator, "GET", "/developer/v1/users", bearer, params={"page_size": 2}).json()
    assert len(first["data"]) == 2 and first["page"]["next"].startswith(f"{emulator.url}/developer/v1/users?")
    cards = call(emulator, "GET", "/developer/v1/cards", bearer, params={"user_id": s.alice}).json()["data"]
    assert {c["id"] for c in cards} == {s.virtual, s.physical, s.suspended_before}
    ended = call(emulator, "GET", "/developer/v1/cards", bearer, params={"user_id": s.alice, "is_terminated": "true"})
    assert [c["id"] for c in ended.json()["data"]] == [s.terminated]


def test_deactivation_follows_ramps_rules(emulator: RampEmulator) -> None:
    s = seed(emulator)
    bearer = token(emulator)
    assert call(emulator, "PATCH", f"/developer/v1/users/{s.alice}/deactivate", bearer).status_code == 200
    again = call(emulator, "PATCH", f"/developer/v1/users/{s.alice}/deactivate", bearer)
    assert again.status_code == 400 and again.json()["error_v2"]["message"] == "User is already deactivated"
    assert call(emulator, "PATCH", f"/developer/v1/users/{s.alice}/reactivate", bearer, json={"x": 1}).status_code == 422
    assert call(emulator, "PATCH", f"/developer/v1/users/{s.alice}/reactivate", bearer).status_code == 200
    assert emulator.org.users[s.alice]["status"] == "USER_ACTIVE"
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.writes()] == ["deactivate", "deactivate", "reactivate", "reactivate"]


def test_the_sandbox_is_a_small_business_from_the_roster(tmp_path: Path) -> None:
    members = [Member("m001", "Alice Admin", "alice@example.org"), Member("m007", "Dan Treasurer", "dan@example.org"),
               Member("m042", "Bob Example", "bob@example.org"), Member("m050", "Fran Former", "fran@example.org",
                                                                          status="former")]
    sandbox = start_sandbox("example.org", members, tmp_path)
    try:
        assert isinstance(sandbox.emulator, RampEmulator)
        assert sandbox.config["insecure_endpoint"] is True and sandbox.config["api_url"] == sandbox.emulator.url
        assert sandbox.emulator.client_secret not in str(sandbox.config)
        assert sandbox.environ == {"RAMP_CLIENT_ID": sandbox.emulator.client_id,
                                   "RAMP_CLIENT_SECRET": sandbox.emulator.client_secret}
        connector = connect(sandbox.emulator, environ=sandbox.environ, engine=False)
        assert connector.test_connection() == []
        bob = connector.resolve(members[2])
        assert bob is not None and [a.kind for a in connector.discover(bob)] == ["deactivate", "card-suspend", "card-suspend"]
        fran = connector.resolve(members[3])
        assert fran is not None and fran.active is False and connector.discover(fran) == []
        alice = connector.resolve(ALICE)
        assert alice is not None and [a.kind for a in connector.discover(alice)] == ["deactivate", "card-suspend"]
    finally:
        sandbox.stop()


def test_requests_are_logged_with_their_headers(emulator: RampEmulator) -> None:
    seed(emulator)
    connect(emulator).resolve(ALICE)
    assert [(r.method, r.path, r.status) for r in emulator.log] == [
        ("POST", "/developer/v1/token", 200), ("GET", "/developer/v1/users", 200)]
    assert emulator.log[1].headers["authorization"].startswith("Bearer ramp_tok_")
