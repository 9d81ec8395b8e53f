"""The pipeline: project → seeds → cards → notes → lock → package. ``check`` stops before writing."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from .cards import ResolvedCard, load_cards
from .errors import DeckgenError, Diagnostic, Location
from .lint import lint as lint_cards
from .lock import RETIRED_SUBDECK, describe_changes, read_lock, stamp
from .notes import NoteSpec, build_note, deck_name
from .notetypes import note_type_hashes
from .package import DeckSettings, write_apkg
from .project import Project
from .render import markdown_to_html
from .seeds import load_seeds


@dataclass(frozen=True)
class CheckResult:
    cards: list[ResolvedCard]
    warnings: list[Diagnostic]
    root_deck: str
    namespace: str

    @cached_property
    def notes(self) -> list[NoteSpec]:
        """The rendered notes (computed on first use: ``check`` alone doesn't need them)."""
        return [build_note(rc, self.root_deck, self.namespace) for rc in self.cards]


@dataclass(frozen=True)
class BuildResult:
    cards: int
    decks: int
    output: Path
    size: int
    retired: int


def check(project: Project, *, lint: bool = False, strict: bool = False) -> CheckResult:
    """Run every check (and the card-writing rules with ``lint``); raise :class:`DeckgenError`
    with all problems found, warnings included. ``strict`` makes warnings errors. Writes nothing."""
    seeds = load_seeds(project.seeds_dir)
    cards = load_cards(project.cards_dir, seeds)
    config = project.config
    findings = lint_cards(cards) if lint else []
    if strict:
        findings = [replace(d, severity="error") for d in findings]
    if any(d.severity == "error" for d in findings):
        raise DeckgenError(findings)
    return CheckResult(cards, findings, config.name, config.guid_namespace)


def build(project: Project, *, locked: bool = False, now: int | None = None) -> BuildResult:
    """Check, stamp every note against the lock, write the package, then the lock."""
    _refuse_overwriting_inputs(project)
    result = check(project)
    config = project.config
    old_lock = read_lock(project.lock_path)
    where = {rc.card.id: rc for rc in result.cards}
    stamped, model_mod, new_lock = stamp(
        result.notes, where, note_type_hashes(), old_lock,
        int(time.time()) if now is None else now, config.guid_namespace,
        deck_name(config.name, RETIRED_SUBDECK),
    )
    if locked and new_lock.dumps() != (project.lock_path.read_text(encoding="utf-8")
                                       if project.lock_path.exists() else ""):
        changes = describe_changes(old_lock, new_lock) or ["the lock file's format"]
        raise DeckgenError([Diagnostic(
            Location(project.lock_path),
            "lock file is out of date (--locked); run 'deckgen build' and commit deckgen.lock",
            details=tuple(changes[:20]) + ((f"... and {len(changes) - 20} more",)
                                           if len(changes) > 20 else ()),
        )])
    settings = DeckSettings(
        name=config.name,
        description=markdown_to_html(config.description),
        deck_id=config.deck_id,
        basic_model_id=config.note_type_ids.basic,
        cloze_model_id=config.note_type_ids.cloze,
        namespace=config.guid_namespace,
    )
    try:
        size = write_apkg(settings, stamped, model_mod, project.output)
        if not locked:
            _write_atomically(project.lock_path, new_lock.dumps())
    except OSError as exc:
        failed = Path(exc.filename) if isinstance(exc.filename, str) else project.output
        raise DeckgenError([Diagnostic(
            Location(failed), f"cannot write: {exc.strerror or exc}"
        )]) from None
    return BuildResult(
        cards=len(result.notes),
        decks=len({n.deck for n in result.notes}),
        output=project.output,
        size=size,
        retired=len(new_lock.retired),
    )


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
