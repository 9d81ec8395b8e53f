"""The lock file: per card, a hash of what learners see and the ``mod`` it shipped with.

Anki updates an imported note only when its ``mod`` is newer than the learner's copy. So a
card's ``mod`` stays fixed while its content is unchanged (a learner's own edit survives the
next release) and moves strictly forward when it changes (the edit reaches everyone, even two
builds within one second). Cards that leave the source are remembered as retired: they ship
again as notes without cards, tagged ``deckgen::retired`` and saying on their front why they
were withdrawn (a learner who has the card sees that; a newcomer gets no card), and their ids
are never given to another card.

The lock also records the project's identity (deck name, deck and note-type ids, guid
namespace), which learners' Anki knows the deck by: a change of it is refused unless asked for.
It is read like every other input, validated against its declaration (``schema.LockFile``) with
located messages, and a lock with git's merge-conflict markers is read as both of its sides,
merged (see :func:`merge_locks`).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cards import CardRef, locate
from .errors import DeckgenError, Diagnostic, Location
from .media import HASH_LENGTH
from .notes import NoteSpec, deck_name, note_guid
from .notetypes import BASIC_FIELDS, CLOZE_FIELDS
from .package import StampedNote
from .schema import MAX_MOD, RETIRED_SUBDECK, LockFile, LockIdentity, validate
from .yamlsource import Path_, YamlDocument, line_col, read_text

if TYPE_CHECKING:
    from .project import Project

LOCK_VERSION = 1
RETIRED_TAG = "deckgen::retired"
DEFAULT_RETIRED_REASON = "Its authors removed it from the deck."
NEW_IDENTITY_HINT = "put it back, or run 'deckgen build --new-identity' if that is what you mean"


@dataclass
class LockEntry:
    """What the lock remembers of one card."""

    mod: int
    kind: str = ""
    front: str = ""
    deck: str = ""
    hash: str = ""
    reason: str = ""  # (retired cards: the reason the author gave, if any)

    def to_json(self) -> dict[str, Any]:
        data = {"hash": self.hash, "mod": self.mod, "kind": self.kind, "deck": self.deck,
                "front": self.front, "reason": self.reason}
        return {key: value for key, value in data.items() if value != ""}

    def to_line(self) -> str:
        """``json.dumps(self.to_json(), ensure_ascii=False)``, several times as fast (a lock
        has a line per card)."""
        parts = [f'"hash": {_text(self.hash)}'] if self.hash else []
        parts.append(f'"mod": {int(self.mod)}')
        parts += [f'"{key}": {_text(value)}' for key, value in
                  (("kind", self.kind), ("deck", self.deck), ("front", self.front),
                   ("reason", self.reason)) if value]
        return "{" + ", ".join(parts) + "}"


_text = json.encoder.encode_basestring  # a JSON string, non-ASCII kept (C)
_key = json.encoder.encode_basestring_ascii  # a JSON string as json.dumps writes it (C)


@dataclass
class Lock:
    cards: dict[str, LockEntry] = field(default_factory=dict)
    retired: dict[str, LockEntry] = field(default_factory=dict)
    note_types: dict[str, LockEntry] = field(default_factory=dict)
    identity: LockIdentity | None = None  # None in locks written before it was recorded
    conflict: Location | None = None  # the file's first merge-conflict marker (sides merged)
    doc: YamlDocument | None = field(default=None, repr=False, compare=False)  # for messages

    def dumps(self) -> str:
        """JSON with one line per card (sorted), so a change shows as a one-line diff."""

        def section(entries: dict[str, LockEntry]) -> str:
            if not entries:
                return "{}"
            lines = [f" {_key(key)}: {entries[key].to_line()}" for key in sorted(entries)]
            return "{\n" + ",\n".join(lines) + "\n}"

        identity = "" if self.identity is None else (
            f'"identity": {json.dumps(self.identity.model_dump(), ensure_ascii=False)},\n')
        return (f'{{"version": {LOCK_VERSION},\n{identity}'
                f'"note_types": {section(self.note_types)},\n'
                f'"cards": {section(self.cards)},\n"retired": {section(self.retired)}}}\n')


# a lock has a line of about 300 bytes per card: 256 MiB is some 800,000 cards (a YAML file's
# 16 MiB would stop a deck at about 55,000)
MAX_LOCK_BYTES = 256 * 1024 * 1024


def read_lock(path: Path) -> Lock:
    """Read and validate the lock; a missing lock is an empty one. A lock with git's
    merge-conflict markers is read as its two sides, each validated, then merged (its
    ``conflict`` tells where the first marker stands)."""
    if not path.exists():
        return Lock()
    text = read_text(path, "lock file", MAX_LOCK_BYTES)
    sides = _conflict_sides(path, text)
    if sides is None:
        return _parse(path, text)
    locks: list[Lock] = []
    errors: list[Diagnostic] = []
    for label, side in sides[1:]:
        try:
            locks.append(_parse(path, side, label))
        except DeckgenError as exc:
            errors += [d for d in exc.diagnostics if d not in errors]  # (common lines: once)
    if errors:
        raise DeckgenError(errors)
    merged = merge_locks(*locks)
    merged.conflict = Location(path, sides[0], 1)
    return merged


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _DuplicateKey
    return data


def _parse(path: Path, text: str, side: str | None = None) -> Lock:
    """One lock text (a whole file, or one side of a conflicted one), validated."""
    of_side = f" ({side})" if side else ""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise DeckgenError([Diagnostic(Location(path, *line_col(text, exc.pos)),
                                       f"lock file is not valid JSON{of_side}: {exc.msg}")]) from None
    except _DuplicateKey:
        raise DeckgenError(JsonDocument(path, None, text).duplicates()) from None
    except RecursionError:
        raise DeckgenError([Diagnostic(Location(path, *line_col(text, _too_deep(text))),
                                       "lock file nests too deeply to be a lock file")]) from None
    doc = JsonDocument(path, data, text)
    model, errors = validate(doc, LockFile)
    if model is None:
        raise DeckgenError(errors)
    both = sorted(set(model.cards) & set(model.retired))
    if both and side is None:  # (one side of a conflict may hold both: merge_locks decides)
        raise DeckgenError([Diagnostic(
            doc.key_at(("retired", card_id)),
            f"card '{card_id}' is both in 'cards' (line {doc.key_at(('cards', card_id)).line}) "
            f"and in 'retired'; {_HAND_MERGE}") for card_id in both])

    return Lock({key: LockEntry(e.mod, e.kind, e.front, e.deck, e.hash)
                 for key, e in model.cards.items()},
                {key: LockEntry(e.mod, e.kind, e.front, e.deck, e.hash or "", e.reason or "")
                 for key, e in model.retired.items()},
                {key: LockEntry(e.mod, hash=e.hash) for key, e in model.note_types.items()},
                model.identity, doc=doc)


_HAND_MERGE = ("keep the entry with the greater 'mod', or let 'deckgen build' merge the lock: "
               "while the git merge is under way, 'git checkout --merge deckgen.lock' brings "
               "the conflict back")


def _too_deep(text: str) -> int:
    """Where JSON nesting first goes deeper than any lock does (for the message)."""
    depth = 0
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        if token.group() in "[{":
            depth += 1
            if depth > 16:
                return token.start()
        elif token.group() in "]}":
            depth -= 1
    return 0


# Git's merge-conflict markers (of any size: conflict-marker-size), in the "merge", "diff3"
# and "zdiff3" styles: <<<<<<< ours | ||||||| base | ======= | theirs >>>>>>>
_MARKER = re.compile(r"(<|\||=|>)\1{6,}(?=$|[ \t])")
_LINES = re.compile(r"\r\n|\r|\n")


def _conflict_sides(path: Path, text: str) -> tuple[int, tuple[str, str], tuple[str, str]] | None:
    """None for a lock without conflict markers; else the first marker's line and each side:
    its name (from the markers) and its text, which is the common lines plus its own; every
    other line is left empty, so that line numbers stay those of the file."""
    if not any(marker in text for marker in ("<<<<<<<", "|||||||", "=======", ">>>>>>>")):
        return None
    parts = _LINES.split(text)
    breaks = [*_LINES.findall(text), ""]
    if not any(_MARKER.match(part) for part in parts):
        return None
    ours: list[str] = []
    theirs: list[str] = []
    state, first, opened = "", 0, 0
    names = ["", ""]
    problems: list[Diagnostic] = []

    def problem(number: int, message: str) -> None:
        problems.append(Diagnostic(Location(path, number, 1), message))

    for number, line in enumerate(parts, 1):
        marker = _MARKER.match(line)
        kind = marker.group(1) if marker else ""
        keep_ours = keep_theirs = False
        if kind == "<":
            if state:
                problem(number, "merge conflict marker '<<<<<<<' inside another conflict; "
                        f"the conflict opened at line {opened} has no '>>>>>>>'")
            state, opened, first = "ours", number, first or number
            names[0] = line[marker.end():].strip() if marker else ""
        elif kind == "|":
            if state != "ours":
                problem(number, "merge conflict marker '|||||||' outside a conflict")
            else:
                state = "base"
        elif kind == "=":
            if state not in ("ours", "base"):
                problem(number, "merge conflict marker '=======' outside a conflict")
            else:
                state = "theirs"
        elif kind == ">":
            if state != "theirs":
                problem(number, "merge conflict marker '>>>>>>>' without '=======' before it")
            else:
                state = ""
                names[1] = line[marker.end():].strip() if marker else ""
        else:
            keep_ours, keep_theirs = state in ("", "ours"), state in ("", "theirs")
        ours.append((line if keep_ours else "") + breaks[number - 1])
        theirs.append((line if keep_theirs else "") + breaks[number - 1])
    if state:
        problem(opened, "merge conflict opened here has no '>>>>>>>' to end it")
    if problems:
        raise DeckgenError(problems)
    return (first, (f"side '{names[0] or 'ours'}' of the merge conflict", "".join(ours)),
            (f"side '{names[1] or 'theirs'}' of the merge conflict", "".join(theirs)))


def merge_locks(a: Lock, b: Lock) -> Lock:
    """The two sides of a conflicted lock as one, so that no learner who imported either side's
    release misses an update: per card, the entry with the greater ``mod``; if the other side
    has a different content at the same ``mod`` or later (or retired the card, at the same
    ``mod`` or later, while this side kept it), its hash is dropped, so the next build gives
    the card a ``mod`` newer than both. A card kept on one side and retired on the other stays
    live in the lock: the card files decide whether it is retired. Note types likewise. The
    identities must agree (a side without one takes the other's)."""
    if a.identity is not None and b.identity is not None and a.identity != b.identity:
        where = b.doc.at(("identity",)) if b.doc is not None else Location(Path("deckgen.lock"))
        raise DeckgenError([Diagnostic(
            where, "the two sides of the merge conflict record different identities (name, "
            f"ids, guid namespace): {_identity_text(a.identity)} and "
            f"{_identity_text(b.identity)}; keep the 'identity' line that matches deckgen.yaml")])
    merged = Lock(identity=a.identity or b.identity)
    for kind in sorted(a.note_types.keys() | b.note_types.keys()):
        live = [e for e in (a.note_types.get(kind), b.note_types.get(kind)) if e is not None]
        merged.note_types[kind] = _newest(live, [])
    for card_id in sorted(a.cards.keys() | b.cards.keys() | a.retired.keys() | b.retired.keys()):
        live = [e for e in (a.cards.get(card_id), b.cards.get(card_id)) if e is not None]
        gone = [e for e in (a.retired.get(card_id), b.retired.get(card_id)) if e is not None]
        if live:
            merged.cards[card_id] = _newest(live, gone)
        else:
            merged.retired[card_id] = max(gone, key=lambda e: (e.mod, e.front))
    return merged


def _newest(live: list[LockEntry], gone: list[LockEntry]) -> LockEntry:
    best = max(live, key=lambda e: (e.mod, e.hash))
    if any(e.mod >= best.mod and e.hash != best.hash for e in [*live, *gone] if e is not best):
        # a learner may hold another content at this mod: the next build must go past it
        return LockEntry(max(e.mod for e in [*live, *gone]), best.kind, best.front, best.deck)
    return best


def _identity_text(identity: LockIdentity) -> str:
    ids = identity.note_type_ids
    return (f"'{identity.name}' ({identity.deck_id}, {ids.basic}, {ids.cloze}, "
            f"{identity.guid_namespace})")


# What learners would suffer if a recorded part of the identity changed (measured with the real
# Anki backend, default import options): (key in deckgen.yaml, what happens).
_IDENTITY = (
    (("name",), "every learner's deck would split in two: the cards they have stay in the "
                "old deck, new cards arrive in a new one"),
    (("deck_id",), "Anki finds a deck by its name, so this changes nothing for learners, but "
                   "the ids are pinned for good and a new one usually means that deckgen.yaml "
                   "came from another deck"),
    (("note_type_ids", "basic"), "learners' Anki would skip every update to the basic cards "
                                 "they have and add a second copy of the note type"),
    (("note_type_ids", "cloze"), "learners' Anki would skip every update to the cloze cards "
                                 "they have and add a second copy of the note type"),
    (("guid_namespace",), "learners' Anki would take every card for a new one: each learner "
                          "would have every card twice, the new copies without their review "
                          "history"),
)


def _part(identity: LockIdentity, key: tuple[str, ...]) -> Any:
    value: Any = identity
    for name in key:
        value = getattr(value, name)
    return value


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def identity_problems(old: LockIdentity | None, new: LockIdentity,
                      where: Callable[[tuple[str, ...]], Location]) -> list[Diagnostic]:
    """A located error for each part of the project's identity that differs from the one the
    lock recorded (none if it recorded none)."""
    if old is None:
        return []
    problems = []
    for key, harm in _IDENTITY:
        before, after = _part(old, key), _part(new, key)
        if before != after:
            problems.append(Diagnostic(where(key), f"{': '.join(key)} changed from "
                                       f"{_shown(before)} (recorded in deckgen.lock) to "
                                       f"{_shown(after)}: {harm}; {NEW_IDENTITY_HINT}"))
    return problems


def conflict_problem(lock: Lock, *, locked: bool = False) -> list[Diagnostic]:
    """For ``deckgen check`` and ``deckgen build --locked``: an error if the lock had conflict
    markers (only ``deckgen build`` merges and writes it)."""
    if lock.conflict is None:
        return []
    how = " (without --locked)" if locked else ""
    return [Diagnostic(lock.conflict, f"the lock file has unresolved merge conflicts; run "
                       f"'deckgen build'{how} to merge both sides, then commit deckgen.lock")]


def lock_problems(project: Project) -> list[Diagnostic]:
    """For ``deckgen check``: what ``deckgen build`` would refuse in the lock."""
    try:
        lock = read_lock(project.lock_path)
    except DeckgenError as exc:
        return list(exc.diagnostics)
    return (identity_problems(lock.identity, project.identity, project.where)
            + conflict_problem(lock))


def retired_problems(project: Project, live: Container[str]) -> list[Diagnostic]:
    """For ``deckgen check``: what ``deckgen build`` would refuse in deckgen.yaml's ``retired``,
    given the ids of the cards in the card files (a lock that cannot be read: see
    :func:`lock_problems`)."""
    if not project.config.retired:
        return []
    try:
        lock = read_lock(project.lock_path)
    except DeckgenError:
        return []
    return retired_reason_problems(project.config.retired, live,
                                   lock.cards.keys() | lock.retired.keys(), project.where)


def reuses_retired_id(lock: Lock, spec: NoteSpec) -> bool:
    """Whether the note takes the id of a card ``lock`` retired, being another card (another
    front): an id is never given to a different card. (The same card may come back.)"""
    gone = lock.retired.get(spec.card_id)
    return gone is not None and gone.front != spec.fields[0]


def reused_id_problems(refs: Iterable[CardRef]) -> list[Diagnostic]:
    """An error for each card that :func:`reuses_retired_id`."""
    refs = list(refs)
    return [Diagnostic(where, f"card id '{ref.id}' belonged to a card that was retired; an id "
                              "is never given to a different card: choose a new id")
            for ref, where in zip(refs, locate((ref, "id") for ref in refs), strict=True)]


class JsonDocument(YamlDocument):
    """A JSON file's data with the position of every key and value, found when first asked
    for by scanning the text as JSON: exact for any text ``json.loads`` accepts (libyaml, which
    reads JSON as YAML, refuses some of it: surrogate-pair escapes, keys over 1024 characters)."""

    def _positions(self) -> tuple[dict[Path_, tuple[int, int]], dict[Path_, tuple[int, int]]]:
        if self._marks is None:
            values, keys, _ = _json_marks(self.text)
            self._marks = values, keys
        return self._marks

    def duplicates(self) -> list[Diagnostic]:
        """A located error for each key given twice in one object (not for the keys inside
        the second one's value)."""
        found = _json_marks(self.text)[2]
        twice = {loc for loc, _, _ in found}
        return [Diagnostic(Location(self.path, *second),
                           f"duplicate key '{loc[-1]}' (first given at line {first[0]}, column "
                           f"{first[1]})" + (f"; {_HAND_MERGE}" if len(loc) == 2 else ""))
                for loc, first, second in found
                if not any(loc[:n] in twice for n in range(1, len(loc)))]


_SPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"[^\s,\]}]*")
Mark = tuple[int, int]


def _json_marks(text: str) -> tuple[dict[Path_, Mark], dict[Path_, Mark],
                                    list[tuple[Path_, Mark, Mark]]]:
    """(value positions, key positions, duplicate keys) of a JSON text, without recursion."""
    starts = [0] + [m.end() for m in _LINES.finditer(text)]

    def mark(index: int) -> Mark:
        line = bisect.bisect_right(starts, index)
        return line, index - starts[line - 1] + 1

    values: dict[Path_, Mark] = {}
    keys: dict[Path_, Mark] = {}
    duplicates: list[tuple[Path_, Mark, Mark]] = []
    stack: list[tuple[str, Path_, list[int]]] = []  # (bracket, where, items so far)
    scan: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

    def key(i: int, parent: Path_) -> tuple[int, Path_]:
        name, end = scan(text, i + 1)
        loc = (*parent, name)
        if loc in keys:
            duplicates.append((loc, keys[loc], mark(i)))
        else:
            keys[loc] = mark(i)
        end = _SPACE.match(text, end).end() + 1  # type: ignore[union-attr]  # past ':'
        return _SPACE.match(text, end).end(), loc  # type: ignore[union-attr]

    try:
        loc: Path_ = ()
        i = _SPACE.match(text).end()  # type: ignore[union-attr]
        while True:
            values.setdefault(loc, mark(i))
            char = text[i]
            if char in "{[":
                i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
                if text[i] not in "}]":
                    stack.append((char, loc, [0]))
                    i, loc = key(i, loc) if char == "{" else (i, (*loc, 0))
                    continue
                i += 1
            elif char == '"':
                i = scan(text, i + 1)[1]
            else:
                i = _SCALAR.match(text, i).end()  # type: ignore[union-attr]
            while stack:  # after a value: the next item, or the end of containers
                bracket, parent, count = stack[-1]
                i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
                if text[i] == ",":
                    count[0] += 1
                    i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
                    i, loc = key(i, parent) if bracket == "{" else (i, (*parent, count[0]))
                    break
                stack.pop()
                i += 1
            else:
                break
    except (IndexError, ValueError):  # not JSON: what was found so far
        pass
    return values, keys, duplicates


def _next_mod(previous: LockEntry | None, now: int) -> int:
    return now if previous is None else max(now, previous.mod + 1)


class Stamper:
    """Gives each note its ``mod`` against the old lock, one note at a time, and builds the new
    lock. ``model_mod`` (the note types' ``mod``) is known from the start. ``problems`` are
    reported with :meth:`errors` (a changed identity, say), so that they come with the cards'."""

    def __init__(self, old: Lock, note_type_hashes: dict[str, str], now: int,
                 identity: LockIdentity, retired_deck: str, *,
                 problems: list[Diagnostic] | None = None, record_identity: bool = True,
                 reasons: dict[str, str] | None = None) -> None:
        self.old, self.now, self.retired_deck = old, now, retired_deck
        self.reasons = dict(reasons or {})  # card id to the reason given in deckgen.yaml
        self.namespace = identity.guid_namespace
        self.lock = Lock(identity=identity if record_identity else old.identity)
        self.problems = list(problems or [])
        self.reused: list[CardRef] = []  # cards that took the id of a retired card
        self.overflow: list[CardRef] = []  # cards whose next mod would be past MAX_MOD
        for name, digest in sorted(note_type_hashes.items()):
            previous = old.note_types.get(name)
            mod = previous.mod if previous and previous.hash == digest else _next_mod(previous, now)
            self._check_mod(mod, ("note_types", name))
            self.lock.note_types[name] = LockEntry(mod, hash=digest)
        self.model_mod = max(entry.mod for entry in self.lock.note_types.values())

    @classmethod
    def for_project(cls, project: Project, note_type_hashes: dict[str, str], now: int, *,
                    locked: bool = False, new_identity: bool = False) -> Stamper:
        """The stamper of a build of ``project``: its lock read (a conflicted one merged, unless
        ``locked``), its identity compared with the recorded one (unless ``new_identity``)."""
        old = read_lock(project.lock_path)
        if locked and old.conflict is not None:
            raise DeckgenError(conflict_problem(old, locked=True))
        identity = project.identity
        problems = [] if new_identity else identity_problems(old.identity, identity,
                                                             project.where)
        # a --locked build leaves a lock written before identities were recorded as it is
        return cls(old, note_type_hashes, now, identity,
                   deck_name(project.config.name, RETIRED_SUBDECK), problems=problems,
                   record_identity=not (locked and old.identity is None),
                   reasons=project.config.retired)

    def _check_mod(self, mod: int, loc: Path_) -> None:
        if mod > MAX_MOD:
            where = self.old.doc.key_at(loc) if self.old.doc else Location(Path("deckgen.lock"))
            self.problems.append(Diagnostic(where, f"the next 'mod' would be past 2^43: the "
                                            f"lock holds a time far in the future ({mod - 1})"))

    def stamp(self, spec: NoteSpec, ref: CardRef) -> StampedNote | None:
        """The note with its ``mod``, or None (see :meth:`errors`) if its id was retired."""
        previous = self.old.cards.get(spec.card_id)
        front = spec.fields[0]
        gone = self.old.retired.get(spec.card_id)
        if reuses_retired_id(self.old, spec):
            self.reused.append(ref)
            return None
        if previous is not None and previous.hash == spec.content_hash:
            mod = previous.mod
        else:
            mod = _next_mod(previous or gone, self.now)
            if mod > MAX_MOD:
                self._check_mod(mod, ("cards" if previous else "retired", spec.card_id))
        self.lock.cards[spec.card_id] = LockEntry(mod, spec.kind, front, spec.deck,
                                                  spec.content_hash)
        return StampedNote(spec, mod)

    def errors(self) -> list[Diagnostic]:
        return self.problems + reused_id_problems(self.reused)

    def retire(self) -> list[StampedNote]:
        """Once every note is stamped: the cards that left, as notes without cards (a learner
        who has their cards gets the notice; a newcomer gets no card). A retired note's ``mod``
        moves forward when what it shows changes (its reason, the notice's wording)."""
        stamped = []
        for card_id, entry in [*self.old.retired.items(), *self.old.cards.items()]:
            if card_id in self.lock.cards or card_id in self.lock.retired:
                continue
            reason = self.reasons.get(card_id) or (entry.reason if card_id in self.old.retired
                                                   else "")
            spec = _retired_spec(card_id, entry.kind, entry.front, reason, self.namespace,
                                 self.retired_deck)
            unchanged = card_id in self.old.retired and entry.hash == spec.content_hash
            mod = entry.mod if unchanged else _next_mod(entry, self.now)
            self._check_mod(mod, ("cards", card_id))
            self.lock.retired[card_id] = LockEntry(mod, entry.kind, entry.front, entry.deck,
                                                   spec.content_hash, reason)
            stamped.append(StampedNote(spec, mod, without_cards=True))
        return stamped

    def reason_problems(self, where: Callable[[tuple[str, ...]], Location]) -> list[Diagnostic]:
        """:func:`retired_reason_problems`, once every note is stamped and retired."""
        return retired_reason_problems(self.reasons, self.lock.cards, self.lock.retired, where)


def retired_reason_problems(reasons: Iterable[str], live: Container[str],
                            shipped: Container[str],
                            where: Callable[[tuple[str, ...]], Location]) -> list[Diagnostic]:
    """A located error for each card deckgen.yaml's ``retired`` names that is still in the
    card files (``live``), or that the deck never shipped (not ``live`` nor ``shipped``)."""
    problems = []
    for card_id in reasons:
        if card_id in live:
            problems.append(Diagnostic(where(("retired", card_id)), f"card '{card_id}' is "
                                       "listed in 'retired' but is still in the card files: "
                                       "remove it from its file, or from 'retired'"))
        elif card_id not in shipped:
            problems.append(Diagnostic(where(("retired", card_id)), f"card '{card_id}' is "
                                       "listed in 'retired' but the deck never shipped it "
                                       "(it is not in deckgen.lock)"))
    return problems


def retired_notice(reason: str) -> str:
    """What a retired card says, on its front and its back (HTML)."""
    from .render import escape

    return ('<strong>Withdrawn from the deck.</strong> '
            f'<span class="dg-reason">{escape(reason or DEFAULT_RETIRED_REASON)}</span> '
            'You can suspend or delete this card: the search '
            '<code>tag:deckgen::retired</code> finds every withdrawn card.')


# the media a card's front showed, as the build writes them (deckgen.media): a retired card's
# files are no longer shipped, so its front shows an image's alt text and no sound (left alone,
# the sanitiser would drop the whole <img>, alt text included, and the final step would show
# the sound tag as text)
_HASHED = rf"[0-9a-f]{{{HASH_LENGTH}}}\.[a-z0-9]+"  # a media file's name in the package
_FRONT_IMAGE = re.compile(rf'<img class="dg-media" src="{_HASHED}" alt="([^"<>]*)">')
_FRONT_SOUND = re.compile(rf"\[sound:{_HASHED}\]")


def _retired_spec(card_id: str, kind: str, front: str, reason: str, namespace: str,
                  deck: str) -> NoteSpec:
    from .render import escape, sanitise  # (the lock is input: its text is sanitised again)

    names = BASIC_FIELDS if kind == "basic" else CLOZE_FIELDS
    values = {"Notice": retired_notice(reason), "CardId": escape(card_id)}
    if "dg-media" in front or "[sound:" in front:
        front = _FRONT_SOUND.sub("", _FRONT_IMAGE.sub(r"\1", front))
    # the NoteSpec finalises every field (Anki's own markup), as for any other note
    fields = (sanitise(front), *(values.get(name, "") for name in names[1:]))
    return NoteSpec(card_id, note_guid(namespace, card_id), kind, fields, (RETIRED_TAG,), deck)


def describe_changes(old: Lock, new: Lock) -> list[str]:
    """What a build would change in the lock, one line each (for ``--locked``)."""
    lines = []
    if new.identity != old.identity:
        lines.append("recorded identity (name, ids, guid namespace)")
    for card_id in sorted(new.cards):
        before = old.cards.get(card_id)
        if before is None:
            lines.append(f"new card '{card_id}'")
        elif before.hash != new.cards[card_id].hash:
            lines.append(f"changed card '{card_id}'")
    lines += [f"retired card '{c}'" for c in sorted(new.retired) if c not in old.retired]
    lines += [f"changed retired card '{c}'" for c, e in sorted(new.retired.items())
              if c in old.retired and old.retired[c].hash != e.hash]
    lines += [f"changed note type '{n}'" for n, e in sorted(new.note_types.items())
              if n not in old.note_types or old.note_types[n].hash != e.hash]
    return lines
