"""The emulator answers as Bitwarden does: raw HTTP with requests, so these checks do not lean on the connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from offboard.connectors.bitwarden.emulator import BitwardenEmulator, start_sandbox

from offboard.spi import Member
from tests.connectors.bitwarden.conftest import Make, seed


def token(emulator: BitwardenEmulator, **form: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": "api.organization", "client_id": emulator.client_id,
            "client_secret": emulator.client_secret, **form}
    return requests.post(f"{emulator.url}/identity/connect/token", data=data, timeout=5)


def call(emulator: BitwardenEmulator, method: str, path: str, bearer: str | None = None,
         headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
    auth = {} if bearer == "" else {"Authorization": f"Bearer {bearer or emulator.issue_token()}"}
    return requests.request(method, f"{emulator.url}/api{path}", headers={**auth, **(headers or {})}, timeout=5, **kwargs)


def test_the_token_endpoint_issues_an_hour_long_token_for_the_organization_key(emulator: BitwardenEmulator) -> None:
    answer = token(emulator)
    assert answer.status_code == 200
    body = answer.json()
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer" and body["scope"] == "api.organization"
    assert call(emulator, "GET", "/public/members", body["access_token"]).status_code == 200


def test_the_token_endpoint_refuses_as_identityserver_does(emulator: BitwardenEmulator) -> None:
    assert token(emulator, client_secret="wrong").json() == {"error": "invalid_client"}
    assert token(emulator, client_id=f"organization.{'0' * 8}-0000-0000-0000-{'0' * 12}").json() == {"error": "invalid_client"}
    assert token(emulator, client_id=emulator.org.id).json() == {"error": "invalid_client"}  # the id without its prefix
    assert token(emulator, scope="api").json() == {"error": "invalid_scope"}
    assert token(emulator, grant_type="password").json() == {"error": "unsupported_grant_type"}
    emulator.org.use_api = False  # the organization may not use the API: its client is disabled
    assert token(emulator).status_code == 400 and token(emulator).json() == {"error": "invalid_client"}
    as_json = requests.post(f"{emulator.url}/identity/connect/token", json={"grant_type": "client_credentials"}, timeout=5)
    assert as_json.json() == {"error": "invalid_request"}
    assert requests.get(f"{emulator.url}/identity/connect/token", timeout=5).status_code == 405


def test_bearer_tokens_are_checked(emulator: BitwardenEmulator) -> None:
    missing = call(emulator, "GET", "/public/members", bearer="")
    assert (missing.status_code, missing.content, missing.headers["WWW-Authenticate"]) == (401, b"", "Bearer")
    assert call(emulator, "GET", "/public/members", bearer="not-a-token").status_code == 401
    expired = emulator.issue_token(lifetime=-1)
    assert call(emulator, "GET", "/public/members", bearer=expired).status_code == 401
    wrong_scope = emulator.issue_token(scopes=frozenset({"api"}))
    assert call(emulator, "GET", "/public/members", bearer=wrong_scope).status_code == 403


def test_routing_answers_before_authentication(emulator: BitwardenEmulator) -> None:
    """A path no route has: 404, empty; a route of another method: 405 with Allow, with or without a token."""
    unknown = call(emulator, "GET", "/public/nothing", bearer="")
    assert (unknown.status_code, unknown.content) == (404, b"")
    probe = call(emulator, "GET", "/public/members/00000000-0000-0000-0000-000000000000/revoke", bearer="")
    assert (probe.status_code, probe.headers["Allow"]) == (405, "POST")
    assert call(emulator, "PATCH", "/public/members").status_code == 405
    bad_id = call(emulator, "GET", "/public/members/not-a-guid")
    assert bad_id.status_code == 400
    assert bad_id.json() == {"object": "error", "message": "The request's model state is invalid.",
                             "errors": {"id": ["The value 'not-a-guid' is not valid."]}}


def test_members_groups_and_collections_as_the_public_api_shows_them(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    members = call(emulator, "GET", "/public/members").json()
    assert members["object"] == "list" and "continuationToken" not in members
    alice = call(emulator, "GET", f"/public/members/{ids.alice}").json()
    assert alice["object"] == "member" and alice["status"] == 2 and alice["type"] == 2 and alice["userId"]
    assert alice["collections"] == [{"id": ids.bank, "readOnly": True, "hidePasswords": True, "manage": False}]
    assert sorted(call(emulator, "GET", f"/public/members/{ids.alice}/group-ids").json()) == sorted([ids.social, ids.everyone])
    group = call(emulator, "GET", f"/public/groups/{ids.social}").json()
    assert group["name"] == "Social media" and {c["id"] for c in group["collections"]} == {ids.instagram, ids.x}
    collection = call(emulator, "GET", f"/public/collections/{ids.instagram}").json()
    assert collection == {"object": "collection", "id": ids.instagram, "externalId": "instagram",
                          "groups": [{"id": ids.social, "readOnly": False, "hidePasswords": False, "manage": False}]}
    assert "name" not in collection  # collection names are encrypted: the API has none
    missing = call(emulator, "GET", "/public/members/00000000-0000-0000-0000-000000000001")
    assert (missing.status_code, missing.content) == (404, b"")


def test_revoke_and_restore_return_the_member_to_their_status(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    invited = emulator.org.add_member("new@example.org", status=0)
    for mid, status in ((ids.alice, 2), (invited, 0)):
        assert call(emulator, "POST", f"/public/members/{mid}/revoke").status_code == 200
        assert call(emulator, "GET", f"/public/members/{mid}").json()["status"] == -1
        again = call(emulator, "POST", f"/public/members/{mid}/revoke")
        assert again.status_code == 400
        assert again.json() == {"object": "error", "message": "Already revoked.", "errors": None}
        assert call(emulator, "POST", f"/public/members/{mid}/restore").status_code == 200
        assert call(emulator, "GET", f"/public/members/{mid}").json()["status"] == status
        assert call(emulator, "POST", f"/public/members/{mid}/restore").json()["message"] == "Already active."
    assert call(emulator, "GET", f"/public/members/{invited}").json()["userId"] is None


def test_the_last_confirmed_owner_cannot_be_revoked_or_removed(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    for method, path in (("POST", f"/public/members/{ids.owner}/revoke"), ("DELETE", f"/public/members/{ids.owner}")):
        refused = call(emulator, method, path)
        assert (refused.status_code, refused.json()["message"]) == (400, "Organization must have at least one confirmed owner.")
    second = emulator.org.add_member("second@example.org", "Second Owner", type=0)
    assert call(emulator, "POST", f"/public/members/{ids.owner}/revoke").status_code == 200
    assert call(emulator, "GET", f"/public/members/{second}").json()["type"] == 0


def test_put_group_ids_replaces_the_list_and_drops_unknown_groups(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    path = f"/public/members/{ids.alice}/group-ids"
    foreign = "00000000-0000-0000-0000-00000000abcd"
    answer = call(emulator, "PUT", path, json={"groupIds": [ids.everyone, foreign]})
    assert (answer.status_code, answer.content) == (200, b"")
    assert call(emulator, "GET", path).json() == [ids.everyone]
    assert call(emulator, "PUT", path, json={"groupIds": []}).status_code == 200
    assert call(emulator, "GET", path).json() == []


def test_put_group_ids_checks_its_body_strictly(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    path = f"/public/members/{ids.alice}/group-ids"
    assert call(emulator, "PUT", path, data="groupIds=x", headers={"Content-Type": "text/plain"}).status_code == 415
    bodies: list[Any] = [{"groupids": []}, {"groupIds": None}, {"groupIds": ["not-a-guid"]}, [ids.social]]
    for body in bodies:
        refused = call(emulator, "PUT", path, json=body)
        assert refused.status_code == 400 and refused.json()["message"] == "The request's model state is invalid."
    assert sorted(call(emulator, "GET", path).json()) == sorted([ids.social, ids.everyone])  # nothing changed


def test_an_old_server_has_no_revoke_or_restore(make_emulator: Make) -> None:
    emulator = make_emulator(old_server=True)
    ids = seed(emulator)
    for route in ("revoke", "restore"):
        for method in ("POST", "GET"):
            answer = call(emulator, method, f"/public/members/{ids.alice}/{route}")
            assert (answer.status_code, answer.content) == (404, b"")
    assert call(emulator, "GET", "/config", bearer="").json()["version"] == "2025.12.1"
    assert call(emulator, "DELETE", f"/public/members/{ids.alice}").status_code == 200
    assert call(emulator, "GET", f"/public/members/{ids.alice}").status_code == 404


def test_rate_limits_answer_429_with_retry_after(make_emulator: Make) -> None:
    now = [1000.0]
    emulator = make_emulator(enforce_rate_limits=True, clock=lambda: now[0])
    ids = seed(emulator)
    bearer = emulator.issue_token()
    statuses = [call(emulator, "PUT", f"/public/members/{ids.bob}/group-ids", bearer, json={"groupIds": []}).status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    throttled = call(emulator, "PUT", f"/public/members/{ids.bob}/group-ids", bearer, json={"groupIds": []})
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.json()["message"] == "Slow down! Too many requests. Try again in 1s."
    assert call(emulator, "GET", "/public/members", bearer).status_code == 200  # GET counts apart
    now[0] += 1
    assert call(emulator, "PUT", f"/public/members/{ids.bob}/group-ids", bearer, json={"groupIds": []}).status_code == 200
    for _ in range(60):  # 60 a minute: spread over seconds, the 61st in the minute is refused
        now[0] += 0.5
        call(emulator, "DELETE", "/public/members/00000000-0000-0000-0000-000000000009", bearer)
    minute = call(emulator, "DELETE", "/public/members/00000000-0000-0000-0000-000000000009", bearer)
    assert minute.status_code == 429 and minute.json()["message"] == "Slow down! Too many requests. Try again in 1m."
    assert int(minute.headers["Retry-After"]) > 1


def test_the_request_log_and_writes(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    token(emulator)
    call(emulator, "POST", f"/public/members/{ids.alice}/revoke")
    assert [(r.method, r.path) for r in emulator.writes()] == [("POST", f"/api/public/members/{ids.alice}/revoke")]
    assert len(emulator.token_requests()) == 1


def test_the_sandbox_seeds_a_small_vault(tmp_path: Path) -> None:
    members = [Member("m001", "Alice Admin", "alice@example.org"), Member("m007", "Dan Treasurer", "dan@example.org"),
               Member("m042", "Bob Example", "bob@example.org", identities={"bitwarden": "bob.private@mail.test"}),
               Member("m050", "Fran Former", "fran@example.org", status="former")]
    sandbox = start_sandbox("example.org", members, tmp_path)
    try:
        emulator = sandbox.emulator
        assert isinstance(emulator, BitwardenEmulator)
        org = emulator.org
        by_email = {m.email: m for m in org.members.values()}
        assert by_email["vault-owner@example.org"].type == 0 and by_email["alice@example.org"].type == 1
        assert by_email["fran@example.org"].status == -1 and by_email["new.volunteer@example.org"].user_id is None
        assert "bob.private@mail.test" in by_email  # the roster's bitwarden column
        groups = {g.name: {org.members[m].email for m in g.members} for g in org.groups.values()}
        assert groups == {"Social media": {"dan@example.org", "bob.private@mail.test"}, "Finance": {"dan@example.org"},
                          "Everyone": {"alice@example.org", "dan@example.org", "bob.private@mail.test"}}
        assert sorted(c.name for c in org.collections.values()) == ["Bank portal", "Instagram", "Wi-Fi & door codes",
                                                                     "X (Twitter)"]
        assert sandbox.config == {"client_id_env": "BW_CLIENT_ID", "client_secret_env": "BW_CLIENT_SECRET",
                                  "api_url": f"{emulator.url}/api", "identity_url": f"{emulator.url}/identity",
                                  "insecure_endpoint": True}
        assert sandbox.environ == {"BW_CLIENT_ID": emulator.client_id, "BW_CLIENT_SECRET": emulator.client_secret}
        assert emulator.client_secret not in str(sandbox.config)
    finally:
        sandbox.stop()
