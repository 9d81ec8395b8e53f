"""Coverage: where each card's quotes stand in its seed, which paragraphs of the seed at least
one card cites, and the evidence levels per seed and for the whole deck.

Shared by ``deckgen preview`` (the seed pages and ``coverage.html``) and ``deckgen stats``.

A paragraph is a run of non-blank lines. A seed with no blank line at all is written one
paragraph a line, so there each non-blank line is a paragraph.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from .cards import ResolvedCard, load_cards
from .evidence import LEVEL_IDS
from .project import Project
from .seeds import SeedText, load_seeds


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
                   tuple(rc.seed.span(quote) for quote in rc.card.source.quote))


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
    counts = Counter(card.evidence for card in cards)
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


def project_coverage(project: Project) -> tuple[list[ResolvedCard], Coverage]:
    """Check the project's cards (raising on errors); the cards and every seed's coverage."""
    seeds = load_seeds(project.seeds_dir)
    cards = load_cards(project.cards_dir, seeds)
    return cards, coverage(seeds, cards)


def coverage(seeds: dict[str, SeedText], cards: list[ResolvedCard]) -> Coverage:
    """The coverage of every seed in ``seeds`` (in their order) by ``cards``."""
    return coverage_of(seeds, [CardCitation.of(rc) for rc in cards])


def coverage_of(seeds: dict[str, SeedText], cards: Iterable[CardCitation]) -> Coverage:
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
        result.append(SeedCoverage(seed, mine, paragraphs, tuple(spans),
                                   _cited(paragraphs, spans)))
    return Coverage(tuple(result), anchors)


def _cited(paragraphs: tuple[Paragraph, ...], spans: list[Span]) -> frozenset[int]:
    """The indexes of the paragraphs that a span overlaps, in one pass over both (each list is
    in text order)."""
    cited = []
    reach, next_span = -1, 0  # the furthest end of the spans that start before a paragraph ends
    for index, para in enumerate(paragraphs):
        while next_span < len(spans) and spans[next_span].start < para.end:
            reach = max(reach, spans[next_span].end)
            next_span += 1
        if reach > para.start:
            cited.append(index)
    return frozenset(cited)


def percent(share: float) -> str:
    return f"{round(share * 100)}%"


def levels_text(levels: dict[str, int]) -> str:
    return ", ".join(f"{level} {n}" for level, n in levels.items()) or "-"


def stats_table(cov: Coverage) -> str:
    """The figures of the coverage page as a plain-text table, one row per seed, then the
    deck's totals."""
    header = ("seed", "cards", "cited/paragraphs", "share", "evidence levels")
    rows = [(s.seed.seed.id, str(len(s.cards)), f"{len(s.cited)}/{len(s.paragraphs)}",
             percent(s.share), levels_text(s.levels)) for s in cov.seeds]
    rows.append(("total", str(cov.cards), f"{cov.cited}/{cov.paragraphs}", percent(cov.share),
                 levels_text(cov.levels)))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(4)]
    lines = []
    for row in (header, *rows):
        numbers = (cell.rjust(width) for cell, width in zip(row[1:4], widths[1:], strict=True))
        cells = [row[0].ljust(widths[0]), *numbers, row[4]]
        lines.append("  ".join(cells))
    return "\n".join(lines) + "\n"
