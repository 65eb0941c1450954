"""Outside text made inert: shown escaped at a terminal, as itself in Markdown, as text in Slack."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from offboard.text import for_markdown, for_slack, for_terminal

ATTACKS = [
    "\x1b[2J\x1b[H",  # CSI: erase the screen, cursor home
    "\x1b[1A\x1b[2K",  # CSI: cursor up, erase the line
    "\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink, ST-terminated
    "\x1b]0;title\x07",  # OSC: window title, BEL-terminated
    "\x9b2J",  # C1 CSI, one byte
    "a\x7fb\x00c\x08d\re",
    "evil\u202etxt.exe",  # right-to-left override
    "\u2066isolated\u2069",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_terminal_text_holds_no_control_character(attack):
    shown = for_terminal(attack)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)


def test_controls_are_shown_escaped_and_the_rest_as_typed():
    assert for_terminal("Zed [/b] Doe") == "Zed [/b] Doe"
    assert for_terminal("Zoë 山田 🙂 <z@x.org>") == "Zoë 山田 🙂 <z@x.org>"
    assert for_terminal("\x1b[2Jx\x9b\x7f") == "\\x1b[2Jx\\x9b\\x7f"
    assert for_terminal("\x1b]8;;https://evil.test\x07click") == "\\x1b]8;;https://evil.test\\x07click"
    assert for_terminal("evil\u202etxt\u2066") == "evil\\u202etxt\\u2066"
    assert for_terminal("one\ntwo\r\tthree") == "one\\ntwo\\r\\tthree"
    assert for_terminal(42) == "42"


def test_text_that_is_several_lines_by_design_keeps_its_line_breaks_only():
    assert for_terminal("one\ntwo\rthree\x1b[2K", keep_newlines=True) == "one\ntwo\\rthree\\x1b[2K"


def test_terminal_escaping_is_idempotent():
    once = for_terminal("\x1b[2J\nname")
    assert for_terminal(once) == once


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def visible(html_text: str) -> str:
    """What a reader sees: the text without tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


NAMES = [
    "Eve\n# Owned",
    "Eve [x](https://evil.test)",
    "Eve ![x](https://evil.test/p.png)",
    "<img src=x onerror=alert(1)>",
    "<https://evil.test>",
    "*bold* _em_ ~~gone~~ `code` $x$",
    "- a list",
    "+ a list",
    "1. a list",
    "7) a list",
    "> a quote",
    "=====",
    "&lt;b&gt; &amp;",
    "back\\slash \\[x\\](https://evil.test)",
    "Title #",
    "a | b",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_in_markdown_renders_as_itself_in_a_heading_a_bullet_and_a_cell(name):
    safe = for_markdown(name)
    assert "\n" not in safe
    shown = " ".join(name.split())
    for markdown, seen in ((f"# Expulsion: {safe}", f"Expulsion: {shown}"), (f"- Google: {safe}", f"Google: {shown}"),
                           (f"- {safe}", shown), (safe, shown), (f"| A |\n|---|\n| {safe} |", f"A {shown}")):
        out = rendered(markdown)
        assert not re.search(r"<(a|img|em|strong|code|s|del|blockquote|ol|h2|hr)\b", out), (markdown, out)
        assert out.count("<li>") <= 1 and out.count("<h1>") <= 1 and out.count("<td>") <= 1, (markdown, out)
        assert visible(out) == seen, (markdown, out)


def test_markdown_escaping_is_readable_for_plain_names():
    assert for_markdown("Bob Example") == "Bob Example"
    assert for_markdown("bob.example@example.org (role MEMBER)") == "bob.example@example.org (role MEMBER)"
    assert for_markdown("Eve\n# Owned [x](https://evil.test)") == "Eve \\# Owned \\[x\\](https://evil.test)"
    assert for_markdown("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert for_markdown("a|b") == "a\\|b"
    assert for_markdown("\x1b[2J") == "\\\\x1b\\[2J"  # shown as \x1b[2J


def test_slack_text_escapes_what_slack_reads_as_links_and_mentions():
    assert for_slack("<!channel> & <https://evil.test|Click here>") == \
        "&lt;!channel&gt; &amp; &lt;https://evil.test|Click here&gt;"
    assert for_slack("Bob\nExample\x1b[2J\u202e") == "Bob Example[2J"
    assert for_slack("Zoë *bold*") == "Zoë *bold*"
