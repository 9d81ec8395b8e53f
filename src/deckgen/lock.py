"""The lock file: per card, a hash of what learners see and the ``mod`` it shipped with.

Anki updates an imported note only when its ``mod`` is newer than the learner's copy. So a
card's ``mod`` stays fixed while its content is unchanged (a learner's own edit survives the
next release) and moves strictly forward when it changes (the edit reaches everyone, even two
builds within one second). Cards that leave the source are remembered as retired: they ship
again, suspended and tagged ``deckgen::retired``, and their ids are never given to another card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cards import CardRef, locate
from .errors import DeckgenError, Diagnostic, Location
from .notes import NoteSpec, note_guid
from .notetypes import BASIC_FIELDS, CLOZE_FIELDS
from .package import StampedNote

LOCK_VERSION = 1
RETIRED_TAG = "deckgen::retired"
RETIRED_SUBDECK = "Retired"
RETIRED_NOTICE = (
    "This card was retired: it is no longer part of the deck's source material. "
    "Find such cards with the search <code>tag:deckgen::retired</code>, then suspend or "
    "delete them."
)


@dataclass
class LockEntry:
    """What the lock remembers of one card."""

    mod: int
    kind: str = ""
    front: str = ""
    deck: str = ""
    hash: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {"hash": self.hash, "mod": self.mod, "kind": self.kind, "deck": self.deck,
                "front": self.front}
        return {key: value for key, value in data.items() if value != ""}

    def to_line(self) -> str:
        """``json.dumps(self.to_json(), ensure_ascii=False)``, several times as fast (a lock
        has a line per card)."""
        parts = [f'"hash": {_text(self.hash)}'] if self.hash else []
        parts.append(f'"mod": {int(self.mod)}')
        parts += [f'"{key}": {_text(value)}' for key, value in
                  (("kind", self.kind), ("deck", self.deck), ("front", self.front)) if value]
        return "{" + ", ".join(parts) + "}"


_text = json.encoder.encode_basestring  # a JSON string, non-ASCII kept (C)
_key = json.encoder.encode_basestring_ascii  # a JSON string as json.dumps writes it (C)


@dataclass
class Lock:
    cards: dict[str, LockEntry] = field(default_factory=dict)
    retired: dict[str, LockEntry] = field(default_factory=dict)
    note_types: dict[str, LockEntry] = field(default_factory=dict)

    def dumps(self) -> str:
        """JSON with one line per card (sorted), so a change shows as a one-line diff."""

        def section(entries: dict[str, LockEntry]) -> str:
            if not entries:
                return "{}"
            lines = [f" {_key(key)}: {entries[key].to_line()}" for key in sorted(entries)]
            return "{\n" + ",\n".join(lines) + "\n}"

        return (f'{{"version": {LOCK_VERSION},\n"note_types": {section(self.note_types)},\n'
                f'"cards": {section(self.cards)},\n"retired": {section(self.retired)}}}\n')


def read_lock(path: Path) -> Lock:
    """Read the lock; a missing lock is an empty one."""
    if not path.exists():
        return Lock()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != LOCK_VERSION:
            raise ValueError(f"unsupported lock version {data.get('version')!r}")

        def section(name: str) -> dict[str, LockEntry]:
            return {key: LockEntry(**value) for key, value in data.get(name, {}).items()}

        return Lock(section("cards"), section("retired"), section("note_types"))
    except json.JSONDecodeError as exc:
        raise DeckgenError([Diagnostic(
            Location(path, exc.lineno, exc.colno), f"lock file is not valid JSON: {exc.msg}"
        )]) from None
    except (ValueError, TypeError, AttributeError, OSError) as exc:
        raise DeckgenError([Diagnostic(Location(path), f"cannot read lock file: {exc}")]) from None


def _next_mod(previous: LockEntry | None, now: int) -> int:
    return now if previous is None else max(now, previous.mod + 1)


class Stamper:
    """Gives each note its ``mod`` against the old lock, one note at a time, and builds the new
    lock. ``model_mod`` (the note types' ``mod``) is known from the start."""

    def __init__(self, old: Lock, note_type_hashes: dict[str, str], now: int, namespace: str,
                 retired_deck: str) -> None:
        self.old, self.now, self.namespace, self.retired_deck = old, now, namespace, retired_deck
        self.lock = Lock()
        self.reused: list[CardRef] = []  # cards that took the id of a retired card
        for name, digest in sorted(note_type_hashes.items()):
            previous = old.note_types.get(name)
            mod = previous.mod if previous and previous.hash == digest else _next_mod(previous, now)
            self.lock.note_types[name] = LockEntry(mod, hash=digest)
        self.model_mod = max(entry.mod for entry in self.lock.note_types.values())

    def stamp(self, spec: NoteSpec, ref: CardRef) -> StampedNote | None:
        """The note with its ``mod``, or None (see :meth:`errors`) if its id was retired."""
        previous = self.old.cards.get(spec.card_id)
        front = spec.fields[0]
        gone = self.old.retired.get(spec.card_id)
        if gone is not None and gone.front != front:
            self.reused.append(ref)
            return None
        if previous is not None and previous.hash == spec.content_hash:
            mod = previous.mod
        else:
            mod = _next_mod(previous or gone, self.now)
        self.lock.cards[spec.card_id] = LockEntry(mod, spec.kind, front, spec.deck,
                                                  spec.content_hash)
        return StampedNote(spec, mod)

    def errors(self) -> list[Diagnostic]:
        return [Diagnostic(where, f"card id '{ref.id}' belonged to a card that was retired; an "
                                  "id is never given to a different card: choose a new id")
                for ref, where in zip(self.reused, locate((ref, "id") for ref in self.reused),
                                      strict=True)]

    def retire(self) -> list[StampedNote]:
        """Once every note is stamped: the cards that left, shipped suspended."""
        stamped = []
        for card_id, entry in [*self.old.retired.items(), *self.old.cards.items()]:
            if card_id in self.lock.cards or card_id in self.lock.retired:
                continue
            mod = entry.mod if card_id in self.old.retired else _next_mod(entry, self.now)
            self.lock.retired[card_id] = LockEntry(mod, entry.kind, entry.front, entry.deck)
            spec = _retired_spec(card_id, self.lock.retired[card_id], self.namespace,
                                 self.retired_deck)
            stamped.append(StampedNote(spec, mod, suspended=True))
        return stamped


def _retired_spec(card_id: str, entry: LockEntry, namespace: str, deck: str) -> NoteSpec:
    names = BASIC_FIELDS if entry.kind == "basic" else CLOZE_FIELDS
    values = {"Notice": RETIRED_NOTICE, "CardId": card_id}
    fields = (entry.front, *(values.get(name, "") for name in names[1:]))
    return NoteSpec(card_id, note_guid(namespace, card_id), entry.kind, fields,
                    (RETIRED_TAG,), deck)


def describe_changes(old: Lock, new: Lock) -> list[str]:
    """What a build would change in the lock, one line each (for ``--locked``)."""
    lines = []
    for card_id in sorted(new.cards):
        before = old.cards.get(card_id)
        if before is None:
            lines.append(f"new card '{card_id}'")
        elif before.hash != new.cards[card_id].hash:
            lines.append(f"changed card '{card_id}'")
    lines += [f"retired card '{c}'" for c in sorted(new.retired) if c not in old.retired]
    lines += [f"changed note type '{n}'" for n, e in sorted(new.note_types.items())
              if n not in old.note_types or old.note_types[n].hash != e.hash]
    return lines
