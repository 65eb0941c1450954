"""The HTML page for the minutes: the Markdown's content, self-contained, printable, and inert whatever the names."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from offboard.report.html import render_html
from tests.report.conftest import action, document
from tests.report.test_markdown import NOTICE

HOSTILE = "<img src=x onerror=alert(1)>"
TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "strong", "ul", "li", "code",
        "section", "table", "thead", "tbody", "tr", "th", "td", "hr"}


class Page(HTMLParser):
    """Every tag and attribute of a page, and its text as a browser shows it."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._skip = tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def test_a_hostile_name_is_shown_as_text_and_never_becomes_a_tag():
    page = render_html(document(member={"id": "m666", "name": HOSTILE}, operator='"><script>alert(2)</script>',
                                systems=[{"name": "x", "title": HOSTILE, "actions": [
                                    action("x:<b>", HOSTILE, "clean", "failed", last_error=HOSTILE)]}]))
    parsed = Page(page)
    assert {tag for tag, _ in parsed.tags} <= TAGS
    assert "<script" not in page and "<img" not in page
    assert "<h1>Expulsion: &lt;img src=x onerror=alert(1)&gt;</h1>" in page
    assert "<title>Expulsion: &lt;img src=x onerror=alert(1)&gt;</title>" in page
    assert "<td><code>x:&lt;b&gt;</code></td>" in page
    shown = "".join(parsed.text)
    assert f"{HOSTILE} (member m666) is expelled from Example Org." in shown  # the reader sees it as typed
    assert '"><script>alert(2)</script>' in shown


def test_the_page_is_self_contained_printable_and_runs_nothing():
    page = render_html(document(signed=True), checked="cc@example.org")
    parsed = Page(page)
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|https?://", page, re.I)
    assert not [attrs for _, attrs in parsed.tags if {"src", "href"} & set(attrs) or any(a.startswith("on") for a in attrs)]
    policy = next(attrs["content"] for tag, attrs in parsed.tags if tag == "meta" and attrs.get("http-equiv"))
    assert policy is not None and policy.startswith("default-src 'none'")
    assert "@media print" in page and '<section class="appendix">' in page


def test_the_page_says_what_the_markdown_says():
    page = render_html(document(signed=True), checked="cc@example.org")
    assert ("<p>Bob Example (member m042) is expelled from Example Org. It was carried out by alice@example.org on "
            "24 Nov 2026, 10:00 UTC. This report shows where things stood on 24 Nov 2026, 10:01 UTC. 1 change was made "
            "in 1 system. Still open: 1 step for a person to do and 1 step that could not be done. Its signature was "
            "checked just now: it is signed with the key of cc@example.org.</p>") in page
    assert re.findall(r"<h2>(.*?)</h2>", page) == ["Access ended", "Still to do by a person", "Could not be done",
                                                    "Left out", "Appendix: for the record"]
    assert "<li>Google Workspace: Remove from group eng@example.org (role MEMBER): failed after 3 attempts: HTTP 503 " \
           "from groups API.</li>" in page
    assert "<tr><td><code>manual:bank</code></td><td>manual</td><td>manual</td><td>2026-11-24T10:00:02Z</td></tr>" in page


def test_the_personal_address_is_on_the_page_once_where_the_notice_went():
    send = action("notice:send", "Send the written notice to bob.private@home.test", "clean", "changed",
                  after={"sent_to": "bob.private@home.test"})
    page = render_html(document(notices=[NOTICE], systems=[{"name": "notice", "title": "Written notice",
                                                             "account": "bob.private@home.test", "actions": [send]}]))
    assert re.findall("bob.private@home.test", page, re.I) == ["Bob.Private@Home.test"]
    assert "was sent to Bob.Private@Home.test on 29 Nov 2026, 14:03 UTC" in page
