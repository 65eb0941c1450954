"""Every situation, over the Google and Slack emulators with the real connectors, as people and scripts see it."""

from __future__ import annotations

import json

from offboard.report.ledger import Ledger
from tests.audit.conftest import UNSIGNED

TABLE = """\
Audit: 18 accounts (google 10, slack 8), 4 linked to active members, 7 findings, 5 exceptions.

SITUATION           SYSTEM  ACCOUNT                    MEMBER            DETAIL
revoked-but-active  google  bob@example.org            m042 Bob Example  expelled (roster; no report in the ledger); the account is still active
revoked-but-active  slack   bob@example.org            m042 Bob Example  expelled (roster; no report in the ledger); the account is still active
disputed            google  desk@example.org           m070, m071        matches m070 (Hana Desk), m071 (Ivo Desk)
stale               google  carl@example.org           m043 Carl Former  former member; the account is still active
stale               slack   carl@example.org           m043 Carl Former  former member; the account is still active
orphan              google  old-intern@example.org     -                 active, matches no member of the roster
orphan              slack   old.treasurer@example.org  -                 active, matches no member of the roster

Exceptions (declared in [[audit.exceptions]], not findings):
  google admin@example.org: service, the super admin offboard acts as
  google archive@example.org: service, receives Drive transfers
  google bot-noreply@example.org: bot, sends notifications
  slack @deploybot: bot, posts deploy notices
  slack slack-admin@example.org: service, the admin whose token offboard uses

Findings: 2 revoked-but-active, 1 disputed, 2 stale, 2 orphan. Apply the expel playbook to revoked-but-active accounts with: offboard audit --fix
Report: {root}/.offboard/reports/000001-org-audit.json
"""


def test_every_account_situation_over_both_emulators(emulated, cli):
    code, out, err = cli("audit", "--unsigned")
    assert (code, err) == (2, UNSIGNED)
    assert out == TABLE.format(root=emulated.root)
    assert emulated.google.writes() == [] and emulated.slack.writes() == []  # an audit only reads


def test_an_expelled_member_re_added_after_the_expulsion_is_found(emulated, cli, today):
    code, _, err = cli("expel", "m044", "--playbook", "test", "--yes", "--unsigned")
    assert code == 3, err  # done everywhere; the bank step waits on a person
    run_id = next(Ledger(emulated.root / ".offboard" / "reports").reports())["run_id"]
    code, out, _ = cli("audit", "--unsigned")
    dora = [line.split()[0] for line in out.splitlines() if "m044" in line]
    assert dora == ["unconfirmed-manual"]  # right after the expulsion, only the bank step is open

    emulated.add_to_google_group("members@example.org", "dora@example.org")  # someone adds her back, later
    emulated.add_to_slack_usergroup("volunteers", "dora@example.org")
    code, out, err = cli("audit", "--unsigned")
    assert (code, err) == (2, UNSIGNED)
    lines = out.splitlines()
    assert (
        "leftover-access     google  dora@example.org           m044 Dora Expelled  "
        f"expelled {today} (report 000001); the account is deactivated but still: "
        "Remove from group members@example.org (role MEMBER, delivery ALL_MAIL)"
    ) in lines
    assert (
        "leftover-access     slack   dora@example.org           m044 Dora Expelled  "
        f"expelled {today} (report 000001); the account is deactivated but still: "
        "Remove from user group @volunteers (Volunteers, 5 members): dora@example.org"
    ) in lines
    assert (
        "unconfirmed-manual  bank    -                          m044 Dora Expelled  Remove the member as signer: "
        f"not confirmed since expelled {today}; offboard confirm {run_id} bank:remove-signer --by NAME"
    ) in lines
    assert out.endswith(
        "Findings: 2 revoked-but-active, 2 leftover-access, 1 unconfirmed-manual, 1 disputed, 2 stale, 2 orphan. "
        "Apply the expel playbook to revoked-but-active accounts with: offboard audit --fix\n"
        f"Report: {emulated.root}/.offboard/reports/000003-org-audit.json\n"
    )


def test_a_confirmed_manual_step_is_no_longer_a_finding(emulated, cli):
    cli("expel", "m044", "--playbook", "test", "--yes", "--unsigned")
    run_id = next(Ledger(emulated.root / ".offboard" / "reports").reports())["run_id"]
    assert cli("confirm", run_id, "remove-signer", "--by", "Alice")[0] == 0
    _, out, _ = cli("audit", "--unsigned")
    assert "unconfirmed-manual" not in out and "m044" not in out


def test_json_is_one_document_with_findings_exceptions_and_the_report(emulated, cli):
    code, out, err = cli("audit", "--unsigned", "--json")
    assert (code, err) == (2, UNSIGNED)
    document = json.loads(out)
    assert document["kind"] == "audit" and document["member"] is None and document["status"] == "complete"
    assert document["exit_code"] == 2 and document["seq"] == 1
    assert document["summary"] == {"accounts": 18, "linked": 4, "findings": 7, "exceptions": 5, "situations": {
        "revoked-but-active": 2, "disputed": 1, "stale": 2, "orphan": 2}}
    assert document["findings"][0] == {
        "situation": "revoked-but-active", "severity": "critical", "system": "google", "account": "bob@example.org",
        "member": "m042", "name": "Bob Example",
        "detail": "expelled (roster; no report in the ledger); the account is still active"}
    assert {"system": "slack", "account": "@deploybot", "account_id": document["exceptions"][3]["account_id"],
            "kind": "bot", "reason": "posts deploy notices", "member": None} == document["exceptions"][3]
    assert [s["name"] for s in document["systems"]] == ["google", "slack"]
    assert document["systems"][0] | {"errors": []} == {
        "name": "google", "title": "Google Workspace", "accounts": 10, "active": 9, "linked": 2, "discovered": 0,
        "note": None, "errors": []}


def test_the_signed_chain_holds_the_audit_and_its_markdown(emulated, cli):
    cli("audit", "--unsigned")
    reports = list(Ledger(emulated.root / ".offboard" / "reports").reports())
    assert [(r["kind"], r["seq"], r["status"], len(r["findings"])) for r in reports] == [("audit", 1, "complete", 7)]
    markdown = (emulated.root / ".offboard" / "reports" / "000001-org-audit.md").read_text()
    # rendered from the signed (RFC 8785) bytes, whose object keys are sorted: what `offboard verify` re-renders
    assert markdown.startswith("# Audit\n\n**7 finding(s): 2 revoked-but-active, 1 disputed, 2 stale, 2 orphan.**\n")
    assert "- Google Workspace: 10 accounts, 9 active, 2 linked to active members\n" in markdown
    assert "| orphan | slack | old.treasurer@example.org |  | active, matches no member of the roster |\n" in markdown
    assert "| slack | @deploybot | bot | posts deploy notices |\n" in markdown


def test_an_exception_that_matches_nothing_is_a_low_finding(emulated, cli):
    emulated.write_config(
        '[[audit.exceptions]]\nsystem = "slack"\naccount = "U0GONE"\nkind = "bot"\nreason = "the old CI bot"\n')
    _, out, _ = cli("audit", "--unsigned")
    assert ("exception-unused    slack   U0GONE                     -                 "
            "declared as bot (the old CI bot) but no such account: remove it from [[audit.exceptions]]") in out.splitlines()
    assert "orphan              slack   @deploybot                 -                 active, matches no member of the roster" \
        in out.splitlines()  # without its exception, the bot is an orphan: never hidden
