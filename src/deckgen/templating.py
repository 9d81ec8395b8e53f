"""The preview's HTML templates (Jinja2, ``templates/preview/`` in the package), autoescaped.

Every value a template writes (``{{ value }}``) is escaped unless it is HTML already, passed
as :class:`~markupsafe.Markup`: the cards rendered from the note types' templates and the
card's fields (sanitised and finalised by :mod:`deckgen.render`), the deck's description
(sanitised Markdown), deckgen's own badges and media credits, and what these templates
rendered. The escaping is deckgen's one rule for HTML text (:func:`deckgen.render.escape`,
which the note fields use too: ``&quot;`` and ``&#x27;``, where MarkupSafe writes ``&#34;`` and
``&#39;``), so the same sources give the same bytes as everywhere else in deckgen. It is the
environment's ``finalize`` (Jinja2's public hook, applied to every ``{{ }}`` value before the
autoescape): a plain value comes out of it escaped, as ``Markup``, which the autoescape then
leaves alone; were it ever skipped, the autoescape would still escape (MarkupSafe's way).
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from .notes import evidence_html


def escape(value: Any) -> Markup:
    """What a template writes for ``value``: HTML (``Markup``) as it is, anything else
    escaped with deckgen's rule."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    text = value if type(value) is str else str(value)
    return Markup(html.escape(text) if _SPECIAL.search(text) else text)


_SPECIAL = re.compile("[&<>\"']")  # (what html.escape replaces)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("deckgen", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        finalize=escape,
    )
    env.globals.update(plural=plural, evidence_html=lambda level: Markup(evidence_html(level)))
    return env


def template(name: str) -> Template:
    """A template of ``templates/``, compiled once per process (the worker processes, forked
    later, inherit it)."""
    return environment().get_template(name)
