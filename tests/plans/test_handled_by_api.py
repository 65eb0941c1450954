"""The bank checklist says which finance tools this plan handles through their API, so nobody does them twice."""

from __future__ import annotations

import json

PLAYBOOK = """\
name: test
steps:
  - connector: fake
    title: Card issuer
  - connector: manual
    system: bank
    title: Bank account and finance tools
    handled_by_api: [fake, ledger]
    steps:
      - id: remove-signer
        title: Remove the member as signer
        instructions: Ask the bank in writing.
  - connector: slack
    system: ledger
    title: Bookkeeping
"""


def test_each_bank_step_ends_with_what_the_apis_handle(org, cli):
    org.write("playbooks/test.yaml", PLAYBOOK)
    code, _, err = cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    assert (code, err) == (0, "")
    plan = json.loads((org.root / "plan.json").read_text())
    bank = next(s for s in plan["systems"] if s["system"] == "bank")
    assert bank["actions"][0]["manual"]["instructions"] == (
        "Ask the bank in writing.\n\nHandled through their API by this plan, so not by hand: Card issuer (5 changes). "
        "Not handled by this plan: Bookkeeping (not configured: skipped).")


def test_a_name_that_is_no_step_of_the_playbook_is_refused(org, cli):
    org.write("playbooks/test.yaml", PLAYBOOK.replace("[fake, ledger]", "[fake, brex]"))
    code, out, err = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert (code, out) == (1, "")
    assert "'handled_by_api' names 'brex', which is not a step of this playbook (its steps: fake, bank, ledger)" in err
