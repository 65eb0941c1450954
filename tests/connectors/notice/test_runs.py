"""The written notice in a run: shown in full, sent once after the cut, its bytes kept beside the report."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json

import pytest

from offboard.apply.journal import Journal
from offboard.report.verify import verify_ledger
from tests.connectors.notice.conftest import PASSWORD, USER

# the test server takes the login over plain text on 127.0.0.1, which aiosmtpd warns about
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

PLAYBOOK = """\
name: test
steps:
  - connector: fake
  - connector: notice
    options:
      template: expel
"""


def notice_config(server, via: str = "smtp") -> str:
    return f"""
[notice]
from = "{USER}"
name = "Sam Secretary"
cc = ["cc-records@example.org"]
via = "{via}"
appeal = "Write to appeals@example.org within 30 days."

[notice.smtp]
host = "127.0.0.1"
port = {server.port}
username = "{USER}"
password_env = "NOTICE_SMTP_PASSWORD"
tls = "none"
"""


@pytest.fixture
def smtp_org(org, make_server, monkeypatch):
    server = make_server(tls="none")
    with (org.root / "offboard.toml").open("a") as handle:
        handle.write(notice_config(server))
    org.write("playbooks/test.yaml", PLAYBOOK)
    monkeypatch.setenv("NOTICE_SMTP_PASSWORD", PASSWORD)
    org.server = server
    return org


def reports(org) -> list[str]:
    return sorted(p.name for p in (org.root / ".offboard" / "reports").iterdir() if not p.name.startswith("."))


def expel(cli, *extra):
    return cli("expel", "m042", "--playbook", "test", "--unsigned", *extra)


def test_the_dry_run_shows_the_notice_exactly_and_sends_nothing(smtp_org, cli):
    code, out, err = expel(cli, "--dry-run")
    assert code == 0, err
    assert "Send the written notice to bob@home.test as secretary@example.org (copy to cc-records@example.org)" in out
    assert "        | From: Sam Secretary <secretary@example.org>" in out
    assert "        | To: Bob Example <bob@home.test>" in out
    assert "        | Subject: Example Org: the end of your membership" in out
    assert "        | Dear Bob Example," in out
    assert "        | - Fake System" in out  # the systems whose access ends, in plain words
    assert smtp_org.server.handler.received == []


def test_the_notice_is_sent_once_after_the_cut_and_its_bytes_are_kept_beside_the_report(smtp_org, cli, monkeypatch):
    code, out, err = expel(cli, "--yes", "--json")
    assert code == 0, err
    received = smtp_org.server.handler.received
    assert len(received) == 1
    assert (received[0].mail_from, received[0].rcpt_tos) == (USER, ["bob@home.test", "cc-records@example.org"])
    parsed = email.message_from_bytes(received[0].raw, policy=email.policy.default)
    assert parsed["To"] == "Bob Example <bob@home.test>"

    run = json.loads(out)["run_id"]
    journal = Journal(smtp_org.root / ".offboard" / "journal.sqlite3")
    rows = {r.action.id: r for r in journal.actions(run)}
    journal.close()
    last_cut = max(r.finished for r in rows.values() if r.action.phase.value == "cut")
    assert rows["notice:send"].started >= last_cut  # told once the access is gone

    assert reports(smtp_org) == ["000001-m042-expel.json", "000001-m042-expel.md", "000001-m042-notice.eml"]
    folder = smtp_org.root / ".offboard" / "reports"
    eml = (folder / "000001-m042-notice.eml").read_bytes()
    assert eml == received[0].raw  # the exact bytes sent
    assert oct((folder / "000001-m042-notice.eml").stat().st_mode & 0o777) == "0o600"
    document = json.loads((folder / "000001-m042-expel.json").read_text())
    sha = hashlib.sha256(eml).hexdigest()
    assert document["attachments"] == {"000001-m042-notice.eml": sha}
    (notice,) = document["notices"]
    assert (notice["sha256"], notice["to"], notice["from"], notice["cc"], notice["template"]) == (
        sha, "bob@home.test", USER, ["cc-records@example.org"], "expel")
    assert notice["message_id"] == parsed["Message-ID"] and notice["server_reply"].startswith("250")
    markdown = (folder / "000001-m042-expel.md").read_text()
    assert "## Written notice" in markdown and "000001-m042-notice.eml" in markdown

    assert verify_ledger(folder, None, allow_unsigned=True).problems == []
    (folder / "000001-m042-notice.eml").write_bytes(eml.replace(b"Dear", b"Hi"))
    (problem,) = verify_ledger(folder, None, allow_unsigned=True).problems
    assert str(problem) == ("000001-m042-notice.eml is not the file 000001-m042-expel.json names: its SHA-256 differs "
                            "(it was changed)")


def test_no_personal_email_makes_it_a_manual_step_shown_in_red(smtp_org, cli):
    roster = (smtp_org.root / "roster.csv").read_text().replace("bob@example.org,bob@home.test", "bob@example.org,")
    smtp_org.write("roster.csv", roster)
    code, out, _ = expel(cli, "--dry-run")
    assert code == 0
    assert ("  ! Deliver the written notice by hand: no personal email on the roster: the organization mailbox is "
            "closed by now") in out
    code, out, _ = expel(cli, "--yes", "--json")
    assert code == 3  # waits on a person
    (step,) = json.loads(out)["manual"]
    assert step["step"] == "notice:deliver"
    assert smtp_org.server.handler.received == []


def test_without_notice_configured_it_is_a_person_s_to_deliver(org, cli):
    org.write("playbooks/test.yaml", PLAYBOOK)
    code, out, _ = expel(cli, "--dry-run")
    assert code == 0
    assert "Deliver the written notice by hand: [notice] is not configured: the notice is yours to deliver" in out
    assert "Dear Bob Example," in out  # the text to deliver, in the step's instructions


def test_no_notice_leaves_it_out_and_the_report_says_who(smtp_org, cli):
    code, _, err = expel(cli, "--yes", "--no-notice", "--json")
    assert code == 0, err
    assert smtp_org.server.handler.received == []
    document = json.loads((smtp_org.root / ".offboard" / "reports" / "000001-m042-expel.json").read_text())
    notice = next(s for s in document["systems"] if s["name"] == "notice")
    assert notice["note"] == "skipped: --no-notice, by carol"


def test_a_send_cut_short_after_the_message_went_is_never_sent_again(smtp_org, cli):
    smtp_org.server.handler.drop_after_data = True
    code, out, err = expel(cli, "--yes", "--json")
    assert code == 3, err  # a person checks the sent folder
    (step,) = json.loads(out)["manual"]
    assert step["step"] == "notice:send"
    assert len(smtp_org.server.handler.received) == 1
    assert cli("resume")[0] == 0
    assert len(smtp_org.server.handler.received) == 1


def test_a_run_killed_while_sending_asks_a_person_on_resume(smtp_org, cli):
    _, out, _ = expel(cli, "--yes", "--json")
    run = json.loads(out)["run_id"]
    journal = Journal(smtp_org.root / ".offboard" / "journal.sqlite3")
    journal.mark_intent(run, "notice", "notice:send")  # as if killed after the intent, before the answer
    journal.close()
    assert cli("resume", run, "--json")[0] == 3  # waits on a person
    assert len(smtp_org.server.handler.received) == 1
    rows = {r["id"]: r for r in json.loads(cli("status", run, "--json")[1])["actions"]}
    assert rows["notice:send"]["state"] == "manual"
    assert "check the sent folder of secretary@example.org" in rows["notice:send"]["detail"]


def test_a_saved_plan_sends_the_notice_it_showed(smtp_org, cli):
    assert expel(cli, "--save-plan", "plan.json")[0] == 0
    plan = json.loads((smtp_org.root / "plan.json").read_text())
    (shown,) = [a for s in plan["systems"] for a in s["actions"] if a["id"] == "notice:send"]
    code, _, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert code == 0, err
    (received,) = smtp_org.server.handler.received
    parsed = email.message_from_bytes(received.raw, policy=email.policy.default)
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == shown["params"]["text"]
    assert f"On {plan['created'][:10]} the committee decided" in shown["params"]["text"]


def test_a_new_run_of_the_same_decision_does_not_tell_the_member_twice(smtp_org, cli):
    smtp_org.fake.add_user("bob@example.org", ["session", "active", "group:eng"])
    with smtp_org.fake.edit() as state:
        state["faults"]["fake:group:eng"] = ["fatal"]  # the first run ends failed
    assert expel(cli, "--yes")[0] == 2
    assert len(smtp_org.server.handler.received) == 1
    code, out, err = expel(cli, "--yes", "--json")  # planned again, not resumed
    assert code == 0, err
    assert len(smtp_org.server.handler.received) == 1
    summary = json.loads(out)
    assert summary["systems"]["notice"]["note"] == "nothing to do: an earlier run of this decision sent it"


def test_the_notice_waits_while_access_is_not_ended_everywhere(smtp_org, cli):
    with smtp_org.fake.edit() as state:
        state["faults"]["fake:suspend"] = ["fatal"]  # the account still works
    code, out, _ = expel(cli, "--yes", "--json")
    assert code == 2
    assert smtp_org.server.handler.received == []
    run = json.loads(out)["run_id"]
    rows = {r["id"]: r for r in json.loads(cli("status", run, "--json")[1])["actions"]}
    assert rows["notice:send"]["state"] == "failed"
    assert rows["notice:send"]["last_error"].startswith("not sent: a cut action failed")
    assert cli("resume", run)[0] == 0  # the suspension goes through now, then the notice
    assert len(smtp_org.server.handler.received) == 1


def test_a_notice_that_failed_before_anything_was_handed_over_is_sent_on_resume(smtp_org, cli, monkeypatch):
    monkeypatch.setenv("NOTICE_SMTP_PASSWORD", "wrong")
    code, out, _ = expel(cli, "--yes", "--json")
    assert code == 2
    run = json.loads(out)["run_id"]
    monkeypatch.setenv("NOTICE_SMTP_PASSWORD", PASSWORD)
    assert cli("resume", run)[0] == 0  # not "check the sent folder": nothing had gone
    assert len(smtp_org.server.handler.received) == 1


@pytest.mark.parametrize("address", ["bob@home.test, eve@evil.test", "Bob <bob@home.test>", "bob"])
def test_a_personal_email_that_is_not_one_address_is_delivered_by_hand(smtp_org, cli, address):
    roster = (smtp_org.root / "roster.csv").read_text().replace("bob@example.org,bob@home.test",
                                                                f'bob@example.org,"{address}"')
    smtp_org.write("roster.csv", roster)
    code, out, _ = expel(cli, "--yes", "--json")
    assert code == 3
    assert [m["step"] for m in json.loads(out)["manual"]] == ["notice:deliver"]
    assert smtp_org.server.handler.received == []


def test_the_same_decision_is_told_once_even_planned_on_another_day(smtp_org, cli, monkeypatch):
    from datetime import date, timedelta

    import offboard.operations.revoke as revoke

    with smtp_org.fake.edit() as state:
        state["faults"]["fake:group:board"] = ["fatal"]
    assert expel(cli, "--yes")[0] == 2
    monkeypatch.setattr(revoke, "today", lambda: date.today() + timedelta(days=3))
    code, _, err = expel(cli, "--yes")
    assert code == 0, err
    assert len(smtp_org.server.handler.received) == 1


def test_a_killed_smtp_send_with_the_password_unset_asks_a_person_and_does_not_crash(smtp_org, cli, monkeypatch):
    _, out, _ = expel(cli, "--yes", "--json")
    run = json.loads(out)["run_id"]
    journal = Journal(smtp_org.root / ".offboard" / "journal.sqlite3")
    journal.mark_intent(run, "notice", "notice:send")
    journal.close()
    monkeypatch.delenv("NOTICE_SMTP_PASSWORD")
    code, _, err = cli("resume", run)
    assert code == 3 and "bug" not in err


def test_each_reinstatement_tells_the_member_with_its_own_message(smtp_org, cli):
    smtp_org.write("playbooks/test.yaml", PLAYBOOK.replace("template: expel", "template: suspend"))
    for until in ("2099-01-31", "2099-03-31"):
        code, _, err = cli("suspend", "m042", "--until", until, "--reason", "probation", "--playbook", "test", "--yes",
                           "--unsigned")
        assert code == 0, err
        assert cli("reinstate", "m042", "--yes", "--unsigned")[0] == 0
    ids = [email.message_from_bytes(m.raw, policy=email.policy.default)["Message-ID"]
           for m in smtp_org.server.handler.received]
    subjects = [email.message_from_bytes(m.raw, policy=email.policy.default)["Subject"]
                for m in smtp_org.server.handler.received]
    assert len(ids) == len(set(ids)) == 4
    assert [s.split(": ", 1)[1] for s in subjects] == [
        "your membership is suspended until 2099-01-31", "your membership is restored",
        "your membership is suspended until 2099-03-31", "your membership is restored"]


def test_a_bad_notice_table_is_named_as_the_config_names_it(org, cli):
    with (org.root / "offboard.toml").open("a") as handle:
        handle.write('\n[notice]\nfrom = "secretary@example.org"\nvia = 5\nfrm = "x"\n')
    org.write("playbooks/test.yaml", PLAYBOOK)
    code, out, err = expel(cli, "--dry-run")
    assert (code, out) == (1, "")
    assert err == ("Error: offboard.toml: [notice]: unknown key 'frm' (known: appeal, cc, from, name, smtp, via); "
                   "'via' must be a str, not int\n")
