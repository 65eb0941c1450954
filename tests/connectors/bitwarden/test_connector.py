"""The connector over real HTTP: who it finds, what it plans and sends, one token for many calls, the inventory."""

from __future__ import annotations

from pathlib import Path

import pytest
from offboard.connectors.bitwarden import BitwardenConnector
from offboard.connectors.bitwarden.emulator import BitwardenEmulator

from offboard.apply.retry import RetryPolicy, retried_read
from offboard.spi import ConfigError, ConnectorContext, FatalError, Member, Phase, RetriableError, State
from tests.connectors.bitwarden.conftest import ALICE, Make, connect, seed


def test_resolve_by_email_by_the_roster_column_and_by_member_id(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    connector = connect(emulator)
    found = connector.resolve(Member("m1", "Alice", "ALICE@Example.org"))
    assert found is not None and found.id == ids.alice and found.label == ALICE.email
    assert found.attributes == {"active": True, "status": "confirmed", "type": "user", "email": ALICE.email,
                                "name": ALICE.name, "user_id": emulator.org.members[ids.alice].user_id,
                                "two_factor": False, "external_id": None}
    by_column = connector.resolve(Member("m2", "Bob", "robert@example.org", identities={"bitwarden": "bob@example.org"}))
    assert by_column is not None and by_column.id == ids.bob
    by_id = connector.resolve(Member("m3", "Bob", "x@example.org", identities={"bitwarden": ids.bob}))
    assert by_id is not None and by_id.id == ids.bob
    assert connector.resolve(Member("m4", "Nobody", "nobody@example.org")) is None
    assert connector.resolve(Member("m5", "Ghost", "g@example.org",
                                    identities={"bitwarden": "00000000-0000-0000-0000-000000000077"})) is None


def test_discovery_plans_revoke_groups_and_the_rotation_checklist(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    emulator.clear_log()
    revoke, groups, rotate = connector.discover(account)
    assert emulator.writes() == []
    assert [r.path.removeprefix("/api") for r in emulator.log] == [
        f"/public/members/{ids.alice}", f"/public/members/{ids.alice}/group-ids", "/public/groups",
        "/public/collections", f"/public/members/{ids.alice}/revoke"]
    assert (revoke.id, revoke.phase, revoke.reversible) == (f"bitwarden:revoke:{ids.alice}", Phase.CUT, True)
    assert revoke.summary == ("Revoke alice@example.org's membership of the Bitwarden organization (they keep their own "
                              "account; reinstatement restores it)")
    assert revoke.before["status"] == "confirmed" and revoke.after == {"status": "revoked"}
    assert groups.summary == "Remove alice@example.org from 2 Bitwarden groups: Everyone, Social media"
    assert groups.before == {"groups": [{"id": ids.everyone, "name": "Everyone"}, {"id": ids.social, "name": "Social media"}],
                             "in_groups": 2}
    assert (groups.phase, groups.after) == (Phase.CLEAN, {"in_groups": 0})
    assert rotate.summary == ("Rotate the credentials in these 4 Bitwarden collections that alice@example.org could open "
                              "(directly and through the groups Everyone, Social media)")
    assert (rotate.phase, rotate.reversible) == (Phase.MANUAL, False)
    assert rotate.manual is not None and rotate.manual.title == "Rotate the credentials in these 4 Bitwarden collections"
    assert rotate.manual.evidence == ("list of the rotated logins",) and not rotate.manual.self_closing
    lines = rotate.manual.instructions.splitlines()
    assert lines[1:] == [
        f"- collection {ids.bank} (external id bank-portal): directly; read only, passwords hidden",
        f"- collection {ids.instagram} (external id instagram): group Social media; can edit",
        f"- collection {ids.wifi} (external id wifi): group Everyone; read only",
        f"- collection {ids.x}: group Social media; can manage",
    ]
    assert rotate.manual.links[0] == f"{emulator.url}/#/organizations/{emulator.org.id}/vault?collectionId={ids.bank}"
    assert connector.discover(account) == [revoke, groups, rotate]  # found again as it was: a saved plan is not stale


def test_a_server_that_lists_groups_without_collections_is_asked_group_by_group(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    emulator.org.list_group_collections = False
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    rotate = connector.discover(account)[-1]
    assert rotate.manual is not None and rotate.manual.title == "Rotate the credentials in these 4 Bitwarden collections"
    assert sorted(r.path.removeprefix("/api/public/groups/") for r in emulator.requests("GET", "/public/groups/")) == \
        sorted([ids.social, ids.everyone])


def test_an_invited_member_is_revoked_with_no_checklist(emulator: BitwardenEmulator) -> None:
    """An invited member never held the organization's key: nothing they could have read."""
    ids = seed(emulator)
    invited = emulator.org.add_member("new@example.org", status=0)
    emulator.org.set_groups(invited, [ids.social])
    connector = connect(emulator)
    account = connector.resolve(Member("m9", "New", "new@example.org"))
    assert account is not None and account.attributes["user_id"] is None
    assert [a.kind for a in connector.discover(account)] == ["revoke", "groups"]


def test_a_revoked_member_gets_no_cut_and_the_hint_about_earlier_groups(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    emulator.org.revoke(ids.alice)
    emulator.org.set_groups(ids.alice, [])
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None and account.active is False
    emulator.clear_log()
    (rotate,) = connector.discover(account)
    assert not any(r.path.endswith("/revoke") for r in emulator.log)  # nothing to revoke: no probe
    assert rotate.manual is not None and rotate.manual.instructions.splitlines()[-1].startswith(
        "They are revoked and in no group now: if a suspension took them out of groups, that suspension's report")


def test_options_are_checked_and_the_checklist_can_be_left_out(emulator: BitwardenEmulator) -> None:
    seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    assert [a.kind for a in connector.discover(account, {"rotation_checklist": False})] == ["revoke", "groups"]
    with pytest.raises(FatalError) as unknown:
        connector.discover(account, {"remove": True})
    assert str(unknown.value) == ("the playbook's bitwarden step has unknown option(s) remove (known: remove_if_no_revoke, "
                                  "rotation_checklist): fix the playbook")
    with pytest.raises(FatalError) as wrong:
        connector.discover(account, {"remove_if_no_revoke": "yes"})
    assert str(wrong.value) == "the playbook's bitwarden option(s) remove_if_no_revoke must be true or false: fix the playbook"


def test_apply_revokes_and_empties_the_groups_and_a_second_apply_sends_nothing(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    connector = connect(emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    revoke, groups, rotate = connector.discover(account)
    emulator.clear_log()
    first = connector.apply_planned(revoke)
    assert (first.state, first.detail, first.observed) == (
        State.CHANGED, "revoked: they can no longer open the organization's vault", {"status": "revoked"})
    assert [(r.method, r.status) for r in emulator.log] == [("POST", 200)]  # planned moments ago: no look first
    again = connector.apply_planned(revoke)  # Bitwarden's "Already revoked." is ok
    assert (again.state, again.detail) == (State.OK, "already revoked")
    emulator.org.add_group("Joined since", [], [ids.alice])
    outcome = connector.apply(groups)
    assert (outcome.state, outcome.detail) == (State.CHANGED, "removed from 3 groups, 1 of them joined since the plan")
    assert emulator.org.group_ids_of(ids.alice) == []
    emulator.clear_log()
    assert connector.apply(groups).state is State.OK and emulator.writes() == []
    assert connector.apply(rotate).state is State.MANUAL and connector.check(rotate) is None
    assert emulator.org.members[ids.alice].status == -1 and connector.check(revoke) is True


def test_one_token_serves_every_call_until_it_nears_its_end(emulator: BitwardenEmulator) -> None:
    seed(emulator)
    now = [0.0]
    connector = connect(emulator)
    connector.api._clock = lambda: now[0]
    for _ in range(5):
        account = connector.resolve(ALICE)
        assert account is not None
        connector.discover(account)
    list(connector.inventory())
    assert len(emulator.token_requests()) == 1 and len(emulator.requests("GET")) > 25
    now[0] += 3600 - 301  # more than five minutes left: still the same token
    connector.resolve(ALICE)
    assert len(emulator.token_requests()) == 1
    now[0] += 2  # under five minutes left: a new one
    connector.resolve(ALICE)
    assert len(emulator.token_requests()) == 2


def test_a_token_refused_after_it_worked_is_replaced_on_the_next_try(emulator: BitwardenEmulator) -> None:
    seed(emulator)
    connector = connect(emulator)
    assert connector.resolve(ALICE) is not None
    emulator.expire_tokens()  # the server forgot it (restarted, or the key was rotated)
    with pytest.raises(RetriableError) as caught:
        connector.resolve(ALICE)
    assert str(caught.value) == ("Bitwarden no longer accepted offboard's access token to list the organization's members "
                                 "(it expired early or the key was rotated): a new one is fetched on the next try")
    assert connector.resolve(ALICE) is not None and len(emulator.token_requests()) == 2
    emulator.expire_tokens()
    retrying = connect(emulator)
    retrying.context.retrying = lambda fn: retried_read(fn, RetryPolicy(sleep=lambda s: None))
    assert retrying.resolve(ALICE) is not None  # the engine's retry of one read gets a new token


def test_inventory_lists_every_member_with_active_flags(emulator: BitwardenEmulator) -> None:
    ids = seed(emulator)
    invited = emulator.org.add_member("new@example.org", status=0)
    emulator.org.revoke(ids.bob)
    accounts = {a.id: a for a in connect(emulator).inventory()}
    assert len(emulator.requests("GET", "/public/members")) == 1  # not paginated: one read
    assert set(accounts) == {ids.owner, ids.alice, ids.bob, invited}
    assert accounts[ids.bob].active is False and accounts[ids.bob].attributes["status"] == "revoked"
    assert accounts[invited].active is True and accounts[invited].attributes["user_id"] is None
    assert accounts[ids.owner].attributes["type"] == "owner"


def context(**environ: str) -> ConnectorContext:
    return ConnectorContext("Org", "example.org", Path("."), environ)


@pytest.mark.parametrize(("table", "message"), [
    ({"api_url": "http://api.example.org"}, "[connectors.bitwarden] api_url 'http://api.example.org' is plain http: use "
     "https, or for an emulator on this machine (127.0.0.1, ::1, localhost) set insecure_endpoint = true"),
    ({"api_url": "https://api.bitwarden.eu", "identity_url": "https://identity.bitwarden.com"},
     "[connectors.bitwarden] identity_url 'https://identity.bitwarden.com' is a Bitwarden cloud's that does not go with "
     "api_url 'https://api.bitwarden.eu': use 'https://identity.bitwarden.eu' (or leave identity_url out)"),
    ({"api_url": "https://vault.example.org/api", "identity_url": "https://identity.bitwarden.com"},
     "[connectors.bitwarden] identity_url 'https://identity.bitwarden.com' is a Bitwarden cloud's that does not go with "
     "api_url 'https://vault.example.org/api': use 'https://vault.example.org/identity' (or leave identity_url out)"),
    ({"api_url": "http://127.0.0.1:9/api", "identity_url": "http://10.0.0.1/identity", "insecure_endpoint": True},
     "[connectors.bitwarden] identity_url 'http://10.0.0.1/identity' is plain http to 10.0.0.1, which is not this "
     "machine: use https (insecure_endpoint = true allows plain http only to 127.0.0.1, ::1, localhost)"),
    ({"client_secret": "x"}, "[connectors.bitwarden]: unknown key 'client_secret' (known: api_url, client_id_env, "
     "client_secret_env, identity_url, insecure_endpoint)"),
])
def test_bad_config_is_refused_offline(table: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BitwardenConnector(table, context())
    assert str(caught.value) == message


@pytest.mark.parametrize(("api_url", "identity"), [
    ("https://api.bitwarden.com", "https://identity.bitwarden.com"),
    ("https://api.bitwarden.eu", "https://identity.bitwarden.eu"),
    ("https://vault.example.org/api/", "https://vault.example.org/identity"),
])
def test_the_identity_server_matches_the_api(api_url: str, identity: str) -> None:
    connector = BitwardenConnector({"api_url": api_url}, context())
    assert connector.api.identity_url == identity
    assert connector.endpoints() == ({} if api_url == "https://api.bitwarden.com" else {"api_url": api_url})


def test_construction_sends_nothing(make_emulator: Make) -> None:
    emulator = make_emulator()
    connect(emulator, environ={})
    assert emulator.log == []
