"""The pipeline: project → seeds → cards → notes → lock → package. ``check`` stops before writing."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

from .cards import CardRef, ResolvedCard, card_files, duplicate_ids, load_cards, load_file
from .errors import DeckgenError, Diagnostic, Location
from .lint import Front, card_findings, clear_caches, near_duplicate_findings
from .lock import RETIRED_SUBDECK, Stamper, describe_changes, read_lock
from .notes import NoteSpec, build_note, deck_name, prepare_rendering
from .notetypes import note_type_hashes
from .package import DeckSettings, PackageWriter
from .parallel import FileJob, Results, workers_for
from .project import Project
from .render import markdown_to_html
from .seeds import SeedText, load_seeds

Progress = Callable[[str, int, int], None]  # (what, done, total)
F = TypeVar("F", bound=Callable[..., Any])


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
class _Job:
    """What the work on one card file needs (given to each worker process once)."""

    seeds: dict[str, SeedText]
    lint: bool
    notes: bool
    root_deck: str
    namespace: str


@dataclass
class _FileResult:
    refs: list[CardRef]
    errors: list[Diagnostic]
    notes: list[tuple[NoteSpec, CardRef]] = field(default_factory=list)
    fronts: list[Front] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)


def _check_file(job: _Job, path: Path) -> _FileResult:
    """Everything that can be done with one card file alone."""
    loaded = load_file(path, job.seeds)
    result = _FileResult(loaded.refs, loaded.errors)
    if job.notes:
        ref = {r.index: r for r in loaded.refs}  # (the same objects: each is sent back once)
        result.notes = [(build_note(rc, job.root_deck, job.namespace), ref[rc.index])
                        for rc in loaded.cards]
    if job.lint:
        result.findings = [d for rc in loaded.cards for d in card_findings(rc)]
        result.fronts = [Front.of(rc) for rc in loaded.cards]
        clear_caches()
    return result


def _check_files(project: Project, *, lint: bool, notes: bool,
                 progress: Progress | None) -> Results[_FileResult]:
    """Start :func:`_check_file` on every card file (a file per core in big projects); the
    results come in order, each as soon as it is ready, so the caller can use them while the
    rest are checked."""
    seeds = load_seeds(project.seeds_dir)
    files = card_files(project.cards_dir)
    config = project.config
    job = _Job(seeds, lint, notes, config.name, config.guid_namespace)
    workers = workers_for(files)
    if notes and workers > 1:
        prepare_rendering()  # once here, not in every worker

    def done(count: int) -> None:
        if progress:
            progress("checking card files", count, len(files))

    return FileJob(_check_file, job).start(files, workers, done)


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
    with _check_files(project, lint=lint, notes=False, progress=progress) as results:
        for result in results:
            refs += result.refs
            fronts += result.fronts
            errors += result.errors
            findings += result.findings
    errors += duplicate_ids(refs)
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
    now: int | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Check every card and write the deck: each note is stamped against the lock and added to
    the package as soon as its file is checked; the package is put in place only if no error
    turned up, then the lock is written."""
    _refuse_overwriting_inputs(project)
    config = project.config
    try:
        with _check_files(project, lint=False, notes=True, progress=progress) as results:
            # the lock is read while the workers check the first files
            stamper = Stamper(read_lock(project.lock_path), note_type_hashes(),
                              int(time.time()) if now is None else now, config.guid_namespace,
                              deck_name(config.name, RETIRED_SUBDECK))
            with PackageWriter(_settings(project), stamper.model_mod, project.output) as package:
                cards, decks = _add_notes(results, stamper, package)
                retired = stamper.retire()
                for stamped in retired:
                    package.add(stamped)
                lock_text = stamper.lock.dumps()
                if locked:
                    _require_lock(project.lock_path, lock_text, stamper)
                if progress:
                    progress("writing the deck", 0, 1)
                size = package.commit()
        if not locked:
            _write_atomically(project.lock_path, lock_text)
    except OSError as exc:
        failed = Path(exc.filename) if isinstance(exc.filename, str) else project.output
        raise DeckgenError([Diagnostic(
            Location(failed), f"cannot write: {exc.strerror or exc}"
        )]) from None
    return BuildResult(cards=cards, decks=len(decks), output=project.output, size=size,
                       retired=len(retired))


def _add_notes(results: Iterable[_FileResult], stamper: Stamper,
               package: PackageWriter) -> tuple[int, set[str]]:
    """Stamp each checked note and add it to the package, file by file as they come; raise
    every error found (the package is then never committed). The cards and decks added."""
    refs: list[CardRef] = []
    errors: list[Diagnostic] = []
    decks: set[str] = set()
    for result in results:
        refs += result.refs
        errors += result.errors
        for note, ref in result.notes:
            stamped = stamper.stamp(note, ref)
            if stamped is not None and not errors:
                package.add(stamped)
                decks.add(note.deck)
    errors += duplicate_ids(refs) + stamper.errors()
    if errors:
        raise DeckgenError(errors)
    return len(refs), decks


def _settings(project: Project) -> DeckSettings:
    config = project.config
    return DeckSettings(
        name=config.name,
        description=markdown_to_html(config.description),
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
    for folder in (project.cards_dir, project.seeds_dir):
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


def _write_atomically(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
