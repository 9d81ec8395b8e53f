"""Steps 2-3 for cards: validate every card file, then resolve each card's citation.

All problems in all files are collected and raised together.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from . import cloze as clozes
from . import render
from .errors import DeckgenError, Diagnostic, Location, did_you_mean
from .evidence import BY_ID
from .render import PLACEHOLDERS
from .schema import Card, CardFile, validate
from .seeds import SeedText
from .yamlsource import YamlDocument, file_kind, load_yaml, not_a_file

if TYPE_CHECKING:
    from .media import Media

CARD_SUFFIXES = (".yaml", ".yml")  # matched whatever their case: X.YAML is a card file too


@dataclass(frozen=True)
class Passage:
    """A quote as found in its seed: the seed's own words, the line they start on, and where
    they stand in the seed's text (offsets ``[start, end)``, see :meth:`SeedText.span`)."""

    text: str
    line: int
    span: tuple[int, int]


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


def is_card_file_name(name: str) -> bool:
    return name.lower().endswith(CARD_SUFFIXES)


def find_card_files(cards_dir: Path) -> list[Path]:
    """Every card file below ``cards_dir``, in a fixed order whatever the file system says.

    Only regular files and real folders are read, the same on every system and Python
    version: a symbolic link (or Windows junction) to a folder, a link named like a card file,
    a broken link or a link loop, anything else named like a card file that is not a regular
    file (a named pipe, a device) and a folder that cannot be read are each an error, raised
    together: a card file deckgen does not read is never silent (a card missing from a build
    would be retired, which tells every learner to delete it)."""
    found: list[Path] = []
    errors: list[Diagnostic] = []
    seen: set[tuple[int, int]] = set()  # folders already walked (a loop cannot recur)
    pending = [cards_dir]
    while pending:
        folder = pending.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen and info.st_ino:
                errors.append(Diagnostic(Location(folder), "folder loop: this folder is "
                                         "already inside the cards folder; remove the loop"))
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            errors.append(Diagnostic(Location(folder),
                                     f"cannot read folder: {exc.strerror or exc}"))
            continue
        for entry in listed:
            path = folder / entry.name
            problem = _entry_problem(entry, path)
            if problem is not None:
                errors.append(Diagnostic(Location(path), problem))
            elif entry.is_dir(follow_symlinks=False):
                pending.append(path)
            elif is_card_file_name(entry.name):
                found.append(path)
    if errors:
        raise DeckgenError(errors)
    return sorted(found, key=lambda p: p.relative_to(cards_dir).as_posix())


def _is_link(entry: os.DirEntry[str]) -> bool:
    """A symbolic link, or (on Windows) a junction, which older Pythons take for a folder."""
    if entry.is_symlink():
        return True
    if os.name != "nt":
        return False
    tag = getattr(entry.stat(follow_symlinks=False), "st_reparse_tag", 0)
    return bool(tag == 0xA0000003)  # IO_REPARSE_TAG_MOUNT_POINT


def _entry_problem(entry: os.DirEntry[str], path: Path) -> str | None:
    """Why an entry of the cards folder is not read although it may hold cards, or None."""
    card = is_card_file_name(entry.name)
    try:
        if _is_link(entry):
            target = not_a_file(path)
            if target == "a folder":
                return ("symbolic link to a folder: deckgen does not follow links in the cards "
                        "folder; put the folder itself here")
            if target is not None and "symbolic link" in target:  # broken, or a loop
                return (f"{target.removeprefix('a ')}: deckgen cannot tell whether it was "
                        "meant to hold cards; remove it, or put the file or folder itself here")
            if card:
                return ("card file is a symbolic link: deckgen does not follow links in the "
                        "cards folder; put the file itself here")
            return None  # a link to something else that is not a card file (README.md, say)
        if not card or entry.is_dir(follow_symlinks=False) or entry.is_file(
                follow_symlinks=False):
            return None
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    return f"card file is {file_kind(mode)}, not a regular file; deckgen reads only regular files"


@dataclass
class LoadedFile:
    """One card file, checked on its own."""

    cards: list[ResolvedCard]  # the valid cards, resolved
    refs: list[CardRef]  # every card the schema accepted, valid or not (for duplicate ids)
    errors: list[Diagnostic]
    media_used: list[str] = field(default_factory=list)  # declared media files its cards show
    deck: str | None = None  # its subdeck (``deck:``), when the file says one validly


def load_file(path: Path, seeds: dict[str, SeedText], media: Media | None = None) -> LoadedFile:
    """Load, validate and resolve the cards of one file, collecting every problem (checks
    across files, such as duplicate ids, are :func:`duplicate_ids`)."""
    try:
        doc = load_yaml(path)
    except DeckgenError as exc:
        return LoadedFile([], [], list(exc.diagnostics))
    errors, part = _accepted(doc)
    if part is None:
        return LoadedFile([], [], errors)
    deck, tags, cards = part
    loaded = LoadedFile([], [], errors, deck=deck)
    for index, card in cards:
        loaded.refs.append(CardRef(card.id, path, index))
        if media is not None:  # (every card the schema accepted, resolved or not)
            from .media import check_card

            problems, used = check_card(card, media)
            errors += [Diagnostic(doc.at(("cards", index, key)), message)
                       for key, message in problems]
            loaded.media_used += used
        result = _resolve(doc, ("cards", index), card, seeds, errors)
        if result is not None:
            loaded.cards.append(ResolvedCard(card, deck, tags, *result, doc, index))
    return loaded


def card_refs(path: Path) -> tuple[str | None, list[CardRef]]:
    """What :func:`duplicate_ids` and :func:`deck_collisions` compare of one file: its subdeck
    and its cards (every card the schema accepts, as :func:`load_file` finds them), without
    resolving them; no cards when the file cannot be read (:func:`load_file` tells why)."""
    try:
        doc = load_yaml(path)
    except DeckgenError:
        return None, []
    part = _accepted(doc)[1]
    if part is None:
        return None, []
    return part[0], [CardRef(card.id, path, index) for index, card in part[2]]


def _accepted(doc: YamlDocument) -> tuple[
    list[Diagnostic], tuple[str | None, tuple[str, ...], list[tuple[int, Card]]] | None,
]:
    """The file's validation errors, and its deck, tags and the cards the schema accepts."""
    card_file, errors = validate(doc, CardFile)
    if card_file is not None:
        return errors, (card_file.deck, tuple(card_file.tags), list(enumerate(card_file.cards)))
    # the cards that are valid on their own are still checked, and their errors told
    return errors, _valid_cards(doc)


def _valid_cards(
    doc: YamlDocument,
) -> tuple[str | None, tuple[str, ...], list[tuple[int, Card]]] | None:
    """For a file that is not valid as a whole: its deck and tags (when they are valid) and
    each card that is valid on its own, with its index (the file's validation has already
    reported what is wrong with the others). None when there is no list of cards."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("cards"), list):
        return None
    try:
        header = CardFile.model_validate({**data, "cards": []})
        deck, tags = header.deck, tuple(header.tags)
    except ValidationError:
        deck, tags = None, ()
    cards = []
    for index, raw in enumerate(data["cards"]):
        try:
            cards.append((index, Card.model_validate(raw)))
        except ValidationError:
            continue
    return deck, tags, cards


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


def deck_collisions(decks: Iterable[tuple[str, CardRef]]) -> list[Diagnostic]:
    """An error for each deck (full name, with a card of it) whose name, or the name of one of
    its parents, differs from an earlier one only in case: Anki does not tell them apart (its
    deck names compare without case), so their cards would land in one deck."""
    seen: dict[str, tuple[str, CardRef]] = {}
    clashes: list[tuple[str, str, CardRef, CardRef]] = []
    for name, ref in decks:
        parts = name.split("::")
        for n in range(1, len(parts) + 1):
            prefix = "::".join(parts[:n])
            earlier = seen.setdefault(prefix.casefold(), (prefix, ref))
            if earlier[0] != prefix:
                clashes.append((prefix, earlier[0], ref, earlier[1]))
                break
    found = [load_yaml(ref.path).at(("deck",)) for _, _, ref, _ in clashes]
    return [Diagnostic(where, f"deck '{name}' differs only in case from '{other}' (the deck of "
                              f"{first.path.as_posix()}): Anki takes them for one deck; spell "
                              "them the same")
            for where, (name, other, _, first) in zip(found, clashes, strict=True)]


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
    """Why a cloze text would not make the cards it seems to, or None. The text is read as
    Anki reads it (:mod:`deckgen.cloze`): nested deletions and ``::hint`` are fine."""
    found = PLACEHOLDERS.search(text)
    if found:
        return (f"cloze contains U+{ord(found.group()):04X}, a Unicode noncharacter (deckgen "
                "uses it to keep deletions apart from Markdown): remove it")
    parsed = clozes.parse(text)
    for _, numbers in parsed.marks:
        for number in numbers.split(","):
            if number and (len(number.lstrip("0")) > 5 or int(number) > clozes.MAX_NUMBER):
                shown = number if len(number) <= 12 else number[:12] + "..."
                return (f"cloze number c{shown} is past c{clozes.MAX_NUMBER}, the last card Anki "
                        f"makes of a note (its Empty Cards tool would delete the card): number "
                        "deletions from c1")
    every = [*parsed.deletions, *parsed.unclosed]
    if any(0 in d.ordinals for d in every):
        return "{{c0::...}} makes no card in Anki: number deletions from c1"
    if parsed.unclosed:
        return "cloze deletion is not closed: end it with }}"
    if parsed.dropped_opens:
        return (f"cloze deletions are nested more than {clozes.MAX_OPEN} deep: Anki ignores "
                "the deeper ones")
    if parsed.stray_closes:
        return ("unbalanced braces in cloze: '}}' outside any deletion (Anki ends a deletion at "
                "the first '}}'; write \\}\\} for braces in the text)")
    if not parsed.numbers:
        return "cloze has no deletion; mark one as {{c1::text}}"
    if any(d.hints > 1 for d in parsed.deletions):
        return "a cloze deletion has more than one '::' hint; Anki shows only the last one"
    return render.cloze_markup_problem(text)


_EMPTY = "shows nothing once rendered (only white space, invisible characters or Markdown)"


def text_problems(card: Card) -> list[tuple[str, str]]:
    """``(key, message)`` for each card text that would show nothing in Anki: a question (no
    card at all), an answer, or a cloze deletion (a blank with nothing behind it)."""
    problems = []
    if card.cloze is not None:
        for d in clozes.parse(render.markdown_to_html(card.cloze, cloze=True,
                                                      media=True)).deletions:
            if render.shows_nothing(d.text):
                number = ",".join(map(str, d.ordinals))
                problems.append(("cloze", f"cloze deletion c{number} {_EMPTY}: its card would "
                                          "ask for nothing"))
    for key, text, result in (("question", card.question, "Anki would make no card of it"),
                              ("answer", card.answer, "the card would have no answer")):
        if text is not None and not render.surely_shows(text) and render.shows_nothing(
                render.markdown_to_html(text, media=True)):  # (an image shows)
            problems.append((key, f"{key} {_EMPTY}: {result}"))
    return problems


def _resolve(
    doc: YamlDocument,
    at: tuple[str | int, ...],
    card: Card,
    seeds: dict[str, SeedText],
    errors: list[Diagnostic],
) -> tuple[SeedText, tuple[Passage, ...]] | None:
    ok = True
    problem = cloze_problem(card.cloze) if card.cloze is not None else None
    if problem:
        errors.append(Diagnostic(doc.at((*at, "cloze")), problem))
    for key, message in [] if problem else text_problems(card):
        errors.append(Diagnostic(doc.at((*at, key)), message))
        problem = message
    ok = problem is None
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
        found = seed.span(quote)
        if found is None:
            quote_at = (*at, "source", "quote", i) if len(card.source.quote) > 1 else (
                *at, "source", "quote")
            message, details = seed.not_found(quote)
            errors.append(Diagnostic(doc.at(quote_at), message, details=details))
            ok = False
        else:
            passages.append(Passage(*seed.passage(found), found))
    return (seed, tuple(passages)) if ok else None
