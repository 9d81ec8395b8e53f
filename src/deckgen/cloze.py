"""Cloze deletions, read exactly as Anki reads them (``rslib/src/cloze.rs``).

Anki's tokens: ``{{c`` + ASCII digits and commas + ``::`` opens a deletion when at least one
of the comma-separated numbers reads as a 16-bit number (``{{c1,2::`` makes cards 1 and 2;
``{{c70000::`` is plain text); ``}}`` closes the innermost open deletion, and is plain text
outside any. Inside a deletion, the first ``::`` of each run of text starts the deletion's hint
(the last one wins), unless the run starts with ``image-occlusion:``. At most 10 deletions are
open at once (an 11th opening mark is dropped); a deletion still open at the end is dropped with
its content. A card is made for every number but 0, nested deletions included, and Anki's own
card generation stops at card 500 (``min(number, 500)``): ``MAX_NUMBER``.

Every part of deckgen that reads a cloze uses this module: the checks (:mod:`deckgen.cards`), the
field finaliser (:mod:`deckgen.render`), the cards written to the package, the preview's
renderer and the card-writing rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_NUMBER = 500  # c501 and above: Anki's "Empty Cards" would delete the card (measured)
MAX_OPEN = 10  # Anki's limit on deletions open at once
_U16 = 65535
IMAGE_OCCLUSION = "image-occlusion:"

# candidates only: "{{c" + digits/commas + "::" is an opening mark when a number reads
_MARK = re.compile(r"\{\{c([0-9,]*)::|\}\}")


@dataclass
class Deletion:
    """One deletion: its numbers as written (deduplicated, sorted), its content and hint."""

    ordinals: tuple[int, ...]
    start: int  # offset of its opening mark
    open_end: int  # offset just past its opening mark
    nodes: list[str | Deletion] = field(default_factory=list)
    hint: str | None = None
    hint_at: int | None = None  # offset of the "::" that starts the (last) hint
    hints: int = 0  # how many "::" hints were found in it (Anki shows the last)
    close: int | None = None  # offset of its closing "}}" (None: never closed)

    @property
    def text(self) -> str:
        """What the deletion hides: its content with nested deletions' content, no hints."""
        return "".join(n if isinstance(n, str) else n.text for n in self.nodes)

    @property
    def image_occlusion(self) -> bool:
        first = self.nodes[0] if self.nodes else None
        return isinstance(first, str) and first.startswith(IMAGE_OCCLUSION)


@dataclass
class Cloze:
    """A field's text as Anki reads it."""

    nodes: list[str | Deletion]  # top-level text and the deletions Anki renders
    deletions: list[Deletion]  # every closed deletion (nested ones included), in order
    unclosed: list[Deletion]  # deletions still open at the end (Anki drops them)
    stray_closes: list[int]  # offsets of "}}" outside any deletion (shown as text)
    dropped_opens: list[int]  # offsets of opening marks past MAX_OPEN (Anki ignores them)
    marks: list[tuple[int, str]]  # every "{{c<numbers>::", read or not: (offset, numbers)

    @property
    def numbers(self) -> set[int]:
        """The cloze numbers Anki makes cards for (0 makes none)."""
        return {n for d in self._rendered() for n in d.ordinals if n}

    def _rendered(self) -> Iterable[Deletion]:
        stack = [n for n in self.nodes if isinstance(n, Deletion)]
        while stack:
            deletion = stack.pop()
            yield deletion
            stack += [n for n in deletion.nodes if isinstance(n, Deletion)]


def _ordinals(numbers: str) -> tuple[int, ...]:
    """Anki's reading of "1,2": each part parsed as a 16-bit number, failures left out."""
    return tuple(sorted({int(p) for p in numbers.split(",") if _reads(p)}))


def _reads(number: str) -> bool:
    return bool(number) and len(number.lstrip("0")) <= 5 and int(number) <= _U16


def parse(text: str) -> Cloze:
    """Read ``text`` as Anki does (see the module's docstring)."""
    nodes: list[str | Deletion] = []
    result = Cloze(nodes, [], [], [], [], [])
    open_: list[Deletion] = []
    pos = 0

    def add_text(start: int, end: int) -> None:
        if end <= start:
            return
        run = text[start:end]
        if not open_:
            nodes.append(run)
            return
        deletion = open_[-1]
        if not run.startswith(IMAGE_OCCLUSION):
            at = run.find("::")
            if at >= 0:
                deletion.hint, deletion.hint_at = run[at + 2:], start + at
                deletion.hints += 1
                run = run[:at]
        deletion.nodes.append(run)

    for match in _MARK.finditer(text):
        numbers = match.group(1)
        if numbers is not None:
            result.marks.append((match.start(), numbers))
            ordinals = _ordinals(numbers)
            if not ordinals:  # plain text to Anki
                continue
            add_text(pos, match.start())
            pos = match.end()
            if len(open_) < MAX_OPEN:
                open_.append(Deletion(ordinals, match.start(), match.end()))
            else:
                result.dropped_opens.append(match.start())
            continue
        add_text(pos, match.start())
        pos = match.end()
        if open_:
            deletion = open_.pop()
            deletion.close = match.start()
            result.deletions.append(deletion)
            (open_[-1].nodes if open_ else nodes).append(deletion)
        else:
            result.stray_closes.append(match.start())
            nodes.append("}}")
    add_text(pos, len(text))
    result.unclosed = open_
    if open_:  # Anki drops them, with what they hold
        dropped = {id(d) for d in _descendants(open_[0])}
        result.deletions = [d for d in result.deletions if id(d) not in dropped]
    result.deletions.sort(key=lambda d: d.start)
    return result


def _descendants(deletion: Deletion) -> Iterable[Deletion]:
    yield deletion
    for node in deletion.nodes:
        if isinstance(node, Deletion):
            yield from _descendants(node)


def card_numbers(fields: Iterable[str]) -> set[int]:
    """The cloze numbers of a note's cards: every field counts, as in Anki's card generation
    (``cloze_number_in_fields``), and numbers past :data:`MAX_NUMBER` share its card."""
    found: set[int] = set()
    for value in fields:
        if "{{c" in value:
            found |= parse(value).numbers
    return {min(n, MAX_NUMBER) for n in found}


def plain_text(text: str) -> str:
    """The text a learner reads on the back: deletion marks and hints left out."""
    if "{{c" not in text and "}}" not in text:
        return text
    return "".join(n if isinstance(n, str) else n.text for n in parse(text).nodes)
