"""What the ledger says: who is revoked since (and until) when, who was reinstated, and which manual steps wait."""

from __future__ import annotations

from datetime import date
from typing import Any

from offboard.audit.facts import Reinstatement, Revocation, outdated_roster, read_ledger, revocations
from offboard.spi import Member, State


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


def test_only_steps_waiting_on_a_person_are_open():
    done = report(1, "expel", "m1", "r1", "2026-01-05T10:00:00Z", ("sign",))
    done["systems"][0]["actions"] += [{"id": f"bank:{state}", "summary": state, "state": state}
                                      for state in State if state is not State.MANUAL]
    assert [p.action_id for p in read_ledger([done]).pending] == ["bank:sign"]


def test_the_roster_revokes_without_a_date_and_the_ledger_gives_one():
    facts = read_ledger([report(1, "suspend", "m1", "r1", "2026-01-05T10:00:00Z")])
    members = [Member("m1", "One", "one@x.org", status="expelled"), Member("m2", "Two", "two@x.org", status="expelled"),
               Member("m3", "Three", "three@x.org", status="former")]
    revoked = revocations(members, facts)
    assert revoked == {"m1": Revocation("m1", "suspend", "2026-01-05T10:00:00Z", "r1", 1), "m2": Revocation("m2", "expel")}
    assert revoked["m2"].word == "expelled"


def suspension(seq: int, member: str, run_id: str, finished: str, until: str | None) -> dict[str, Any]:
    """A suspend report; ``until=None``: one written before suspensions had an end (no ``suspension`` field)."""
    document = report(seq, "suspend", member, run_id, finished)
    if until is not None:
        document["suspension"] = {"until": until, "reason": "code of conduct, first warning"}
    return document


def reinstatement(seq: int, member: str, run_id: str, finished: str, reverses: dict[str, Any]) -> dict[str, Any]:
    return {**report(seq, "reinstate", member, run_id, finished),
            "reverses": {"seq": reverses["seq"], "sha256": "ab" * 32, "run_id": reverses["run_id"],
                         "kind": reverses["kind"]}}


def test_a_suspension_ends_at_the_end_of_its_until_day_utc():
    facts = read_ledger([
        suspension(1, "m1", "r1", "2026-10-01T10:00:00Z", "2026-12-31"),
        suspension(2, "m2", "r2", "2026-10-02T10:00:00Z", "2027-06-30"),
        suspension(3, "m3", "r3", "2026-10-03T10:00:00Z", None),  # an older report: no end on record
    ])
    one, two, three = facts.revoked["m1"], facts.revoked["m2"], facts.revoked["m3"]
    assert one == Revocation("m1", "suspend", "2026-10-01T10:00:00Z", "r1", 1, "2026-12-31", 1)
    assert one.describe() == "suspended 2026-10-01 until 2026-12-31 (report 000001)"
    assert [one.ended(date(2026, 12, 31)), one.ended(date(2027, 1, 1))] == [False, True]  # the last day still counts
    assert not two.ended(date(2027, 1, 1))  # until in the future
    assert three.until is None and not three.ended(date(2099, 1, 1))
    assert three.describe() == "suspended 2026-10-03 (report 000003)"
    assert facts.reinstated == {}


def test_a_new_suspension_extends_the_first_and_keeps_its_date():
    facts = read_ledger([
        suspension(1, "m1", "r1", "2026-10-01T10:00:00Z", "2026-12-31"),
        suspension(2, "m1", "r1", "2026-10-02T10:00:00Z", "2026-12-31"),  # the same run, a step confirmed
        suspension(3, "m1", "r2", "2026-12-20T10:00:00Z", "2027-03-31"),  # offboard suspend again: extended
        suspension(4, "m1", "r3", "2026-12-21T10:00:00Z", None),  # an audit --fix run: the end stays
    ])
    revocation = facts.revoked["m1"]
    assert (revocation.since, revocation.seq, revocation.until, revocation.until_seq) == ("2026-10-01T10:00:00Z", 1,
                                                                                          "2027-03-31", 3)
    assert not revocation.ended(date(2027, 1, 1)) and revocation.ended(date(2027, 4, 1))
    assert revocation.describe() == "suspended 2026-10-01 (report 000001) until 2027-03-31 (report 000003)"


def test_a_reinstatement_ends_a_suspension_or_an_expulsion_and_is_remembered():
    facts = read_ledger([
        suspension(1, "m1", "r1", "2026-10-01T10:00:00Z", "2026-12-31"),
        reinstatement(2, "m1", "r2", "2027-01-02T09:00:00Z", {"seq": 1, "run_id": "r1", "kind": "suspend"}),
        report(3, "expel", "m2", "r3", "2026-11-01T10:00:00Z", ("sign",)),
        reinstatement(4, "m2", "r4", "2027-02-01T09:00:00Z", {"seq": 3, "run_id": "r3", "kind": "expel"}),
        reinstatement(5, "m2", "r4", "2027-02-02T09:00:00Z", {"seq": 3, "run_id": "r3", "kind": "expel"}),  # same run
        suspension(6, "m3", "r5", "2026-10-01T10:00:00Z", "2026-12-31"),
        reinstatement(7, "m3", "r6", "2026-11-01T10:00:00Z", {"seq": 6, "run_id": "r5", "kind": "suspend"}),
        suspension(8, "m3", "r7", "2027-01-10T10:00:00Z", "2027-02-28"),  # suspended again: a new suspension
        reinstatement(9, "m4", "r8", "2027-01-03T09:00:00Z", {"seq": 1, "run_id": "old", "kind": "expel"}),
    ])
    assert set(facts.revoked) == {"m3"}
    assert facts.revoked["m3"] == Revocation("m3", "suspend", "2027-01-10T10:00:00Z", "r7", 8, "2027-02-28", 8)
    assert facts.reinstated == {
        "m1": Reinstatement("m1", "2027-01-02T09:00:00Z", 2, "suspend"),
        "m2": Reinstatement("m2", "2027-02-01T09:00:00Z", 4, "expel"),
        "m4": Reinstatement("m4", "2027-01-03T09:00:00Z", 9, "expel"),  # what it reversed is not in this ledger
    }
    assert facts.reinstated["m1"].describe() == "reinstated on 2027-01-02 (report 000002)"
    assert facts.pending[0].member_id == "m2"  # still read, but no finding: m2 is not revoked


def test_a_roster_that_still_says_suspended_after_a_reinstatement_revokes_nobody():
    facts = read_ledger([
        suspension(1, "m1", "r1", "2026-10-01T10:00:00Z", "2026-12-31"),
        reinstatement(2, "m1", "r2", "2027-01-02T09:00:00Z", {"seq": 1, "run_id": "r1", "kind": "suspend"}),
        suspension(3, "m2", "r3", "2026-10-01T10:00:00Z", "2026-12-31"),
        reinstatement(4, "m2", "r4", "2027-01-02T09:00:00Z", {"seq": 3, "run_id": "r3", "kind": "suspend"}),
    ])
    members = [Member("m1", "One", "one@x.org", status="suspended"),
               Member("m2", "Two", "two@x.org", status="expelled"),  # expelled since, in the roster only: it holds
               Member("m3", "Three", "three@x.org", status="active")]
    assert outdated_roster(members[0], facts) == facts.reinstated["m1"]
    assert [outdated_roster(m, facts) for m in members[1:]] == [None, None]
    assert revocations(members, facts) == {"m2": Revocation("m2", "expel")}
