"""The notice as text: fields filled, values from outside kept in their place, the same notice the same Message-ID."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from offboard.connectors.notice.compose import compose

from offboard.spi import FatalError

FIELDS = {"member_name": "Bob Example", "member_id": "m042", "org_name": "Example Org", "org_domain": "example.org",
          "decided": "2026-11-28", "until": "", "reason": "", "appeal": "Write to appeals@example.org within 30 days.",
          "sender_name": "Sam Secretary", "sender_email": "secretary@example.org"}


def notice(tmp_path: Path, template: str = "expel", **fields: str):
    return compose(template, tmp_path, {**FIELDS, **fields}, ["Google Workspace", "Slack"], "secretary@example.org",
                   "Sam Secretary", "bob@mail.test", fields.get("member_name", "Bob Example"),
                   ["cc-records@example.org"], "example.org")


def test_the_shipped_template_is_filled(tmp_path):
    sent = notice(tmp_path)
    assert sent.subject == "Example Org: the end of your membership"
    assert sent.text.startswith("Dear Bob Example,\n")
    assert "On 2026-11-28 the committee decided to expel you from Example Org" in sent.text
    assert "- Google Workspace\n- Slack\n" in sent.text
    assert sent.text.endswith("Write to appeals@example.org within 30 days.\n\nSam Secretary\n")
    assert "\n\n\n" not in sent.text  # the empty reason left no gap
    assert "<li>Google Workspace</li>" in sent.html


def test_the_preview_is_the_headers_and_the_text(tmp_path):
    sent = notice(tmp_path)
    assert sent.preview().splitlines()[:6] == [
        "From: Sam Secretary <secretary@example.org>", "To: Bob Example <bob@mail.test>", "Cc: cc-records@example.org",
        "Subject: Example Org: the end of your membership", f"Message-ID: {sent.message_id}", ""]


def test_the_same_notice_has_the_same_message_id_and_another_does_not(tmp_path):
    assert notice(tmp_path).message_id == notice(tmp_path).message_id
    assert notice(tmp_path).message_id != notice(tmp_path, decided="2026-11-29").message_id
    assert notice(tmp_path).message_id.endswith("@example.org>")


def test_the_message_is_plain_text_and_html_with_every_header(tmp_path):
    sent = notice(tmp_path)
    raw = sent.message(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert (parsed["To"], parsed["Cc"], parsed["Message-ID"]) == ("Bob Example <bob@mail.test>",
                                                                  "cc-records@example.org", sent.message_id)
    assert parsed["Date"] == "Sun, 29 Nov 2026 12:00:00 +0000"


def test_a_name_from_the_roster_adds_no_header_no_markup_and_no_link(tmp_path):
    name = "Bob\r\nBcc: everyone@example.org <b>[click](https://evil.test)</b>"
    sent = notice(tmp_path, member_name=name)
    raw = sent.message(datetime(2026, 11, 29, tzinfo=UTC))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert "<b>" not in sent.html and "href" not in sent.html
    assert "Dear Bob Bcc: everyone@example.org <b>[click](https://evil.test)</b>," in sent.text


def test_a_template_beside_the_config_comes_first_and_a_field_it_invents_is_refused(tmp_path):
    folder = tmp_path / "playbooks" / "notices"
    folder.mkdir(parents=True)
    (folder / "expel.md").write_text("Subject: Notice for ${member_name}\n\nHello ${nickname}\n")
    with pytest.raises(FatalError) as refused:
        notice(tmp_path)
    assert str(refused.value) == (f"{folder / 'expel.md'} uses the field ${{nickname}}, which notices do not have "
                                  "(fields: member_name, member_id, org_name, org_domain, decided, until, reason, "
                                  "systems, appeal, sender_name, sender_email): fix the template")
    (folder / "expel.md").write_text("Subject: Notice for ${member_name}\n\nHello ${member_name}, it costs $$5.\n")
    assert notice(tmp_path).text == "Hello Bob Example, it costs $5.\n"


def test_an_unknown_template_names_the_shipped_ones(tmp_path):
    with pytest.raises(FatalError) as refused:
        notice(tmp_path, template="farewell")
    assert "no notice template named 'farewell' (shipped: expel, reinstate, suspend)" in str(refused.value)
