"""Accounts to members: the roster's column for the system, else the member's emails, any case."""

from __future__ import annotations

from offboard.audit.matching import Matcher
from offboard.spi import Account, Member


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


def test_an_email_shared_by_two_members_matches_both_once():
    members = [Member("m1", "Rob", "rob@x.org", "shared@home.test"), Member("m2", "Robin", "robin@x.org", "shared@home.test")]
    account = Account("s", "U1", "shared@home.test", {"email": "SHARED@home.test"})
    assert [m.id for m in Matcher(members, "s").match(account)] == ["m1", "m2"]


def test_a_roster_column_matches_the_accounts_other_keys():
    """Open Collective's account id is a number, its label a name: the roster holds the slug."""
    members = [Member("m1", "Ann", "ann@x.org", identities={"opencollective": "ann-lee"})]
    matcher = Matcher(members, "opencollective")
    account = Account("opencollective", "4711", "Ann Lee (@ann-lee)", {"roster_keys": ["Ann-Lee"]})
    assert [m.id for m in matcher.match(account)] == ["m1"]
    assert matcher.match(Account("opencollective", "4712", "Ann Lee (@ann-lee)")) == []
