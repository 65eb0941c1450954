"""A connector for library tests: an inventory in memory, read in pages, with faults on given page reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from offboard.spi import Account, Action, Capability, Connector, ConnectorContext, Phase


def action(account: Account, what: str, phase: Phase = Phase.CLEAN) -> Action:
    return Action(f"{account.system}:{what}", account.system, what, f"Remove from {what}", phase, True, account=account)


class Listed(Connector):
    """``accounts`` read ``page_size`` at a time; ``faults`` maps a page read (1 = the first) to the error it raises."""

    name = "listed"
    title = "Listed"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.INVENTORY})

    def __init__(self, accounts: Sequence[Account] = (), *, page_size: int = 2,
                 faults: Mapping[int, Exception] | None = None,
                 access: Mapping[str, list[Action] | Exception] | None = None) -> None:
        super().__init__({}, ConnectorContext("x", "x.org", Path("."), {}))
        self.accounts = list(accounts)
        self.page_size = page_size
        self.faults = dict(faults or {})
        self.access = dict(access or {})  # account id -> what discover finds, or the error it raises
        self.calls = 0

    def resolve(self, member: Any) -> Account | None:  # pragma: no cover - not used
        return None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        found = self.access.get(account.id, [])
        if isinstance(found, Exception):
            raise found
        return found

    def apply(self, action: Action) -> Any:  # pragma: no cover - not used
        raise NotImplementedError

    def inventory(self) -> Iterator[Account]:
        for start in range(0, len(self.accounts), self.page_size):
            self.calls += 1
            if self.calls in self.faults:
                raise self.faults[self.calls]
            yield from self.accounts[start:start + self.page_size]


class Notifier(Listed):
    name = "notifier"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.NOTIFY})


class Unlisted(Listed):
    """A system without an inventory: it cannot be audited."""

    name = "unlisted"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.REVOKE})
