"""At reinstatement a step a person did comes back as its reverse: the playbook's, else "Undo: <title>"."""

from __future__ import annotations

from pathlib import Path

from offboard.connectors.manual import ManualConnector

from offboard.spi import Account, ConnectorContext, Phase

STEPS = [
    {"id": "signer", "title": "Remove the signer", "instructions": "Write to the bank.",
     "reinstate": {"title": "Re-add the signer", "instructions": "Write to the bank again.", "links": [],
                   "evidence": ["bank letter"], "second_confirmer": True}},
    {"id": "x", "title": "Remove from X delegates", "instructions": "Settings > Delegate."},
]


def test_each_done_step_comes_back_as_its_reverse(tmp_path: Path) -> None:
    manual = ManualConnector({}, ConnectorContext("Example Org", "example.org", tmp_path, {}))
    account = Account("manual", "m042", "Bob")
    done = manual.discover(account, {"system": "bank", "steps": STEPS})
    back = {a.id: a for a in manual.plan_restore(account, done).actions}
    assert set(back) == {"bank:undo:signer", "bank:undo:x"}
    signer = back["bank:undo:signer"]
    assert (signer.phase, signer.summary, signer.manual.evidence, signer.manual.second_confirmer) == (
        Phase.MANUAL, "Re-add the signer", ("bank letter",), True)
    generic = back["bank:undo:x"]
    assert generic.summary == "Undo: Remove from X delegates"
    assert generic.manual.instructions == ("Put back what this step ended, as it was before. The step was:\n"
                                           "Settings > Delegate.")
    assert manual.plan_restore(account, []).actions == []
