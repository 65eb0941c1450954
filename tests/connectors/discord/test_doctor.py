"""``offboard doctor``: every problem of the bot's setup as one sentence with where to click."""

from __future__ import annotations

from offboard.connectors.discord.emulator.state import BAN_MEMBERS, KICK_MEMBERS, MANAGE_ROLES

from tests.connectors.discord.conftest import Org, connect

INTENT = ("the bot cannot list the server's members, which offboard audit needs: turn on the Server Members Intent in "
          "the Developer Portal (Applications > your app > Bot > Privileged Gateway Intents > Server Members Intent) "
          "and save")


def test_a_bot_set_up_right_has_no_problem(org: Org) -> None:
    assert connect(org.emulator).test_connection() == []


def test_without_the_server_members_intent_doctor_says_where_to_turn_it_on(org: Org) -> None:
    org.emulator.members_intent = False
    assert connect(org.emulator).test_connection() == [INTENT]


def test_missing_permissions_are_named_with_the_role_to_edit(org: Org) -> None:
    org.emulator.set_bot_permissions(KICK_MEMBERS)
    assert connect(org.emulator).test_connection() == [
        "the bot's role offboard lacks the permission(s) Ban Members, Manage Roles: in Server Settings > Roles > "
        "offboard > Permissions, turn them on (Timeout Members too if a playbook uses timeout_days)"]
    org.emulator.set_bot_permissions(KICK_MEMBERS | BAN_MEMBERS | MANAGE_ROLES)
    assert connect(org.emulator).test_connection() == []


def test_roles_above_the_bots_are_named(org: Org) -> None:
    org.emulator.move_role(org.coordinator, 100)
    org.emulator.move_role(org.moderator, 99)
    assert connect(org.emulator).test_connection() == [
        "the bot's highest role offboard is not above the role(s) Coordinator, Moderator: Discord will refuse to ban, "
        "kick or time out members who have one, and to take those roles away; in Server Settings > Roles, drag "
        "offboard above them"]


def test_a_wrong_token_or_guild_stops_at_the_first_problem(org: Org) -> None:
    [token] = connect(org.emulator, token="wrong").test_connection()
    assert token.startswith("Discord rejected the bot token (401 Unauthorized) when trying to read the bot's own user")
    [guild] = connect(org.emulator, guild_id="99").test_connection()
    assert guild.startswith("Discord knows no server with guild_id 99 (Unknown Guild, code 10004)")


def test_a_bot_that_is_not_in_the_server_is_told_how_to_add_it(org: Org) -> None:
    org.emulator.leave(org.emulator.bot_id)
    assert connect(org.emulator).test_connection() == [
        "the bot is not a member of the server Example Volunteers: add it (Developer Portal > your app > OAuth2 > URL "
        "Generator, scope bot, with the permissions Kick Members, Ban Members and Manage Roles)"]
