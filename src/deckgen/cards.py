"""Steps 2-3 for cards: validate every card file, then resolve each card's citation.

All problems in all files are collected and raised together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import DeckgenError, Diagnostic, Location, did_you_mean
from .evidence import BY_ID
from .schema import CLOZE_RE, Card, CardFile, validate
from .seeds import SeedText
from .yamlsource import YamlDocument, load_yaml

CARD_GLOBS = ("*.yaml", "*.yml")


@dataclass(frozen=True)
class Passage:
    """A quote as found in its seed: the seed's own words and the line they start on."""

    text: str
    line: int


@dataclass(frozen=True)
class ResolvedCard:
    """A valid card with everything needed to render it."""

    card: Card
    deck: str | None
    file_tags: tuple[str, ...]
    seed: SeedText
    passages: tuple[Passage, ...]
    doc: YamlDocument
    index: int

    @property
    def location(self) -> Location:
        """Where the card's id stands."""
        return self.doc.at(("cards", self.index, "id"))

    @property
    def ref(self) -> CardRef:
        return CardRef(self.card.id, self.doc.path, self.index)

    def where(self, key: str | None = None) -> Location:
        """Where one of the card's keys stands (the card's id when ``key`` is None)."""
        if key is None:
            return self.location
        path = tuple(int(p) if p.isdigit() else p for p in key.split("."))
        return self.doc.at(("cards", self.index, *path))


def find_card_files(cards_dir: Path) -> list[Path]:
    """Every card file below ``cards_dir``, in a fixed order whatever the file system says."""
    found = {p for pattern in CARD_GLOBS for p in cards_dir.rglob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: p.relative_to(cards_dir).as_posix())


@dataclass
class LoadedFile:
    """One card file, checked on its own."""

    cards: list[ResolvedCard]  # the valid cards, resolved
    refs: list[CardRef]  # every card the schema accepted, valid or not (for duplicate ids)
    errors: list[Diagnostic]


def load_file(path: Path, seeds: dict[str, SeedText]) -> LoadedFile:
    """Load, validate and resolve the cards of one file, collecting every problem (checks
    across files, such as duplicate ids, are :func:`duplicate_ids`)."""
    try:
        doc = load_yaml(path)
    except DeckgenError as exc:
        return LoadedFile([], [], list(exc.diagnostics))
    card_file, errors = validate(doc, CardFile)
    if card_file is None:
        return LoadedFile([], [], errors)
    loaded = LoadedFile([], [], errors)
    for index, card in enumerate(card_file.cards):
        loaded.refs.append(CardRef(card.id, path, index))
        result = _resolve(doc, ("cards", index), card, seeds, errors)
        if result is not None:
            loaded.cards.append(ResolvedCard(
                card, card_file.deck, tuple(card_file.tags), *result, doc, index
            ))
    return loaded


@dataclass(frozen=True)
class CardRef:
    """A card by file and position: enough to find where it stands when a message needs it."""

    id: str
    path: Path
    index: int

    @property
    def location(self) -> Location:
        """Where the card's id stands (the file is read again: for messages only)."""
        return locate([(self, "id")])[0]


def locate(wanted: Iterable[tuple[CardRef, str]]) -> list[Location]:
    """Where each card's key stands, reading each file once (positions are only kept while a
    file is checked, so messages made later read it again)."""
    docs: dict[Path, YamlDocument] = {}
    found = []
    for ref, key in wanted:
        if ref.path not in docs:
            docs[ref.path] = load_yaml(ref.path)
        found.append(docs[ref.path].at(("cards", ref.index, key)))
    return found


def duplicate_ids(refs: Iterable[CardRef]) -> list[Diagnostic]:
    """An error for each card whose id an earlier card (in file order) already has."""
    first: dict[str, CardRef] = {}
    duplicates: list[tuple[CardRef, CardRef]] = []
    for ref in refs:
        if ref.id in first:
            duplicates.append((ref, first[ref.id]))
        else:
            first[ref.id] = ref
    found = locate((ref, "id") for pair in duplicates for ref in pair)  # two per duplicate
    return [Diagnostic(found[2 * i], f"duplicate card id '{ref.id}' (first used at "
                                     f"{found[2 * i + 1].display()})")
            for i, (ref, _) in enumerate(duplicates)]


def load_cards(cards_dir: Path, seeds: dict[str, SeedText]) -> list[ResolvedCard]:
    """Load, validate and resolve every card; raise one :class:`DeckgenError` with all errors."""
    files = [load_file(path, seeds) for path in card_files(cards_dir)]
    errors = [d for loaded in files for d in loaded.errors]
    errors += duplicate_ids(ref for loaded in files for ref in loaded.refs)
    if errors:
        raise DeckgenError(errors)
    return [rc for loaded in files for rc in loaded.cards]


def card_files(cards_dir: Path) -> list[Path]:
    """:func:`find_card_files`, or an error when there is none."""
    files = find_card_files(cards_dir)
    if not files:
        raise DeckgenError([Diagnostic(Location(cards_dir), "no card files (*.yaml) found")])
    return files


def cloze_problem(text: str) -> str | None:
    """Why a cloze text would not make the cards it seems to, or None.

    Anki (and genanki) end a deletion at the first ``}}``, so braces left over once the
    deletions are taken out mean the author's markup is not what Anki will read.
    """
    if not CLOZE_RE.search(text):
        return "cloze has no deletion; mark one as {{c1::text}}"
    if any(int(n) == 0 for n in CLOZE_RE.findall(text)):
        return "{{c0::...}} makes no card in Anki: number deletions from c1"
    rest = re.sub(r"\{\{c\d+::.*?\}\}", "", text, flags=re.S)
    if "{{c" in rest and "::" in rest:
        return "cloze deletion is not closed: end it with }}"
    if "{{" in rest or "}}" in rest:
        return ("unbalanced braces in cloze: Anki ends a deletion at the first '}}', so '}}' "
                "cannot appear inside one")
    return None


def _resolve(
    doc: YamlDocument,
    at: tuple[str | int, ...],
    card: Card,
    seeds: dict[str, SeedText],
    errors: list[Diagnostic],
) -> tuple[SeedText, tuple[Passage, ...]] | None:
    ok = True
    if card.cloze is not None:
        problem = cloze_problem(card.cloze)
        if problem:
            errors.append(Diagnostic(doc.at((*at, "cloze")), problem))
            ok = False
    seed = seeds.get(card.source.seed)
    if seed is None:
        errors.append(Diagnostic(
            doc.at((*at, "source", "seed")),
            f"unknown seed '{card.source.seed}'{did_you_mean(card.source.seed, seeds)}",
        ))
        return None
    level, ceiling = BY_ID[card.evidence], BY_ID[seed.seed.max_evidence]
    if level.rank < ceiling.rank:
        errors.append(Diagnostic(
            doc.at((*at, "evidence")),
            f"evidence level '{level.id}' is stronger than seed '{seed.seed.id}' allows "
            f"(max_evidence: {ceiling.id})",
        ))
        ok = False
    passages = []
    for i, quote in enumerate(card.source.quote):
        found = seed.find(quote)
        if found is None:
            line, nearest = seed.nearest(quote)
            quote_at = (*at, "source", "quote", i) if len(card.source.quote) > 1 else (
                *at, "source", "quote")
            errors.append(Diagnostic(
                doc.at(quote_at),
                f"quote not found in seed '{seed.seed.id}'",
                details=(
                    f"nearest passage ({seed.path.name}, line {line}):",
                    f"  {nearest}",
                ),
            ))
            ok = False
        else:
            passages.append(Passage(*found))
    return (seed, tuple(passages)) if ok else None
