"""The HTML rendering of a report, to attach to the minutes: the same content as the Markdown, on one page.

Self-contained: the style is inline, with a print stylesheet; no script, font, image or link to
anything outside, and a Content-Security-Policy that would block them if one slipped in. Every piece
of text is HTML-escaped (``html.escape``), whoever wrote it: a member's name, a service's answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

from offboard.report.blocks import Block, Bullets, Code, Item, Line, Paragraph, Reading, Rule, Section, Table
from offboard.report.readings import reading
from offboard.text import for_terminal

LINE_BREAK = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1a1a1a; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.5rem 0 .4rem; }
main > p:first-of-type { font-size: 1.05rem; background: #f4f6f8; border-left: 4px solid #4a6785; padding: .75rem 1rem; }
ul { padding-left: 1.3rem; } li { margin: .25rem 0; }
code { font: .85em/1.4 ui-monospace, Menlo, Consolas, monospace; background: #f2f2f2; padding: 0 .2em;
       overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border: 1px solid #ccc; padding: .25rem .4rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f2f2f2; }
section.appendix { color: #333; font-size: .9rem; }
hr { border: 0; border-top: 1px solid #ccc; margin: 2rem 0 1rem; }
@media print {
  @page { margin: 18mm; }
  body { font-size: 11pt; }
  main { max-width: none; margin: 0; padding: 0; }
  main > p:first-of-type { background: none; border-left: 2pt solid #000; }
  h2, h3 { break-after: avoid; }
  li, tr { break-inside: avoid; }
  section.appendix { break-before: page; }
  code, th { background: none; }
}
"""


def render_html(document: Mapping[str, Any], checked: str | None = None) -> str:
    """The whole page. ``checked``: the signer the report was verified against just now."""
    return to_html(reading(document, checked))


def to_html(shown: Reading) -> str:
    title = escape(_one_line("".join(span.text if isinstance(span, Code) else span for span in shown.title)))
    body = "\n".join([f"<h1>{inline(shown.title)}</h1>", *(_block(b) for b in shown.blocks)])
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        text = inline(block.text)
        return f"<p><strong>{text}</strong></p>" if block.strong else f"<p>{text}</p>"
    if isinstance(block, Bullets):
        return "<ul>\n" + "\n".join(_item(item) for item in block.items) + "\n</ul>" if block.items else ""
    if isinstance(block, Table):
        head = "".join(f"<th scope=\"col\">{escape(c)}</th>" for c in block.columns)
        rows = "\n".join("<tr>" + "".join(f"<td>{inline(cell)}</td>" for cell in row) + "</tr>" for row in block.rows)
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"
    if isinstance(block, Rule):
        return "<hr>"
    if isinstance(block, Section):
        level = min(max(block.level, 2), 6)
        css = " class=\"appendix\"" if block.appendix else ""
        inner = "\n".join(_block(b) for b in block.blocks)
        return f"<section{css}>\n<h{level}>{escape(_one_line(block.title))}</h{level}>\n{inner}\n</section>"
    raise TypeError(f"not a block: {block!r}")


def _item(item: Item) -> str:
    under = "".join(f"<li>{inline(sub)}</li>" for sub in item.under)
    return f"<li>{inline(item.text)}" + (f"<ul>{under}</ul>" if under else "") + "</li>"


def inline(text: Line) -> str:
    """A line as HTML: every piece escaped; codes in ``<code>``."""
    return "".join(f"<code>{escape(_one_line(span.text))}</code>" if isinstance(span, Code) else escape(_one_line(span))
                   for span in text)


def _one_line(text: str) -> str:
    """Line breaks as spaces, controls and bidi overrides shown escaped, as in the Markdown."""
    return for_terminal(LINE_BREAK.sub(" ", text))
