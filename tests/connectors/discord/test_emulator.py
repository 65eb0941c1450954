"""The emulator is strict where Discord is: auth, routes, methods, bodies, the hierarchy, the intent, rate limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import requests
from offboard.connectors.discord.emulator import DiscordEmulator
from offboard.connectors.discord.emulator.limits import Limits, bucket_hash
from offboard.connectors.discord.emulator.state import MEMBER_BAN_ADD, MEMBER_ROLE_UPDATE

from tests.connectors.discord.conftest import Org

UA = "DiscordBot (https://github.com/offboard, 0.1.0)"


def call(emulator: DiscordEmulator, method: str, path: str, *, token: str | None = None, json: Any = None,
         headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
    sent = {"Authorization": f"Bot {token or emulator.bot_token}", "User-Agent": UA, **(headers or {})}
    return requests.request(method, f"{emulator.api_url}{path}", json=json, headers=sent, timeout=10, **kwargs)


def g(emulator: DiscordEmulator) -> str:
    return f"/guilds/{emulator.guild_id}"


def test_a_wrong_token_is_401_with_discords_body(emulator: DiscordEmulator) -> None:
    answer = call(emulator, "GET", "/users/@me", token="not-the-token")
    assert (answer.status_code, answer.json()) == (401, {"message": "401: Unauthorized", "code": 0})


def test_unknown_paths_methods_and_guilds_are_refused(emulator: DiscordEmulator) -> None:
    assert call(emulator, "GET", "/guilds/1/nothing").json() == {"message": "404: Not Found", "code": 0}
    assert call(emulator, "POST", f"{g(emulator)}/bans/1").status_code == 405
    assert call(emulator, "GET", "/guilds/123").json() == {"message": "Unknown Guild", "code": 10004}
    unversioned = requests.get(f"{emulator.url}/api/users/@me", timeout=10)
    assert unversioned.status_code == 404


def test_a_member_not_in_the_guild_is_10007_and_a_missing_ban_10026(org: Org) -> None:
    e = org.emulator
    assert call(e, "GET", f"{g(e)}/members/4242").json() == {"message": "Unknown Member", "code": 10007}
    assert call(e, "GET", f"{g(e)}/bans/{org.bob}").json() == {"message": "Unknown Ban", "code": 10026}
    assert call(e, "DELETE", f"{g(e)}/bans/{org.bob}").status_code == 404


def test_the_hierarchy_refuses_a_member_or_role_at_or_above_the_bot(org: Org) -> None:
    e = org.emulator
    e.move_role(org.coordinator, 100)  # now above the bot's role
    refused = call(e, "PUT", f"{g(e)}/bans/{org.bob}")
    assert (refused.status_code, refused.json()) == (403, {"message": "Missing Permissions", "code": 50013})
    assert call(e, "DELETE", f"{g(e)}/members/{org.bob}/roles/{org.coordinator}").json()["code"] == 50013
    assert call(e, "DELETE", f"{g(e)}/members/{org.bob}/roles/{org.member}").status_code == 204
    assert call(e, "DELETE", f"{g(e)}/members/{e.guild.owner_id}").json()["code"] == 50013  # never the owner
    assert org.bob in e.guild.members


def test_a_ban_removes_the_member_and_their_roles_and_records_the_reason_decoded(org: Org) -> None:
    e = org.emulator
    reason = "offboard: expelled by the coordinating committee (ünïcode)"
    answer = call(e, "PUT", f"{g(e)}/bans/{org.bob}", json={"delete_message_seconds": 0},
                  headers={"X-Audit-Log-Reason": quote(reason)})
    assert answer.status_code == 204 and answer.content == b""
    assert org.bob not in e.guild.members and org.bob in e.guild.bans
    assert e.audit_log[-1] == {"action_type": MEMBER_BAN_ADD, "target_id": org.bob, "user_id": e.bot_id,
                               "reason": reason, "changes": {}}
    assert call(e, "GET", f"{g(e)}/bans/{org.bob}").json()["reason"] == reason
    with pytest.raises(ValueError, match="banned"):
        e.join(org.bob)


def test_roles_change_one_by_one_and_are_logged(org: Org) -> None:
    e = org.emulator
    assert call(e, "DELETE", f"{g(e)}/members/{org.carol}/roles/{org.member}").status_code == 204
    assert call(e, "DELETE", f"{g(e)}/members/{org.carol}/roles/{org.member}").status_code == 204  # already so: 204
    assert call(e, "PUT", f"{g(e)}/members/{org.carol}/roles/999").json() == {"message": "Unknown Role", "code": 10011}
    assert org.roles_of(org.carol) == set()
    assert [entry["action_type"] for entry in e.audit_log] == [MEMBER_ROLE_UPDATE]


def test_bodies_are_checked_like_discords_forms(org: Org) -> None:
    e = org.emulator
    wrong = call(e, "PUT", f"{g(e)}/bans/{org.bob}", json={"delete_message_seconds": 10**7})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == 50035 and "delete_message_seconds" in wrong.json()["errors"]
    bad_json = call(e, "PATCH", f"{g(e)}/members/{org.bob}", data=b"{", headers={"Content-Type": "application/json"})
    assert bad_json.json()["code"] == 50109
    too_late = call(e, "PATCH", f"{g(e)}/members/{org.bob}", json={"communication_disabled_until": "2999-01-01T00:00:00Z"})
    assert too_late.json()["code"] == 50035
    assert call(e, "PUT", f"{g(e)}/members/{org.bob}", json={"access_token": "x"}).json()["code"] == 50025


def test_listing_members_needs_the_server_members_intent(org: Org) -> None:
    e = org.emulator
    assert len(call(e, "GET", f"{g(e)}/members", params={"limit": 1000}).json()) == len(e.guild.members)
    e.members_intent = False
    answer = call(e, "GET", f"{g(e)}/members", params={"limit": 1000})
    assert (answer.status_code, answer.json()) == (403, {"message": "Missing Access", "code": 50001})
    assert call(e, "GET", f"{g(e)}/members/{org.bob}").status_code == 200  # one member needs no intent


def test_route_buckets_send_the_real_headers_and_a_429_with_a_float_retry_after(
        make_emulator: Callable[..., DiscordEmulator]) -> None:
    e = make_emulator()
    template = "GET /guilds/{guild}/members/{user}"
    e.limits.limit_route(template, 2, 30.0)
    first = call(e, "GET", f"{g(e)}/members/{e.bot_id}")
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["X-RateLimit-Bucket"] == bucket_hash(template)
    assert 29 < float(first.headers["X-RateLimit-Reset-After"]) <= 30
    call(e, "GET", f"{g(e)}/members/{e.bot_id}")
    throttled = call(e, "GET", f"{g(e)}/members/{e.bot_id}")
    body = throttled.json()
    assert throttled.status_code == 429 and body["message"] == "You are being rate limited." and body["global"] is False
    assert isinstance(body["retry_after"], float) and 29 < body["retry_after"] <= 30
    assert throttled.headers["Retry-After"] == "30" and throttled.headers["X-RateLimit-Scope"] == "user"
    assert call(e, "GET", "/users/@me").status_code == 200  # another bucket


def test_the_global_limit_is_50_requests_a_second(make_emulator: Callable[..., DiscordEmulator]) -> None:
    e = make_emulator()
    e.limits = Limits(None, 50, clock=lambda: 0.0)  # every request in the same instant
    answers = [call(e, "GET", "/users/@me") for _ in range(51)]
    assert [a.status_code for a in answers[:50]] == [200] * 50
    last = answers[50]
    assert last.status_code == 429 and last.json()["global"] is True
    assert last.headers["X-RateLimit-Global"] == "true" and last.headers["X-RateLimit-Scope"] == "global"


def test_the_user_agent_must_be_discords_form(emulator: DiscordEmulator) -> None:
    answer = call(emulator, "GET", "/users/@me", headers={"User-Agent": "python-requests/2"})
    assert answer.status_code == 400
