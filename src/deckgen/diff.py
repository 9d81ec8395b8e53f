"""``deckgen diff``: what a change does to the deck, card by card, between two git revisions.

Both revisions are read as ``deckgen build`` reads them: the card files the build's walk finds
(:func:`deckgen.cards.find_card_files` in the working tree, the same rule on a revision's tree),
each loaded, validated and resolved against the seeds of its revision by the build's own
:func:`deckgen.cards.load_file`, and each card made into the note the build would write. A card
has changed exactly when its note's content hash (what ``deckgen.lock`` records) has.

A revision's files are read from git in one pass (``git ls-tree`` for the names and blob ids,
one ``git cat-file --batch`` for the contents). A card file whose bytes are the same in both
revisions makes the same notes (when the seeds are the same too), so only the files that differ
are loaded: a one-file change to a big deck loads one file twice.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from .cards import ResolvedCard, find_card_files, is_card_file_name, load_file
from .errors import DeckgenError, Diagnostic, Location
from .evidence import BY_ID
from .notes import build_note
from .project import Project
from .seeds import SeedText, load_seeds
from .worddiff import word_diff

# the keys a card is shown by, in this order (what a learner sees, in the author's words)
__all__ = ["DeckDiff", "diff_revisions", "render", "word_diff"]

FIELDS = ("question", "answer", "cloze", "extra", "evidence", "caveat", "source", "quote",
          "tags", "deck")

View = dict[str, str]


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
        raise DeckgenError([Diagnostic(Location(root), f"cannot run git: {exc.strerror or exc}")
                            ]) from None


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    run = _run_git(root, *args, stdin=stdin)
    if run.returncode != 0:  # git's one-line reason, not the usage text that may follow it
        stderr = run.stderr.decode("utf-8", "replace")
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        reason = next((line for line in lines if line.startswith(("fatal:", "error:"))),
                      lines[0] if lines else "failed")
        raise DeckgenError([Diagnostic(Location(root), f"git {args[0]}: {reason}")])
    return run.stdout


def check_revision(root: Path, which: str, rev: str) -> None:
    """A one-line error unless ``rev`` names a commit (and it is never read as an option)."""
    _git(root, "rev-parse", "--git-dir")  # not a repository: git's own message
    if rev.startswith("-") or _run_git(
        root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"
    ).returncode != 0:
        raise DeckgenError([Diagnostic(Location(root), f"{which} '{rev}' is not a commit in "
                                       "this repository")])


@dataclass
class _Tree:
    """A revision's card files and seed folder, as bytes by path relative to the project root
    (``rev`` None: the working tree, whose seeds are read where they are)."""

    rev: str | None
    cards: dict[str, bytes]
    seeds: dict[str, bytes]
    errors: list[Diagnostic] = field(default_factory=list)


def _rel(project: Project, path: Path) -> str:
    return Path(os.path.relpath(path, project.root)).as_posix()


def _working_tree(project: Project) -> _Tree:
    cards = {_rel(project, p): p.read_bytes() for p in find_card_files(project.cards_dir)}
    seeds: dict[str, bytes] = {}
    for folder, _, names in os.walk(project.seeds_dir):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                seeds[_rel(project, path)] = path.read_bytes()
    return _Tree(None, cards, seeds)


def _revision(project: Project, rev: str) -> _Tree:
    """The card files and seed files of ``rev``: names from one ``git ls-tree``, contents from
    one ``git cat-file --batch``."""
    cards_dir, seeds_dir = _rel(project, project.cards_dir), _rel(project, project.seeds_dir)
    listing = _git(project.root, "ls-tree", "-r", "-z", rev, "--", cards_dir, seeds_dir)
    wanted: dict[str, tuple[str, str]] = {}  # path: (blob, "cards" or "seeds")
    errors = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        in_cards = PurePosixPath(path).is_relative_to(cards_dir)
        if in_cards and not is_card_file_name(path):
            continue
        if kind != "blob":  # a submodule: no files of this repository
            continue
        if mode == "120000":  # a symbolic link: the build reads neither kind of file through one
            if in_cards:
                errors.append(Diagnostic(Location(Path(f"{rev}:{path}")), "card file is a "
                                         "symbolic link: deckgen does not follow links in the "
                                         "cards folder; put the file itself here"))
            continue
        wanted[path] = (blob, "cards" if in_cards else "seeds")
    contents = _cat_blobs(project.root, [blob for blob, _ in wanted.values()])
    tree = _Tree(rev, {}, {}, errors)
    for path, (blob, part) in wanted.items():
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


@dataclass
class _Card:
    view: View
    content_hash: str


def _load(project: Project, tree: _Tree, paths: list[str],
          seeds: dict[str, SeedText] | None) -> tuple[dict[str, _Card], dict[str, SeedText]]:
    """The cards of ``paths`` in ``tree``, loaded by the build's own loader against ``seeds``
    (the tree's own seeds when None); raise every error found, located in ``REV:path``."""
    if tree.rev is None:
        if seeds is None:
            seeds = load_seeds(project.seeds_dir)
        return _cards(project, [(project.root / p, p) for p in paths], seeds, tree.errors), seeds
    with tempfile.TemporaryDirectory(prefix="deckgen-diff-") as tmp:
        scratch = Path(tmp)
        for rel, data in [*(tree.seeds.items() if seeds is None else ()),
                          *((p, tree.cards[p]) for p in paths)]:
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            (scratch / rel).write_bytes(data)
        try:
            if seeds is None:
                seeds_dir = scratch / _rel(project, project.seeds_dir)
                seeds_dir.mkdir(parents=True, exist_ok=True)
                seeds = load_seeds(seeds_dir)
            cards = _cards(project, [(scratch / p, p) for p in paths], seeds, tree.errors)
        except DeckgenError as exc:
            raise DeckgenError(_relocated(exc.diagnostics, scratch, tree.rev)) from None
        return cards, seeds


def _relocated(diagnostics: Iterable[Diagnostic], scratch: Path, rev: str) -> list[Diagnostic]:
    """Diagnostics about scratch copies, located in the revision (``REV:path:line:col``)."""
    out = []
    for d in diagnostics:
        path = d.location.path
        if path.is_relative_to(scratch):
            shown = Path(f"{rev}:{path.relative_to(scratch).as_posix()}")
            d = replace(d, location=replace(d.location, path=shown))
        out.append(d)
    return out


def _cards(project: Project, files: list[tuple[Path, str]], seeds: dict[str, SeedText],
           errors: list[Diagnostic]) -> dict[str, _Card]:
    cards: dict[str, _Card] = {}
    config = project.config
    for path, _ in files:
        loaded = load_file(path, seeds)
        errors += loaded.errors
        for rc in loaded.cards:
            note = build_note(rc, config.name, config.guid_namespace)
            cards.setdefault(rc.card.id, _Card(_view(rc, note.tags, note.deck),
                                               note.content_hash))
    if errors:
        raise DeckgenError(errors)
    return cards


def _view(rc: ResolvedCard, tags: tuple[str, ...], deck: str) -> View:
    """What a card shows, in the author's words (the note's own fields are HTML)."""
    card, meta = rc.card, rc.seed.seed
    source = " · ".join(v for v in (meta.title, meta.author, meta.publisher, meta.url) if v)
    return {
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


def diff_revisions(project: Project, base: str, head: str | None) -> DeckDiff:
    """The cards added, changed and retired from ``base`` to ``head`` (None: the working tree)."""
    root = project.root
    check_revision(root, "BASE", base)
    if head is not None:
        check_revision(root, "HEAD", head)
    after = _working_tree(project) if head is None else _revision(project, head)
    before = _revision(project, base)
    if after.errors or before.errors:
        raise DeckgenError(after.errors + before.errors)
    same_seeds = before.seeds == after.seeds
    paths = sorted(set(before.cards) | set(after.cards))
    if same_seeds:  # an unchanged file makes the same notes: only the others are loaded
        paths = [p for p in paths if before.cards.get(p) != after.cards.get(p)]
    new, seeds = _load(project, after, [p for p in paths if p in after.cards], None)
    old, _ = _load(project, before, [p for p in paths if p in before.cards],
                   seeds if same_seeds else None)
    result = DeckDiff()
    for card_id in sorted(new):
        if card_id not in old:
            result.added[card_id] = new[card_id].view
        elif new[card_id].content_hash != old[card_id].content_hash:
            a, b = old[card_id].view, new[card_id].view
            result.changed[card_id] = [(k, a[k], b[k]) for k in FIELDS if a[k] != b[k]] or [
                ("rendering", "", "changed")]
    result.retired = sorted(set(old) - set(new))
    return result


def render(diff: DeckDiff, markdown: bool) -> str:
    if not (diff.added or diff.changed or diff.retired):
        return "No card changes.\n"
    counts = (f"{len(diff.added)} added, {len(diff.changed)} changed, "
              f"{len(diff.retired)} retired")
    lines = ["### Deck changes", "", counts, ""] if markdown else [counts]
    if diff.added:
        lines.append("**Added**" if markdown else "Added:")
        for card_id, view in diff.added.items():
            lines.append(f"- `{card_id}`" if markdown else f"  + {card_id}")
            for key in FIELDS:
                if view.get(key):
                    lines.append(f"  - {key}: {view[key]}" if markdown
                                 else f"      {key}: {view[key]}")
        if markdown:
            lines.append("")
    if diff.retired:
        if markdown:
            lines += ["**Retired**", *(f"- `{i}`" for i in diff.retired), ""]
        else:
            lines += ["Retired:", *(f"  - {i}" for i in diff.retired)]
    if diff.changed:
        lines.append("**Changed**" if markdown else "Changed:")
        for card_id, changes in diff.changed.items():
            lines.append(f"- `{card_id}`" if markdown else f"  ~ {card_id}")
            for key, old, new in changes:
                text = word_diff(old, new, markdown)
                lines.append(f"  - {key}: {text}" if markdown else f"      {key}: {text}")
    return "\n".join(lines).rstrip("\n") + "\n"
