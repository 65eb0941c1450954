"""Suspend, then reinstate: one invitation back (Open Collective keeps one per person and collective), a step that
closes itself once the person accepts, and every other role listed as lost with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from offboard.connectors.opencollective.restore_plan import ACCEPT, INVITE

from offboard.spi import Account, Action, Phase, Restoration, State
from offboard.testing.contract import order_for_apply
from tests.connectors.opencollective.conftest import ALICE, ALICE_SLUG, COLLECTIVE, Org, state


def suspend(org: Org) -> tuple[Account, list[Action]]:
    connector = org.connect()
    account = connector.resolve(ALICE)
    assert account is not None
    applied = order_for_apply(connector.discover(account))
    assert [connector.apply(a).state for a in applied] == [State.CHANGED] * len(applied)
    assert org.roles() == [] and org.invitations() == []
    return account, applied


def plan_restore(org: Org, account: Account, applied: list[Action]) -> Restoration:
    writes = len(org.emulator.writes())
    restoration = org.connect().plan_restore(account, applied)
    assert len(org.emulator.writes()) == writes, "plan_restore wrote"
    return restoration


def test_two_roles_come_back_as_one_invitation_and_the_other_is_lost(org: Org) -> None:
    org.give("MEMBER", "ACCOUNTANT", description="Keeps the books")
    account, applied = suspend(org)
    restoration = plan_restore(org, account, applied)
    assert [(a.id, a.kind, a.phase, a.depends_on) for a in restoration.actions] == [
        (INVITE, "invite", Phase.CUT, ()), (ACCEPT, "accept-manual", Phase.MANUAL, (INVITE,))]
    invite, accept = restoration.actions
    assert invite.summary == ("Invite Alice Liddell (@alice-liddell) back as Accountant of Example Volunteers on Open "
                              "Collective (they must accept the invitation)")
    assert accept.manual is not None and accept.manual.self_closing
    assert accept.manual.title == "Waiting for Alice Liddell (@alice-liddell) to accept the invitation"
    assert [(i.action_id, i.reason) for i in restoration.lost] == [(
        "opencollective:role:MEMBER",
        "offboard invites a reinstated member back to one role only, as Open Collective holds one pending invitation per "
        "person and collective, and Alice Liddell (@alice-liddell) comes back as Accountant: once they have accepted, "
        "invite them as Core Contributor in the collective's Settings > Team if they should have it again")]
    assert restoration.already == []


def test_the_invitation_carries_the_role_description_and_since_and_the_step_closes_on_acceptance(org: Org) -> None:
    org.give("ADMIN", since="2022-03-01", description="Treasurer")
    start = state(org.emulator)
    account, applied = suspend(org)
    invite, accept = plan_restore(org, account, applied).actions
    connector = org.connect()
    outcome = connector.apply(invite)
    assert outcome.state is State.CHANGED
    assert outcome.detail == ("invited Alice Liddell (@alice-liddell) back as Administrator of Example Volunteers; Open "
                              "Collective emails them the invitation, and they must accept it")
    sent = [v for name, v in org.emulator.operations() if name == "OffboardInviteMember"]
    assert sent == [{"member": {"id": org.alice.id}, "collective": {"slug": COLLECTIVE}, "role": "ADMIN",
                     "description": "Treasurer", "since": "2022-03-01T00:00:00.000Z"}]
    writes = len(org.emulator.writes())
    waiting = connector.apply(accept)
    assert (waiting.state, len(org.emulator.writes())) == (State.MANUAL, writes)
    assert waiting.detail == ("waiting for Alice Liddell (@alice-liddell) to accept the invitation to be Administrator of "
                              "Example Volunteers (emailed by Open Collective, and listed at "
                              "https://opencollective.com/member-invitations once they sign in)")
    assert connector.check(accept) is False
    org.emulator.accept_invitation(ALICE_SLUG)  # Alice clicks the link in the email
    assert connector.check(accept) is True
    assert connector.apply(accept).state is State.OK
    assert connector.apply(invite).state is State.OK and len(org.emulator.writes()) == writes
    assert state(org.emulator) == start  # the same role, description and since as before the suspension


def test_the_engine_closes_the_wait_when_the_invitation_is_accepted(org: Org, tmp_path: Path) -> None:
    from offboard.apply.engine import Engine
    from offboard.apply.journal import Journal
    from offboard.apply.retry import RetryPolicy

    org.give("ACCOUNTANT")
    account, applied = suspend(org)
    restoration = plan_restore(org, account, applied)
    connector = org.connect()
    journal = Journal(tmp_path / "journal.sqlite3")
    engine = Engine(journal, {"opencollective": connector}, RetryPolicy(sleep=lambda s: None))
    journal.create_run("r1", "reinstate", ALICE.id, ALICE.name, "tester", {},
                       [("opencollective", a) for a in restoration.actions])
    engine.execute("r1")

    def states() -> dict[str, str]:
        return {row.action.id: row.state for row in journal.actions("r1")}

    assert states() == {INVITE: State.CHANGED.value, ACCEPT: State.MANUAL.value}
    assert engine.refresh_manual("r1") == 0
    org.emulator.accept_invitation(ALICE_SLUG)
    assert engine.refresh_manual("r1") == 1
    assert org.roles() == ["ACCOUNTANT"]


def test_a_withdrawn_invitation_alone_comes_back_as_the_invitation_with_no_wait(org: Org) -> None:
    org.invite("COMMUNITY_MANAGER", since="2024-06-01")
    start = state(org.emulator)
    account, applied = suspend(org)
    restoration = plan_restore(org, account, applied)
    assert [(a.id, a.summary) for a in restoration.actions] == [(
        INVITE, "Send Alice Liddell (@alice-liddell) again the invitation to be Community Manager of Example Volunteers "
                "on Open Collective, withdrawn at the removal")]
    assert org.connect().apply(restoration.actions[0]).state is State.CHANGED
    assert state(org.emulator) == start
    again = plan_restore(org, account, applied)
    assert (again.actions, again.lost, again.already) == ([], [], ["opencollective:invitation:COMMUNITY_MANAGER"])


def test_a_role_given_back_meanwhile_is_already_there_and_the_lost_ones_stay_lost(org: Org) -> None:
    org.give("ADMIN", "MEMBER")
    account, applied = suspend(org)
    org.give("ADMIN")  # re-invited by another admin during the suspension, and accepted
    restoration = plan_restore(org, account, applied)
    assert restoration.actions == []
    assert restoration.already == ["opencollective:role:ADMIN"]
    assert [i.action_id for i in restoration.lost] == ["opencollective:role:MEMBER"]


def test_an_invitation_sent_since_the_suspension_is_not_replaced(org: Org) -> None:
    org.give("ADMIN")
    account, applied = suspend(org)
    org.invite("MEMBER")  # someone invited her again as a core contributor
    restoration = plan_restore(org, account, applied)
    assert restoration.actions == []
    assert [(i.action_id, i.reason) for i in restoration.lost] == [(
        "opencollective:role:ADMIN",
        "Alice Liddell (@alice-liddell) has a pending invitation to be Core Contributor, sent since the removal, which an "
        "invitation as Administrator would replace (Open Collective keeps one per person and collective): once they "
        "accept it, invite them as Administrator in the collective's Settings > Team")]
    assert org.invitations() == ["MEMBER"]


def test_an_invitation_for_the_same_role_already_pending_leaves_only_the_wait(org: Org) -> None:
    org.give("ACCOUNTANT")
    account, applied = suspend(org)
    org.invite("ACCOUNTANT")
    restoration = plan_restore(org, account, applied)
    assert [(a.id, a.depends_on) for a in restoration.actions] == [(ACCEPT, ())]


def test_an_invite_applied_over_drift_is_skipped_not_sent(org: Org) -> None:
    org.give("MEMBER")
    account, applied = suspend(org)
    invite = plan_restore(org, account, applied).actions[0]
    org.invite("ADMIN")  # sent after the restore was planned
    outcome = org.connect().apply(invite)
    assert outcome.state is State.SKIPPED and "would replace" in outcome.detail
    assert org.invitations() == ["ADMIN"] and "OffboardInviteMember" not in org.writes()


def test_inviting_back_someone_who_holds_the_role_is_ok(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the look and the invitation she accepted another invitation: Open Collective refuses, and that is ok."""
    org.give("MEMBER")
    account, applied = suspend(org)
    invite = plan_restore(org, account, applied).actions[0]
    connector = org.connect()
    from offboard.connectors.opencollective import restore_acts

    monkeypatch.setattr(restore_acts, "accepted", lambda oc, p: False)  # the look saw nothing
    org.give("MEMBER")
    outcome = connector.apply(invite)
    assert (outcome.state, outcome.detail) == (State.OK, "Alice Liddell (@alice-liddell) is Core Contributor of Example "
                                                         "Volunteers again")
