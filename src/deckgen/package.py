"""Step 5: write the ``.apkg``: reproducible, with a ``mod`` per note, atomically.

genanki builds the collection (schema, decks, note types); notes and cards are inserted here,
in one pass, so each note carries its own ``mod``. The zip is written by hand with fixed entry
dates and order, so the same notes give the same bytes. The output appears only once complete
(temporary file in the same folder, then rename); nothing is left behind on failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    genanki writes the schema, the decks and the note types; the notes and cards are then
    inserted in one pass each, with the rows and ids genanki would give them (each note with
    its own ``mod``). ``model_mod`` is the note types' ``mod``; it also seeds the note and card
    ids, so the same notes and lock give the same collection.
    """
    import genanki

    models = {"basic": basic_model(settings.basic_model_id),
              "cloze": cloze_model(settings.cloze_model_id)}
    root = genanki.Deck(settings.deck_id, settings.name, description=settings.description)
    decks: dict[str, genanki.Deck] = {settings.name: root}
    by_deck: dict[str, list[StampedNote]] = {settings.name: []}
    for model in models.values():
        root.add_model(model)
    for stamped in notes:
        name = stamped.spec.deck
        if name not in decks:
            decks[name] = genanki.Deck(deck_id_for(settings, name), name)
            by_deck[name] = []
        decks[name].add_model(models[stamped.spec.kind])
        by_deck[name].append(stamped)
    ids = _ids(model_mod)
    note_rows: list[tuple[Any, ...]] = []
    card_rows: list[tuple[Any, ...]] = []
    for name in sorted(decks):
        deck_id = decks[name].deck_id
        for stamped in by_deck[name]:
            spec, model = stamped.spec, models[stamped.spec.kind]
            note_id = next(ids)
            note_rows.append((note_id, spec.guid, model.model_id, stamped.mod, -1,
                              " " + " ".join(spec.tags) + " ", "\x1f".join(spec.fields),
                              spec.fields[model.sort_field_index], 0, 0, ""))
            queue = -1 if stamped.suspended else 0
            card_rows += [(next(ids), note_id, deck_id, ordinal, stamped.mod, -1, 0, queue, 0,
                           0, 0, 0, 0, 0, 0, 0, 0, "") for ordinal in _card_ordinals(model, spec)]
    conn = sqlite3.connect(db_path)
    try:
        cursor = conn.cursor()
        # a scratch file, zipped once complete: no journal, no waiting for the disk
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.execute("PRAGMA synchronous = OFF")
        genanki.Package([decks[name] for name in sorted(decks)]).write_to_db(cursor, model_mod, ids)
        cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)", note_rows)
        cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           card_rows)
        conn.commit()
    finally:
        conn.close()


_CLOZE_NUMBER = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)


def _card_ordinals(model: Any, spec: NoteSpec) -> Iterable[int]:
    """The cards Anki makes of a note, in genanki's order: one per template whose required
    fields are filled (basic), one per deletion number (cloze)."""
    if spec.kind == "cloze":
        # iterated as a set, exactly as genanki does, so the ids come out the same
        return {int(n) - 1 for n in _CLOZE_NUMBER.findall(spec.fields[0]) if int(n) > 0} or {0}
    return [ordinal for ordinal, how, required in model._req
            if (any if how == "any" else all)(spec.fields[i] for i in required)]


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
    zf.writestr(info, data, compresslevel=1)  # 6 is 11% smaller but takes 3.5 times as long


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
