"""``deckgen diff``: what a change does to the deck, card by card, between two git revisions.

Both revisions are read as ``deckgen build`` reads them, each with its own inputs: its own
deckgen.yaml (deck name, guid namespace, repository, folders, retired cards' reasons), the card
files the build's walk finds (:func:`deckgen.cards.find_card_files` in the working tree, the
same rule on a revision's tree), its seeds and its media (manifest and bytes); each card file is
loaded and each card made into its note by the build's own :class:`deckgen.notes.NoteMaker`. A
card has changed exactly when its note's content hash (what ``deckgen.lock`` records) has; a
card retired before both revisions, when the reason it shows learners has.

A revision's files are read from git in one pass (``git ls-tree`` for the names and blob ids,
one ``git cat-file --batch`` for the contents); its media files and its lock are read (a second
``cat-file``) only when needed. A card file whose bytes are the same in both revisions makes the
same notes when deckgen.yaml's deck name, namespace and repository, the seeds, and (for a file
that may show media) the media are the same too, so only the other files are loaded: a one-file
change to a big deck loads one file twice.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from .cards import (
    CardRef,
    ResolvedCard,
    card_refs,
    deck_collisions,
    duplicate_ids,
    find_card_files,
    is_card_file_name,
)
from .difftext import markdown_code, markdown_text, visible
from .errors import DeckgenError, Diagnostic, Location
from .evidence import BY_ID
from .lock import (
    DEFAULT_RETIRED_REASON,
    Lock,
    read_lock,
    retired_notice,
    reused_id_problems,
    reuses_retired_id,
)
from .media import MANIFEST, Media, load_media
from .notes import NoteMaker, NoteSpec, deck_name
from .project import PROJECT_FILE, Project, read_config
from .render import finalise
from .schema import ID_CHARACTERS, ID_ESCAPE, ProjectFile
from .seeds import SeedText, load_seeds
from .worddiff import word_diff
from .yamlsource import top_level_text

# the keys a card is shown by, in this order (what a learner sees, in the author's words)
__all__ = ["DeckDiff", "diff_revisions", "render", "word_diff"]

FIELDS = ("question", "answer", "cloze", "extra", "media", "evidence", "caveat", "source", "quote",
          "tags", "deck")

View = dict[str, str]
LOCK_FILE = "deckgen.lock"


@dataclass
class DeckDiff:
    added: dict[str, View] = field(default_factory=dict)  # id: what the new card shows
    changed: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)


def _run_git(root: Path, *args: str, stdin: bytes | None = None
             ) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, input=stdin,
                              check=False)
    except OSError as exc:
        raise DeckgenError([Diagnostic(Location(None), f"cannot run git: {exc.strerror or exc}")
                            ]) from None


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    run = _run_git(root, *args, stdin=stdin)
    if run.returncode != 0:  # git's one-line reason, not the usage text that may follow it
        stderr = run.stderr.decode("utf-8", "replace")
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        reason = next((line for line in lines if line.startswith(("fatal:", "error:"))),
                      lines[0] if lines else "failed")
        raise DeckgenError([Diagnostic(Location(None), f"git {args[0]}: {reason}")])
    return run.stdout


def check_revision(root: Path, which: str, rev: str) -> None:
    """A one-line error unless ``rev`` names a commit (and it is never read as an option)."""
    _git(root, "rev-parse", "--git-dir")  # not a repository: git's own message
    if rev.startswith("-") or _run_git(
        root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"
    ).returncode != 0:
        raise DeckgenError([Diagnostic(Location(None), f"{which} '{rev}' is not a commit in "
                                       "this repository")])


@dataclass
class _Tree:
    """A revision's inputs (``rev`` None: the working tree), by path relative to the project
    root: its own deckgen.yaml (None: it has none, so it has no deck), its card and seed files
    as bytes, and each file of its media folder as a git blob id (the bytes are read only when
    a card to load may show media); ``lock``: its deckgen.lock's blob id (None: it has none)."""

    rev: str | None
    config: ProjectFile | None
    cards: dict[str, bytes]
    seeds: dict[str, bytes]
    media: dict[str, str] = field(default_factory=dict)
    lock: str | None = None
    errors: list[Diagnostic] = field(default_factory=list)


def _rel(project: Project, path: Path) -> str:
    return Path(os.path.relpath(path, project.root)).as_posix()


def _folder(path: str) -> str:
    return PurePosixPath(os.path.normpath(path)).as_posix()


def _blob_id(data: bytes) -> str:
    """What git names ``data`` by (a blob's id)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _working_tree(project: Project) -> _Tree:
    cards = {_rel(project, p): p.read_bytes() for p in find_card_files(project.cards_dir)}
    seeds: dict[str, bytes] = {}
    for folder, _, names in os.walk(project.seeds_dir):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                seeds[_rel(project, path)] = path.read_bytes()
    media: dict[str, str] = {}
    for folder, dirs, names in os.walk(project.media_dir):
        for name in [*names, *(d for d in dirs if (Path(folder) / d).is_symlink())]:
            path = Path(folder) / name
            if path.is_symlink():
                media[_rel(project, path)] = "link:" + _blob_id(os.fsencode(os.readlink(path)))
            elif path.is_file():
                media[_rel(project, path)] = _blob_id(path.read_bytes())
    lock = (_blob_id(project.lock_path.read_bytes()) if project.lock_path.is_file()
            else None)
    return _Tree(None, project.config, cards, seeds, media, lock)


def _folders(config: ProjectFile) -> tuple[str, str, str]:
    return _folder(config.cards), _folder(config.seeds), _folder(config.media)


def _revision(project: Project, rev: str, scratch: Path) -> _Tree:
    """The inputs of ``rev``: names from one ``git ls-tree``, the contents of its deckgen.yaml,
    card and seed files from one ``git cat-file --batch`` (a second pass of each only when its
    deckgen.yaml names other folders than the working tree's)."""
    folders = _folders(project.config)
    tree = _listed(project, rev, folders, scratch)
    if tree.config is not None and _folders(tree.config) != folders:
        tree = _listed(project, rev, _folders(tree.config), scratch)
    return tree


def _listed(project: Project, rev: str, folders: tuple[str, str, str], scratch: Path) -> _Tree:
    cards_dir, seeds_dir, media_dir = folders
    listing = _git(project.root, "ls-tree", "-r", "-z", rev, "--", PROJECT_FILE, LOCK_FILE,
                   cards_dir, seeds_dir, media_dir)
    wanted: dict[str, tuple[str, str]] = {}  # path: (blob, "cards", "seeds" or "config")
    tree = _Tree(rev, None, {}, {})
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind != "blob":  # a submodule: no files of this repository
            continue
        if path == LOCK_FILE:
            tree.lock = blob
        if path == PROJECT_FILE:
            wanted[path] = (blob, "config")
        in_cards = PurePosixPath(path).is_relative_to(cards_dir)
        if in_cards and is_card_file_name(path):
            if mode == "120000":  # a symbolic link: the build reads no card file through one
                tree.errors.append(Diagnostic(Location(Path(_in_revision(project.root, rev, path))),
                                              "card file is a "
                                              "symbolic link: deckgen does not follow links in "
                                              "the cards folder; put the file itself here"))
            else:
                wanted[path] = (blob, "cards")
        elif not in_cards and PurePosixPath(path).is_relative_to(seeds_dir):
            if mode != "120000":  # (the build reads no seed through a link either)
                wanted[path] = (blob, "seeds")
        elif PurePosixPath(path).is_relative_to(media_dir):
            tree.media[path] = ("link:" if mode == "120000" else "") + blob
    contents = _cat_blobs(project.root, [blob for blob, _ in wanted.values()])
    config = next((contents[blob] for blob, part in wanted.values() if part == "config"), None)
    if config is None:  # no deckgen.yaml: no deck in this revision
        return _Tree(rev, None, {}, {}, lock=tree.lock)
    (scratch / PROJECT_FILE).parent.mkdir(parents=True, exist_ok=True)
    (scratch / PROJECT_FILE).write_bytes(config)
    try:
        tree.config = read_config(scratch)
    except DeckgenError as exc:
        raise DeckgenError(_relocated(exc.diagnostics, project.root, scratch, rev)) from None
    for path, (blob, part) in wanted.items():
        if part != "config":
            getattr(tree, part)[path] = contents[blob]
    return tree


def _cat_blobs(root: Path, blobs: Iterable[str]) -> dict[str, bytes]:
    unique = list(dict.fromkeys(blobs))
    if not unique:
        return {}
    out = _git(root, "cat-file", "--batch", stdin="".join(b + "\n" for b in unique).encode())
    found: dict[str, bytes] = {}
    at = 0
    for blob in unique:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        found[blob] = out[header_end + 1:header_end + 1 + size]
        at = header_end + 1 + size + 1
    return found


def _may_show_media(data: bytes) -> bool:
    """Whether a card file's text may show media, or hold what the media checks refuse (a
    noncharacter U+FDD3-U+FDD7, UTF-8 ``EF B7 93``-``97``): no card in a file without ``![``,
    a backslash (YAML's escapes) or those bytes consults the media, so the media need not be
    read for it (a file with them: read to be sure)."""
    return b"![" in data or b"\\" in data or b"\xef\xb7" in data


# the bytes an id is made of (ID_CHARACTERS); every other byte is a space
_ID_BYTES = bytes(c if chr(c) in ID_CHARACTERS else 32 for c in range(256))
_ID_ESCAPE = re.compile(ID_ESCAPE.pattern.encode())  # (for bytes)


def _may_clash(data: bytes, decks: list[str]) -> bool:
    """Whether a card file's subdeck may differ only in case from one of ``decks`` (or have a
    parent that does; see :meth:`_Side._across`)."""
    if not decks:
        return False
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return True  # (the loader says what is wrong with it)
    if "\\" not in text:
        folded = text.casefold()
        if not any(deck.split("::")[0].split()[0].casefold() in folded for deck in decks):
            return False
    certain, deck = top_level_text(text, "deck")
    return not certain or (deck is not None and any(_clash(deck, d) for d in decks))


def _clash(a: str, b: str) -> bool:
    """Whether decks ``a`` and ``b`` (or parents of theirs) differ only in case."""
    parts_a, parts_b = a.split("::"), b.split("::")
    for n in range(1, min(len(parts_a), len(parts_b)) + 1):
        x, y = "::".join(parts_a[:n]), "::".join(parts_b[:n])
        if x.casefold() != y.casefold():
            return False
        if x != y:
            return True
    return False


def _may_hold(data: bytes, ids: set[bytes]) -> bool:
    """Whether a card file's (or the lock's) text may hold one of ``ids`` (see
    :meth:`_Side._across`): as a whole run of id characters, or through an escape."""
    return not ids.isdisjoint(data.translate(_ID_BYTES).split()) or bool(
        _ID_ESCAPE.search(data))


@dataclass
class _Card:
    view: View
    content_hash: str


class _Side:
    """One revision's notes, made as the build makes them (:class:`deckgen.notes.NoteMaker`)
    with the revision's own deckgen.yaml, seeds and media. A revision's files are written to
    ``scratch`` first (only those needed) and its messages located in ``REV:path``."""

    def __init__(self, project: Project, tree: _Tree, scratch: Path) -> None:
        self.project, self.tree, self.scratch = project, tree, scratch
        self.seeds: dict[str, SeedText] | None = None
        self.media: Media | None = None
        self._lock: bytes | None = None

    def _path(self, rel: str) -> Path:
        return (self.project.root if self.tree.rev is None else self.scratch) / rel

    def _write(self, files: Iterable[tuple[str, bytes]]) -> None:
        for rel, data in files:
            path = self.scratch / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def _seeds(self, config: ProjectFile) -> dict[str, SeedText]:
        if self.seeds is None:
            if self.tree.rev is None:
                self.seeds = load_seeds(self.project.seeds_dir)
            else:
                self._write(self.tree.seeds.items())
                folder = self.scratch / config.seeds
                folder.mkdir(parents=True, exist_ok=True)
                self.seeds = load_seeds(folder)
        return self.seeds

    def _media(self, config: ProjectFile) -> Media:
        """The revision's media, read and checked as the build does (on the first call)."""
        if self.media is None:
            if self.tree.rev is None:
                self.media = load_media(self.project.media_dir)
            else:
                files = {path: blob.removeprefix("link:") for path, blob in self.tree.media.items()}
                contents = _cat_blobs(self.project.root, files.values())
                for path, blob in files.items():
                    target = self.scratch / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if self.tree.media[path].startswith("link:"):  # (reported, never followed)
                        target.symlink_to(os.fsdecode(contents[blob]))
                    else:
                        target.write_bytes(contents[blob])
                self.media = load_media(self.scratch / config.media)
        return self.media

    def cards(self, paths: list[str], proposed: bool = False) -> dict[str, _Card]:
        """The cards of the card files ``paths``; raise every error found (with the media's,
        when they were read). ``proposed``: this is the revision a change proposes, so what
        the build refuses across the deck is refused too, as far as these files are concerned
        (see :meth:`_across`)."""
        config = self.tree.config
        if config is None or not paths:
            return {}
        errors = list(self.tree.errors)
        cards: dict[str, _Card] = {}
        refs: list[CardRef] = []
        subdecks: list[tuple[str, CardRef]] = []  # each file's subdeck, with its first card
        notes: list[tuple[NoteSpec, CardRef]] = []
        try:
            if any(_may_show_media(self.tree.cards[p]) for p in paths):
                media = self._media(config)
                errors += media.errors
            else:  # (no card here consults the media: the same notes without reading them)
                folder = self._path(config.media)
                media = Media(folder, folder / MANIFEST)
            maker = NoteMaker.of(config, self._seeds(config), media)
            if self.tree.rev is not None:
                self._write((p, self.tree.cards[p]) for p in paths)
            for rel in paths:
                loaded = maker.load(self._path(rel))
                errors += loaded.errors
                refs += loaded.refs
                if loaded.deck and loaded.refs:
                    subdecks.append((loaded.deck, loaded.refs[0]))
                for rc in loaded.cards:
                    note = maker.note(rc)
                    notes.append((note, rc.ref))
                    cards.setdefault(rc.card.id, _Card(_view(rc, note, media),
                                                       note.content_hash))
            if proposed:
                errors += self._across(paths, refs, notes, subdecks)
            if errors:
                raise DeckgenError(errors)
        except DeckgenError as exc:
            if self.tree.rev is None:
                raise
            raise DeckgenError(_relocated(exc.diagnostics, self.project.root, self.scratch,
                                          self.tree.rev)) from None
        return cards

    def _across(self, paths: list[str], refs: list[CardRef],
                notes: list[tuple[NoteSpec, CardRef]],
                subdecks: list[tuple[str, CardRef]]) -> list[Diagnostic]:
        """What the build refuses across the deck in the cards of ``paths`` (with ``refs``,
        every card of theirs the schema accepted, and the ``notes`` made of them): an id that
        another card has (in these files or in any other of the revision, as
        :func:`deckgen.cards.duplicate_ids` reports it), and an id that the revision's lock
        says a retired card had, given to another card (as the build's stamping refuses it).

        Only the files that changed are loaded (that is what keeps diff fast), yet every
        other card file's text is at hand (read whole from git or from disk). A card's id is
        lowercase letters, digits and '-' (``ID_RE``), and deckgen's loader keeps every scalar
        as typed (no aliases, no numbers read as numbers), so a card whose id is I stands in
        its file's text as I itself, a maximal run of those characters (a plain, quoted or
        block scalar is bounded by characters that cannot be in an id) -- unless it is a
        double-quoted scalar written with an escape that makes an id's character (``\\x``,
        ``\\u``, ``\\U``) or joins two lines (a backslash before the line break); no other
        escape makes a character an id can hold. So the only other files that can share an id
        with these are those whose text holds one of their ids as such a run, or holds such an
        escape: only they are loaded (:func:`deckgen.cards.card_refs`, the schema without the
        seeds), and the check is exact. The runs are found with one ``bytes.translate`` and
        ``split`` per file (about 70 ms for 4 MB of cards, measured; a substring search per id
        took 1.9 s). The lock is read only when its retired cards' part holds one of the ids
        (or an escape). (An error only between files the change does not touch, two of them
        with one id, is in the base revision too: ``deckgen check``'s to report, not diff's.)

        Decks the same way (``subdecks``: each of these files' subdeck with its first card): a
        deck that differs only in case from another file's, or whose parent does, clashes at
        its first part, so the other file's text holds that part's first word in some case
        (folding a long scalar over lines only puts line breaks between words) unless an
        escape spells it; of such files, only those whose top-level ``deck`` (read from the
        parser's events as far as it: :func:`deckgen.yamlsource.top_level_text`) may clash
        are loaded, and :func:`deckgen.cards.deck_collisions` says what the build says."""
        ids = {ref.id.encode() for ref in refs}
        if not ids:
            return []
        loading = set(paths)
        decks = [sub for sub, _ in subdecks]
        suspects = [p for p, data in self.tree.cards.items()
                    if p not in loading and (_may_hold(data, ids) or _may_clash(data, decks))]
        if self.tree.rev is not None:
            self._write((p, self.tree.cards[p]) for p in suspects)
        for rel in suspects:
            subdeck, found = card_refs(self._path(rel))
            refs = refs + found
            if subdeck and found:
                subdecks = [*subdecks, (subdeck, found[0])]
        order = {p: i for i, p in enumerate(sorted(self.tree.cards))}  # the build's file order
        by_path = {self._path(p): order[p] for p in self.tree.cards}
        problems = duplicate_ids(sorted(refs, key=lambda r: (by_path[r.path], r.index)))
        root = self.tree.config.name if self.tree.config is not None else ""
        problems += deck_collisions(
            (deck_name(root, subdeck), ref)
            for subdeck, ref in sorted(subdecks, key=lambda d: (by_path[d[1].path], d[1].index)))
        data = self.lock_data()
        retired = data if b"<<<<<<<" in data else _retired_part(data)  # (a conflict: all)
        if notes and _may_hold(retired, ids):
            try:
                lock = self._read_lock()
            except DeckgenError as exc:  # (what the build says of it)
                return problems + exc.diagnostics
            problems += reused_id_problems(ref for note, ref in notes
                                           if reuses_retired_id(lock, note))
        return problems

    def lock_data(self) -> bytes:
        """The revision's deckgen.lock (empty: it has none)."""
        if self._lock is None:
            if self.tree.lock is None:
                self._lock = b""
            elif self.tree.rev is None:
                self._lock = self.project.lock_path.read_bytes()
            else:
                self._lock = _cat_blobs(self.project.root, [self.tree.lock])[self.tree.lock]
        return self._lock

    def reasons(self) -> dict[str, str]:
        """The reason each card its lock records as retired gives learners as this revision
        builds it: deckgen.yaml's, or else the one the lock kept (see ``Stamper.retire``)."""
        config = self.tree.config
        if config is None:
            return {}
        if not self.lock_data():
            return {}
        try:
            lock = self._read_lock()
        except DeckgenError as exc:
            if self.tree.rev is None:
                raise
            raise DeckgenError(_relocated(exc.diagnostics, self.project.root, self.scratch,
                                          self.tree.rev)) from None
        return {card_id: config.retired.get(card_id) or entry.reason
                for card_id, entry in lock.retired.items()}

    def _read_lock(self) -> Lock:
        """The revision's deckgen.lock, read as the build reads it (messages about a
        revision's copy: see :func:`_relocated`)."""
        path = self.project.lock_path
        if self.tree.rev is not None:
            self._write([(LOCK_FILE, self.lock_data())])
            path = self.scratch / LOCK_FILE
        return read_lock(path)


def _retired_part(lock: bytes) -> bytes:
    """The part of a lock with the retired cards (as deckgen writes it, its end; else all)."""
    at = lock.rfind(b'\n"retired": ')
    return lock if at < 0 else lock[at:]


def _in_revision(root: Path, rev: str, rel: str) -> str:
    """``REV:path`` as git names a file of a revision (``git show REV:path``): the path from
    the top of the repository, which is the project's own folder or one above it. (Only
    messages need it: the folder is asked of git only then.)"""
    prefix = _git(root, "rev-parse", "--show-prefix").decode("utf-8", "surrogateescape").strip()
    return f"{rev}:{prefix}{rel}"


def _relocated(diagnostics: Iterable[Diagnostic], root: Path, scratch: Path,
               rev: str) -> list[Diagnostic]:
    """Diagnostics about scratch copies, located in the revision (``REV:path:line:col``), and
    so are the scratch copies that their messages name (``first used at …``)."""
    diagnostics = list(diagnostics)
    if not any(d.location.path is not None and d.location.path.is_relative_to(scratch)
               for d in diagnostics):
        return diagnostics
    shown = _in_revision(root, rev, "")
    out = []
    for d in diagnostics:
        path = d.location.path
        if path is not None and path.is_relative_to(scratch):
            at = Path(shown + path.relative_to(scratch).as_posix())
            d = replace(d, location=replace(d.location, path=at),
                        message=d.message.replace(scratch.as_posix() + "/", shown))
        out.append(d)
    return out


def _view(rc: ResolvedCard, note: NoteSpec, media: Media) -> View:
    """What a card shows, in the author's words (the note's own fields are HTML); each media
    file with the start of its content's hash (its name in the package) and its credit."""
    card, meta = rc.card, rc.seed.seed
    source = " · ".join(v for v in (meta.title, meta.author, meta.publisher, meta.url) if v)
    files = {f.name: f for f in media.files.values()} if note.media else {}
    shown = [files[name] for name in note.media if name in files]
    tags, deck = note.tags, note.deck
    return {
        "media": ", ".join(f"{f.file} [{f.name[:8]}] ({media.credits[f.file]})" for f in shown),
        "question": card.question or "",
        "answer": card.answer or "",
        "cloze": card.cloze or "",
        "extra": card.extra or "",
        "evidence": card.evidence,
        "caveat": card.caveat or BY_ID[card.evidence].default_caveat,
        "source": f"{meta.id}: {source}",
        "quote": " / ".join(f"{p.text} (line {p.line})" for p in rc.passages),
        "tags": ", ".join(tags),
        "deck": deck,
    }


def _note_inputs(config: ProjectFile | None) -> tuple[str, str, str | None] | None:
    """What of deckgen.yaml every note is made with (the deck name, guid namespace and
    repository: see :meth:`NoteMaker.of`)."""
    return None if config is None else (config.name, config.guid_namespace, config.repository)


def _notice(reason: str) -> str:
    return finalise(retired_notice(reason))


def diff_revisions(project: Project, base: str, head: str | None) -> DeckDiff:
    """The cards added, changed and retired from ``base`` to ``head`` (None: the working tree)."""
    root = project.root
    check_revision(root, "BASE", base)
    if head is not None:
        check_revision(root, "HEAD", head)
    with tempfile.TemporaryDirectory(prefix="deckgen-diff-") as tmp:
        scratch_after, scratch_before = Path(tmp) / "head", Path(tmp) / "base"
        after = (_working_tree(project) if head is None
                 else _revision(project, head, scratch_after))
        before = _revision(project, base, scratch_before)
        if after.errors or before.errors:
            raise DeckgenError(after.errors + before.errors)
        same_seeds = before.seeds == after.seeds
        same_notes = same_seeds and _note_inputs(before.config) == _note_inputs(after.config)
        same_media = before.media == after.media

        def differs(path: str) -> bool:  # (else the file makes the same notes in both)
            old, new = before.cards.get(path), after.cards.get(path)
            return old != new or not same_notes or (
                not same_media and old is not None and _may_show_media(old))

        paths = [p for p in sorted(set(before.cards) | set(after.cards)) if differs(p)]
        new_side, old_side = _Side(project, after, scratch_after), _Side(project, before,
                                                                          scratch_before)
        new = new_side.cards([p for p in paths if p in after.cards], proposed=True)
        if same_seeds:  # (read once)
            old_side.seeds = new_side.seeds
        if same_media and before.config and after.config and (
                _folder(before.config.media) == _folder(after.config.media)):
            old_side.media = new_side.media
        old = old_side.cards([p for p in paths if p in before.cards])
        result = DeckDiff()
        for card_id in sorted(new):
            if card_id not in old:
                result.added[card_id] = new[card_id].view
            elif new[card_id].content_hash != old[card_id].content_hash:
                a, b = old[card_id].view, new[card_id].view
                result.changed[card_id] = [(k, a[k], b[k]) for k in FIELDS if a[k] != b[k]] or [
                    ("rendering", "", "changed")]
        result.retired = sorted(set(old) - set(new))
        if before.config and after.config and (
                before.config.retired != after.config.retired or (
                    before.lock != after.lock and _retired_part(old_side.lock_data())
                    != _retired_part(new_side.lock_data()))):
            # a card retired before either revision shows learners its reason, which one of
            # them changed (deckgen.yaml's, or the one its lock kept)
            was, now = old_side.reasons(), new_side.reasons()
            for card_id in sorted((was.keys() & now.keys()) - new.keys()):
                if _notice(was[card_id]) != _notice(now[card_id]):
                    result.changed[card_id] = [("reason",
                                                was[card_id] or DEFAULT_RETIRED_REASON,
                                                now[card_id] or DEFAULT_RETIRED_REASON)]
            result.changed = dict(sorted(result.changed.items()))
    return result


def render(diff: DeckDiff, markdown: bool) -> str:
    """The diff for the terminal, or in GitHub-flavoured Markdown for a pull-request comment
    (the cards' words escaped, see :func:`deckgen.difftext.markdown_text`); in both, the
    characters that show nothing are written as escapes (:func:`deckgen.difftext.visible`)."""
    escape = markdown_text if markdown else None

    def shown(text: str) -> str:
        return markdown_text(visible(text)) if markdown else visible(text)

    if not (diff.added or diff.changed or diff.retired):
        return "No card changes.\n"
    counts = (f"{len(diff.added)} added, {len(diff.changed)} changed, "
              f"{len(diff.retired)} retired")
    lines = ["### Deck changes", "", counts, ""] if markdown else [counts]
    if diff.added:
        lines.append("**Added**" if markdown else "Added:")
        for card_id, view in diff.added.items():
            lines.append(f"- {markdown_code(card_id)}" if markdown else f"  + {card_id}")
            for key in FIELDS:
                if view.get(key):
                    lines.append(f"  - {key}: {shown(view[key])}" if markdown
                                 else f"      {key}: {shown(view[key])}")
        if markdown:
            lines.append("")
    if diff.retired:
        if markdown:
            lines += ["**Retired**", *(f"- {markdown_code(i)}" for i in diff.retired), ""]
        else:
            lines += ["Retired:", *(f"  - {i}" for i in diff.retired)]
    if diff.changed:
        lines.append("**Changed**" if markdown else "Changed:")
        for card_id, changes in diff.changed.items():
            lines.append(f"- {markdown_code(card_id)}" if markdown else f"  ~ {card_id}")
            for key, old, new in changes:
                text = word_diff(visible(old), visible(new), markdown, escape)
                lines.append(f"  - {key}: {text}" if markdown else f"      {key}: {text}")
    return "\n".join(lines).rstrip("\n") + "\n"
