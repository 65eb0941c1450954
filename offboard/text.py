"""Making outside text safe to show: names, labels and messages that members or services control.

Such text is data. Shown raw it could act: an escape sequence moves the cursor or rewrites
the line above at a terminal, a ``#`` or ``[x](url)`` becomes a heading or a link in a
report, a ``<!channel>`` pings a whole Slack channel. Each function here makes it inert
for one place a person reads it, and keeps it readable.
"""

from __future__ import annotations

import re

__all__ = ["for_markdown", "for_slack", "for_terminal"]

# C0 controls (ESC starts CSI and OSC sequences), DEL, C1 controls (0x9b is a one-byte CSI),
# and the bidi embeddings, overrides and isolates that reorder what follows them on screen.
_OTHER_CONTROLS = r"\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x00-\x1f{_OTHER_CONTROLS}]")
_CONTROL_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHER_CONTROLS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(value: object, *, keep_newlines: bool = False) -> str:
    """``value`` as text a terminal shows but does not obey.

    Control characters (ESC, CSI, OSC, DEL, C1) and bidi overrides are shown escaped, as
    ``\\x1b`` or ``\\u202e``, so they can neither move the cursor nor hide or reorder what
    follows; a newline shows as ``\\n`` so a one-line field stays one line. ``keep_newlines``
    is for text that is several lines by design (notes, messages). Print the result with
    Rich markup off: brackets in it are not markup either.
    """
    text = value if isinstance(value, str) else str(value)
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_shown, text)


_LINE_BREAK = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
# Backslash first (it escapes the rest); [ and ] make links and images, * _ ~ emphasis,
# ` code, # headings, | table cells, $ math on GitHub. Parentheses need no escape once
# the brackets have one. < > & become entities, so no HTML tag, autolink or entity survives.
_MARKDOWN = re.compile(r"[\\`*_\[\]#|~$]")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BLOCK_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)]))")


def for_markdown(value: object) -> str:
    """``value`` as inline Markdown text that renders as itself, wherever it sits on a line.

    A member's name must not add a heading, a list, a link, an image or an HTML tag to a
    report: line breaks become spaces, controls are shown escaped (as at a terminal),
    Markdown punctuation is backslash-escaped, ``< > &`` become entities, and a leading
    ``-``, ``+``, ``=`` or ``1.`` cannot start a block.
    """
    text = value if isinstance(value, str) else str(value)
    text = for_terminal(_LINE_BREAK.sub(" ", text))
    text = _MARKDOWN.sub(lambda m: "\\" + m.group(), text)
    text = re.sub("[&<>]", lambda m: _HTML[m.group()], text)
    return _BLOCK_START.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"),
                            text, count=1)


def for_slack(value: object) -> str:
    """``value`` as Slack message text: shown, never a mention, a link or a channel ping.

    Slack reads ``<...>`` as links and mentions (``<!channel>``, ``<https://x|Click>``), so
    ``& < >`` are escaped as Slack asks (``&amp; &lt; &gt;``). Line breaks become spaces and
    other controls and bidi overrides are dropped, so a name stays on its line. Post with
    ``link_names`` off, or a plain ``@channel`` would still ping.
    """
    text = value if isinstance(value, str) else str(value)
    text = _CONTROL.sub("", _LINE_BREAK.sub(" ", text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``plural(1, "change")`` -> "1 change"; ``plural(3, "change")`` -> "3 changes" (``nouns`` when not just +s)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
