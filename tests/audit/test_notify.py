"""``--notify``: the summary names members and counts accounts only; the connector that posts it."""

from __future__ import annotations

import pytest

from offboard.audit.notify import find_notifier, notification
from offboard.audit.result import AuditResult, SystemAudit
from offboard.audit.situations import Finding, Situation
from offboard.errors import ConfigurationError
from tests.audit.listed import Listed, Notifier, Unlisted


def test_the_notification_names_members_and_counts_accounts_only():
    findings = [
        Finding(Situation.REVOKED_BUT_ACTIVE, "google", "bob@x.org", "m1", "Bob B", "d"),
        Finding(Situation.REVOKED_BUT_ACTIVE, "slack", "bob@x.org", "m1", "Bob B", "d"),
        Finding(Situation.ORPHAN, "slack", "ghost@x.org", None, "", "d"),
        Finding(Situation.EXCEPTION_UNUSED, "slack", "U0BOT", None, "", "d"),
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


def test_disputed_accounts_are_counted_and_manual_steps_name_the_member():
    findings = [
        Finding(Situation.UNCONFIRMED_MANUAL, "bank", "", "m1", "Ann A", "Remove the signer: ..."),
        Finding(Situation.DISPUTED, "google", "desk@x.org", "m2, m3", "Ben, Cy", "matches ..."),
        Finding(Situation.DISPUTED, "google", "desk2@x.org", "m2, m3", "Ben, Cy", "matches ..."),
    ]
    text = notification(AuditResult("s", "f", [], findings, []), "Org", 3)
    assert text.splitlines()[1:] == ["unconfirmed-manual (high): Ann A (bank)", "disputed (high): 2 account(s) (google 2)"]
    assert "desk" not in text and "m2" not in text


def test_the_notifier_is_the_connector_that_can_notify():
    notifier = Notifier()
    assert find_notifier({"google": Listed(), "chat": notifier, "vault": Unlisted()}) is notifier


def test_of_several_notifiers_the_first_by_name_posts():
    first, second = Notifier(), Notifier()
    assert find_notifier({"zulip": second, "slack": first}) is first


def test_without_a_notifier_the_error_says_what_to_configure():
    message = ("--notify needs a connector that can post notifications (such as slack), but none is configured: "
               "add [connectors.slack], or drop --notify")
    with pytest.raises(ConfigurationError) as raised:
        find_notifier({"google": Listed()})
    assert str(raised.value) == message
    with pytest.raises(ConfigurationError, match="none is configured"):
        find_notifier({})


def test_a_members_own_situations_name_the_member_alone():
    findings = [
        Finding(Situation.SUSPENSION_ENDED, "ledger", "", "m1", "Ann A", "suspended ... until 2026-12-31 ..."),
        Finding(Situation.SUSPENSION_ENDED, "ledger", "", "m9", "", "suspended ... until 2026-11-30 ..."),
        Finding(Situation.ROSTER_OUTDATED, "roster", "", "m2", "<!channel>", "the ledger records m2 reinstated ..."),
    ]
    text = notification(AuditResult("s", "f", [], findings, []), "Org", 7)
    assert text.splitlines()[1:] == ["suspension-ended (medium): Ann A; m9", "roster-outdated (low): &lt;!channel&gt;"]
