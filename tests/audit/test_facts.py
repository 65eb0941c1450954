"""What the ledger says: who is revoked since when, and which manual steps wait on a person."""

from __future__ import annotations

from typing import Any

from offboard.audit.facts import Revocation, read_ledger, revocations
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
