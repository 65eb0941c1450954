"""A system whose ids are not emails (Discord) is never guessed: no roster column, no lookup."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from offboard.apply.retry import RetryPolicy
from offboard.plans.discovery import discover_system
from offboard.plans.playbook import Step
from offboard.spi import Account, Action, Connector, ConnectorContext, Member, Outcome


class ById(Connector):
    name = "chat"
    title = "Chat"
    identity_column = True

    def __init__(self) -> None:
        super().__init__({}, ConnectorContext("Org", "example.org", Path("."), {}))
        self.resolved: list[str] = []

    def resolve(self, member: Member) -> Account | None:
        self.resolved.append(member.identity_for(self.name))
        return None

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        return []

    def apply(self, action: Action) -> Outcome:
        raise AssertionError("never applied")


def test_a_member_without_the_column_is_not_on_the_roster_for_that_system_and_nothing_is_read():
    connector = ById()
    plan = discover_system(Step("chat", "chat"), connector, Member("m1", "Ann", "ann@example.org"), RetryPolicy())
    assert plan.note == "not on the roster for chat: add a 'chat' column to the roster with the member's Chat id"
    assert connector.resolved == [] and not plan.error


def test_a_member_with_the_column_is_looked_up_by_it():
    connector = ById()
    member = Member("m1", "Ann", "ann@example.org", identities={"chat": "80351110224678912"})
    plan = discover_system(Step("chat", "chat"), connector, member, RetryPolicy())
    assert connector.resolved == ["80351110224678912"]
    assert plan.note == "no account for 80351110224678912: nothing to do"
