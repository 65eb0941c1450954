"""Exit codes, the lock, the signing gate, config errors, --notify and --fix, with exact output."""

from __future__ import annotations

import json
import os
import re
import socket

from offboard.apply.locking import hold
from offboard.report.ledger import Ledger, report_namespace
from offboard.report.signing.keys import generate_key
from tests.audit.conftest import UNSIGNED
from tests.conftest import sha256_of

CLEAN = """\
Audit: 2 accounts (fake 2), 2 linked to active members, 0 findings, 0 exceptions.

Clean: every active account belongs to an active member or is a declared exception.
Report: {root}/.offboard/reports/000001-org-audit.json
"""

FINDINGS = """\
Audit: 4 accounts (fake 4), 1 linked to active members, 3 findings, 0 exceptions.

SITUATION           SYSTEM  ACCOUNT            MEMBER            DETAIL
revoked-but-active  fake    bob@example.org    m042 Bob Example  expelled (roster; no report in the ledger); the account is still active
disputed            fake    shared@home.test   m043, m044        matches m043 (Rob Other), m044 (Robin Other)
orphan              fake    ghost@example.org  -                 active, matches no member of the roster

Findings: 1 revoked-but-active, 1 disputed, 1 orphan. Apply the expel playbook to revoked-but-active accounts with: offboard audit --fix
Report: {root}/.offboard/reports/000001-org-audit.json
"""

NO_KEY = ("Error: no signing key is configured, so the report could not be signed: run `offboard keygen` and add the "
          "[signing] table it prints to the config, or pass --unsigned to go ahead with an unsigned report\n")


def expel_bob_in_roster(org) -> None:
    roster = (org.root / "roster.csv").read_text()
    org.write("roster.csv", roster.replace("bob@home.test,active", "bob@home.test,expelled"))


def reports(root) -> list[dict]:
    return list(Ledger(root / ".offboard" / "reports").reports())


# ---------------------------------------------------------------- exit codes


def test_exit_0_when_clean(org, cli):
    assert cli("audit", "--unsigned") == (0, CLEAN.format(root=org.root), UNSIGNED)


def test_exit_2_with_findings(org, cli):
    expel_bob_in_roster(org)
    org.fake.add_user("shared@home.test", ["active"])  # the personal email two members share
    org.fake.add_user("ghost@example.org", ["active"])
    org.fake.add_user("gone@example.org", [])  # deactivated and nobody's: not a finding
    assert cli("audit", "--unsigned") == (2, FINDINGS.format(root=org.root).replace("4 accounts (fake 4)", "5 accounts (fake 5)"), UNSIGNED)


def test_exceptions_alone_are_clean(org, cli):
    org.fake.add_user("ci-bot@example.org", ["active"])
    org.write("offboard.toml", (org.root / "offboard.toml").read_text() + """
[[audit.exceptions]]
system = "fake"
account = "CI-BOT@example.org"
kind = "bot"
reason = "runs the website's tests"
""")
    code, out, _ = cli("audit", "--unsigned")
    assert code == 0
    assert "Exceptions (declared in [[audit.exceptions]], not findings):\n  fake ci-bot@example.org: bot, runs the website's tests\n" in out


def test_exit_1_when_a_system_cannot_be_read_and_the_report_says_failed(emulated, cli, monkeypatch):
    monkeypatch.delenv("SLACK_ADMIN_TOKEN")
    code, out, err = cli("audit", "--unsigned")
    assert (code, err) == (1, UNSIGNED)
    assert out.startswith(
        "Audit: 10 accounts (google 10, slack 0), 2 linked to active members, 4 findings, 3 exceptions.\n"
        "  slack could not be read: reading the accounts: environment variable SLACK_ADMIN_TOKEN is not set: "
        "export it with the credential\n")
    assert "Incomplete: not every system could be read; findings: 1 revoked-but-active, 1 disputed, 1 stale, 1 orphan.\n" in out
    assert reports(emulated.root)[0]["status"] == "failed"
    assert "exception-unused" not in out  # a system not read proves nothing about its exceptions


def test_exit_1_for_a_config_error_naming_the_key(org, cli):
    config = (org.root / "offboard.toml").read_text()
    org.write("offboard.toml", config + '\n[[audit.exceptions]]\nsystem = "fake"\nacount = "x@example.org"\nkind = "bot"\n')
    assert cli("audit", "--unsigned") == (1, "", (
        "Error: offboard.toml: [[audit.exceptions]] #1: unknown key 'acount' (known: account, kind, reason, system); "
        "[[audit.exceptions]] #1: 'account' is missing; "
        "[[audit.exceptions]] #1: 'reason' is missing (say why this account is accepted)\n"))
    org.write("offboard.toml", config + '\n[audit]\nexception = []\n\n[notify]\nchannel = "#cc"\n')
    assert cli("audit", "--unsigned")[2] == "Error: offboard.toml: [audit]: unknown key 'exception' (known: exceptions)\n"
    org.write("offboard.toml", config + '\n[[audit.exceptions]]\nsystem = "github"\naccount = "x"\nkind = "service"\nreason = "r"\n')
    assert cli("audit", "--unsigned")[2] == (
        "Error: offboard.toml: [[audit.exceptions]] name system(s) github, which have no [connectors.NAME] table "
        "(configured: fake)\n")
    assert not (org.root / ".offboard" / "reports").exists()


def test_exit_1_when_there_is_nothing_to_audit(org, cli):
    org.write("offboard.toml", '[org]\nname = "Example Org"\ndomain = "example.org"\n\n[roster]\npath = "roster.csv"\n')
    assert cli("audit", "--unsigned") == (1, "", (
        "Error: offboard.toml: nothing to audit: no configured connector lists its accounts (configured: none); "
        "add a [connectors.NAME] table\n"))


# ---------------------------------------------------------------- scheduling: the lock, no prompts, signing


def test_a_second_audit_is_refused_while_one_runs(org, cli):
    state = org.root / ".offboard"
    with hold(state, "audit", "an audit"):
        info = json.loads((state / "locks" / "audit.lock").read_text())
        code, out, err = cli("audit", "--unsigned")
    since = info["since"][:19].replace("T", " ")
    assert (code, out) == (1, "")
    assert err == (f"Error: an audit is already running (process {os.getpid()} on {socket.gethostname()} since "
                   f"{since} UTC): wait for it to finish, then try again\n")
    assert reports(org.root) == []
    assert cli("audit", "--unsigned")[0] == 0  # released


def test_no_signing_key_refuses_before_reading_anything(org, cli):
    assert cli("audit") == (1, "", NO_KEY)
    assert not (org.root / ".offboard" / "reports").exists()


def test_a_signed_audit_verifies(org, cli):
    key = generate_key(org.root / "keys" / "offboard_ed25519", "cc@example.org")
    (org.root / "keys" / "allowed_signers").write_text(
        key.allowed_signers_line("cc@example.org", report_namespace("example.org")) + "\n")
    org.write("offboard.toml", (org.root / "offboard.toml").read_text() + (
        '\n[signing]\nkey = "keys/offboard_ed25519"\nsigner = "cc@example.org"\nallowed_signers = "keys/allowed_signers"\n'))
    assert cli("audit")[0] == 0
    assert (org.root / ".offboard" / "reports" / "000001-org-audit.json.sig").is_file()
    assert reports(org.root)[0]["signed"] is True
    assert cli("verify")[0] == 0


def test_fix_without_yes_and_without_a_terminal_refuses_up_front(org, cli):
    expel_bob_in_roster(org)
    assert cli("audit", "--fix", "--unsigned") == (1, "", (
        "Error: --fix asks before applying, but there is no terminal: review with --fix --dry-run, then pass --yes\n"))
    assert reports(org.root) == [] and org.fake.writes == 0
    assert cli("audit", "--dry-run", "--unsigned")[2] == (
        "Error: --dry-run previews the plans of --fix (the audit itself changes nothing): add --fix\n")


# ---------------------------------------------------------------- --notify


NOTICE = """\
offboard audit of Example Org: 7 finding(s), 5 exception(s) (report 000001).
revoked-but-active (critical): Bob Example (google, slack)
disputed (high): 1 account(s) (google 1)
stale (medium): Carl Former (google, slack)
orphan (medium): 2 account(s) (google 1, slack 1)"""


def test_notify_posts_situations_and_names_only(emulated, cli):
    from tests.audit.conftest import EXCEPTIONS

    emulated.write_config(EXCEPTIONS + '\n[notify]\nslack_channel = "#cc"\n')
    with emulated.slack.lock:
        cc = emulated.slack.workspace.add_channel("cc", private=True, members={emulated.slack.admin_id})
    code, _, err = cli("audit", "--unsigned", "--notify")
    assert (code, err) == (2, UNSIGNED)
    assert [(m["channel"], m["text"]) for m in emulated.slack.messages] == [(cc.id, NOTICE)]
    assert "@" not in NOTICE  # no email address, no handle
    assert len(emulated.slack.requests("POST", "/api/chat.postMessage")) == 1


def test_notify_to_a_channel_that_is_not_there_is_an_error(emulated, cli):
    emulated.write_config('[notify]\nslack_channel = "#nowhere"\n')
    code, out, err = cli("audit", "--unsigned", "--notify")
    assert code == 1 and "Report: " in out
    assert err.startswith(UNSIGNED + "Error: could not post the summary to #nowhere: ") and "channel_not_found" in err


def test_notify_needs_slack_and_a_channel(emulated, cli):
    emulated.write_config('[notify]\nslack_channel = "#cc"\n', slack=False)
    assert cli("audit", "--unsigned", "--notify") == (1, "", (
        "Error: --notify needs a connector that can post notifications (such as slack), but none is configured: add [connectors.slack], or drop --notify\n"))
    emulated.write_config("")
    assert cli("audit", "--unsigned", "--notify") == (1, "", (
        'Error: --notify needs a channel: add [notify] slack_channel = "#channel" to the config\n'))


# ---------------------------------------------------------------- --fix


def test_fix_dry_run_previews_only_the_revoked_members_systems(emulated, cli):
    code, out, err = cli("audit", "--fix", "--dry-run", "--playbook", "test", "--unsigned")
    assert (code, err) == (2, UNSIGNED)
    plan = out.split("Report: ")[1].split("\n", 1)[1]
    assert plan.startswith(f"\nPlan: expel m042 Bob Example <bob@example.org>\nPlaybook: test, sha256 {sha256_of(emulated.root / 'playbooks' / 'test.yaml')[:12]}\n\n"
                           "google - Google Workspace (bob@example.org)\n  cut\n")
    assert "\nslack - Slack (bob@example.org)\n  cut\n    - Deactivate the Slack account of bob@example.org through SCIM" in plan
    assert "bank" not in plan  # the manual steps are not the audit's to repeat
    assert re.search(r"\nPlan: \d+ changes \(\d+ cannot be undone\), 0 steps for a person\.\nDry run: nothing was "
                     r"changed\.\n$", plan)
    assert emulated.google.writes() == [] and emulated.slack.writes() == []
    assert "Report: none written (a dry run)\n" in out  # a preview leaves no report behind
    assert not list((emulated.root / ".offboard" / "reports").glob("*.json"))


def test_fix_applies_the_expel_rules_to_revoked_but_active_accounts_only(emulated, cli):
    code, out, err = cli("audit", "--fix", "--yes", "--playbook", "test", "--unsigned")
    assert (code, err) == (2, UNSIGNED)
    assert "Run " in out and "Status: COMPLETE. Every access in the playbook is ended.\n" in out
    google, slack = emulated.google, emulated.slack
    assert google.user("bob@example.org")["suspended"] is True
    assert slack.workspace.users[emulated.slack_id("bob@example.org")]["deleted"] is True
    assert [google.user(f"{n}@example.org")["suspended"] for n in ("alice", "carl", "dora", "old-intern")] == [False] * 4
    with google.lock:
        bobs_devices = {d.resource_id for d in google.workspace.devices.values() if d.email == "bob@example.org"}
    assert all("bob%40example.org" in r.path or any(d in r.path for d in bobs_devices) for r in google.writes())
    bob = emulated.slack_id("bob@example.org")
    assert [r.path for r in slack.writes() if r.path.startswith("/scim/")] == [f"/scim/v2/Users/{bob}"]
    kinds = [(r["kind"], (r["member"] or {}).get("id"), [s["name"] for s in r.get("systems", [])]) for r in reports(emulated.root)]
    assert kinds[0][0] == "audit" and kinds[1] == ("expel", "m042", ["google", "slack"])

    code, out, _ = cli("audit", "--unsigned")  # the next audit: Bob's access is gone, the rest untouched
    assert code == 2 and "m042" not in out
    rows = [line.split()[:3] for line in out.splitlines()]
    assert ["stale", "google", "carl@example.org"] in rows and ["orphan", "slack", "old.treasurer@example.org"] in rows


def test_fix_with_json_is_still_one_document(emulated, cli):
    code, out, _ = cli("audit", "--fix", "--yes", "--playbook", "test", "--unsigned", "--json")
    document = json.loads(out)
    assert code == 2 and document["kind"] == "audit"
    assert [(f["member"], f["run"]["status"]) for f in document["fix"]] == [("m042", "complete")]


def test_fix_at_a_terminal_asks_for_each_member_id_as_expel_does(org, cli, monkeypatch):
    import sys

    import typer

    expel_bob_in_roster(org)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr(typer, "prompt", lambda question, **_: asked.append(question) or "m001")
    code, out, err = cli("audit", "--fix", "--playbook", "test", "--unsigned")
    assert (code, err) == (1, UNSIGNED + "Aborted: nothing was changed.\n")
    assert asked == ["Type the member id (m042) to apply these 5 actions, or press Enter to cancel"]
    assert "\nPlan: expel m042 Bob Example <bob@example.org>\n" in out and "\nbank" not in out
    assert org.fake.writes == 0

    monkeypatch.setattr(typer, "prompt", lambda question, **_: "m042")
    code, out, err = cli("audit", "--fix", "--playbook", "test", "--unsigned")
    assert (code, err) == (2, UNSIGNED)
    assert sorted(org.fake.effects) == ["fake:group:all", "fake:group:board", "fake:group:eng", "fake:session", "fake:suspend"]
    assert cli("audit", "--unsigned")[0] == 0  # Bob's account is suspended and holds nothing: clean


def test_fix_plans_every_member_together_and_asks_once(org, cli, monkeypatch):
    import sys

    import typer

    roster = (org.root / "roster.csv").read_text()
    org.write("roster.csv", roster.replace("home.test,active", "home.test,expelled"))  # Alice and Bob
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr(typer, "prompt", lambda question, **_: asked.append(question) or "m042 m001")
    code, out, err = cli("audit", "--fix", "--playbook", "test", "--unsigned")
    assert asked == ["Type the 2 member ids (m001 m042) to apply these 8 actions to all of them, or press Enter to "
                     "cancel"]
    assert "\nTogether, 2 members: 8 changes (2 cannot be undone), 0 steps for a person.\n" in out
    assert (code, err) == (2, UNSIGNED)
    assert len(reports(org.root)) == 3  # the audit's, then a run's each
    assert org.fake.load()["users"]["alice@example.org"]["access"] == []


def test_fix_goes_on_with_the_others_when_a_members_run_is_going_on(org, cli):
    roster = (org.root / "roster.csv").read_text()
    org.write("roster.csv", roster.replace("home.test,active", "home.test,expelled"))  # Alice and Bob
    with hold(org.root / ".offboard", "member-m042", "a run for m042"):  # another command is expelling Bob
        code, out, _ = cli("audit", "--fix", "--yes", "--playbook", "test", "--unsigned", "--json")
    fixes = {f["member"]: f for f in json.loads(out)["fix"]}
    assert code == 2 and "a run for m042" in fixes["m042"]["error"]
    assert fixes["m001"]["run"]["status"] == "complete"
    assert org.fake.load()["users"]["alice@example.org"]["access"] == []
    assert "group:eng" in org.fake.load()["users"]["bob@example.org"]["access"]  # left to the run going on


def test_fix_goes_on_with_the_other_members_when_one_cannot_be_fixed(emulated, cli, monkeypatch):
    from offboard.operations import auditing

    real = auditing._what_to_fix

    def one_fails(session, result, request, member_id, names):
        if member_id == "m042":
            raise auditing.OffboardError("the test says no")
        return real(session, result, request, member_id, names)

    monkeypatch.setattr(auditing, "_what_to_fix", one_fails)
    code, out, err = cli("audit", "--fix", "--yes", "--unsigned", "--playbook", "test", "--json")
    document = json.loads(out)
    assert code == 2, (out, err)
    assert {"member": "m042", "error": "the test says no"} in document["fix"]
