"""Coverage: where each card's quotes stand in its seed, which paragraphs of the seed at least
one card cites, and the evidence levels per seed and for the whole deck.

Shared by ``deckgen preview`` (the seed pages and ``coverage.html``) and ``deckgen stats``.

A paragraph is a run of non-blank lines. A seed with no blank line at all is written one
paragraph a line, so there each non-blank line is a paragraph.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from .cards import ResolvedCard
from .evidence import LEVEL_IDS
from .seeds import SeedText


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a seed: offsets ``[start, end)`` in the seed's own text, first line."""

    start: int
    end: int
    line: int


@dataclass(frozen=True)
class Span:
    """A cited passage: offsets ``[start, end)`` in the seed's own text, the id of its
    ``<mark>`` in the preview (named after the first card id in sorted order, so moving cards
    between files changes nothing), and every (card id, quote number) that cites exactly it."""

    start: int
    end: int
    anchor: str
    cites: tuple[tuple[str, int], ...]


class CardCitation(NamedTuple):
    """What the coverage needs of a card: its id, seed, evidence level and where each of its
    quotes stands in the seed's own text (None where it is not found). Small, so that the
    worker process that checked the card sends this back rather than the card and its seed."""

    id: str
    seed: str
    evidence: str
    spans: tuple[tuple[int, int] | None, ...]

    @classmethod
    def of(cls, rc: ResolvedCard) -> CardCitation:
        return cls(rc.card.id, rc.seed.seed.id, rc.card.evidence,
                   tuple(p.span for p in rc.passages))  # (found once, when resolved)


@dataclass(frozen=True)
class SeedCoverage:
    seed: SeedText
    cards: tuple[CardCitation, ...]
    paragraphs: tuple[Paragraph, ...]
    spans: tuple[Span, ...]
    cited: frozenset[int]  # indexes into paragraphs

    @property
    def levels(self) -> dict[str, int]:
        """Cards per evidence level, strongest first, levels with no card left out."""
        return level_counts(self.cards)

    @property
    def share(self) -> float:
        return len(self.cited) / len(self.paragraphs) if self.paragraphs else 0.0


@dataclass(frozen=True)
class Coverage:
    seeds: tuple[SeedCoverage, ...]
    anchors: dict[tuple[str, int], str]  # (card id, quote number from 1) -> mark id

    @property
    def cards(self) -> int:
        return sum(len(s.cards) for s in self.seeds)

    @property
    def cited(self) -> int:
        return sum(len(s.cited) for s in self.seeds)

    @property
    def paragraphs(self) -> int:
        return sum(len(s.paragraphs) for s in self.seeds)

    @property
    def share(self) -> float:
        return self.cited / self.paragraphs if self.paragraphs else 0.0

    @property
    def levels(self) -> dict[str, int]:
        return level_counts([rc for s in self.seeds for rc in s.cards])


def level_counts(cards: Iterable[CardCitation]) -> dict[str, int]:
    """Cards per evidence level, strongest first, levels with no card left out."""
    return _levels(card.evidence for card in cards)


def _levels(evidence: Iterable[str]) -> dict[str, int]:
    counts = Counter(evidence)
    return {level: counts[level] for level in LEVEL_IDS if counts[level]}


def split_paragraphs(text: str) -> list[Paragraph]:
    """Runs of non-blank lines; every non-blank line when the text has no blank line."""
    lines = text.splitlines(keepends=True)
    blank = [not line.strip() for line in lines]
    filled = [i for i, is_blank in enumerate(blank) if not is_blank]
    one_per_line = bool(filled) and not any(blank[filled[0]:filled[-1]])
    paragraphs: list[Paragraph] = []
    offset = 0
    current: tuple[int, int, int] | None = None  # start, end, line
    for number, (line, is_blank) in enumerate(zip(lines, blank, strict=True), start=1):
        start, offset = offset, offset + len(line)
        end = start + len(line.rstrip("\r\n"))
        if is_blank or (one_per_line and current is not None):
            if current is not None:
                paragraphs.append(Paragraph(*current))
            current = None
        if not is_blank:
            current = (current[0], end, current[2]) if current else (start, end, number)
    if current is not None:
        paragraphs.append(Paragraph(*current))
    return paragraphs


def anchor_id(card_id: str, number: int) -> str:
    return f"q-{card_id}-{number}"


def coverage(seeds: dict[str, SeedText], cards: Iterable[CardCitation]) -> Coverage:
    """The coverage of every seed in ``seeds`` (in their order) by the cards cited so."""
    anchors: dict[tuple[str, int], str] = {}
    result = []
    by_seed: dict[str, list[CardCitation]] = {}  # (once: not every card for every seed)
    for card in cards:
        by_seed.setdefault(card.seed, []).append(card)
    for seed_id, seed in seeds.items():
        mine = tuple(by_seed.get(seed_id, ()))
        where: dict[tuple[int, int], list[tuple[str, int]]] = {}
        for card in mine:
            for number, found in enumerate(card.spans, start=1):
                if found is not None:
                    where.setdefault(found, []).append((card.id, number))
        spans = []
        for (start, end), cites in sorted(where.items()):
            cites.sort()
            span = Span(start, end, anchor_id(*cites[0]), tuple(cites))
            spans.append(span)
            anchors.update(dict.fromkeys(cites, span.anchor))
        paragraphs = tuple(split_paragraphs(seed.text))
        cited = cited_paragraphs(paragraphs, [(s.start, s.end) for s in spans])
        result.append(SeedCoverage(seed, mine, paragraphs, tuple(spans), cited))
    return Coverage(tuple(result), anchors)


def cited_paragraphs(paragraphs: tuple[Paragraph, ...] | list[Paragraph],
                     spans: Iterable[tuple[int, int]]) -> frozenset[int]:
    """The indexes of the paragraphs that at least one span ``[start, end)`` overlaps (in a
    time that grows with paragraphs plus spans, not with their product)."""
    ordered = sorted(spans)
    starts = [start for start, _ in ordered]
    reach = list(itertools.accumulate((end for _, end in ordered), max))  # furthest end so far
    cited = []
    for i, p in enumerate(paragraphs):
        before = bisect.bisect_left(starts, p.end)  # the spans that start before it ends
        if before and reach[before - 1] > p.start:
            cited.append(i)
    return frozenset(cited)


@dataclass(frozen=True)
class SeedFigures:
    """One row of ``deckgen stats``: a seed (or the deck's total) and its figures."""

    name: str
    cards: int
    cited: int
    paragraphs: int
    levels: dict[str, int]

    @property
    def share(self) -> float:
        return self.cited / self.paragraphs if self.paragraphs else 0.0


def seed_figures(seeds: dict[str, SeedText],
                 cards: Iterable[CardCitation]) -> list[SeedFigures]:
    """The figures of every seed in ``seeds`` (in their order) as :func:`coverage` computes
    them, then the deck's total, from each card's :class:`CardCitation`."""
    by_seed: dict[str, list[CardCitation]] = {}
    for card in cards:
        by_seed.setdefault(card.seed, []).append(card)
    rows = []
    for seed_id, seed in seeds.items():
        mine = by_seed.get(seed_id, [])
        paragraphs = split_paragraphs(seed.text)
        spans = {span for card in mine for span in card.spans if span is not None}
        rows.append(SeedFigures(seed_id, len(mine), len(cited_paragraphs(paragraphs, spans)),
                                len(paragraphs), _levels(card.evidence for card in mine)))
    every = [card for seed_id in seeds for card in by_seed.get(seed_id, ())]
    rows.append(SeedFigures("total", len(every), sum(r.cited for r in rows),
                            sum(r.paragraphs for r in rows), _levels(c.evidence for c in every)))
    return rows


def percent(share: float) -> str:
    return f"{round(share * 100)}%"


def levels_text(levels: dict[str, int]) -> str:
    return ", ".join(f"{level} {n}" for level, n in levels.items()) or "-"


def stats_table(figures: list[SeedFigures]) -> str:
    """The figures of the coverage page as a plain-text table, one row per seed, then the
    deck's totals (see :func:`seed_figures`)."""
    header = ("seed", "cards", "cited/paragraphs", "share", "evidence levels")
    rows = [(f.name, str(f.cards), f"{f.cited}/{f.paragraphs}", percent(f.share),
             levels_text(f.levels)) for f in figures]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(4)]
    lines = []
    for row in (header, *rows):
        numbers = (cell.rjust(width) for cell, width in zip(row[1:4], widths[1:], strict=True))
        cells = [row[0].ljust(widths[0]), *numbers, row[4]]
        lines.append("  ".join(cells))
    return "\n".join(lines) + "\n"
