"""Where an action and a run stand. Enums in code; their values are what JSON and SQLite store."""

from __future__ import annotations

import enum

from offboard.errors import ExitCode
from offboard.spi import State


class Progress(enum.StrEnum):
    """An action not yet at an outcome (``spi.State``): waiting, or sent and not yet answered.

    ``pending`` and ``intent`` mean a run was interrupted; a ``held`` action waits for a person (for a manual
    step of its run), and only once the step is closed is it work left like ``pending``.
    """

    PENDING = "pending"
    INTENT = "intent"  # journaled before its side effect: a crash here is resumed by re-checking
    HELD = "held"  # waits for a manual step of the run to be closed; never sent


ActionState = State | Progress

#: the outcomes in the order people read them
OUTCOME_ORDER = (State.CHANGED, State.OK, State.FAILED, State.SKIPPED, State.MANUAL)
#: what a run's counts show: the outcomes, then the actions held for a manual step
SHOWN_ORDER = (*OUTCOME_ORDER, Progress.HELD)


def action_state(value: str) -> ActionState:
    """A stored state back as its enum."""
    return Progress(value) if value in Progress._value2member_map_ else State(value)


class RunStatus(enum.StrEnum):
    RUNNING = "running"  # started, no outcome recorded for the whole run yet
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"  # waiting on manual steps
    FAILED = "failed"
    INTERRUPTED = "interrupted"

    @property
    def exit_code(self) -> ExitCode:
        return {
            RunStatus.COMPLETE: ExitCode.OK, RunStatus.FAILED: ExitCode.FAILED, RunStatus.INCOMPLETE: ExitCode.WAITING,
        }.get(self, ExitCode.ERROR)
