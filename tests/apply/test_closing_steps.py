"""A closing step (the written notice) starts only once no cut action of any system is left to run."""

from __future__ import annotations

from offboard.apply.journal import ActionRow
from offboard.apply.scheduling import next_actions
from offboard.apply.states import Progress
from offboard.spi import Action, Phase

SLOTS = {"google": 4, "slack": 4, "notice": 1}


def ids(rows: list[ActionRow]) -> list[str]:
    return [r.action.id for r in rows]


def row(system: str, action_id: str, phase: Phase) -> ActionRow:
    action = Action(action_id, system, "kind", action_id, phase, True)
    return ActionRow("run", 0, system, action, Progress.PENDING, 0, "", None, None, None, None)


def test_the_notice_waits_while_any_system_has_a_cut_action_left():
    suspend = row("google", "google:suspend", Phase.CUT)
    deactivate = row("slack", "slack:deactivate", Phase.CUT)
    groups = row("google", "google:group:eng", Phase.CLEAN)
    notice = row("notice", "notice:send", Phase.CLEAN)
    waiting = [suspend, deactivate, groups, notice]
    started = next_actions(waiting, [], set(), {r.key for r in waiting}, SLOTS, set(), {"notice"})
    assert ids(started) == ["google:suspend", "google:group:eng", "slack:deactivate"]  # not the notice
    # the cut of one system still running holds it too
    assert ids(next_actions([groups, notice], [deactivate], {suspend.key}, {r.key for r in waiting}, SLOTS,
                            set(), {"notice"})) == ["google:group:eng"]
    # clean work left does not: the member is told once their access is gone
    assert ids(next_actions([groups, notice], [], {suspend.key, deactivate.key}, {r.key for r in waiting}, SLOTS,
                            set(), {"notice"})) == ["google:group:eng", "notice:send"]


def test_a_system_that_is_not_closing_does_not_wait_for_the_others():
    suspend = row("google", "google:suspend", Phase.CUT)
    channel = row("slack", "slack:channel", Phase.CLEAN)
    started = next_actions([suspend, channel], [], set(), {suspend.key, channel.key}, SLOTS, set(), {"notice"})
    assert ids(started) == ["google:suspend", "slack:channel"]
