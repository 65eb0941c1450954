"""Resolve, discover, apply and check against the emulator, over real HTTP: what an operator would notice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from offboard.connectors.opencollective import OpenCollectiveConnector

from offboard.spi import Action, ConfigError, ConnectorContext, Member, Phase, State
from offboard.testing.contract import order_for_apply
from tests.connectors.opencollective.conftest import ALICE, ALICE_SLUG, COLLECTIVE, Org, connect

Make = Callable[..., Org]


def plan_for(org: Org, member: Member = ALICE) -> dict[str, Action]:
    connector = org.connect()
    account = connector.resolve(member)
    assert account is not None
    return {a.id: a for a in connector.discover(account)}


def test_construction_is_offline_and_checks_the_table() -> None:
    context = ConnectorContext("Org", "example.org", Path("."), {})
    connector = OpenCollectiveConnector({"collective_slug": "Example-Volunteers"}, context)
    assert connector.slug == "example-volunteers" and connector.endpoints() == {}
    pasted = OpenCollectiveConnector({"collective_slug": "https://opencollective.com/example-volunteers/"}, context)
    assert pasted.slug == "example-volunteers"
    with pytest.raises(ConfigError, match="missing required key 'collective_slug'"):
        OpenCollectiveConnector({}, context)
    with pytest.raises(ConfigError, match=r"api_url 'http://example.org/graphql/v2' is plain http: use https"):
        OpenCollectiveConnector({"collective_slug": "x", "api_url": "http://example.org/graphql/v2"}, context)
    with pytest.raises(ConfigError, match="'collective_slug' is empty"):
        OpenCollectiveConnector({"collective_slug": " "}, context)


def test_resolve_by_the_roster_column_slug(org: Org) -> None:
    account = org.connect().resolve(ALICE)
    assert account is not None and account.id == org.alice.id and account.label == "Alice Liddell (@alice-liddell)"
    assert org.emulator.operations() == [("OffboardAccount", {"slug": ALICE_SLUG})]


@pytest.mark.parametrize("column", ["@alice-liddell", "https://opencollective.com/alice-liddell",
                                    "https://opencollective.com/Alice-Liddell/", "opencollective.com/alice-liddell"])
def test_resolve_by_the_column_as_people_write_a_slug(org: Org, column: str) -> None:
    """A handle with its @, or the profile's address pasted: looked up as typed it found nobody, and the plan was empty."""
    org.give("ADMIN")
    member = Member("m-alice", "Alice Liddell", "alice@example.org", identities={"opencollective": column})
    connector = org.connect()
    account = connector.resolve(member)
    assert account is not None and account.id == org.alice.id
    assert org.emulator.operations() == [("OffboardAccount", {"slug": ALICE_SLUG})]
    assert [a.id for a in connector.discover(account)] == ["opencollective:role:ADMIN"]


def test_resolve_by_email_finds_only_a_team_member_with_that_sign_in_email(org: Org) -> None:
    """Open Collective shows nobody's email; its admins may filter the team by one (members(email:))."""
    org.give("MEMBER")
    plain = Member("m-alice", "Alice Liddell", "alice@example.org", "alice@mail.test")  # no roster column
    connector = org.connect()
    account = connector.resolve(plain)
    assert account is not None and account.id == org.alice.id
    assert [v["email"] for _, v in org.emulator.operations()] == ["alice@example.org", "alice@mail.test"]
    assert connector.resolve(Member("m-x", "X", "x@example.org", "not an email")) is None
    assert [v.get("email") for _, v in org.emulator.operations()][-1] == "x@example.org"  # the bad one was not sent


def test_resolve_by_an_email_in_the_column(org: Org) -> None:
    org.give("MEMBER")
    member = Member("m-alice", "Alice Liddell", "alice@example.org", identities={"opencollective": "alice@mail.test"})
    account = org.connect().resolve(member)
    assert account is not None and account.id == org.alice.id


def test_someone_without_a_role_is_not_found_by_email_and_an_unknown_slug_is_none(org: Org) -> None:
    org.invite("ADMIN")  # an invitation is not a team entry: members(email:) does not see it
    connector = org.connect()
    assert connector.resolve(Member("m-alice", "Alice Liddell", "alice@example.org", "alice@mail.test")) is None
    assert connector.resolve(Member("m-z", "Zed", "z@example.org", identities={"opencollective": "nobody"})) is None


def test_discover_plans_every_role_and_invitation_as_a_cut_highest_first(org: Org) -> None:
    org.give("MEMBER", "ADMIN", description="Treasurer")
    org.invite("COMMUNITY_MANAGER")
    writes = len(org.emulator.writes())
    planned = plan_for(org)
    assert len(org.emulator.writes()) == writes
    assert [(a.id, a.phase, a.reversible) for a in planned.values()] == [
        ("opencollective:role:ADMIN", Phase.CUT, True),
        ("opencollective:role:MEMBER", Phase.CUT, False),
        ("opencollective:invitation:COMMUNITY_MANAGER", Phase.CUT, False),
    ]
    assert [a.summary for a in planned.values()] == [
        "Remove Alice Liddell (@alice-liddell) as Administrator of Example Volunteers on Open Collective",
        "Remove Alice Liddell (@alice-liddell) as Core Contributor of Example Volunteers on Open Collective (cannot be "
        "undone: Open Collective holds one pending invitation per person and collective, and Alice Liddell "
        "(@alice-liddell) is invited back as Administrator only)",
        "Withdraw the pending invitation of Alice Liddell (@alice-liddell) to be Community Manager of Example Volunteers "
        "on Open Collective, which they could still accept (cannot be undone: Open Collective holds one pending "
        "invitation per person and collective, and Alice Liddell (@alice-liddell) is invited back as Administrator only)",
    ]
    admin = planned["opencollective:role:ADMIN"]
    assert admin.before == {"role": "ADMIN", "since": "2021-04-01T00:00:00.000Z", "description": "Treasurer", "held": True}
    assert admin.after == {"role": "ADMIN", "held": False}


def test_other_people_and_inherited_roles_are_left_alone(org: Org) -> None:
    platform = org.platform
    platform.add_account("bob", "Bob")
    org.give("ACCOUNTANT", slug="bob")
    org.give("MEMBER")
    event = platform.add_account("spring-fair", "Spring Fair", "EVENT", parent_id=platform.slug(COLLECTIVE).id)
    connector = connect(org.emulator, token=org.token, collective_slug=event.slug)
    account = connector.resolve(ALICE)
    assert account is not None
    assert connector.discover(account) == []  # her MEMBER entry is the parent's, inherited: removed there, not here
    assert [a.id for a in plan_for(org).values()] == ["opencollective:role:MEMBER"]


def test_apply_removes_each_role_and_the_invitation_then_again_is_ok_without_a_write(org: Org) -> None:
    org.give("ADMIN", "ACCOUNTANT")
    org.invite("MEMBER")
    connector = org.connect()
    actions = order_for_apply(list(plan_for(org).values()))
    assert [connector.apply(a).detail for a in actions] == [
        "removed as Administrator of Example Volunteers",
        "removed as Accountant of Example Volunteers",
        "withdrew the invitation to be Core Contributor of Example Volunteers",
    ]
    assert org.roles() == [] and org.invitations() == []
    sent = org.writes()
    assert [connector.apply(a).state for a in actions] == [State.OK] * 3
    assert org.writes() == sent
    assert all(connector.check(a) for a in actions)


def test_a_role_removed_meanwhile_is_ok_and_no_removal_is_sent(org: Org) -> None:
    """removeMember answers true even when it matched nothing, so apply looks first instead of trusting it."""
    org.give("ACCOUNTANT")
    action = plan_for(org)["opencollective:role:ACCOUNTANT"]
    org.platform.members.clear()  # another admin removed her in the web interface
    outcome = org.connect().apply(action)
    assert (outcome.state, outcome.detail) == (State.OK, "not Accountant of Example Volunteers (already removed)")
    assert org.writes() == []


def test_a_removal_answered_true_that_changed_nothing_is_a_failure(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    org.give("ACCOUNTANT")
    action = plan_for(org)["opencollective:role:ACCOUNTANT"]
    monkeypatch.setattr(org.platform, "remove_member", lambda *args: True)  # true, and nothing matched
    outcome = org.connect().apply_planned(action)
    assert outcome.state is State.FAILED
    assert outcome.detail == ("Open Collective answered the removal with true, yet Alice Liddell (@alice-liddell) is "
                              "still Accountant of Example Volunteers: remove them by hand in the collective's Settings > "
                              "Team, then apply this again")
    assert org.writes() == ["OffboardRemoveMember"]
    assert org.connect().check(action) is False


def test_apply_planned_skips_the_first_look_only(org: Org) -> None:
    org.give("MEMBER")
    action = plan_for(org)["opencollective:role:MEMBER"]
    org.emulator.clear_log()
    assert org.connect().apply_planned(action).state is State.CHANGED
    assert [name for name, _ in org.emulator.operations()] == ["OffboardRemoveMember", "OffboardMembers"]


def test_the_invitation_is_withdrawn_with_is_invitation(org: Org) -> None:
    org.give("MEMBER")
    org.invite("ADMIN")
    action = plan_for(org)["opencollective:invitation:ADMIN"]
    assert org.connect().apply(action).state is State.CHANGED
    removal = [v for name, v in org.emulator.operations() if name == "OffboardRemoveMember"]
    assert removal == [{"member": {"id": org.alice.id}, "collective": {"slug": COLLECTIVE}, "role": "ADMIN",
                        "isInvitation": True}]
    assert org.invitations() == [] and org.roles() == ["MEMBER"]  # her team entry is another action's


def test_check_re_reads_the_team(org: Org) -> None:
    org.give("MEMBER")
    connector = org.connect()
    action = plan_for(org)["opencollective:role:MEMBER"]
    connector.apply(action)
    assert connector.check(action) is True
    org.give("MEMBER")  # invited again by someone, and accepted
    assert connector.check(action) is False


def test_a_team_of_250_is_read_a_page_of_100_at_a_time(org: Org) -> None:
    for n in range(249):
        org.platform.add_account(f"vol-{n}", f"Volunteer {n}")
        org.give("MEMBER", slug=f"vol-{n}")
    org.give("ACCOUNTANT")  # the last entry, on the third page
    assert list(plan_for(org)) == ["opencollective:role:ACCOUNTANT"]
    offsets = [v["offset"] for name, v in org.emulator.operations() if name == "OffboardMembers"]
    assert offsets == [0, 100, 200]


def test_inventory_lists_the_team_and_the_invitees_once_each_as_active(org: Org) -> None:
    org.give("ADMIN", "MEMBER")
    org.platform.add_account("bob", "Bob")
    org.invite("MEMBER", slug="bob")
    accounts = list(org.connect().inventory())
    assert [(a.label, a.active) for a in accounts] == [
        ("Coordinating Committee (@example-volunteers-cc)", True), ("Alice Liddell (@alice-liddell)", True),
        ("Bob (@bob)", True)]
    assert [a.attributes["roster_keys"] for a in accounts] == [["example-volunteers-cc"], ["alice-liddell"], ["bob"]]
    assert org.writes() == []


def test_an_audit_matches_the_roster_column_by_slug(org: Org) -> None:
    from offboard.audit.matching import Matcher
    from offboard.spi import Member

    org.give("ADMIN")
    member = Member("m1", "Alice", "alice@elsewhere.test", identities={"opencollective": "alice-liddell"})
    matched = [a for a in org.connect().inventory() if Matcher([member], "opencollective").match(a)]
    assert [a.label for a in matched] == ["Alice Liddell (@alice-liddell)"]


def test_every_request_is_paced_against_the_one_bucket(org: Org) -> None:
    from offboard.apply.pacing import Pacer

    class Counting(Pacer):
        def __init__(self) -> None:
            super().__init__()
            self.paced: list[str] = []

        def pace(self, bucket: str) -> None:
            self.paced.append(bucket)

    org.give("ADMIN", "MEMBER")
    pacer = Counting()
    connector = connect(org.emulator, token=org.token, pacer=pacer)
    account = connector.resolve(ALICE)
    assert account is not None
    for action in connector.discover(account):
        connector.apply(action)
    assert pacer.paced == ["graphql"] * len(org.emulator.log)
    rate = type(connector).rate_limits["graphql"]
    assert rate.burst is not None and rate.burst + rate.requests * 60 / rate.per_seconds <= 100  # never 100+ a minute


def test_doctor_is_quiet_when_the_token_is_an_admins(org: Org) -> None:
    assert org.connect().test_connection() == []


def test_doctor_says_the_token_user_is_no_admin(org: Org) -> None:
    org.give("MEMBER")
    found = org.connect(token=org.emulator.issue_token(ALICE_SLUG)).test_connection()
    assert found == ["the token's user Alice Liddell (@alice-liddell) is not an admin of Example Volunteers "
                     "(@example-volunteers): Open Collective lets only its admins remove and invite team members; use a "
                     "personal token of one of its admins (listed in the collective's Settings > Team), or ask an admin "
                     "to invite this user as Administrator"]


def test_doctor_names_a_missing_collective_and_a_missing_variable(org: Org) -> None:
    assert connect(org.emulator, token=org.token, collective_slug="nope").test_connection() == [
        "Open Collective has no collective with the slug 'nope': check collective_slug in [connectors.opencollective] "
        "(the last part of the collective's address, https://opencollective.com/SLUG)"]
    assert connect(org.emulator, environ={}).test_connection() == [
        "environment variable OPENCOLLECTIVE_TOKEN is not set: export it with the credential"]


def test_doctor_says_the_token_is_rejected_without_showing_it(org: Org) -> None:
    found = org.connect(token="0123456789abcdef0123456789abcdef01234567").test_connection()
    assert found == ["Open Collective rejected the personal token in OPENCOLLECTIVE_TOKEN: it is wrong or was deleted; "
                     "create a new one in your personal token's settings on Open Collective (your account's Settings > "
                     "For developers > Personal tokens; https://docs.opencollective.com/help/developers/personal-tokens) "
                     "with the scope 'account', and put it in OPENCOLLECTIVE_TOKEN"]
    assert "0123456789abcdef" not in found[0]
