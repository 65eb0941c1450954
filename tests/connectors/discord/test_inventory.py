"""The inventory for audits: every member (active) and every banned user (inactive), page by page."""

from __future__ import annotations

import pytest
from offboard.connectors.discord.emulator.state import BAN_MEMBERS, KICK_MEMBERS, MANAGE_ROLES

from offboard.spi import AuthError
from tests.connectors.discord.conftest import Org, connect


def test_members_are_read_1000_a_page_beyond_the_first_thousand(org: Org) -> None:
    org.emulator.seed_members(2500, [org.member])
    org.emulator.ban(org.carol, "left in anger")
    org.emulator.clear_log()
    accounts = list(connect(org.emulator).inventory())
    members = [a for a in accounts if a.active]
    assert len(members) == len(org.emulator.guild.members) == 2500 + 4  # the owner, the bot, Alice, Bob
    assert len({a.id for a in accounts}) == len(accounts)
    assert [a.id for a in members] == sorted((a.id for a in members), key=int)
    pages = [r for r in org.emulator.log if r.path.endswith("/members")]
    assert [(r.query["limit"], r.query["after"][0] == "0") for r in pages] == [
        (["1000"], True), (["1000"], False), (["1000"], False)]
    assert pages[1].query["after"] == [members[999].id]
    [banned] = [a for a in accounts if not a.active]
    assert (banned.id, banned.attributes["banned"], banned.label) == (org.carol, True, "@carol")
    assert org.emulator.writes() == []


def test_without_the_server_members_intent_the_audit_is_told_the_fix(org: Org) -> None:
    org.emulator.members_intent = False
    with pytest.raises(AuthError) as caught:
        list(connect(org.emulator).inventory())
    assert str(caught.value) == (
        "Discord refused to list the server's members (Missing Access, code 50001): offboard audit lists the server's "
        "members, which needs the Server Members intent: turn on the Server Members Intent in the Developer Portal "
        "(Applications > your app > Bot > Privileged Gateway Intents > Server Members Intent) and save")


def test_without_ban_members_the_bans_cannot_be_listed(org: Org) -> None:
    org.emulator.set_bot_permissions(KICK_MEMBERS | MANAGE_ROLES)
    with pytest.raises(Exception, match="Missing Permissions"):
        list(connect(org.emulator).inventory())
    org.emulator.set_bot_permissions(KICK_MEMBERS | MANAGE_ROLES | BAN_MEMBERS)
    assert len(list(connect(org.emulator).inventory())) == 5  # the owner, the bot, Alice, Bob, Carol
