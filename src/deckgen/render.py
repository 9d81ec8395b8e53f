"""Step 4: card text (inline Markdown) to safe HTML for Anki.

Markdown is rendered with raw HTML switched off (so ``<script>`` typed in a card shows as
text), then the HTML is sanitised with an allowlist: no script, no event handler, no link but
http(s). Anki runs scripts in card HTML, so both layers stay.
"""

from __future__ import annotations

import html
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@cache
def _markdown() -> MarkdownIt:
    """The Markdown renderer (imported on first use: plain text never needs it)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("strikethrough")
    return md

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "i", "li", "ol", "p", "pre", "s",
    "strong", "sub", "sup", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https"}

# Anything Markdown would treat specially; text without these renders as escaped text.
_MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]<>&\\~!|#]|^\s*(?:[-+>]|\d+[.)])\s|\n|^ {4}")


def sanitise(fragment: str) -> str:
    """Keep only allowlisted tags, attributes and link schemes."""
    import nh3

    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def markdown_to_html(text: str, *, cloze: bool = False) -> str:
    """Render one field's Markdown to sanitised HTML; a lone paragraph loses its ``<p>``.

    Curly braces pairs are written as entities, so no field can carry Anki template syntax
    (``{{…}}``), except the deletions of a cloze field (``cloze=True``).
    """
    return _neutralise_braces(_render(text.strip()), cloze)


@lru_cache(maxsize=4096)  # the same caveat or extra text often recurs across a deck
def _render(text: str) -> str:
    if not _MARKDOWN_SYNTAX.search(text):
        return html.escape(text, quote=False).replace('"', "&quot;")
    if not _BLOCK_SYNTAX.match(text):  # one line that can only be a paragraph
        return sanitise(_markdown().renderInline(text))
    rendered = _markdown().render(text).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return sanitise(rendered)


# What makes one line more than a paragraph: a heading, quote, list item, rule, fence, link
# definition or HTML block at its start (anything with a second line is not one line).
_BLOCK_SYNTAX = re.compile(
    r"#{1,6}(?:[ \t]|$)|>|[*+-](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|(?:[*_-][ \t]*){3,}$"
    r"|`{3}|~{3}|<|\[|.*\n", re.S)


_CLOZE_DELETION = re.compile(r"\{\{c\d+::.*?\}\}", re.S)


def _neutralise_braces(fragment: str, cloze: bool) -> str:
    def neutral(part: str) -> str:
        return part.replace("{{", "&#123;&#123;").replace("}}", "&#125;&#125;")

    if not cloze:
        return neutral(fragment)
    out, last = [], 0
    for match in _CLOZE_DELETION.finditer(fragment):
        out += [neutral(fragment[last:match.start()]), match.group()]
        last = match.end()
    return "".join([*out, neutral(fragment[last:])])


def escape(text: str) -> str:
    """Plain text (titles, passages, ids) for HTML."""
    return html.escape(text, quote=True)
