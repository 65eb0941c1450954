"""Resolve, discover and apply as a coordinating committee sees them: plans, sentences, requests sent and not sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from offboard.connectors.discord import DiscordConnector
from offboard.connectors.discord.emulator.state import ADMINISTRATOR, MEMBER_BAN_ADD, parse_time

from offboard.apply.pacing import Pacer
from offboard.spi import ConfigError, FatalError, Member, Phase, State
from tests.connectors.discord.conftest import BOB, KICK, SUSPEND, Org, connect

GUILD = "Example Volunteers"


class CountingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__()
        self.paced: list[str] = []

    def pace(self, bucket: str) -> None:
        self.paced.append(bucket)


def test_the_identity_is_only_the_rosters_discord_column(org: Org) -> None:
    connector = connect(org.emulator)
    assert DiscordConnector.identity_column is True
    assert connector.resolve(Member("m1", "Bob Example", "bob@example.org")) is None
    assert org.emulator.log == []  # nothing guessed, nothing asked
    account = connector.resolve(BOB)
    assert account is not None
    assert (account.id, account.label, account.active) == (org.bob, "Bob Example (@bob)", True)
    assert account.attributes["roles"] == [org.member, org.moderator, org.coordinator]


def test_a_user_id_that_is_not_a_number_is_refused_with_where_to_find_it(org: Org) -> None:
    with pytest.raises(FatalError) as caught:
        connect(org.emulator).resolve(Member("m1", "Bob Example", "bob@example.org", identities={"discord": "bob#1234"}))
    assert str(caught.value) == (
        "the roster's discord column for Bob Example holds 'bob#1234', which is not a Discord user id: in Discord, turn "
        "on User Settings > Advanced > Developer Mode, right-click the member and choose Copy User ID, and put that "
        "number in the roster")


def test_a_user_not_in_the_guild_is_an_inactive_account_banned_or_not_and_an_unknown_user_has_none(org: Org) -> None:
    connector = connect(org.emulator)
    org.emulator.leave(org.bob)
    account = connector.resolve(BOB)
    assert account is not None
    assert (account.active, account.attributes["member"], account.attributes["banned"], account.label) == (
        False, False, False, "Bob Example (@bob)")
    assert [(r.method, r.path.rsplit("/", 2)[-2], r.status) for r in org.emulator.log] == [
        ("GET", "members", 404), ("GET", "bans", 404), ("GET", "users", 200)]
    org.emulator.ban(org.bob, "spam")
    account = connector.resolve(BOB)
    assert account is not None
    assert (account.active, account.attributes["banned"], account.label) == (False, True, "Bob Example (@bob)")
    assert connector.discover(account) == []  # already banned: nothing to do
    assert connector.resolve(Member("m9", "Nobody", "nobody@example.org", identities={"discord": "4242"})) is None


def test_an_expelled_member_who_left_the_server_is_banned_so_no_invite_link_lets_them_back(org: Org) -> None:
    connector = connect(org.emulator)
    org.emulator.leave(org.bob)  # they left before the committee decided: any invite link would let them back
    account = connector.resolve(BOB)
    assert account is not None
    assert connector.discover(account, KICK) == [] and connector.discover(account, SUSPEND) == []
    [ban] = connector.discover(account)
    assert org.emulator.writes() == []
    assert (ban.id, ban.kind, ban.phase, ban.reversible) == ("discord:ban", "ban", Phase.CUT, True)
    assert ban.summary == ("Ban Bob Example (@bob) from the Discord server Example Volunteers: they are not in it now, "
                           "and the ban keeps them from joining again with an invite link")
    assert ban.before == {"member": False, "banned": False, "roles": []}
    outcome = connector.apply_planned(ban)
    assert (outcome.state, outcome.detail) == (State.CHANGED, "banned: they cannot join the server again")
    assert org.bob in org.emulator.guild.bans
    with pytest.raises(ValueError, match="banned"):
        org.emulator.join(org.bob)
    assert connector.apply(ban).state is State.OK and connector.check(ban) is True
    assert connector.discover(account) == []


def test_an_expulsion_is_one_ban_that_records_the_roles_it_takes(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    [ban] = connector.discover(account)
    assert org.emulator.writes() == []
    assert (ban.id, ban.kind, ban.phase, ban.reversible) == ("discord:ban", "ban", Phase.CUT, True)
    assert ban.summary == ("Ban Bob Example (@bob) from the Discord server Example Volunteers: they leave it at once and "
                           "cannot join again; their roles (Coordinator, Moderator, Member) go with it and are recorded "
                           "for a reinstatement")
    assert [r["id"] for r in ban.before["roles"]] == [org.coordinator, org.moderator, org.member]
    assert ban.after == {"member": False, "banned": True}
    assert "attention" not in ban.params


def test_with_ban_false_an_expulsion_kicks(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    [kick] = connector.discover(account, KICK)
    assert (kick.id, kick.kind) == ("discord:kick", "kick")
    assert kick.summary.startswith("Remove (kick) Bob Example (@bob) from the Discord server Example Volunteers: they "
                                   "leave it at once, though an invite link would let them join again")
    assert connector.apply(kick).state is State.CHANGED
    assert org.bob not in org.emulator.guild.members and org.bob not in org.emulator.guild.bans


def test_a_suspension_takes_each_role_and_times_out(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    actions = connector.discover(account, SUSPEND)
    assert [a.id for a in actions] == [f"discord:role:{org.coordinator}", f"discord:role:{org.moderator}",
                                       f"discord:role:{org.member}", "discord:timeout"]
    assert {a.phase for a in actions} == {Phase.CUT}
    assert actions[0].summary == "Take the role Coordinator from Bob Example (@bob) in the Discord server Example Volunteers"
    assert actions[-1].summary == ("Time out Bob Example (@bob) in the Discord server Example Volunteers for 7 days: they "
                                   "can still read, but not write, react or speak")
    for action in actions:
        assert connector.apply(action).state is State.CHANGED
    assert org.roles_of(org.bob) == set()
    until = parse_time(org.emulator.guild.members[org.bob].communication_disabled_until or "")
    assert abs(until - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    assert {unquote(r.headers["x-audit-log-reason"]) for r in org.emulator.writes()} == {
        "offboard: suspended by the coordinating committee"}


@pytest.mark.parametrize(("options", "sentence"), [
    ({"wipe": True}, "the playbook's discord step has unknown option(s) wipe (known: ban, kick, timeout_days, "
                     "suspended_role, reason): fix the playbook"),
    ({"ban": False, "kick": False, "timeout_days": 29},
     "the playbook's discord option(s) timeout_days (a whole number of days from 0 to 28: Discord's longest timeout) "
     "are wrong: fix the playbook"),
    ({"timeout_days": 3}, "the playbook's discord options timeout_days and suspended_role are for a member who stays in "
                          "the server: set ban: false and kick: false too, or remove them"),
    ({"ban": False, "kick": False, "suspended_role": "42"},
     "the playbook's discord option suspended_role is 42, which is no role of the server Example Volunteers: copy the "
     "role's id (Server Settings > Roles, right-click > Copy Role ID) into the playbook"),
])
def test_wrong_options_are_refused_with_the_fix(org: Org, options: dict[str, object], sentence: str) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    with pytest.raises(FatalError) as caught:
        connector.discover(account, options)
    assert str(caught.value) == sentence


def test_the_ban_carries_the_audit_log_reason_url_encoded_and_discord_keeps_it_decoded(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    reason = "offboard: expelled by the committee, decision 2026/7 — «appeal within 30 days»"
    [ban] = connector.discover(account, {"reason": reason})
    assert connector.apply(ban).state is State.CHANGED
    [sent] = org.emulator.writes()
    assert (sent.method, sent.path) == ("PUT", f"/api/v10/guilds/{org.emulator.guild_id}/bans/{org.bob}")
    assert sent.headers["x-audit-log-reason"] != reason and unquote(sent.headers["x-audit-log-reason"]) == reason
    assert org.emulator.audit_log[-1]["action_type"] == MEMBER_BAN_ADD
    assert org.emulator.audit_log[-1]["reason"] == reason
    assert json.loads(sent.body) == {"delete_message_seconds": 0}  # messages stay: they are the record


def test_a_long_reason_is_cut_to_what_discord_takes(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    [ban] = connector.discover(account, {"reason": "é" * 600})
    assert connector.apply(ban).state is State.CHANGED
    assert len(org.emulator.writes()[0].headers["x-audit-log-reason"]) <= 512
    assert set(org.emulator.audit_log[-1]["reason"]) == {"é"}


def test_a_member_above_the_bot_is_flagged_in_the_plan_and_refused_with_the_fix(org: Org) -> None:
    org.emulator.move_role(org.coordinator, 100)
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    [ban] = connector.discover(account)
    assert ban.params["attention"] is True
    assert ban.summary.endswith("Discord will refuse: their highest role Coordinator is not below the bot's: in Server "
                                "Settings > Roles, drag the bot's role above it first")
    with pytest.raises(FatalError) as caught:
        connector.apply(ban)
    assert str(caught.value) == (
        "Discord refused to ban Bob Example (@bob) (Missing Permissions, code 50013): the bot can only act on members "
        "and roles below its own highest role: in Server Settings > Roles, drag the bot's role above the member's "
        "highest role (and above any role it must give or take), and that the bot's role has the Ban Members "
        "permission, then try again")
    assert org.bob in org.emulator.guild.members


def test_an_administrator_is_never_timed_out_and_the_plan_says_so(org: Org) -> None:
    admin = org.emulator.add_role("Admin", ADMINISTRATOR, position=1)
    org.emulator.guild.members[org.bob].roles.append(admin)
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    timeout = connector.discover(account, SUSPEND)[-1]
    assert timeout.summary.endswith("Discord will refuse: Discord never times out the server's owner or an administrator")
    with pytest.raises(FatalError, match="Missing Permissions"):
        connector.apply(timeout)


def test_apply_again_sends_nothing_and_apply_planned_skips_the_look(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    [ban] = connector.discover(account)
    org.emulator.clear_log()
    assert connector.apply_planned(ban).state is State.CHANGED
    assert [(r.method, r.status) for r in org.emulator.log] == [("PUT", 204)]
    org.emulator.clear_log()
    outcome = connector.apply(ban)
    assert (outcome.state, outcome.detail) == (State.OK, "already banned from the server")
    assert org.emulator.writes() == [] and connector.check(ban) is True


def test_someone_who_left_meanwhile_is_ok_not_an_error(org: Org) -> None:
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    suspended = org.emulator.add_role("Suspended", 0, position=1)
    actions = connector.discover(account, KICK) + connector.discover(account, {**SUSPEND, "suspended_role": suspended})
    assert "suspended-role" in {a.kind for a in actions}
    org.emulator.leave(org.bob)
    for action in actions:
        outcome = connector.apply(action)
        assert (outcome.state, outcome.detail) == (State.OK, "Bob Example (@bob) is not in the server"), action.id
        assert connector.check(action) is True, action.id
    assert org.emulator.writes() == []
    for action in actions:  # straight after planning: the write goes, and Discord's Unknown Member says the same
        outcome = connector.apply_planned(action)
        assert (outcome.state, outcome.detail) == (State.OK, "Bob Example (@bob) is not in the server"), action.id


def test_every_request_is_paced_and_says_who_it_is(org: Org) -> None:
    pacer = CountingPacer()
    connector = connect(org.emulator, pacer=pacer)
    account = connector.resolve(BOB)
    assert account is not None
    connector.discover(account)
    assert pacer.paced == ["global"] * len(org.emulator.log)
    assert DiscordConnector.rate_limits["global"].requests <= 50
    for request in org.emulator.log:
        assert request.headers["authorization"] == f"Bot {org.emulator.bot_token}"
        assert request.headers["user-agent"].startswith("DiscordBot (https://github.com/offboard, ")


@pytest.mark.parametrize(("config", "sentence"), [
    ({"guild_id": "Example Volunteers"}, "[connectors.discord] guild_id 'Example Volunteers' is not a server id"),
    ({"guild_id": "1", "api_url": "http://discord.example/api/v10"}, "is plain http: use https"),
    ({}, "missing required key 'guild_id'"),
])
def test_the_config_is_checked_when_the_connector_is_built(config: dict[str, str], sentence: str) -> None:
    from offboard.spi import ConnectorContext

    with pytest.raises(ConfigError, match=sentence.replace("[", r"\[").replace("]", r"\]")):
        DiscordConnector(config, ConnectorContext("Org", "example.org", __import__("pathlib").Path("."), {}))
