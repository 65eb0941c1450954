"""Runs executed together (members planned together): every run's cut before any run's clean, each run its own."""

from __future__ import annotations

from offboard.apply.journal import ActionRow
from offboard.apply.scheduling import next_actions
from offboard.apply.states import Progress
from offboard.spi import Action, Phase

SLOTS = {"google": 2, "notice": 1}


def row(run: str, system: str, action_id: str, phase: Phase, depends_on: tuple[str, ...] = ()) -> ActionRow:
    action = Action(action_id, system, "kind", action_id, phase, True, depends_on=depends_on)
    return ActionRow(run, 0, system, action, Progress.PENDING, 0, "", None, None, None, None)


def keys(rows: list[ActionRow]) -> list[tuple[str, str]]:
    return [(r.run_id, r.action.id) for r in rows]


def test_the_second_members_cut_goes_before_the_first_members_clean_up():
    first = [row("a", "google", "google:suspend", Phase.CUT), row("a", "google", "google:group:eng", Phase.CLEAN)]
    second = [row("b", "google", "google:suspend", Phase.CUT), row("b", "google", "google:group:eng", Phase.CLEAN)]
    waiting = first + second
    assert keys(next_actions(waiting, [], set(), {r.key for r in waiting}, SLOTS, set())) == [
        ("a", "google:suspend"), ("b", "google:suspend")]


def test_the_same_action_id_of_two_runs_is_two_actions():
    """A dependency is the run's own: b's suspension does not wait for a's sign-out, nor start on it."""
    a_signout = row("a", "google", "google:signout", Phase.CUT)
    a_suspend = row("a", "google", "google:suspend", Phase.CUT, ("google:signout",))
    b_signout = row("b", "google", "google:signout", Phase.CUT)
    b_suspend = row("b", "google", "google:suspend", Phase.CUT, ("google:signout",))
    everything = {r.key for r in (a_signout, a_suspend, b_signout, b_suspend)}
    started = next_actions([a_suspend, b_signout, b_suspend], [], {a_signout.key}, everything, {"google": 4}, set())
    assert keys(started) == [("a", "google:suspend"), ("b", "google:signout")]


def test_a_members_notice_waits_only_for_their_own_cut():
    notice_a = row("a", "notice", "notice:send", Phase.CLEAN)
    notice_b = row("b", "notice", "notice:send", Phase.CLEAN)
    b_suspend = row("b", "google", "google:suspend", Phase.CUT)
    waiting = [notice_a, notice_b, b_suspend]
    started = next_actions(waiting, [], set(), {r.key for r in waiting}, {"google": 2, "notice": 2}, set(), {"notice"})
    assert keys(started) == [("a", "notice:send"), ("b", "google:suspend")]
