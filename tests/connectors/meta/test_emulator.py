"""The emulator is as strict as the Graph API: versions, paths, tokens, parameters, the read-only roles edge, paging."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from offboard.connectors.meta.emulator import MetaEmulator, start_sandbox

from offboard.spi import Member
from tests.connectors.meta.conftest import Org


def graph(emulator: MetaEmulator, method: str, path: str, token: str | None = None, **params: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or emulator.token}"} if token != "" else {}
    send = {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()}
    if method == "POST":
        return requests.post(f"{emulator.url}/{path}", data=send, headers=headers, timeout=5)
    return requests.request(method, f"{emulator.url}/{path}", params=send, headers=headers, timeout=5)


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()["error"]
    assert body["fbtrace_id"] and body["type"]
    return {k: body.get(k) for k in ("message", "code", "error_subcode")}


def page_token(org: Org, page: str) -> str:
    return str(graph(org.emulator, "GET", f"v25.0/{page}", fields="access_token").json()["access_token"])


def test_unknown_versions_and_paths_are_refused_as_meta_does(org: Org) -> None:
    em = org.emulator
    assert error_of(graph(em, "GET", "v99.0/me")) == {"message": "Unknown path components: /me", "code": 2500,
                                                       "error_subcode": None}
    assert error_of(graph(em, "GET", f"v25.0/{org.main}/assigned_users/extra"))["code"] == 2500
    assert error_of(graph(em, "GET", f"v25.0/{org.main}/feedz")) == {
        "message": "(#100) Tried accessing nonexisting field (feedz) on node type (Page)", "code": 100, "error_subcode": None}
    gone = graph(em, "GET", "v25.0/999")
    assert gone.status_code == 400 and error_of(gone)["error_subcode"] == 33
    assert error_of(gone)["message"].startswith("Unsupported get request. Object with ID '999' does not exist")
    assert error_of(graph(em, "GET", f"v25.0/{org.main}", fields="name,nope"))["message"] == \
        "(#100) Tried accessing nonexisting field (nope) on node type (Page)"


def test_tokens_come_in_the_query_or_a_bearer_header_and_bad_ones_are_refused(org: Org) -> None:
    em = org.emulator
    in_query = requests.get(f"{em.url}/v25.0/me", params={"access_token": em.token}, timeout=5)
    assert in_query.json() == {"id": em.system_user_id, "name": "offboard"}
    assert error_of(graph(em, "GET", f"v25.0/{org.main}", token="")) == {
        "message": "An access token is required to request this resource.", "code": 104, "error_subcode": None}
    assert error_of(graph(em, "GET", "v25.0/me", token="EAAnope"))["code"] == 190
    em.expire_token(em.token)
    assert error_of(graph(em, "GET", "v25.0/me")) == {"message": "Error validating access token: Session has expired.",
                                                      "code": 190, "error_subcode": 463}


def test_assigned_users_needs_a_page_token_and_the_business(org: Org) -> None:
    em = org.emulator
    assert error_of(graph(em, "GET", f"v25.0/{org.main}/assigned_users", business=em.business.id))["code"] == 210
    token = page_token(org, org.main)
    assert error_of(graph(em, "GET", f"v25.0/{org.main}/assigned_users", token))["message"] == \
        "(#100) The parameter business is required"
    listed = graph(em, "GET", f"v25.0/{org.main}/assigned_users", token, business=em.business.id,
                   fields="id,name,tasks").json()["data"]
    assert {"id": org.alice, "name": "Alice Liddell", "tasks": ["CREATE_CONTENT", "MODERATE"]} in listed
    assert error_of(graph(em, "POST", f"v25.0/{org.main}/assigned_users", token, user=org.alice,
                          tasks=["PUBLISH"]))["message"].startswith("(#100) Param tasks[0] must be one of {")
    assert graph(em, "DELETE", f"v25.0/{org.main}/assigned_users", token, user=org.alice).json() == {"success": True}
    assert org.alice not in em.business.pages[org.main].assigned


def test_the_roles_edge_is_read_only(org: Org) -> None:
    em = org.emulator
    token = page_token(org, org.events)
    people = graph(em, "GET", f"v25.0/{org.events}/roles", token, fields="id,name,tasks").json()["data"]
    assert people == [{"id": org.outsider, "name": "Pat Photographer", "tasks": ["CREATE_CONTENT"]}]
    for method in ("POST", "DELETE"):
        refused = graph(em, method, f"v25.0/{org.events}/roles", token, user=org.outsider)
        assert error_of(refused)["error_subcode"] == 33
        assert error_of(refused)["message"].startswith(f"Unsupported {method.lower()} request. Object with ID '{org.events}'")
    assert org.outsider in em.business.pages[org.events].roles


def test_removing_someone_from_the_portfolio_ends_their_tasks_and_cannot_be_repeated(org: Org) -> None:
    em = org.emulator
    assert graph(em, "DELETE", f"v25.0/{org.alice}").json() == {"success": True}
    assert org.alice not in em.business.pages[org.main].assigned
    asset = em.business.asset(org.instagram)
    assert asset is not None and org.alice not in asset.assigned
    again = graph(em, "DELETE", f"v25.0/{org.alice}")
    assert error_of(again)["message"].startswith(f"Unsupported delete request. Object with ID '{org.alice}' does not exist")
    assert [r.status for r in em.requests("DELETE")] == [200, 400]


def test_paging_gives_cursors_and_a_next_url(make_emulator: Callable[..., MetaEmulator]) -> None:
    em = make_emulator()
    for i in range(30):
        em.business.add_user(f"Person {i}", f"p{i}@example.org")
    url = f"{em.url}/v25.0/{em.business.id}/business_users"
    query: dict[str, str | int] = {"access_token": em.token, "fields": "id,email", "limit": 20}
    first = requests.get(url, params=query, timeout=5).json()
    assert len(first["data"]) == 20 and set(first["paging"]["cursors"]) == {"before", "after"}
    assert f"access_token={em.token}" in first["paging"]["next"], "Meta's next URL repeats a token given in the query"
    second = requests.get(first["paging"]["next"], timeout=5).json()
    assert len(second["data"]) == 10 and "next" not in second["paging"]
    by_header = graph(em, "GET", f"v25.0/{em.business.id}/business_users", limit=20).json()
    assert "access_token" not in by_header["paging"]["next"]


@pytest.mark.parametrize("status", [400, 403])
def test_throttling_answers_with_a_code_and_the_buc_header(org: Org, status: int) -> None:
    org.emulator.throttle(code=80001, status=status, minutes=3)
    refused = graph(org.emulator, "GET", "v25.0/me")
    assert refused.status_code == status and error_of(refused)["code"] == 80001
    usage = json.loads(refused.headers["X-Business-Use-Case-Usage"])
    assert usage[org.emulator.business.id][0]["estimated_time_to_regain_access"] == 3
    ok = graph(org.emulator, "GET", "v25.0/me")
    assert ok.status_code == 200 and json.loads(ok.headers["X-App-Usage"])["call_count"] == 1


def test_the_sandbox_seeds_the_demo_portfolio(tmp_path: Path) -> None:
    members = [Member("m001", "Alice Admin", "alice@example.org"), Member("m007", "Dan Treasurer", "dan@example.org"),
               Member("m042", "Bob Example", "bob@example.org", identities={"meta": "110000000000042"}),
               Member("m050", "Fran Former", "fran@example.org", status="former")]
    sandbox = start_sandbox("example.org", members, tmp_path)
    try:
        em = sandbox.emulator
        assert isinstance(em, MetaEmulator)
        biz = em.business
        assert biz.name == "Example Volunteers"
        assert [biz.pages[p].name for p in sandbox.config["page_ids"]] == ["Example Volunteers", "Example Volunteers Events"]
        main, events = (biz.pages[p] for p in sandbox.config["page_ids"])
        assert main.instagram and events.instagram is None
        assert [p["name"] for p in events.roles.values()] == ["Pat Photographer"]
        emails = {u.email: u for u in biz.users.values()}
        assert "fran@example.org" not in emails and "110000000000042" in biz.users  # the roster's meta id is used
        assert emails["alice@example.org"].role == "ADMIN" and main.assigned[emails["alice@example.org"].id] == ["MANAGE"]
        assert events.assigned["110000000000042"] and biz.instagram[main.instagram].assigned["110000000000042"]
        assert sandbox.config["insecure_endpoint"] is True and sandbox.config["api_url"] == em.url
        assert sandbox.environ == {sandbox.config["token_env"]: em.token}
        assert em.token not in json.dumps(sandbox.config)
    finally:
        sandbox.stop()


def test_an_hourly_limit_raises_the_usage_then_throttles(make_emulator: Callable[..., MetaEmulator]) -> None:
    em = make_emulator(calls_per_hour=4)
    page = em.business.add_page("Example Volunteers")
    used = [json.loads(graph(em, "GET", "v25.0/me").headers["X-App-Usage"]) for _ in range(2)]
    assert used == [{"call_count": 1, "total_cputime": 1, "total_time": 1}] * 2  # the app's own knob
    levels = [json.loads(graph(em, "GET", f"v25.0/{page}").headers["X-Business-Use-Case-Usage"])[page][0]["call_count"]
              for _ in range(2)]
    assert levels == [75, 100]
    refused = graph(em, "GET", f"v25.0/{page}")
    assert error_of(refused)["code"] == 80001 and refused.status_code == 400
    assert json.loads(refused.headers["X-Business-Use-Case-Usage"])[em.business.id][0]["estimated_time_to_regain_access"] == 60
    assert error_of(graph(em, "GET", "v25.0/me"))["code"] == 4
