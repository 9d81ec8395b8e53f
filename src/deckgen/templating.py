"""The preview's HTML templates (Jinja2, ``templates/preview/`` in the package), autoescaped.

Every value a template writes (``{{ value }}``) is escaped unless it is HTML already, passed
as :class:`~markupsafe.Markup`: the cards rendered from the note types' templates and the
card's fields (sanitised and finalised by :mod:`deckgen.render`), the deck's description
(sanitised Markdown), deckgen's own badges and media credits, and what these templates
rendered. The escaping is deckgen's one rule for HTML text (:func:`deckgen.render.escape`,
which the note fields use too: ``&quot;`` and ``&#x27;``, where MarkupSafe writes ``&#34;`` and
``&#39;``), so the same sources give the same bytes as everywhere else in deckgen; it is
installed as the compiled templates' ``escape``. (A template writes no literal string in
``{{ }}``: Jinja2 would escape a constant once, with MarkupSafe, when compiling.)
"""

from __future__ import annotations

import html
import re
from collections.abc import MutableMapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from .notes import evidence_html


def escape(value: Any) -> str:
    """What a template writes for ``value``: HTML as it is, anything else escaped (a plain
    string: the page is joined from them)."""
    if type(value) is str:
        return html.escape(value) if _SPECIAL.search(value) else value
    if type(value) is int:
        return str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


_SPECIAL = re.compile("[&<>\"']")  # (what html.escape replaces)


class _Template(Template):
    @classmethod
    def _from_namespace(cls, environment: Environment, namespace: MutableMapping[str, Any],
                        globals: MutableMapping[str, Any]) -> Template:
        namespace["escape"] = escape  # (what the compiled code calls when autoescaping)
        return super()._from_namespace(environment, namespace, globals)


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
    )
    env.template_class = _Template
    env.globals.update(plural=plural, evidence_html=lambda level: Markup(evidence_html(level)))
    return env


def template(name: str) -> Template:
    """A template of ``templates/``, compiled once per process (the worker processes, forked
    later, inherit it)."""
    return environment().get_template(name)
