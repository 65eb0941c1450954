"""The emulator's reinstatement surface, raw HTTP: SCIM reactivation, conversations.info/invite, usergroups.enable."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from offboard.connectors.slack.emulator import SlackEmulator

from tests.connectors.slack.test_emulator import post

V2_ACTIVE = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "active", "value": True}]}


def patch(emulator: SlackEmulator, path: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(f"{emulator.url}/scim/{path}", data=json.dumps(body).encode(), method="PATCH")
    request.add_header("Authorization", f"Bearer {emulator.admin_token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_scim_reactivation_v1_and_v2_puts_the_account_back_in_no_channel(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("a@example.org", private_channels=1)
    emulator.deactivate(uid)
    assert patch(emulator, f"v2/Users/{uid}", {"schemas": ["urn:scim:schemas:core:1.0"], "active": True})[0] == 400
    assert patch(emulator, f"v1/Users/{uid}", V2_ACTIVE)[0] == 400, "v1 wants a partial user, not a PatchOp"
    assert patch(emulator, f"v2/Users/{uid}", {**V2_ACTIVE, "Operations": [{"op": "remove", "path": "active"}]})[0] == 400
    assert patch(emulator, "v2/Users/U404", V2_ACTIVE)[0] == 404
    status, user = patch(emulator, f"v2/Users/{uid}", V2_ACTIVE)
    assert status == 200 and user["active"] is True
    assert not any(uid in c.members for c in emulator.workspace.channels.values()), "Slack adds them back to none"
    emulator.deactivate(uid)
    status, user = patch(emulator, f"v1/Users/{uid}", {"schemas": ["urn:scim:schemas:core:1.0"], "active": True})
    assert status == 200 and user["active"] is True and not emulator.workspace.users[uid]["deleted"]
    assert [r.status for r in emulator.writes()] == [400, 400, 400, 404, 200, 200], "PATCH is a write, refused or not"


def test_conversations_invite_answers_as_slack_does(emulator: SlackEmulator) -> None:
    ws = emulator.workspace
    uid = emulator.seed_member("a@example.org", private_channels=1, public_channels=1)
    private = next(c for c in ws.channels.values() if c.name == "a-private-1")
    public = next(c for c in ws.channels.values() if c.name == "a-public-1")  # the admin is not in it
    hidden = ws.add_channel("hidden", private=True, members=set())
    assert post(emulator, "conversations.invite", channel=private.id, users=uid)["error"] == "already_in_channel"
    assert post(emulator, "conversations.invite", channel=public.id, users=uid)["error"] == "not_in_channel"
    assert post(emulator, "conversations.invite", channel=hidden.id, users=uid)["error"] == "channel_not_found"
    assert post(emulator, "conversations.invite", channel=private.id, users=emulator.admin_id)["error"] == "cant_invite_self"
    assert post(emulator, "conversations.invite", channel=private.id, users="U404")["error"] == "user_not_found"
    assert post(emulator, "conversations.invite", channel=private.id)["error"] == "no_user"
    emulator.deactivate(uid)
    assert post(emulator, "conversations.invite", channel=private.id, users=uid)["error"] == "cant_invite"
    emulator.reactivate(uid)
    assert post(emulator, "conversations.invite", channel=private.id, users=uid)["ok"] is True
    assert uid in private.members
    emulator.archive(private.id)
    assert post(emulator, "conversations.invite", channel=private.id, users=uid)["error"] == "is_archived"
    info = post(emulator, "conversations.info", channel=private.id)["channel"]
    assert info["is_archived"] is True and info["is_member"] is True
    assert post(emulator, "conversations.info", channel=public.id)["channel"]["is_member"] is False
    assert post(emulator, "conversations.info", channel=hidden.id)["error"] == "channel_not_found"
    token = emulator.issue_token(scopes=["channels:read", "groups:read"])
    assert post(emulator, "conversations.invite", token=token, channel=private.id, users=uid)["needed"] == "groups:write"


def test_usergroups_enable_and_its_tier(make_emulator: Any) -> None:
    emulator = make_emulator("business+")
    group = emulator.workspace.add_usergroup("crew", "Crew", [emulator.admin_id])
    post(emulator, "usergroups.disable", usergroup=group.id)
    enabled = post(emulator, "usergroups.enable", usergroup=group.id)["usergroup"]
    assert enabled["date_delete"] == 0 and enabled["users"] == [emulator.admin_id]
    assert post(emulator, "usergroups.enable", usergroup="S404")["error"] == "no_such_subteam"
    for _ in range(18):  # tier 2: 20 a minute, counted per method
        assert post(emulator, "usergroups.enable", usergroup=group.id)["ok"] is True
    try:
        post(emulator, "usergroups.enable", usergroup=group.id)
    except urllib.error.HTTPError as err:
        assert err.code == 429 and int(err.headers["Retry-After"]) >= 1
    else:
        raise AssertionError("the 21st usergroups.enable of the minute was not throttled")
