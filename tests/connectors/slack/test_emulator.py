"""The emulator answers as Slack does: raw HTTP, so these checks do not lean on the connector."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.slack.emulator import SlackEmulator, start_sandbox

from offboard.spi import Member

Make = Callable[..., SlackEmulator]


def post(emulator: SlackEmulator, method: str, token: str | None = None, **args: Any) -> dict[str, Any]:
    """A Web API call as slack-sdk sends it: a form body and a Bearer token."""
    request = urllib.request.Request(f"{emulator.url}/api/{method}", data=urllib.parse.urlencode(args).encode(),
                                     method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if token != "":
        request.add_header("Authorization", f"Bearer {token or emulator.admin_token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def scim(emulator: SlackEmulator, verb: str, path: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(f"{emulator.url}/scim/{path}", method=verb)
    request.add_header("Authorization", f"Bearer {token or emulator.admin_token}")
    try:
        with urllib.request.urlopen(request) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_tokens_are_checked(emulator: SlackEmulator) -> None:
    assert post(emulator, "auth.test", token="") == {"ok": False, "error": "not_authed"}
    assert post(emulator, "auth.test", token="xoxp-wrong") == {"ok": False, "error": "invalid_auth"}
    assert post(emulator, "auth.test")["user_id"] == emulator.admin_id
    assert post(emulator, "no.such.method") == {"ok": False, "error": "unknown_method"}


def test_cursor_pagination(emulator: SlackEmulator) -> None:
    for i in range(5):
        emulator.workspace.add_user(f"u{i}", f"u{i}@example.org")
    first = post(emulator, "users.list", limit=4)
    second = post(emulator, "users.list", limit=4, cursor=first["response_metadata"]["next_cursor"])
    assert len(first["members"]) == 4 and len(second["members"]) == 2
    assert second["response_metadata"]["next_cursor"] == ""
    assert post(emulator, "users.list", cursor="not-a-cursor")["error"] == "invalid_cursor"


def test_deactivated_users_hide_from_lookup_by_email_only(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("gone@example.org", "Gone Person", private_channels=1, usergroups=1)
    emulator.deactivate(uid)
    assert post(emulator, "users.lookupByEmail", email="gone@example.org")["error"] == "users_not_found"
    assert post(emulator, "users.info", user=uid)["user"]["deleted"] is True
    assert post(emulator, "users.conversations", user=uid, types="public_channel,private_channel")["channels"] == []
    groups = post(emulator, "usergroups.list", include_users="true")["usergroups"]
    assert [g["users"] for g in groups] == [[uid, emulator.admin_id]], "deactivation leaves user groups alone"


def test_private_channels_show_only_to_their_members(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("a@example.org", private_channels=1, public_channels=1)
    emulator.workspace.add_channel("hidden", private=True, members={uid})
    names = {c["name"] for c in post(emulator, "users.conversations", user=uid,
                                     types="public_channel,private_channel")["channels"]}
    assert names == {"general", "a-private-1", "a-public-1"}
    assert post(emulator, "users.conversations", user=uid, types="nonsense")["error"] == "invalid_types"


def test_kick_errors(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("a@example.org", private_channels=1)
    channel = next(c for c in emulator.workspace.channels.values() if c.name == "a-private-1")
    general = emulator.workspace.general.id
    assert post(emulator, "conversations.kick", channel=general, user=uid)["error"] == "cant_kick_from_general"
    assert post(emulator, "conversations.kick", channel=channel.id, user=emulator.admin_id)["error"] == "cant_kick_self"
    assert post(emulator, "conversations.kick", channel=channel.id, user=uid) == {"ok": True}
    assert post(emulator, "conversations.kick", channel=channel.id, user=uid)["error"] == "not_in_channel"
    assert post(emulator, "conversations.kick", channel="C404", user=uid)["error"] == "channel_not_found"


def test_missing_scope_names_what_is_needed(emulator: SlackEmulator) -> None:
    token = emulator.issue_token(scopes=["users:read"])
    answer = post(emulator, "usergroups.list", token=token)
    assert answer == {"ok": False, "error": "missing_scope", "needed": "usergroups:read", "provided": "users:read"}


def test_user_group_rules(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("a@example.org", usergroups=1)
    group = next(iter(emulator.workspace.usergroups.values()))
    assert post(emulator, "usergroups.users.update", usergroup=group.id, users="")["error"] == "no_users_provided"
    assert post(emulator, "usergroups.users.update", usergroup=group.id, users="U404")["error"] == "invalid_users"
    assert post(emulator, "usergroups.users.update", usergroup=group.id, users=uid)["usergroup"]["users"] == [uid]
    post(emulator, "usergroups.disable", usergroup=group.id)
    assert post(emulator, "usergroups.users.list", usergroup=group.id)["error"] == "no_such_subteam"
    assert post(emulator, "usergroups.users.list", usergroup=group.id, include_disabled="1")["users"] == [uid]
    assert post(emulator, "usergroups.list")["usergroups"] == []


@pytest.mark.parametrize(("plan", "usergroups", "admin", "scim_status"), [
    ("free", "plan_upgrade_required", "feature_not_enabled", 403),
    ("pro", None, "feature_not_enabled", 403),
    ("business+", None, "feature_not_enabled", 200),
    ("enterprise", None, None, 200),
])
def test_each_plan_answers_as_slack_does(make_emulator: Make, plan: str, usergroups: str | None, admin: str | None,
                                         scim_status: int) -> None:
    emulator = make_emulator(plan)
    uid = emulator.seed_member("a@example.org", usergroups=0)
    assert post(emulator, "usergroups.list").get("error") == usergroups
    assert post(emulator, "admin.users.session.reset", user_id=uid).get("error") == admin
    assert scim(emulator, "GET", f"v2/Users/{uid}")[0] == scim_status
    assert ("enterprise_id" in post(emulator, "auth.test")) is (plan == "enterprise")


def test_scim_v1_and_v2_users_and_errors(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("a.b@example.org", "Ann Bee", private_channels=1)
    status, v1 = scim(emulator, "GET", f"v1/Users/{uid}")
    assert status == 200 and v1["schemas"] == ["urn:scim:schemas:core:1.0"] and v1["active"] is True
    assert v1["emails"] == [{"value": "a.b@example.org", "primary": True}] and v1["name"]["familyName"] == "Bee"
    status, listed = scim(emulator, "GET", 'v2/Users?filter=email%20eq%20%22a.b@example.org%22')
    assert listed["totalResults"] == 1 and listed["Resources"][0]["id"] == uid
    assert scim(emulator, "GET", "v1/Users/U404") == (404, {"Errors": {"description": "user_not_found", "code": 404}})
    assert scim(emulator, "GET", "v2/Users/U404")[1]["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert scim(emulator, "DELETE", f"v2/Users/{uid}") == (204, None)
    assert scim(emulator, "GET", f"v2/Users/{uid}")[1]["active"] is False
    assert not any(uid in c.members for c in emulator.workspace.channels.values())
    assert scim(emulator, "DELETE", f"v1/Users/{emulator.admin_id}")[0] == 403, "the primary owner stays"
    assert scim(emulator, "GET", "v2/Users", token=emulator.issue_token(scopes=["users:read"]))[0] == 403


def test_writes_are_state_changing_methods_whatever_the_verb(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("a@example.org", private_channels=1)
    channel = next(c for c in emulator.workspace.channels.values() if c.name == "a-private-1")
    post(emulator, "users.info", user=uid)
    post(emulator, "conversations.kick", channel=channel.id, user=uid)
    scim(emulator, "GET", f"v2/Users/{uid}")
    scim(emulator, "DELETE", f"v2/Users/{uid}")
    assert [(r.method, r.path) for r in emulator.writes()] == [
        ("POST", "/api/conversations.kick"), ("DELETE", f"/scim/v2/Users/{uid}")]


def test_the_sandbox_is_a_realistic_workspace(tmp_path: Path) -> None:
    members = [Member("m1", "Ann Active", "ann@example.org"), Member("m2", "Bob Busy", "bob@example.org"),
               Member("m3", "Fran Former", "fran@example.org", status="former")]
    sandbox = start_sandbox("example.org", members, tmp_path)
    try:
        emulator = sandbox.emulator
        assert isinstance(emulator, SlackEmulator) and emulator.plan == "business+"
        assert sandbox.config["scim"] is True and sandbox.config["base_url"] == f"{emulator.url}/api/"
        assert sandbox.environ == {"SLACK_ADMIN_TOKEN": emulator.admin_token}
        users = {u["profile"]["email"] or u["name"]: u for u in post(emulator, "users.list")["members"]}
        assert users["fran@example.org"]["deleted"] is True and users["ann@example.org"]["deleted"] is False
        assert users["deploybot"]["is_bot"] is True and "old.treasurer@example.org" in users
        ann = users["ann@example.org"]["id"]
        channels = post(emulator, "users.conversations", user=ann, types="public_channel,private_channel")["channels"]
        assert {c["name"] for c in channels} == {"general", "announcements", "events", "coordination", "ann-projects"}
        groups = {g["handle"]: g["users"] for g in post(emulator, "usergroups.list", include_users="1")["usergroups"]}
        assert groups["coordinators"] == [ann] and ann in groups["volunteers"]
    finally:
        sandbox.stop()
