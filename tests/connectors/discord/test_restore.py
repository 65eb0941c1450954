"""Reinstatement: after a suspension the roles, timeout and suspended role come back; after a ban or a kick the person
rejoins by invite (a step only they can do) and the roles wait for it, held by the engine, never sent before."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from offboard.connectors.discord import DiscordConnector
from offboard.connectors.discord.emulator.state import iso
from offboard.connectors.discord.restore_plan import REJOIN, UNBAN

from offboard.apply.engine import Engine
from offboard.apply.holding import released
from offboard.apply.journal import Journal
from offboard.apply.retry import RetryPolicy
from offboard.apply.states import Progress
from offboard.spi import Account, Action, Phase, State
from offboard.testing.contract import order_for_apply
from tests.connectors.discord.conftest import BOB, KICK, SUSPEND, Org, connect, state

NO_WAIT = RetryPolicy(sleep=lambda seconds: None)


def revoke(connector: DiscordConnector, options: dict[str, Any]) -> tuple[Account, list[Action]]:
    account = connector.resolve(BOB)
    assert account is not None
    applied = order_for_apply(connector.discover(account, options))
    for action in applied:
        assert connector.apply(action).state is State.CHANGED, action.id
    return account, applied


def role_writes(org: Org) -> list[str]:
    return [r.method for r in org.emulator.writes() if "/roles/" in r.path]


def test_after_a_ban_the_roles_are_held_until_the_person_rejoins_then_given_back(org: Org, tmp_path: Path) -> None:
    start = state(org.emulator)
    connector = connect(org.emulator)
    account, applied = revoke(connector, {})
    org.emulator.clear_log()
    restoration = connector.plan_restore(account, applied)
    assert org.emulator.writes() == []
    assert restoration.lost == [] and restoration.already == []
    by_id = {a.id: a for a in restoration.actions}
    assert [by_id[UNBAN].phase, by_id[REJOIN].phase] == [Phase.CUT, Phase.MANUAL]
    assert by_id[REJOIN].depends_on == (UNBAN,)
    roles = [a for a in restoration.actions if a.kind == "role-back"]
    assert {a.params["role"] for a in roles} == {org.member, org.moderator, org.coordinator}
    assert all(a.depends_on == (REJOIN,) and a.phase is Phase.CLEAN for a in roles)
    step = by_id[REJOIN].manual
    assert step is not None and step.self_closing
    assert step.links == (f"https://discord.com/channels/{org.emulator.guild_id}",)
    assert "Discord lets no bot add a person to a server" in step.instructions
    assert "(Coordinator, Moderator, Member)" in step.instructions

    journal = Journal(tmp_path / "journal.sqlite3")
    journal.create_run("r2", "reinstate", "m042", "Bob", "carol", {}, [("discord", a) for a in restoration.actions])
    Engine(journal, {"discord": connector}, NO_WAIT).execute("r2", fresh=True)
    rows = {r.action.id: r for r in journal.actions("r2")}
    assert rows[UNBAN].state is State.CHANGED and rows[REJOIN].state is State.MANUAL
    assert {rows[a.id].state for a in roles} == {Progress.HELD}
    assert rows[roles[0].id].detail == f"waits for: {by_id[REJOIN].summary}"
    assert role_writes(org) == []  # held: never sent
    engine = Engine(journal, {"discord": connector}, NO_WAIT)
    assert engine.refresh_manual("r2") == 0  # not back yet: the step stays open, the roles held

    org.emulator.join(org.bob)  # the person follows the invite link
    assert engine.refresh_manual("r2") == 1  # the system shows the step done: closed
    assert [r.action.id for r in released(journal.actions("r2"))] == [a.id for a in roles]
    engine.execute("r2")  # what `offboard resume` / `status` does once a step closes (runs.refresh_run)
    rows = {r.action.id: r for r in journal.actions("r2")}
    assert {rows[a.id].state for a in roles} == {State.CHANGED}
    assert role_writes(org) == ["PUT"] * 3
    assert state(org.emulator) == start
    journal.close()
    assert {e["reason"] for e in org.emulator.audit_log[1:]} == {"offboard: reinstated by the coordinating committee"}
    again = connector.plan_restore(account, applied)
    assert (again.actions, again.lost, again.already) == ([], [], ["discord:ban"])


def test_a_ban_of_someone_who_had_left_the_server_is_undone_by_the_unban_alone(org: Org) -> None:
    org.emulator.leave(org.bob)  # they left before the expulsion: the ban kept them out, nothing else was theirs
    start = state(org.emulator)
    connector = connect(org.emulator)
    account, applied = revoke(connector, {})
    assert [a.kind for a in applied] == ["ban"]
    restoration = connector.plan_restore(account, applied)
    assert [a.id for a in restoration.actions] == [UNBAN]  # no invite to send: they were not in the server
    assert restoration.lost == [] and restoration.already == []
    assert connector.apply(restoration.actions[0]).state is State.CHANGED
    assert state(org.emulator) == start
    again = connector.plan_restore(account, applied)
    assert (again.actions, again.lost, again.already) == ([], [], ["discord:ban"])


def test_after_a_kick_there_is_no_unban_and_no_token_in_any_output(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = revoke(connector, KICK)
    restoration = connector.plan_restore(account, applied)
    assert [a.kind for a in restoration.actions] == ["rejoin", "role-back", "role-back", "role-back"]
    assert connector.apply(restoration.actions[0]).state is State.MANUAL
    assert connector.check(restoration.actions[0]) is False
    outcome = connector.apply(restoration.actions[1])  # sent early, by hand: refused with why, not an error
    assert outcome.state is State.FAILED and "is not in the server (yet)" in outcome.detail
    org.emulator.join(org.bob)
    assert connector.check(restoration.actions[0]) is True
    outputs = [json.dumps(a.to_dict()) for a in [*applied, *restoration.actions]]
    outputs += [connector.apply(a).detail for a in restoration.actions]
    assert org.roles_of(org.bob) == {org.member, org.moderator, org.coordinator}
    assert org.emulator.bot_token not in "\n".join(outputs + connector.test_connection())


def test_a_role_deleted_meanwhile_is_lost_with_the_reason_and_the_rest_comes_back(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = revoke(connector, SUSPEND)
    org.emulator.delete_role(org.moderator)
    restoration = connector.plan_restore(account, applied)
    assert [(i.action_id, i.reason) for i in restoration.lost] == [
        (f"discord:role:{org.moderator}", "the role Moderator was deleted meanwhile: it cannot be given back")]
    assert sorted(a.id for a in restoration.actions) == sorted(
        ["discord:restore:timeout", f"discord:restore:role:{org.coordinator}", f"discord:restore:role:{org.member}"])
    for action in order_for_apply(restoration.actions):
        assert connector.apply(action).state is State.CHANGED
    assert org.roles_of(org.bob) == {org.member, org.coordinator}
    assert org.emulator.guild.members[org.bob].communication_disabled_until is None
    again = connector.plan_restore(account, applied)
    assert again.actions == [] and [i.action_id for i in again.lost] == [f"discord:role:{org.moderator}"]
    assert sorted(again.already) == sorted(a.id for a in applied if a.id != f"discord:role:{org.moderator}")


def test_a_suspended_role_is_taken_back(org: Org) -> None:
    suspended = org.emulator.add_role("Suspended", 0, position=1)
    connector = connect(org.emulator)
    account, applied = revoke(connector, {"ban": False, "kick": False, "suspended_role": suspended})
    assert applied[-1].summary == ("Give Bob Example (@bob) the role Suspended (for suspended members) in the Discord "
                                   "server Example Volunteers")
    assert org.roles_of(org.bob) == {suspended}
    restoration = connector.plan_restore(account, applied)
    assert order_for_apply(restoration.actions)[0].kind == "suspended-role-off"
    for action in order_for_apply(restoration.actions):
        assert connector.apply(action).state is State.CHANGED
    assert org.roles_of(org.bob) == {org.member, org.moderator, org.coordinator}


def test_a_timeout_that_ran_before_the_suspension_is_put_back_not_lifted(org: Org) -> None:
    earlier = iso(datetime.now(UTC) + timedelta(days=2))  # a moderator's timeout, before the committee's
    org.emulator.guild.members[org.bob].communication_disabled_until = earlier
    connector = connect(org.emulator)
    account, applied = revoke(connector, SUSPEND)
    assert applied[-1].before == {"communication_disabled_until": earlier}
    [lift] = [a for a in connector.plan_restore(account, applied).actions if a.kind == "timeout-lift"]
    assert lift.after == {"communication_disabled_until": earlier}
    outcome = connector.apply(lift)
    assert (outcome.state, outcome.detail) == (State.CHANGED, "the timeout that ran before the suspension is back")
    assert org.emulator.guild.members[org.bob].communication_disabled_until == earlier
    assert connector.check(lift) is True


def test_someone_banned_by_a_moderator_during_the_suspension_is_left_banned(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = revoke(connector, SUSPEND)
    org.emulator.ban(org.bob, "a moderator's own decision")
    restoration = connector.plan_restore(account, applied)
    assert restoration.actions == []
    assert {i.reason for i in restoration.lost} == {
        "Bob Example (@bob) was banned from the server meanwhile, not by offboard: unban them in Server Settings > Bans "
        "first if that is meant, then plan the reinstatement again"}


def test_a_nickname_is_named_as_lost(org: Org) -> None:
    org.emulator.guild.members[org.bob].nick = "Bobby"
    connector = connect(org.emulator)
    account, applied = revoke(connector, {})
    restoration = connector.plan_restore(account, applied)
    assert [(i.action_id, i.reason) for i in restoration.lost] == [
        ("discord:ban", "their server nickname 'Bobby' is not set again: they can set it themselves once back")]


def test_a_kicked_member_banned_by_a_moderator_afterwards_is_left_banned(org: Org) -> None:
    connector = connect(org.emulator)
    account, applied = revoke(connector, KICK)
    org.emulator.ban(org.bob)
    restoration = connector.plan_restore(account, applied)
    assert restoration.actions == [] and restoration.already == []
    assert [i.action_id for i in restoration.lost] == ["discord:kick"]
