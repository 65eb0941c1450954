"""Outside values in the Markdown report render as themselves: no heading, list, link, image or HTML of their own."""

from __future__ import annotations

import json
import re

from markdown_it import MarkdownIt

from offboard.report.markdown import render
from tests.report.conftest import action, document

EVIL = "Eve\n# Owned [x](https://evil.test) <img src=x onerror=alert(1)>"
SHOWN = "Eve \\# Owned \\[x\\](https://evil.test) &lt;img src=x onerror=alert(1)&gt;"


def html_of(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def inert(markdown: str) -> None:
    """No link, image or raw HTML anywhere, and only the report's own headings."""
    out = html_of(markdown)
    assert "<a " not in out and "<img" not in out and "<script" not in out
    assert "onerror" not in re.sub(r"&lt;img src=x onerror=alert\(1\)&gt;", "", out)  # only as shown text
    headings = re.findall(r"<h(\d)>(.*?)</h\1>", out)
    assert not [text for _, text in headings if re.match(r"(Owned|Account|id)\b", text)], headings
    assert sum(1 for level, _ in headings if level == "1") == 1, headings


def test_every_outside_value_of_a_run_report_is_escaped():
    account = "evil@example.org\n## Account"
    bad = action("x:1", f"Remove {EVIL}", "clean", "failed", last_error=f"HTTP 400: {EVIL}", detail=EVIL,
                 before={"name": EVIL})
    manual = action("bank:`sign`", f"Remove {EVIL} as signer", "manual", "manual")
    done = action("x:2", f"Remove {EVIL} from eng", "clean", "changed")
    confirmation = {"action_id": "bank:`sign`", "by": EVIL, "second_by": EVIL, "at": "2026-11-25T09:00:00Z",
                    "reference": EVIL, "note": EVIL, "reason": EVIL, "not_applicable": False,
                    "evidence": [{"name": f"{EVIL}.pdf", "sha256": "ef" * 32}]}
    text = render(document(
        member={"id": "m099\n# id", "name": EVIL}, operator=EVIL, org={"name": EVIL, "domain": "example.org"},
        systems=[{"name": "x", "title": f"X {EVIL}", "account": account, "note": EVIL, "actions": [bad, manual, done]}],
        confirmations=[confirmation],
        findings=[{"situation": "stale", "system": "x", "account": account, "member": EVIL, "detail": EVIL}]))
    assert text.startswith(f"# Expulsion: {SHOWN}\n\n{SHOWN} (member m099 \\# id) is expelled from {SHOWN}. It was "
                           f"carried out by {SHOWN} on 24 Nov 2026")
    assert "<img" not in text and "](https" not in text.replace("\\](https", "")
    assert not re.search(r"^#+ (Owned|Account|id)", text, re.M)  # no heading of its own
    assert f"- X {SHOWN}: Remove {SHOWN}: failed after 1 attempt: HTTP 400: {SHOWN}.\n" in text
    assert f"- X {SHOWN}: Remove {SHOWN} as signer.\n" in text
    assert f"- X {SHOWN} (evil@example.org \\#\\# Account): 1 change, done on 24 Nov 2026, 10:00 UTC: Remove {SHOWN} from eng.\n" in text
    assert f"- X {SHOWN}: ``offboard confirm run-20261124-1000 bank:`sign` --by YOUR-NAME``\n" in text
    assert "| `x:1` | x | failed | 2026-11-24T10:00:02Z |\n" in text  # ids with no backtick keep one
    assert "| `` bank:`sign` `` | x | manual | 2026-11-24T10:00:02Z |\n" in text
    assert f"- `` bank:`sign` `` done, confirmed by {SHOWN} and {SHOWN} at 2026-11-25T09:00:00Z; reference: {SHOWN}" in text
    assert f"evidence {SHOWN}.pdf (sha256 {'ef' * 32})" in text
    assert f"| stale | x | evil@example.org \\#\\# Account | {SHOWN} | {SHOWN} |\n" in text
    inert(text)


def test_an_audit_report_escapes_names_and_accounts():
    text = render({"kind": "audit", "status": "findings", "summary": {"situations": {"stale": 1}},
                   "systems": [{"name": "x", "title": EVIL, "accounts": 1, "active": 1, "linked": 0, "errors": [EVIL]}],
                   "findings": [{"situation": "stale", "system": "x", "account": "<https://evil.test>", "member": "m1",
                                 "detail": EVIL}],
                   "exceptions": [{"system": "x", "account": "- bot", "kind": "bot", "reason": EVIL}]})
    assert f"| stale | x | &lt;https://evil.test&gt; | m1 | {SHOWN} |\n" in text
    assert f"| x | \\- bot | bot | {SHOWN} |\n" in text
    assert f"  - could not be read: {SHOWN}\n" in text
    inert(text)


def test_a_members_name_stays_inert_in_the_written_report(org, cli):
    org.write("roster.csv", (org.root / "roster.csv").read_text()
              + '"m099","Zed\n# Owned [x](https://evil.test) <img src=x onerror=alert(1)>",zed@example.org,z@home.test,active\n')
    org.fake.add_user("zed@example.org", ["session"])
    code, out, err = cli("expel", "m099", "--playbook", "test", "--yes", "--unsigned")
    assert code == 3, err
    assert "Plan: expel m099 Zed\\n# Owned [x](https://evil.test) <img src=x onerror=alert(1)> <zed@example.org>\n" in out
    json_path = org.root / ".offboard" / "reports" / "000001-m099-expel.json"
    markdown = json_path.with_suffix(".md").read_text()
    zed = "Zed \\# Owned \\[x\\](https://evil.test) &lt;img src=x onerror=alert(1)&gt;"
    assert markdown.startswith(f"# Expulsion: {zed}\n\n{zed} (member m099) is expelled from Example Org. ")
    assert "- Bank account: Remove the member as signer.\n" in markdown
    assert "- Bank account: `offboard confirm " in markdown
    inert(markdown)
    assert render(json.loads(json_path.read_text())) == markdown  # still a pure function of the signed JSON
