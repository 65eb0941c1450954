"""The Markdown rendering of a report, for people: the ``.md`` beside each signed report, and ``offboard report``.

It renders only what the signed document holds, so it can carry no secret the report does not; the
JSON beside it is the authority, this is its reading copy, and a pure function of it (``offboard
verify`` renders it again and compares). What it says is decided in ``readings`` (one content for
Markdown and HTML); this module decides only how that looks in Markdown. Every piece of text is
escaped, so a member's name or a service's answer renders as itself and can add no heading, list,
link, image or HTML to the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from offboard.report.blocks import Block, Bullets, Code, Line, Paragraph, Reading, Rule, Section, Table
from offboard.report.readings import reading
from offboard.text import for_markdown, for_terminal

LINE_BREAK = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")


def render(document: Mapping[str, Any], checked: str | None = None) -> str:
    """The whole rendering; unknown keys are ignored, missing ones render as blanks.

    ``checked``: the signer ``offboard report`` verified the report against (the ``.md`` beside it has none)."""
    return to_markdown(reading(document, checked))


def to_markdown(shown: Reading) -> str:
    lines = [f"# {inline(shown.title)}"]
    for block in shown.blocks:
        lines += _spaced(block)
    return "\n".join(lines) + "\n"


def _spaced(block: Block) -> list[str]:
    """A block with the blank line before it; nothing for an empty one."""
    found = _block(block)
    return ["", *found] if found else []


def _block(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        text = inline(block.text)
        return [f"**{text}**" if block.strong else text]
    if isinstance(block, Bullets):
        return [row for item in block.items
                for row in [f"- {inline(item.text)}", *(f"  - {inline(sub)}" for sub in item.under)]]
    if isinstance(block, Table):
        return ["| " + " | ".join(for_markdown(c) for c in block.columns) + " |", "|" + "---|" * len(block.columns),
                *("| " + " | ".join(inline(cell, table=True) for cell in row) + " |" for row in block.rows)]
    if isinstance(block, Rule):
        return ["---"]
    if isinstance(block, Section):
        return [f"{'#' * block.level} {for_markdown(block.title)}", *(row for b in block.blocks for row in _spaced(b))]
    raise TypeError(f"not a block: {block!r}")


def inline(text: Line, table: bool = False) -> str:
    """A line as Markdown: text escaped, codes as code spans (``table``: in a table cell)."""
    return "".join(code(span.text, table) if isinstance(span, Code) else for_markdown(span) for span in text)


def code(value: str, table: bool = False) -> str:
    """A code span (an id, a command): shown as typed, since nothing in a code span is markup.

    Only a backtick could end the span early, so the fence is one longer than the longest run of
    backticks in it; line breaks become spaces and controls show escaped. In a table ``|`` is escaped.
    """
    text = for_terminal(LINE_BREAK.sub(" ", value))
    if not text:
        return ""
    text = text.replace("|", "\\|") if table else text
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
