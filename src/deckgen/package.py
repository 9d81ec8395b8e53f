"""Step 5: write the ``.apkg``: reproducible, with a ``mod`` per note, atomically.

genanki builds the collection (schema, decks, note types); notes are written here so each
carries its own ``mod``. The zip is written by hand with fixed entry dates and order, so the
same notes give the same bytes. The output appears only once complete (temporary file in the
same folder, then rename); nothing is left behind on failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki

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
    """A note with the ``mod`` it ships with (seconds) and whether its cards start suspended."""

    spec: NoteSpec
    mod: int
    suspended: bool = False


class _Note(genanki.Note):  # type: ignore[misc]
    """A genanki note written with its own ``mod`` instead of the package timestamp."""

    def __init__(self, model: genanki.Model, stamped: StampedNote) -> None:
        spec = stamped.spec
        super().__init__(model=model, fields=list(spec.fields), tags=list(spec.tags), guid=spec.guid)
        self.mod = stamped.mod
        self.suspended = stamped.suspended

    def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Iterator[int]) -> None:
        cursor.execute(
            "INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?);",
            (next(id_gen), self.guid, self.model.model_id, self.mod, -1, self._format_tags(),
             self._format_fields(), self.sort_field, 0, 0, ""),
        )
        note_id = cursor.lastrowid
        for card in self.cards:
            card.suspend = self.suspended
            card.write_to_db(cursor, self.mod, deck_id, note_id, id_gen, self.due)


def deck_id_for(settings: DeckSettings, name: str) -> int:
    """The root deck's id is pinned; a subdeck's id is derived from its name, stable forever."""
    if name == settings.name:
        return settings.deck_id
    digest = hashlib.sha256(f"deckgen\x1f{settings.namespace}\x1f{name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def build_collection(
    settings: DeckSettings, notes: Sequence[StampedNote], model_mod: int, db_path: Path
) -> None:
    """Write the Anki collection (SQLite) for ``notes`` to ``db_path``.

    ``model_mod`` is the note types' ``mod``; it also seeds the note and card ids, so the same
    notes and lock give the same collection.
    """
    models = {"basic": basic_model(settings.basic_model_id),
              "cloze": cloze_model(settings.cloze_model_id)}
    decks: dict[str, genanki.Deck] = {}
    root = genanki.Deck(settings.deck_id, settings.name, description=settings.description)
    decks[settings.name] = root
    for model in models.values():
        root.add_model(model)
    for stamped in notes:
        name = stamped.spec.deck
        if name not in decks:
            decks[name] = genanki.Deck(deck_id_for(settings, name), name)
        decks[name].add_note(_Note(models[stamped.spec.kind], stamped))
    conn = sqlite3.connect(db_path)
    try:
        package = genanki.Package([decks[name] for name in sorted(decks)])
        package.write_to_db(conn.cursor(), model_mod, _ids(model_mod))
        conn.commit()
    finally:
        conn.close()


def _ids(timestamp: int) -> Iterator[int]:
    start = timestamp * 1000
    while True:
        yield start
        start += 1


def write_apkg(
    settings: DeckSettings, notes: Sequence[StampedNote], model_mod: int, output: Path
) -> int:
    """Write the package to ``output`` atomically; return its size in bytes."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deckgen-") as work:
        db_path = Path(work) / "collection.anki2"
        build_collection(settings, notes, model_mod, db_path)
        with _atomic(output) as tmp:
            with zipfile.ZipFile(tmp, "w") as zf:
                _add(zf, "collection.anki2", db_path.read_bytes())
                _add(zf, "media", b"{}")
            return tmp.stat().st_size


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=6)


@contextlib.contextmanager
def _atomic(output: Path) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
