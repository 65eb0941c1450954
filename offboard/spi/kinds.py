"""A connector's actions as one table: for each kind, how to see it done and how to do it.

``apply``, ``apply_planned`` and ``check`` are then the same three lookups in every connector that
keeps such a table; ``KindTable`` is them, written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from offboard.spi.errors import FatalError
from offboard.spi.model import Action, Outcome

T = TypeVar("T")  # what a kind's functions work with: the connector, or its API client
Params = Mapping[str, Any]


@dataclass(frozen=True)
class Kind(Generic[T]):
    """One row of the table: how to see whether an action is done, and how to do it."""

    observe: Callable[[T, Params], bool | None]  # check: True when done, None when it cannot tell
    act: Callable[[T, Params], Outcome]  # apply: looks first, so a second apply is ok
    act_planned: Callable[[T, Params], Outcome] | None = None  # apply_planned's shortcut; None: act


class KindTable(Generic[T]):
    """The connector's ``apply``, ``apply_planned`` and ``check``, by the action's kind.

    ``kinds`` is kept, not copied: rows added to it later (the restore kinds) are found too.
    """

    def __init__(self, title: str, kinds: Mapping[str, Kind[T]]) -> None:
        self.title = title
        self.kinds = kinds

    def of(self, action: Action) -> Kind[T]:
        try:
            return self.kinds[action.kind]
        except KeyError:
            raise FatalError(f"the {self.title} connector has no action of kind {action.kind!r}") from None

    def apply(self, target: T, action: Action) -> Outcome:
        return self.of(action).act(target, action.params)

    def apply_planned(self, target: T, action: Action) -> Outcome:
        kind = self.of(action)
        return (kind.act_planned or kind.act)(target, action.params)

    def check(self, target: T, action: Action) -> bool | None:
        kind = self.kinds.get(action.kind)
        return kind.observe(target, action.params) if kind else None
