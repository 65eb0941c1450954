"""The library: the ledger's facts, matching, streaming page by page with retries, the notification."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import seeded_emulator
from offboard.connectors.slack import SlackConnector
from offboard.connectors.slack.emulator import SlackEmulator

from offboard.apply.retry import RetryPolicy
from offboard.audit.reconcile import (
    AuditResult,
    Finding,
    Matcher,
    Revocation,
    SystemAudit,
    notification,
    read_ledger,
    reconcile,
    revocations,
    stream_inventory,
)
from offboard.audit.settings import AccountException
from offboard.spi import Account, Capability, Connector, ConnectorContext, Member, RetriableError


def report(seq: int, kind: str, member: str, run_id: str, finished: str, manual: tuple[str, ...] = ()) -> dict[str, Any]:
    actions = [{"id": f"bank:{step}", "summary": f"Do {step}", "state": "manual"} for step in manual]
    return {"seq": seq, "kind": kind, "member": {"id": member, "name": member.upper()}, "run_id": run_id,
            "finished": finished, "systems": [{"name": "bank", "actions": actions}]}


def test_the_ledger_says_who_is_revoked_since_when_and_what_waits():
    facts = read_ledger([
        report(1, "expel", "m1", "r1", "2026-01-05T10:00:00Z", ("sign",)),
        report(2, "reinstate", "m1", "r2", "2026-03-01T10:00:00Z"),
        report(3, "expel", "m2", "r3", "2026-04-01T10:00:00Z", ("sign", "cards")),
        {"seq": 4, "kind": "audit", "member": None, "run_id": "audit-1", "finished": "2026-04-02T00:00:00Z"},
        report(5, "expel", "m2", "r3", "2026-04-03T10:00:00Z", ("cards",)),  # "sign" confirmed since
        report(6, "expel", "m2", "r4", "2026-05-01T10:00:00Z"),  # an audit --fix run: the date stays
        report(7, "suspend", "m3", "r5", "2026-06-01T10:00:00Z"),
    ])
    assert facts.reports == 7
    assert facts.revoked == {
        "m2": Revocation("m2", "expel", "2026-04-01T10:00:00Z", "r3", 3),
        "m3": Revocation("m3", "suspend", "2026-06-01T10:00:00Z", "r5", 7),
    }
    assert [(p.member_id, p.action_id, p.since[:10]) for p in facts.pending] == [
        ("m1", "bank:sign", "2026-01-05"), ("m2", "bank:cards", "2026-04-01")]
    members = [Member("m1", "One", "one@x.org"), Member("m4", "Four", "four@x.org", status="suspended")]
    revoked = revocations(members, facts)
    assert revoked["m4"].describe() == "suspended (roster; no report in the ledger)"
    assert revoked["m2"].describe() == "expelled 2026-04-01 (report 000003)"
    assert "m1" not in revoked  # reinstated: their old manual step is no longer a finding


def test_matching_prefers_the_roster_override_then_emails_any_case():
    members = [
        Member("m1", "Ann", "ann@x.org", "ann@home.test", identities={"slack": "U1"}),
        Member("m2", "Ben", "ben@x.org", "BEN@home.test"),
        Member("m3", "Cy", "cy@x.org", identities={"slack": "ben@x.org"}),
    ]
    matcher = Matcher(members, "slack")
    ids = lambda account: [m.id for m in matcher.match(account)]  # noqa: E731
    assert ids(Account("slack", "U1", "@ann")) == ["m1"]
    assert ids(Account("slack", "U9", "Ann@X.org")) == ["m1"]
    assert ids(Account("slack", "U8", "@ben", {"email": "ben@home.test"})) == ["m2"]
    assert ids(Account("slack", "U7", "ben@x.org")) == ["m3"]  # the override wins over Ben's org email
    assert ids(Account("slack", "U6", "@nobody")) == []
    assert [m.id for m in Matcher(members, "google").match(Account("google", "ben@x.org", "ben@x.org"))] == ["m2"]


def test_exceptions_are_matched_first_and_deactivated_strangers_are_not_findings():
    members = [Member("m1", "Ann", "ann@x.org", status="expelled")]
    accounts = [Account("s", "U1", "ann@x.org"), Account("s", "U2", "@bot"), Account("s", "U3", "old@x.org", {"active": False})]
    rules = [AccountException("s", "u2", "bot", "posts builds"), AccountException("other", "U1", "bot", "elsewhere")]
    tally = SystemAudit("s", "S")
    findings, hits = reconcile("s", iter(accounts), Matcher(members, "s"), {"m1": Revocation("m1", "expel")}, rules,
                               None, tally)
    assert [(f.situation, f.account) for f in findings] == [("revoked-but-active", "ann@x.org")]
    assert [(h.label, h.rule.reason) for h in hits] == [("@bot", "posts builds")]
    assert (tally.accounts, tally.active, tally.linked) == (3, 2, 0)


class Flaky(Connector):
    """An inventory of three pages whose second page is throttled once."""

    name = "flaky"
    title = "Flaky"
    capabilities = frozenset({Capability.INVENTORY})

    def __init__(self) -> None:
        super().__init__({}, ConnectorContext("x", "x.org", Path("."), {}))
        self.calls = 0

    def resolve(self, member):  # pragma: no cover - not used
        return None

    def discover(self, account, options=None):  # pragma: no cover - not used
        return []

    def apply(self, action):  # pragma: no cover - not used
        raise NotImplementedError

    def inventory(self) -> Iterator[Account]:
        for page in range(3):
            self.calls += 1
            if self.calls == 2:
                raise RetriableError("429", retry_after=7)
            yield from (Account("flaky", f"u{page}{i}", f"u{page}{i}") for i in range(2))


def test_a_throttled_page_is_retried_without_delivering_an_account_twice(sleeps):
    connector = Flaky()
    assert [a.id for a in stream_inventory(connector, RetryPolicy())] == ["u00", "u01", "u10", "u11", "u20", "u21"]
    assert sleeps == [7]  # Retry-After honoured, through the engine's sleep
    # inventory() cannot resume mid-way, so the pages before the throttled one are read again: 3 pages, 5 calls
    assert connector.calls == 5


def test_google_inventory_streams_with_one_call_per_page(tmp_path):
    emulator = seeded_emulator("example.org").start()
    try:
        with emulator.lock:
            for i in range(1200):
                emulator.workspace.add_user(f"user{i:05d}@example.org")
            total = len(emulator.workspace.users)
        emulator.write_key_file(tmp_path / "sa.json")
        connector = GoogleWorkspaceConnector(
            {"service_account_file": "sa.json", "admin": "admin@example.org", "api_endpoint": emulator.url},
            ConnectorContext("x", "example.org", tmp_path, {}))
        stream = stream_inventory(connector, RetryPolicy())
        next(stream)
        assert len(emulator.requests("GET", "/users")) == 1  # the first account comes before the second page is read
        assert sum(1 for _ in stream) == total - 1
        assert len(emulator.requests("GET", "/users")) == math.ceil(total / 500) == 3
        connector.close()
    finally:
        emulator.stop()


def test_slack_inventory_streams_with_one_call_per_page():
    emulator = SlackEmulator(enforce_rate_limits=False).start()
    try:
        with emulator.lock:
            for i in range(450):
                emulator.workspace.add_user(f"user{i}", f"user{i}@example.org")
            total = len(emulator.workspace.users)
        connector = SlackConnector({"base_url": f"{emulator.url}/api/"},
                                   ConnectorContext("x", "example.org", Path("."), {"SLACK_ADMIN_TOKEN": emulator.admin_token}))
        assert sum(1 for a in stream_inventory(connector, RetryPolicy()) if a.active) == total
        assert len(emulator.requests(path_contains="/api/users.list")) == math.ceil(total / 200) == 3
    finally:
        emulator.stop()


def test_the_notification_names_members_and_counts_accounts_only():
    findings = [
        Finding("revoked-but-active", "google", "bob@x.org", "m1", "Bob B", "d"),
        Finding("revoked-but-active", "slack", "bob@x.org", "m1", "Bob B", "d"),
        Finding("orphan", "slack", "ghost@x.org", None, "", "d"),
        Finding("exception-unused", "slack", "U0BOT", None, "", "d"),
    ]
    result = AuditResult("s", "f", [SystemAudit("google", "G"), SystemAudit("slack", "S", errors=["boom"])], findings, [])
    assert notification(result, "Org", 12) == (
        "offboard audit of Org: 4 finding(s) (report 000012).\n"
        "revoked-but-active (critical): Bob B (google, slack)\n"
        "orphan (medium): 1 account(s) (slack 1)\n"
        "exception-unused (low): 1 account(s) (slack 1)\n"
        "could not be read: slack")
    clean = AuditResult("s", "f", [], [], [])
    assert notification(clean, "Org", None) == "offboard audit of Org: clean."
