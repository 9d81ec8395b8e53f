"""The pipeline: project → seeds → cards → notes → lock → package. ``check`` stops before writing."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import wraps
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from .cards import (
    CardRef,
    LoadedFile,
    ResolvedCard,
    card_files,
    deck_collisions,
    duplicate_ids,
    load_cards,
)
from .deckpage import description_html
from .errors import DeckgenError, Diagnostic, Location
from .lint import Front, card_findings, clear_caches, near_duplicate_findings
from .lock import Stamper, describe_changes, lock_problems, retired_problems
from .media import Media, load_media
from .notes import NoteMaker, NoteSpec, deck_name, prepare_rendering
from .notetypes import note_type_hashes
from .output import Commit, Waiting, refuse_unless_regular
from .package import DeckSettings, PackageError, PackageWriter
from .parallel import FileJob, Results, workers_for
from .project import Project
from .seeds import SeedText, load_seeds

Progress = Callable[[str, int, int], None]  # (what, done, total)
F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S")
# what a command keeps of one checked card file, made where the file was checked (a worker
# process in big projects) so that only the summary is sent back: (the file, its notes)
Summarise = Callable[[LoadedFile, list[NoteSpec]], S]


def _without_cycle_collection(func: F) -> F:
    """Run ``func`` with Python's cycle collector paused. A build makes millions of small
    objects and no cycles worth collecting, and the collector would walk them all again and
    again (a fifth of the time of a big build). Reference counting still frees everything."""

    @wraps(func)
    def paused(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return cast(F, paused)


@dataclass(frozen=True)
class CheckResult:
    cards: int
    warnings: list[Diagnostic]


@dataclass(frozen=True)
class BuildResult:
    cards: int
    decks: int
    output: Path
    size: int
    retired: int


@dataclass(frozen=True)
class _Job(Generic[S]):
    """What the work on one card file needs (given to each worker process once)."""

    maker: NoteMaker
    lint: bool
    notes: bool
    summarise: Summarise[S] | None = None


@dataclass
class _FileResult:
    refs: list[CardRef]
    errors: list[Diagnostic]
    notes: list[tuple[NoteSpec, CardRef]] = field(default_factory=list)
    fronts: list[Front] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)
    media_used: list[str] = field(default_factory=list)
    deck: str | None = None  # the file's subdeck
    summary: Any = None  # what :func:`each_file`'s ``summarise`` made of it

    def deck_of(self, root: str) -> list[tuple[str, CardRef]]:
        """The file's deck (full name) with its first card, for :func:`deck_collisions`."""
        return [(deck_name(root, self.deck), self.refs[0])] if self.refs else []


def _check_file(job: _Job[Any], path: Path) -> _FileResult:
    """Everything that can be done with one card file alone."""
    loaded = job.maker.load(path)
    result = _FileResult(loaded.refs, loaded.errors, media_used=loaded.media_used,
                         deck=loaded.deck)
    if job.notes:
        ref = {r.index: r for r in loaded.refs}  # (the same objects: each is sent back once)
        result.notes = [(job.maker.note(rc), ref[rc.index]) for rc in loaded.cards]
    if job.summarise is not None:
        result.summary = job.summarise(loaded, [note for note, _ in result.notes])
        result.notes = []  # (made for the summary only)
    if job.lint:
        result.findings = [d for rc in loaded.cards for d in card_findings(rc)]
        result.fronts = [Front.of(rc) for rc in loaded.cards]
        clear_caches()
    return result


def _check_files(project: Project, *, lint: bool, notes: bool,
                 progress: Progress | None, media: Media,
                 summarise: Summarise[Any] | None = None,
                 seeds: dict[str, SeedText] | None = None) -> Results[_FileResult]:
    """Start :func:`_check_file` on every card file (a file per core in big projects); the
    results come in order, each as soon as it is ready, so the caller can use them while the
    rest are checked. ``seeds``: the project's, if already loaded."""
    files = card_files(project.cards_dir)
    if seeds is None:
        seeds = load_seeds(project.seeds_dir)
    maker = NoteMaker.of(project.config, seeds, media)
    job = _Job(maker, lint, notes, summarise)
    workers = workers_for(files)
    if notes and workers > 1:
        prepare_rendering()  # once here, not in every worker

    def done(count: int) -> None:
        if progress:
            progress("checking card files", count, len(files))

    return FileJob(_check_file, job).start(files, workers, done)


@_without_cycle_collection
def each_file(project: Project, summarise: Summarise[S], *, notes: bool = False,
              progress: Progress | None = None, seeds: dict[str, SeedText] | None = None,
              media: Media | None = None) -> list[S]:
    """Check every card file as ``deckgen check`` does (without the card-writing rules), a
    file per core in big projects, and return ``summarise(file, notes)`` of each, in file
    order; ``notes`` are the file's notes as the build makes them (with ``notes=True``, else
    empty). ``summarise`` runs where the file was checked, so only what it returns is sent
    back: keep it small. ``seeds`` and ``media``: the project's (:func:`load_seeds`,
    :func:`load_media`), when the caller has already loaded them (else they are read here).
    Raises :class:`DeckgenError` with every error found, the media's and the checks across
    files (duplicate ids, decks differing in case) included."""
    refs: list[CardRef] = []
    errors: list[Diagnostic] = []
    decks: list[tuple[str, CardRef]] = []
    summaries: list[S] = []
    if media is None:
        media = load_media(project.media_dir)
    errors += media.errors
    with _check_files(project, lint=False, notes=notes, progress=progress, media=media,
                      summarise=summarise, seeds=seeds) as results:
        for result in results:
            refs += result.refs
            decks += result.deck_of(project.config.name)
            errors += result.errors
            summaries.append(result.summary)
    errors += duplicate_ids(refs) + deck_collisions(decks)
    if errors:
        raise DeckgenError(errors)
    return summaries


@_without_cycle_collection
def resolve(project: Project) -> list[ResolvedCard]:
    """Every card with its seed and passages (raises :class:`DeckgenError` on any error)."""
    return load_cards(project.cards_dir, load_seeds(project.seeds_dir))


@_without_cycle_collection
def check(
    project: Project,
    *,
    lint: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
) -> CheckResult:
    """Run every check (and the card-writing rules with ``lint``); raise :class:`DeckgenError`
    with all problems found, warnings included. ``strict`` makes warnings errors. Writes
    nothing."""
    refs: list[CardRef] = []
    fronts: list[Front] = []
    errors: list[Diagnostic] = []
    findings: list[Diagnostic] = []
    media = load_media(project.media_dir)
    errors += media.errors
    used: list[str] = []
    decks: list[tuple[str, CardRef]] = []
    with _check_files(project, lint=lint, notes=False, progress=progress,
                      media=media) as results:
        errors += lock_problems(project)  # (read while the workers check the first files)
        for result in results:
            refs += result.refs
            decks += result.deck_of(project.config.name)
            fronts += result.fronts
            errors += result.errors
            findings += result.findings
            used += result.media_used
    findings += media.unused(used)
    errors += retired_problems(project, {ref.id for ref in refs})
    errors += duplicate_ids(refs) + deck_collisions(decks)
    if errors:
        raise DeckgenError(errors)
    if lint:
        findings += near_duplicate_findings(fronts)
    if strict:
        findings = [replace(d, severity="error") for d in findings]
    if any(d.severity == "error" for d in findings):
        raise DeckgenError(findings)
    return CheckResult(len(refs), sorted(findings, key=Diagnostic.sort_key))


@_without_cycle_collection
def build(
    project: Project,
    *,
    locked: bool = False,
    new_identity: bool = False,
    now: int | None = None,
    progress: Progress | None = None,
    waiting: Waiting | None = None,
) -> BuildResult:
    """Check every card and write the deck: each note is stamped against the lock and added to
    the package as soon as its file is checked; the package and the lock are put in place
    together (both or neither, see :mod:`deckgen.output`) only if no error turned up. Two builds
    of one project run one after the other: ``waiting`` is told when this one has to wait."""
    refuse_unless_regular(project.output, "output")
    _refuse_overwriting_inputs(project)
    if not locked:
        refuse_unless_regular(project.lock_path, "lock file")
    media = load_media(project.media_dir)
    with Commit(project, write_lock=not locked, waiting=waiting) as output:
        with _check_files(project, lint=False, notes=True, progress=progress,
                          media=media) as results:
            # the lock is read while the workers check the first files
            # (a changed identity is refused unless new_identity, with the cards' errors)
            stamper = Stamper.for_project(project, note_type_hashes(),
                                          int(time.time()) if now is None else now,
                                          locked=locked, new_identity=new_identity)
            try:
                with PackageWriter(_settings(project), stamper.model_mod,
                                   output.scratch, media=media.data) as package:
                    cards, decks = _add_notes(results, stamper, package, project.config.name,
                                              media.errors)
                    retired = stamper.retire()
                    reason_problems = stamper.reason_problems(project.where)
                    if reason_problems:
                        raise DeckgenError(reason_problems)
                    for stamped in retired:
                        package.add(stamped)
                    lock_text = stamper.lock.dumps()
                    if locked:
                        _require_lock(project.lock_path, lock_text, stamper)
                    if progress:
                        progress("writing the deck", 0, 1)
                    with _writing_the_deck(project):
                        size = package.commit(output.deck_temp)
            except PackageError as exc:
                raise DeckgenError([Diagnostic(Location(project.output),
                                               f"cannot write: {exc}")]) from None
        if not locked:
            output.write_lock(lock_text)
        output.commit()
    return BuildResult(cards=cards, decks=len(decks), output=project.output, size=size,
                       retired=len(retired))


@contextlib.contextmanager
def _writing_the_deck(project: Project) -> Iterator[None]:
    """A failed write is located at the output the user named, not at a temporary file."""
    try:
        yield
    except OSError as exc:
        raise DeckgenError([Diagnostic(Location(project.output),
                                       f"cannot write: {exc.strerror or exc}")]) from None


def _add_notes(results: Iterable[_FileResult], stamper: Stamper, package: PackageWriter,
               root: str, media_errors: Iterable[Diagnostic] = ()) -> tuple[int, set[str]]:
    """Stamp each checked note and add it to the package, file by file as they come; raise
    every error found (the package is then never committed). The cards and decks added."""
    refs: list[CardRef] = []
    errors: list[Diagnostic] = list(media_errors)
    decks: set[str] = set()
    file_decks: list[tuple[str, CardRef]] = []
    for result in results:
        refs += result.refs
        errors += result.errors
        file_decks += result.deck_of(root)
        for note, ref in result.notes:
            stamped = stamper.stamp(note, ref)
            if stamped is not None and not errors:
                package.add(stamped)
                decks.add(note.deck)
    errors += duplicate_ids(refs) + deck_collisions(file_decks) + stamper.errors()
    if errors:
        raise DeckgenError(errors)
    return len(refs), decks


def _settings(project: Project) -> DeckSettings:
    config = project.config
    return DeckSettings(
        name=config.name,
        description=description_html(config),
        deck_id=config.deck_id,
        basic_model_id=config.note_type_ids.basic,
        cloze_model_id=config.note_type_ids.cloze,
        namespace=config.guid_namespace,
    )


def _require_lock(path: Path, text: str, stamper: Stamper) -> None:
    """For ``--locked``: fail, saying what changed, unless the lock file already says ``text``."""
    if text == (path.read_text(encoding="utf-8") if path.exists() else ""):
        return
    changes = describe_changes(stamper.old, stamper.lock) or ["the lock file's format"]
    raise DeckgenError([Diagnostic(
        Location(path),
        "lock file is out of date (--locked); run 'deckgen build' and commit deckgen.lock",
        details=tuple(changes[:20]) + ((f"... and {len(changes) - 20} more",)
                                       if len(changes) > 20 else ()),
    )])


def _refuse_overwriting_inputs(project: Project) -> None:
    output = project.output.resolve()
    for folder in (project.cards_dir, project.seeds_dir, project.media_dir):
        if output.is_relative_to(folder.resolve()):
            raise DeckgenError([Diagnostic(
                Location(project.output), f"output must not be inside the {folder} folder"
            )])
    if output == project.lock_path.resolve() or output == (project.root / "deckgen.yaml").resolve():
        raise DeckgenError([Diagnostic(Location(project.output), "output would overwrite an input")])
    for parent in output.parents:
        if parent.exists():
            if not parent.is_dir():
                raise DeckgenError([Diagnostic(Location(project.output),
                                               f"cannot write: '{parent.name}' is not a folder")])
            break

