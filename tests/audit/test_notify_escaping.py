"""``audit --notify``: names reach Slack as text, never as a mention, a link or a channel ping."""

from __future__ import annotations

from offboard.audit.notify import notification
from offboard.audit.result import AuditResult, SystemAudit
from offboard.audit.situations import Finding, Situation

PING = "Bob <!channel> <https://evil.test|Click here> & @here"
PING_SHOWN = "Bob &lt;!channel&gt; &lt;https://evil.test|Click here&gt; &amp; @here"


def test_names_systems_and_the_org_are_escaped_for_slack():
    findings = [
        Finding(Situation.REVOKED_BUT_ACTIVE, "google", "bob@x.org", "m1", PING, "d"),
        Finding(Situation.STALE, "<!here>", "carl@x.org", "m2", "Carl\n<!everyone>", "d"),
        Finding(Situation.ORPHAN, "<@U0ADMIN>", "ghost@x.org", None, "", "d"),
    ]
    result = AuditResult("s", "f", [SystemAudit("<#C0CC>", "Z", errors=["boom"])], findings, [])
    assert notification(result, "Org <!subteam^S0ALL>", 4) == (
        "offboard audit of Org &lt;!subteam^S0ALL&gt;: 3 finding(s) (report 000004).\n"
        f"revoked-but-active (critical): {PING_SHOWN} (google)\n"
        "stale (medium): Carl &lt;!everyone&gt; (&lt;!here&gt;)\n"
        "orphan (medium): 1 account(s) (&lt;@U0ADMIN&gt; 1)\n"
        "could not be read: &lt;#C0CC&gt;")


def test_the_posted_notice_is_escaped_and_neither_pings_nor_unfurls(emulated, cli):
    from tests.audit.conftest import EXCEPTIONS, ROSTER

    emulated.write("roster.csv", ROSTER.replace("m042,Bob Example,", f'm042,"{PING}",'))
    emulated.write_config(EXCEPTIONS + '\n[notify]\nslack_channel = "#cc"\n')
    with emulated.slack.lock:
        cc = emulated.slack.workspace.add_channel("cc", private=True, members={emulated.slack.admin_id})
    code, _, err = cli("audit", "--unsigned", "--notify")
    assert code == 2 and "Error" not in err
    [message] = emulated.slack.messages
    assert message["channel"] == cc.id
    assert f"\nrevoked-but-active (critical): {PING_SHOWN} (google, slack)\n" in message["text"]
    assert "<" not in message["text"] and ">" not in message["text"]
    assert (message.get("link_names"), message.get("unfurl_links"), message.get("unfurl_media")) == ("0", "0", "0")
