"""Cards rendered the way Anki renders them, from the note types' own templates.

A small renderer of the part of Anki's template language that deckgen's note types use:
``{{Field}}``, ``{{#Field}}…{{/Field}}``, ``{{^Field}}…{{/Field}}``, ``{{FrontSide}}`` and
``{{cloze:Field}}`` (``{{cN::text}}`` and ``{{cN::text::hint}}``, nested or not). The templates
are the ones in :mod:`deckgen.notetypes`, so the preview shows what Anki shows;
``tests/test_preview.py`` compares the output with the real Anki backend, card by card.

Which cards a note has is decided as for the ``.apkg``: by genanki's required fields for a basic
note, by :mod:`deckgen.cloze` (Anki's own reading) for a cloze note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import genanki

from .cloze import Deletion, card_numbers
from .cloze import parse as parse_cloze
from .notes import NoteSpec
from .notetypes import BASIC_FIELDS, BASIC_TEMPLATES, CLOZE_FIELDS, CLOZE_TEMPLATES, basic_model, cloze_model


class TemplateError(ValueError):
    """A template uses something outside the supported subset, or a field that does not exist."""


@dataclass(frozen=True)
class RenderedCard:
    """One Anki card of a note: its ordinal (0-based, ``card{ordinal + 1}`` in Anki's class
    names) and the HTML of both sides, without CSS."""

    ordinal: int
    question: str
    answer: str


# ----------------------------------------------------------------------------- templates

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Replace:
    name: str
    filters: tuple[str, ...]


@dataclass(frozen=True)
class _Section:
    name: str
    negated: bool
    body: tuple[_Node, ...]


_Node = _Text | _Replace | _Section


@cache
def _parse(template: str) -> tuple[_Node, ...]:
    stack: list[tuple[str, bool, list[_Node]]] = [("", False, [])]
    pos = 0
    for match in _TAG.finditer(template):
        if match.start() > pos:
            stack[-1][2].append(_Text(template[pos:match.start()]))
        pos = match.end()
        tag = match.group(1).strip()
        if tag[:1] in ("#", "^"):
            stack.append((tag[1:].strip(), tag[0] == "^", []))
        elif tag[:1] == "/":
            name, negated, body = stack.pop() if len(stack) > 1 else ("", False, [])
            if name != tag[1:].strip():
                raise TemplateError(f"{{{{{tag}}}}} closes {{{{#{name}}}}}" if name
                                    else f"{{{{{tag}}}}} closes nothing")
            stack[-1][2].append(_Section(name, negated, tuple(body)))
        else:
            *filters, name = tag.split(":")
            stack[-1][2].append(_Replace(name.strip(), tuple(f.strip() for f in filters)))
    if len(stack) > 1:
        raise TemplateError(f"{{{{#{stack[-1][0]}}}}} is not closed")
    if pos < len(template):
        stack[0][2].append(_Text(template[pos:]))
    return tuple(stack[0][2])


_EMPTY_FIELD = re.compile(r"(?:\s|\u200b|<br\s*/?>|</?div>|&nbsp;)*", re.IGNORECASE)


def field_is_empty(value: str) -> bool:
    """Anki's test for ``{{#Field}}``: nothing but white space, line breaks and empty divs."""
    return _EMPTY_FIELD.fullmatch(value) is not None


def render_template(
    template: str,
    fields: Mapping[str, str],
    *,
    ordinal: int,
    question: bool,
    front_side: str | None = None,
) -> str:
    """Render one side of a card from ``template`` (a ``qfmt`` or ``afmt``)."""
    out: list[str] = []
    _render(_parse(template), fields, ordinal, question, front_side, out)
    return "".join(out)


def _render(
    nodes: tuple[_Node, ...],
    fields: Mapping[str, str],
    ordinal: int,
    question: bool,
    front_side: str | None,
    out: list[str],
) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Section):
            if node.name not in fields:
                raise TemplateError(f"no field '{node.name}'")
            if field_is_empty(fields[node.name]) == node.negated:
                _render(node.body, fields, ordinal, question, front_side, out)
        elif node.name == "FrontSide" and not node.filters:
            if front_side is None:
                raise TemplateError("{{FrontSide}} is only allowed on the back")
            out.append(front_side)
        elif node.name not in fields:
            raise TemplateError(f"no field '{node.name}'")
        elif node.filters == ():
            out.append(fields[node.name])
        elif node.filters == ("cloze",):
            out.append(render_cloze(fields[node.name], ordinal + 1, question=question))
        else:
            raise TemplateError(f"unsupported filter '{':'.join(node.filters)}'")


# ----------------------------------------------------------------------------- clozes
# read by deckgen.cloze (Anki's parser, rslib/src/cloze.rs), rendered as reveal_cloze does


def _encode_attribute(text: str) -> str:
    """Anki's encoding of ``data-cloze``: named entities for ``& < > "``, ``&#xHH;`` for every
    other character below 256 that is not an ASCII letter or digit."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif code < 256 and not (ch.isascii() and ch.isalnum()):
            out.append(f"&#x{code:02X};")
        else:
            out.append(ch)
    return "".join(out)


_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def _reveal(deletion: Deletion, ordinal: int, question: bool, out: list[str]) -> None:
    numbers = ",".join(map(str, deletion.ordinals))
    if question and ordinal in deletion.ordinals:
        content: list[str] = []
        _reveal_nodes(deletion.nodes, ordinal, question, content)
        hint = "..." if deletion.hint is None else deletion.hint
        out.append(f'<span class="cloze" data-cloze="{_encode_attribute("".join(content))}" '
                   f'data-ordinal="{numbers}">[{hint}]</span>')
        return
    kind = "cloze" if ordinal in deletion.ordinals else "cloze-inactive"
    out.append(f'<span class="{kind}" data-ordinal="{numbers}">')
    _reveal_nodes(deletion.nodes, ordinal, question, out)
    out.append("</span>")


def _reveal_nodes(nodes: list[str | Deletion], ordinal: int, question: bool,
                  out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        else:
            _reveal(node, ordinal, question, out)


def render_cloze(text: str, ordinal: int, *, question: bool) -> str:
    """``{{cloze:Field}}`` for cloze number ``ordinal`` (1-based): on the front the active
    deletions show ``[...]`` (or ``[hint]``), on the back their text; the others show their text."""
    out: list[str] = []
    _reveal_nodes(parse_cloze(text).nodes, ordinal, question, out)
    return "".join(out)


# ----------------------------------------------------------------------------- notes


@cache
def _models() -> dict[str, genanki.Model]:
    return {"basic": basic_model(1), "cloze": cloze_model(2)}


def card_ordinals(note: NoteSpec) -> list[int]:
    """The ordinals of the cards Anki gets for ``note``, decided as in the package: by
    :mod:`deckgen.cloze` for a cloze note, by genanki's required fields for a basic one."""
    if note.kind == "cloze":
        return sorted(n - 1 for n in card_numbers(note.fields))
    return list(_basic_ordinals(tuple(map(bool, note.fields))))


@cache
def _basic_ordinals(filled: tuple[bool, ...]) -> tuple[int, ...]:
    """genanki's required fields, for the fields that are (not) empty: genanki decides by that
    alone, so once for each pattern."""
    gnote = genanki.Note(model=_models()["basic"], fields=["x" if f else "" for f in filled],
                         guid="x")
    return tuple(sorted(card.ord for card in gnote.cards))


def render_note(note: NoteSpec) -> list[RenderedCard]:
    """Every card of ``note``, both sides, as Anki renders them."""
    names, templates = ((BASIC_FIELDS, BASIC_TEMPLATES) if note.kind == "basic"
                        else (CLOZE_FIELDS, CLOZE_TEMPLATES))
    fields = dict(zip(names, note.fields, strict=True))
    cards = []
    for ordinal in card_ordinals(note):
        template = templates[0] if note.kind == "cloze" else templates[ordinal]
        front = render_template(template["qfmt"], fields, ordinal=ordinal, question=True)
        back = render_template(template["afmt"], fields, ordinal=ordinal, question=False,
                               front_side=front)
        cards.append(RenderedCard(ordinal, front, back))
    return cards
