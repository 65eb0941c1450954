"""A manual step's instructions and links, from the playbook, are shown in the plan, in status and in the report."""

from __future__ import annotations

import json

PLAYBOOK = """\
name: test
steps:
  - connector: manual
    system: bank
    title: Bank account
    steps:
      - id: remove-signer
        title: Remove the member as signer
        instructions: |
          Call the branch and ask for form B-12.
          Sign it with the treasurer.
        links: [https://bank.example/forms/b-12]
"""
HOW = "Call the branch and ask for form B-12."
THEN = "Sign it with the treasurer."
LINK = "https://bank.example/forms/b-12"


def test_instructions_reach_the_plan_status_and_report(org, cli):
    org.write("playbooks/test.yaml", PLAYBOOK)
    _, out, _ = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert f"    - Remove the member as signer\n        {HOW}\n        {THEN}\n        {LINK}\n" in out
    _, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    run_id = json.loads(out)["run_id"]
    _, out, _ = cli("status", run_id)
    assert f"  bank:remove-signer: Remove the member as signer (needs confirmation)\n      {HOW}\n      {THEN}\n      {LINK}\n" in out
    report = next((org.root / ".offboard" / "reports").glob("*.md")).read_text()
    assert HOW in report and LINK in report.replace("\\", "")
