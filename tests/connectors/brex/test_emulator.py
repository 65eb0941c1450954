"""The emulator answers as Brex does: raw HTTP, so these checks do not lean on the connector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from offboard.connectors.brex.emulator import BrexEmulator, start_sandbox

from offboard.spi import Member
from tests.connectors.brex.conftest import seed

Make = Callable[..., BrexEmulator]


def call(emulator: BrexEmulator, method: str, path: str, token: str | None = None, key: str | None = None,
         headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
    headers = dict(headers or {})
    if token != "":
        headers["Authorization"] = f"Bearer {token or emulator.admin_token}"
    if key:
        headers["Idempotency-Key"] = key
    return requests.request(method, emulator.url + path, headers=headers, timeout=5, **kwargs)


def test_tokens_and_scopes_are_checked(emulator: BrexEmulator) -> None:
    invalid = {"type": "UNAUTHORIZED", "message": "PERMISSION_DENIED: Invalid or Revoked Token"}
    assert (call(emulator, "GET", "/v2/users/me", token="").status_code, call(emulator, "GET", "/v2/users/me", token="").json()) == (401, invalid)
    assert call(emulator, "GET", "/v2/users/me", token="bxt_wrong").json() == invalid
    expired = emulator.issue_token()
    emulator.expire(expired)
    answer = call(emulator, "GET", "/v2/users/me", token=expired)
    assert (answer.status_code, answer.json()) == (403, {"type": "FORBIDDEN", "message": "Expired token"})
    readonly = emulator.issue_token(["users.readonly", "cards.readonly"])
    assert call(emulator, "GET", "/v2/cards", token=readonly).status_code == 200
    card = emulator.account.add_card(emulator.admin_id, "Ops")
    refused = call(emulator, "POST", f"/v2/cards/{card}/lock", token=readonly, json={"reason": "OTHER"})
    assert refused.status_code == 403 and refused.json()["type"] == "FORBIDDEN"
    assert call(emulator, "GET", "/v2/cards", token=emulator.issue_token(["users"])).status_code == 403
    assert emulator.status_of(card) == "ACTIVE"


def test_unknown_paths_and_wrong_methods(emulator: BrexEmulator) -> None:
    assert call(emulator, "GET", "/v2/nothing").json() == {"type": "NOT_FOUND", "message": "Not Found"}
    assert call(emulator, "DELETE", f"/v2/users/{emulator.admin_id}").status_code == 405
    assert call(emulator, "GET", "/v2/cards/x/lock").status_code == 405
    assert call(emulator, "GET", "/v2/users/cuuser_nobody").json() == {"type": "NOT_FOUND", "message": "Not Found",
                                                                       "code": "USER_NOT_FOUND"}


def test_cursor_paging(emulator: BrexEmulator) -> None:
    for i in range(4):
        emulator.account.add_user("User", str(i), f"u{i}@example.org")
    first = call(emulator, "GET", "/v2/users", params={"limit": 2}).json()
    second = call(emulator, "GET", "/v2/users", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    third = call(emulator, "GET", "/v2/users", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [len(p["items"]) for p in (first, second, third)] == [2, 2, 1]
    assert third["next_cursor"] is None
    ids = [u["id"] for p in (first, second, third) for u in p["items"]]
    assert len(set(ids)) == 5
    assert call(emulator, "GET", "/v2/users", params={"cursor": "not-a-cursor"}).json()["message"] == "cursor is invalid"
    assert call(emulator, "GET", "/v2/users", params={"limit": 0}).status_code == 400
    # a cursor is bound to its query: a cards cursor does not page users
    cards_cursor = first["next_cursor"]
    assert call(emulator, "GET", "/v2/cards", params={"cursor": cards_cursor}).status_code == 400
    assert call(emulator, "GET", "/v2/users", params={"color": "red"}).json()["message"] == "Unknown query parameter color"


def test_users_are_found_by_email_whatever_its_case(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    found = call(emulator, "GET", "/v2/users", params={"email": "ALICE@example.org"}).json()
    assert [u["id"] for u in found["items"]] == [seeded.uid]
    assert call(emulator, "GET", "/v2/users", params={"email": "nobody@example.org"}).json() == {"next_cursor": None, "items": []}


def test_card_bodies_are_validated_strictly(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    lock = f"/v2/cards/{seeded.virtual}/lock"

    def refused(**kwargs: Any) -> tuple[int, str]:
        answer = call(emulator, "POST", lock, **kwargs)
        return answer.status_code, answer.json()["message"]

    assert refused() == (400, "Request body is required")
    assert refused(json={"description": "x"}) == (400, "reason is invalid")
    assert refused(json={"reason": "SUSPENDED"}) == (400, "reason is invalid")
    assert refused(json={"reason": "OTHER", "description": "Membre suspendu — accès coupé"}) == (400, "description is invalid")
    assert refused(json={"reason": "OTHER", "note": "x"}) == (400, "note is not a known field")
    assert refused(data=b'{"reason": "OTHER"}', headers={"Content-Type": "text/plain"})[0] == 415
    assert emulator.status_of(seeded.virtual) == "ACTIVE"
    ok = call(emulator, "POST", lock, json={"reason": "OTHER", "description": "Access suspended"})
    assert ok.status_code == 200 and ok.json()["status"] == "LOCKED"
    assert call(emulator, "POST", lock, json={"reason": "OTHER"}).json()["message"] == "Card cannot be locked: it is LOCKED"
    assert call(emulator, "POST", f"/v2/cards/{seeded.virtual}/terminate", json={}).json()["message"] == "reason is invalid"
    assert call(emulator, "POST", f"/v2/cards/{seeded.virtual}/unlock", json={}).json()["message"] == "Request body is not allowed"


def test_an_unlock_gives_a_shipped_card_back_as_shipped(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    path = f"/v2/cards/{seeded.physical}"
    assert call(emulator, "POST", f"{path}/lock", json={"reason": "OTHER"}).json()["status"] == "LOCKED"
    assert call(emulator, "POST", f"{path}/unlock").json()["status"] == "SHIPPED"
    assert call(emulator, "POST", f"{path}/unlock").status_code == 400


def test_user_status_takes_only_active_or_disabled(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    path = f"/v2/users/{seeded.uid}"
    assert call(emulator, "PUT", path, json={"status": "SUSPENDED"}).json() == {"type": "BAD_REQUEST", "message": "status is invalid"}
    assert call(emulator, "PUT", path, json={"status": "DISABLED"}).json()["status"] == "DISABLED"
    assert call(emulator, "PUT", path, json={"status": "ACTIVE"}).json()["status"] == "ACTIVE"
    emulator.account.users[seeded.uid].status = "DELETED"
    assert call(emulator, "PUT", path, json={"status": "ACTIVE"}).status_code == 400


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_request(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    lock = f"/v2/cards/{seeded.virtual}/lock"
    first = call(emulator, "POST", lock, key="k1", json={"reason": "OTHER"})
    again = call(emulator, "POST", lock, key="k1", json={"reason": "OTHER"})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert emulator.replays == 1 and len(emulator.account.cards[seeded.virtual].history) == 1
    other = call(emulator, "POST", lock, key="k1", json={"reason": "FRAUD"})
    assert (other.status_code, other.json()["type"]) == (409, "CONFLICT")
    elsewhere = call(emulator, "POST", f"/v2/cards/{seeded.physical}/lock", key="k1", json={"reason": "OTHER"})
    assert elsewhere.status_code == 409 and emulator.status_of(seeded.physical) == "SHIPPED"
    # a refusal is remembered too: the same request under the same key is refused again, with no second look
    twice = [call(emulator, "POST", lock, key="k2", json={"reason": "OTHER"}).json()["message"] for _ in range(2)]
    assert twice == ["Card cannot be locked: it is LOCKED"] * 2 and emulator.replays == 2
    # a GET ignores the header
    assert call(emulator, "GET", f"/v2/cards/{seeded.virtual}", key="k1").json()["status"] == "LOCKED"
    emulator.forget_idempotency_keys()
    assert call(emulator, "POST", lock, key="k1", json={"reason": "FRAUD"}).status_code == 400  # a new request now


def test_throttling_answers_429_with_retry_after(make_emulator: Make) -> None:
    emulator = make_emulator(rate_limit=(3, 60.0))
    for _ in range(3):
        assert call(emulator, "GET", "/v2/users/me").status_code == 200
    throttled = call(emulator, "GET", "/v2/users/me")
    assert throttled.status_code == 429 and throttled.json()["type"] == "TOO_MANY_REQUESTS"
    assert 55 <= int(throttled.headers["Retry-After"]) <= 60
    knob = make_emulator()
    knob.faults.retry_after = 7
    knob.faults.script.append("429")
    answer = call(knob, "GET", "/v2/users/me")
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "7")


def test_the_request_log_records_every_request(emulator: BrexEmulator) -> None:
    seeded = seed(emulator)
    call(emulator, "GET", "/v2/cards", params={"user_id": seeded.uid})
    call(emulator, "POST", f"/v2/cards/{seeded.virtual}/lock", key="abc", json={"reason": "OTHER"})
    assert [(r.method, r.path, r.status) for r in emulator.log] == [
        ("GET", "/v2/cards", 200), ("POST", f"/v2/cards/{seeded.virtual}/lock", 200)]
    assert emulator.log[0].query == {"user_id": [seeded.uid]}
    assert [r.headers["idempotency-key"] for r in emulator.writes()] == ["abc"]


def test_the_sandbox_seeds_the_demo_roster(tmp_path: Path) -> None:
    members = [Member("m001", "Alice Admin", "alice@example.org"),
               Member("m007", "Dan Treasurer", "dan@example.org", identities={"brex": "dan.t@example.org"}),
               Member("m042", "Bob Example", "bob@example.org"),
               Member("m050", "Fran Former", "fran@example.org", status="former")]
    sandbox = start_sandbox("example.org", members, tmp_path)
    try:
        emulator = sandbox.emulator
        assert isinstance(emulator, BrexEmulator)
        assert sandbox.config == {"token_env": "BREX_API_TOKEN", "api_url": emulator.url, "insecure_endpoint": True}
        token = sandbox.environ["BREX_API_TOKEN"]
        assert token.startswith("bxt_") and token not in str(sandbox.config)
        users = {u["email"]: u for u in call(emulator, "GET", "/v2/users", token=token).json()["items"]}
        assert {e: u["status"] for e, u in users.items()} == {
            "finance@example.org": "ACTIVE", "alice@example.org": "ACTIVE", "dan.t@example.org": "ACTIVE",
            "bob@example.org": "ACTIVE", "fran@example.org": "DISABLED"}

        def cards(email: str) -> list[tuple[str, str]]:
            items = call(emulator, "GET", "/v2/cards", token=token, params={"user_id": users[email]["id"]}).json()["items"]
            return [(c["card_type"], c["status"]) for c in items]

        assert cards("alice@example.org") == [("VIRTUAL", "ACTIVE"), ("PHYSICAL", "SHIPPED")]
        assert cards("dan.t@example.org") == [("VIRTUAL", "ACTIVE")]
        assert cards("bob@example.org") == [("VIRTUAL", "ACTIVE"), ("PHYSICAL", "ACTIVE")]
        assert cards("fran@example.org") == [("VIRTUAL", "LOCKED")]
    finally:
        sandbox.stop()
