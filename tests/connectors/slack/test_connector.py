"""What each Slack plan allows, end to end through slack-sdk and the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.slack import SlackConnector
from offboard.connectors.slack import actions as slack_actions
from offboard.connectors.slack.emulator import SlackEmulator

from offboard.spi import Action, ConfigError, ConnectorContext, Member, Phase, State
from offboard.testing.contract import order_for_apply
from tests.connectors.slack.conftest import ALICE, connect

Make = Callable[..., SlackEmulator]


def plan_for(connector: SlackConnector, member: Member = ALICE) -> dict[str, Action]:
    account = connector.resolve(member)
    assert account is not None
    return {a.id: a for a in connector.discover(account)}


# ---------------------------------------------------------------- config and construction


def test_construction_is_offline_and_needs_no_token() -> None:
    context = ConnectorContext("Org", "example.org", Path("."), environ={})
    connector = SlackConnector({"scim": True}, context)
    assert connector.config == {"token_env": "SLACK_ADMIN_TOKEN", "scim": True, "base_url": "", "scim_base_url": "",
                                "insecure_endpoint": False}


def test_config_is_checked_at_load_time() -> None:
    context = ConnectorContext("Org", "example.org", Path("."), environ={})
    with pytest.raises(ConfigError, match="'scim' must be a bool"):
        SlackConnector({"scim": "yes"}, context)


def test_slack_sdk_is_imported_on_first_use_only() -> None:
    code = "import sys, offboard.connectors.slack; assert 'slack_sdk' not in sys.modules, 'imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- resolve


def test_resolve_by_email(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    account = connect(emulator).resolve(ALICE)
    assert account is not None and account.id == uid and account.label == ALICE.email
    assert account.attributes["deleted"] is False and account.attributes["real_name"] == ALICE.name


def test_resolve_finds_a_deactivated_user_that_lookup_by_email_hides(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    emulator.deactivate(uid)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None and account.id == uid and account.attributes["deleted"] is True
    assert emulator.requests(path_contains="users.list"), "users.list is the only place a deactivated email shows"
    left = [a.kind for a in connector.discover(account)]
    assert left == ["usergroup"], "deactivated already: only the user group listing is left to clean"


def test_roster_user_id_overrides_the_email(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member("a.liddell@old-domain.test", ALICE.name)
    emulator.deactivate(uid)
    member = Member(ALICE.id, ALICE.name, ALICE.email, identities={"slack": uid})
    account = connect(emulator).resolve(member)
    assert account is not None and account.id == uid and account.attributes["deleted"] is True
    assert emulator.requests(path_contains="users.info") and not emulator.requests(path_contains="lookupByEmail")


def test_resolve_a_stranger_is_none_and_users_list_is_read_once(emulator: SlackEmulator) -> None:
    connector = connect(emulator)
    assert connector.resolve(Member("m9", "Nobody", "nobody@example.org")) is None
    assert connector.resolve(Member("m8", "Noone", "noone@example.org")) is None
    assert len(emulator.requests(path_contains="users.list")) == 1
    assert connector.resolve(Member("m9", "Nobody", "x", identities={"slack": "U404"})) is None


# ---------------------------------------------------------------- discover: the plan per plan


def test_before_state_records_what_reinstatement_needs(emulator: SlackEmulator) -> None:
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=2, public_channels=1, usergroups=1)
    deactivate = plan_for(connect(emulator))["slack:deactivate"]
    before = deactivate.before
    assert before["email"] == ALICE.email and before["real_name"] == ALICE.name and before["title"] == "Volunteer"
    assert before["roles"]["is_admin"] is False and "is_restricted" in before["roles"]
    assert [c["name"] for c in before["private_channels"]] == ["alice-liddell-private-1", "alice-liddell-private-2"]
    assert sorted(c["name"] for c in before["public_channels"]) == ["alice-liddell-public-1", "general"]
    assert before["usergroups"][0]["handle"] == "alice-liddell-team-1" and before["usergroups"][0]["user_count"] == 2
    json.dumps(deactivate.to_dict())


def test_with_scim_deactivation_is_the_cut_and_channels_are_recorded_not_kicked(emulator: SlackEmulator) -> None:
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=2)
    actions = plan_for(connect(emulator))
    assert actions["slack:deactivate"].phase is Phase.CUT and actions["slack:deactivate"].kind == "deactivate"
    assert not [a for a in actions if a.startswith("slack:channel:")]
    assert "slack:session-reset" not in actions  # admin.* exists on Enterprise Grid only


def test_without_scim_kicks_run_at_once_and_deactivation_is_a_self_closing_manual_step(make_emulator: Make) -> None:
    emulator = make_emulator("pro")
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=2, public_channels=2)
    actions = plan_for(connect(emulator))
    manual = actions["slack:deactivate"]
    assert manual.phase is Phase.MANUAL and manual.manual is not None
    assert manual.manual is not None and manual.manual.self_closing and not manual.manual.second_confirmer
    assert "https://offboard-demo.slack.com/admin" in manual.manual.instructions
    kicks = [a for a in actions.values() if a.kind == "channel-kick"]
    assert len(kicks) == 2 and all(a.phase is Phase.CLEAN and not a.depends_on for a in kicks)
    assert all("private" in a.params["name"] for a in kicks), "public channels are listed, not kicked"


def test_enterprise_resets_sessions_too(make_emulator: Make) -> None:
    emulator = make_emulator("enterprise")
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    connector = connect(emulator)
    actions = plan_for(connector)
    reset = actions["slack:session-reset"]
    assert reset.phase is Phase.CUT
    assert connector.apply(reset).state is State.CHANGED and emulator.session_resets == [uid]
    assert connector.check(reset) is None, "sessions cannot be observed while the account is active"
    connector.apply(actions["slack:deactivate"])
    assert connector.apply(reset).state is State.OK and connector.check(reset) is True


def test_free_plan_has_no_user_groups(make_emulator: Make) -> None:
    emulator = make_emulator("free")
    emulator.seed_member(ALICE.email, ALICE.name, usergroups=0)
    actions = plan_for(connect(emulator))
    assert not [a for a in actions if a.startswith("slack:usergroup:")]
    assert actions["slack:deactivate"].before["usergroups"] == "none: the plan has no user groups"


def test_a_dry_run_of_a_big_member_sends_no_write(emulator: SlackEmulator) -> None:
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=40, public_channels=10, usergroups=5)
    connector = connect(emulator, scim=False)
    actions = plan_for(connector)
    assert len([a for a in actions.values() if a.kind == "channel-kick"]) == 40
    assert emulator.writes() == []
    read_only = {"auth.test", "users.lookupByEmail", "users.info", "users.conversations", "usergroups.list"}
    assert {r.path.removeprefix("/api/") for r in emulator.log} == read_only


# ---------------------------------------------------------------- apply and check


def test_the_manual_step_closes_itself_once_slack_shows_the_account_deactivated(make_emulator: Make) -> None:
    emulator = make_emulator("free")
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    connector = connect(emulator)
    step = plan_for(connector)["slack:deactivate"]
    outcome = connector.apply(step)
    assert outcome.state is State.MANUAL and "offboard-demo.slack.com/admin" in outcome.detail
    assert connector.check(step) is False
    emulator.deactivate(uid)  # an admin clicks "Deactivate account" in Manage members
    assert connector.check(step) is True  # what the engine asks on resume and status
    assert connector.apply(step).state is State.OK


def test_the_engine_closes_the_manual_step_on_refresh(make_emulator: Make, tmp_path: Path) -> None:
    from offboard.apply.engine import Engine
    from offboard.apply.journal import Journal
    from offboard.apply.retry import RetryPolicy

    emulator = make_emulator("pro")
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    connector = connect(emulator)
    actions = order_for_apply(connector.discover(connector.resolve(ALICE)))
    journal = Journal(tmp_path / "journal.sqlite3")
    engine = Engine(journal, {"slack": connector}, RetryPolicy(sleep=lambda s: None))
    journal.create_run("r1", "expel", ALICE.id, ALICE.name, "tester", {}, [("slack", a) for a in actions])
    engine.execute("r1")

    def states() -> dict[str, str]:
        return {row.action.id: row.state for row in journal.actions("r1")}

    assert states()["slack:deactivate"] == State.MANUAL.value
    assert engine.refresh_manual("r1") == 0
    emulator.deactivate(uid)  # in the admin page, hours later
    assert engine.refresh_manual("r1") == 1
    assert set(states().values()) == {State.CHANGED.value}


def test_forty_kicks_on_eight_threads_share_one_client(make_emulator: Make, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import slack_sdk

    from offboard.apply.engine import Engine
    from offboard.apply.journal import Journal
    from offboard.apply.retry import RetryPolicy

    built: list[slack_sdk.WebClient] = []
    callers: set[tuple[int, int]] = set()  # (thread, client) of every Web API call

    class CountingWebClient(slack_sdk.WebClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

        def api_call(self, *args: Any, **kwargs: Any) -> Any:
            callers.add((threading.get_ident(), id(self)))
            return super().api_call(*args, **kwargs)

    monkeypatch.setattr(slack_sdk, "WebClient", CountingWebClient)
    emulator = make_emulator("pro")
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=40, usergroups=3)
    emulator.faults.latency = 0.01
    connector = connect(emulator)
    actions = connector.discover(connector.resolve(ALICE))
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.create_run("r1", "expel", ALICE.id, ALICE.name, "tester", {}, [("slack", a) for a in actions])
    Engine(journal, {"slack": connector}, RetryPolicy(sleep=lambda s: None)).execute("r1")
    states = [row.state for row in journal.actions("r1")]
    assert states.count(State.CHANGED.value) == 43 and states.count(State.MANUAL.value) == 1
    assert {r.status for r in emulator.log} == {200}
    assert not any(c.members - {emulator.admin_id} for c in emulator.workspace.channels.values() if c.is_private)
    assert len(built) == 1, "one WebClient for the connector, whatever the number of threads"
    assert {client for _, client in callers} == {id(built[0])}
    assert len({thread for thread, _ in callers}) > 1, "the calls did come from several threads"


def test_kick_of_someone_already_gone_is_ok_without_a_write(make_emulator: Make) -> None:
    emulator = make_emulator("pro")
    uid = emulator.seed_member(ALICE.email, ALICE.name, private_channels=1)
    connector = connect(emulator)
    kick = next(a for a in plan_for(connector).values() if a.kind == "channel-kick")
    emulator.workspace.channels[kick.params["channel"]].members.discard(uid)  # left on their own
    assert connector.apply(kick).state is State.OK and emulator.writes() == []


def test_kick_answered_not_in_channel_is_ok(make_emulator: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = make_emulator("pro")
    uid = emulator.seed_member(ALICE.email, ALICE.name, private_channels=1)
    connector = connect(emulator)
    kick = next(a for a in plan_for(connector).values() if a.kind == "channel-kick")
    emulator.workspace.channels[kick.params["channel"]].members.discard(uid)
    monkeypatch.setattr(slack_actions, "in_channel", lambda slack, p: True)  # they left between the check and the kick
    outcome = connector.apply(kick)
    assert outcome.state is State.OK and [r.path for r in emulator.writes()] == ["/api/conversations.kick"]


def test_general_cannot_be_left_and_is_skipped(make_emulator: Make) -> None:
    emulator = make_emulator("pro")
    uid = emulator.seed_member(ALICE.email, ALICE.name, private_channels=1)
    connector = connect(emulator)
    kick = next(a for a in plan_for(connector).values() if a.kind == "channel-kick")
    general = emulator.workspace.general.id
    into_general = Action.from_dict({**kick.to_dict(), "id": f"slack:channel:{general}",
                                     "params": {"user": uid, "channel": general, "name": "general"}})
    outcome = connector.apply(into_general)
    assert outcome.state is State.SKIPPED and "#general" in outcome.detail


def test_user_group_removal_keeps_everyone_else(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member(ALICE.email, ALICE.name, usergroups=0)
    others = [emulator.workspace.add_user(f"v{i}", f"v{i}@example.org") for i in range(3)]
    group = emulator.workspace.add_usergroup("helpers", "Helpers", [others[0], uid, others[1], others[2]])
    connector = connect(emulator)
    action = plan_for(connector)[f"slack:usergroup:{group.id}"]
    assert action.summary.startswith("Remove from user group @helpers (Helpers, 4 members)")
    assert connector.apply(action).state is State.CHANGED
    assert group.users == others and not group.date_delete
    assert connector.check(action) is True


def test_a_user_group_left_empty_is_disabled_instead(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member(ALICE.email, ALICE.name, usergroups=0)
    group = emulator.workspace.add_usergroup("alone", "Alone", [uid])
    connector = connect(emulator)
    action = plan_for(connector)[f"slack:usergroup:{group.id}"]
    assert action.summary.startswith("Disable user group @alone")
    assert connector.apply(action).state is State.CHANGED
    assert group.date_delete and group.users == [uid], "Slack refuses an empty list: the group is disabled"
    assert [r.path for r in emulator.writes()] == ["/api/usergroups.disable"]
    before = len(emulator.writes())
    assert connector.apply(action).state is State.OK and len(emulator.writes()) == before
    assert connector.check(action) is True


def test_scim_deactivation_also_ends_access_to_channels_the_admin_cannot_see(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member(ALICE.email, ALICE.name, private_channels=1)
    hidden = emulator.workspace.add_channel("no-admins-here", private=True, members={uid})
    connector = connect(emulator)
    actions = plan_for(connector)
    assert "no-admins-here" not in json.dumps(actions["slack:deactivate"].before)
    outcome = connector.apply(actions["slack:deactivate"])
    assert outcome.state is State.CHANGED and outcome.observed == {"deleted": True}
    assert uid not in hidden.members
    assert [r.method + " " + r.path for r in emulator.writes()] == [f"DELETE /scim/v2/Users/{uid}"]


def test_scim_v1_root_works_too(emulator: SlackEmulator) -> None:
    uid = emulator.seed_member(ALICE.email, ALICE.name)
    connector = connect(emulator, scim_base_url=f"{emulator.url}/scim/v1")
    assert connector.apply(plan_for(connector)["slack:deactivate"]).state is State.CHANGED
    assert emulator.requests("DELETE", f"/scim/v1/Users/{uid}")


# ---------------------------------------------------------------- inventory and doctor


def test_inventory_streams_users_list_one_call_per_page(emulator: SlackEmulator) -> None:
    for i in range(450):
        emulator.workspace.add_user(f"user{i}", f"user{i}@example.org")
    bot = emulator.workspace.add_user("bot", "", "A Bot", bot=True)
    connector = connect(emulator)
    stream = connector.inventory()
    first = next(stream)
    assert len(emulator.requests(path_contains="users.list")) == 1, "the first page is yielded before the next call"
    accounts = [first, *stream]
    calls = emulator.requests(path_contains="users.list")
    assert len(accounts) == 452 and len(calls) == 3
    assert all(b"limit=200" in r.body for r in calls)
    by_id = {a.id: a for a in accounts}
    assert by_id[bot].attributes["is_bot"] is True and by_id[bot].label == "@bot"
    assert by_id[emulator.admin_id].attributes["is_admin"] is True
    assert set(first.attributes) == {"active", "deleted", "is_bot", "is_restricted", "is_admin", "email", "real_name"}


def test_doctor_is_quiet_when_all_is_well(make_emulator: Make) -> None:
    assert connect(make_emulator("enterprise")).test_connection() == []


def test_doctor_names_the_missing_env_var(emulator: SlackEmulator) -> None:
    assert connect(emulator, environ={}).test_connection() == [
        "environment variable SLACK_ADMIN_TOKEN is not set: export it with the credential"
    ]


def test_doctor_names_missing_scopes_and_a_bot_token(emulator: SlackEmulator) -> None:
    token = emulator.issue_token(scopes=["users:read", "users:read.email", "channels:read", "groups:read"],
                                 prefix="xoxb-")
    found = connect(emulator, token=token).test_connection()
    assert found[0].startswith("the token in SLACK_ADMIN_TOKEN is not a user token (xoxp-...)")
    assert found[1].startswith("the token lacks the scopes channels:write, groups:write, usergroups:read, usergroups:write, admin:")
    assert "OAuth & Permissions" in found[1]
    assert any("SCIM refused" in p for p in found)
    assert not any(token in p for p in found)


def test_doctor_says_scim_is_not_on_this_plan(make_emulator: Make) -> None:
    found = connect(make_emulator("pro"), scim=True).test_connection()
    assert len(found) == 1 and "set scim = false" in found[0]


def test_doctor_says_the_token_user_is_no_admin(emulator: SlackEmulator) -> None:
    volunteer = emulator.workspace.add_user("vol", "vol@example.org")
    found = connect(emulator, token=emulator.issue_token(user=volunteer)).test_connection()
    assert found == ["the token's user vol is not a workspace admin or owner: Slack will refuse deactivation and kicks"]


def test_expelling_someone_from_the_demo_sandbox(tmp_path: Path) -> None:
    from offboard.connectors.slack.emulator import start_sandbox

    ann = Member("m1", "Ann Active", "ann@example.org")
    sandbox = start_sandbox("example.org", [ann, Member("m2", "Bob Busy", "bob@example.org")], tmp_path)
    try:
        context = ConnectorContext("Org", "example.org", tmp_path, sandbox.environ)
        connector = SlackConnector(sandbox.config, context)
        assert connector.test_connection() == []
        actions = order_for_apply(connector.discover(connector.resolve(ann)))
        assert [a.summary for a in actions] == [
            "Deactivate the Slack account of ann@example.org through SCIM; it also ends their membership of "
            "2 private and 3 public channels",
            "Remove from user group @volunteers (Volunteers, 2 members): ann@example.org",
            "Disable user group @coordinators (Coordinators, 1 member): ann@example.org",
        ]
        assert {c["name"] for c in actions[0].before["private_channels"]} == {"coordination", "ann-projects"}
        assert [connector.apply(a).state for a in actions] == [State.CHANGED] * 3
        assert connector.discover(connector.resolve(ann)) == []
    finally:
        sandbox.stop()


def test_discovery_reads_side_by_side_or_one_by_one_to_the_same_plan(make_emulator: Make) -> None:
    emulator = make_emulator("pro")
    emulator.seed_member(ALICE.email, ALICE.name, private_channels=5, usergroups=2)
    side_by_side = connect(emulator)
    one_by_one = connect(emulator)
    one_by_one.read_fanout = 1
    assert side_by_side.discover(side_by_side.resolve(ALICE)) == one_by_one.discover(one_by_one.resolve(ALICE))
