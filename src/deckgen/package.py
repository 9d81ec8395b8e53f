"""Step 5: write the ``.apkg``: reproducible, with a ``mod`` per note.

Notes are added as they come (a big build writes while it is still checking) into a scratch
collection (a file the caller names, beside the output); genanki supplies its schema, decks and
note types. The zip is written by hand with fixed entry dates and order, so the same notes give
the same bytes. Putting the package in place (with the lock, both or neither) is
:mod:`deckgen.output`'s work.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cloze import card_numbers
from .notes import NoteSpec
from .notetypes import basic_model, cloze_model

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DeckSettings:
    name: str
    description: str
    deck_id: int
    basic_model_id: int
    cloze_model_id: int
    namespace: str


@dataclass(frozen=True)
class StampedNote:
    """A note with the ``mod`` it ships with (seconds), whether its cards start suspended, and
    whether it ships without cards (a retired note: only learners who have its cards see it)."""

    spec: NoteSpec
    mod: int
    suspended: bool = False
    without_cards: bool = False


def deck_id_for(settings: DeckSettings, name: str) -> int:
    """The root deck's id is pinned; a subdeck's id is derived from its name, stable forever."""
    if name == settings.name:
        return settings.deck_id
    digest = hashlib.sha256(f"deckgen\x1f{settings.namespace}\x1f{name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


class PackageError(Exception):
    """SQLite refused to write the collection: the disk is full, the scratch file cannot be
    written, or a number is out of SQLite's range. A user's problem, not a bug."""


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:  # "database or disk is full", "disk I/O error"...
        raise PackageError(str(exc)) from None
    except OverflowError as exc:  # "Python int too large to convert to SQLite INTEGER"
        raise PackageError(f"a number is out of SQLite's range ({exc})") from None


class PackageWriter:
    """A package written note by note, as the notes are checked, into the scratch collection
    ``scratch`` (an empty file the caller made and removes); :meth:`commit` writes the
    ``.apkg``. SQLite's errors come out as :class:`PackageError`.

    genanki supplies the collection's schema and, at commit, its settings row, decks and note
    types; notes and cards are inserted here in batches, each note with its own ``mod`` and
    with the rows genanki would write. ``model_mod`` (the note types' ``mod``) also seeds the
    note and card ids, so the same notes in the same order give the same bytes.
    """

    BATCH = 2000

    def __init__(self, settings: DeckSettings, model_mod: int, scratch: Path,
                 media: Mapping[str, bytes] | None = None) -> None:
        import genanki  # only needed to write a deck: kept out of ``deckgen check``'s start-up

        self.settings, self.model_mod = settings, model_mod
        self.models = {"basic": basic_model(settings.basic_model_id),
                       "cloze": cloze_model(settings.cloze_model_id)}
        root = genanki.Deck(settings.deck_id, settings.name, description=settings.description)
        for model in self.models.values():
            root.add_model(model)
        self.decks: dict[str, genanki.Deck] = {settings.name: root}
        self._new_deck = genanki.Deck
        self._ids = _ids(model_mod)
        self._note_rows: list[tuple[Any, ...]] = []
        self._card_rows: list[tuple[Any, ...]] = []
        self._db_path = scratch
        self._media = media or {}  # the checked files, by name in the package
        self._media_used: set[str] = set()  # those the notes added show
        with _sqlite_errors():
            # a scratch file, zipped once complete: no journal, no waiting for the disk, and no
            # file locks (only this build uses it; some network file systems refuse them)
            self._conn = sqlite3.connect(scratch.absolute().as_uri() + "?nolock=1", uri=True)
            self._conn.execute("PRAGMA journal_mode = MEMORY")
            self._conn.execute("PRAGMA synchronous = OFF")
            self._conn.executescript(genanki.apkg_schema.APKG_SCHEMA)

    def __enter__(self) -> PackageWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()

    def add(self, stamped: StampedNote) -> None:
        spec, model = stamped.spec, self.models[stamped.spec.kind]
        if stamped.without_cards:  # (and no deck made for it: no empty subdeck)
            self._note_rows.append(self._note_row(spec, model, next(self._ids), stamped.mod))
            return
        deck = self.decks.get(spec.deck)
        if deck is None:
            deck = self.decks[spec.deck] = self._new_deck(deck_id_for(self.settings, spec.deck),
                                                          spec.deck)
        if model.model_id not in deck.models:
            deck.add_model(model)  # (a deck's note types are written with it)
        self._media_used.update(spec.media)
        note_id = next(self._ids)
        self._note_rows.append(self._note_row(spec, model, note_id, stamped.mod))
        queue = -1 if stamped.suspended else 0
        cards = [(next(self._ids), note_id, deck.deck_id, ordinal, stamped.mod, -1,
                  0, queue, 0, 0, 0, 0, 0, 0, 0, 0, 0, "")
                 for ordinal in _card_ordinals(model, spec)]
        assert cards, f"note {spec.card_id} would reach Anki without a card"
        self._card_rows += cards
        if len(self._note_rows) >= self.BATCH:
            self._flush()

    @staticmethod
    def _note_row(spec: NoteSpec, model: Any, note_id: int, mod: int) -> tuple[Any, ...]:
        return (note_id, spec.guid, model.model_id, mod, -1, " " + " ".join(spec.tags) + " ",
                "\x1f".join(spec.fields), spec.fields[model.sort_field_index], 0, 0, "")

    def _flush(self) -> None:
        with _sqlite_errors():
            self._conn.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                                   self._note_rows)
            self._conn.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                   self._card_rows)
        self._note_rows, self._card_rows = [], []

    def commit(self, package: Path) -> int:
        """Finish the collection and write the package to ``package`` (a file the caller made,
        and puts in place); its size in bytes."""
        import genanki

        self._flush()
        with _sqlite_errors():
            cursor = self._conn.cursor()
            cursor.executescript(genanki.apkg_col.APKG_COL)
            for name in sorted(self.decks):
                self.decks[name].write_to_db(cursor, self.model_mod, self._ids)  # decks, note types
            self._conn.commit()
        self._conn.close()
        with zipfile.ZipFile(package, "w") as zf:
            _add(zf, "collection.anki2", self._db_path.read_bytes())
            # each file the notes show, named by its content hash, in a fixed order
            names = sorted(self._media_used)
            _add(zf, "media", json.dumps({str(i): n for i, n in enumerate(names)}).encode()
                 if names else b"{}")
            for i, name in enumerate(names):  # (already compressed: stored as they are)
                _add(zf, str(i), self._media[name], compress=False)
        return package.stat().st_size


def _card_ordinals(model: Any, spec: NoteSpec) -> Iterable[int]:
    """The cards Anki makes of a note: one per template whose required fields are filled
    (basic), one per cloze number as Anki reads them (cloze: see :mod:`deckgen.cloze`)."""
    if spec.kind == "cloze":  # (a set, iterated in genanki's order)
        return {n - 1 for n in card_numbers(spec.fields)}
    return [ordinal for ordinal, how, required in model._req
            if (any if how == "any" else all)(spec.fields[i] for i in required)]


def _ids(timestamp: int) -> Iterator[int]:
    start = timestamp * 1000
    while True:
        yield start
        start += 1


def _add(zf: zipfile.ZipFile, name: str, data: bytes, *, compress: bool = True) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=1)  # 6 is 11% smaller but takes 3.5 times as long

