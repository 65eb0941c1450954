"""What a report says to people, as plain blocks of text: one content, rendered as Markdown and as HTML.

The readings (``people`` for a run, ``audit_reading`` for an audit) decide what is said, and only
that; ``markdown`` and ``html`` decide how it looks. Every piece of text here is plain text from
wherever it came (our words, a member's name, a service's answer): each renderer escapes every piece
for its own format, so no value can be forgotten and none can add markup of its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """A command or an identifier, shown as typed (a code span)."""

    text: str


Span = str | Code
Line = tuple[Span, ...]  # one line of text: a sentence, a table cell


def line(*spans: Span) -> Line:
    return tuple(span for span in spans if span != "")


@dataclass(frozen=True)
class Paragraph:
    text: Line
    strong: bool = False  # the line that says where things stand


@dataclass(frozen=True)
class Item:
    text: Line
    under: tuple[Line, ...] = ()  # sub-items: a step's instructions, an approver


@dataclass(frozen=True)
class Bullets:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Line, ...], ...]


@dataclass(frozen=True)
class Rule:
    """A line across the page, before the chain's footnote."""


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    level: int = 2
    appendix: bool = False  # for the record, not for reading aloud: printed on a page of its own


Block = Paragraph | Bullets | Table | Rule | Section


@dataclass(frozen=True)
class Reading:
    """A whole report for people: its title, then its blocks in order."""

    title: Line
    blocks: tuple[Block, ...]


def bullets(lines: list[Line] | list[Item], empty: str | None = None) -> Bullets:
    """A list of sentences; ``empty`` is the one sentence said when there is none."""
    items = [i if isinstance(i, Item) else Item(i) for i in lines] or ([Item((empty,))] if empty else [])
    return Bullets(tuple(items))
