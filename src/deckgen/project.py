"""The project file (``deckgen.yaml``): the deck's name, description and pinned ids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import DeckgenError, Diagnostic, Location
from .schema import LockIdentity, ProjectFile, validate
from .yamlsource import load_yaml

PROJECT_FILE = "deckgen.yaml"


@dataclass(frozen=True)
class Project:
    root: Path
    config: ProjectFile
    cards_dir: Path
    seeds_dir: Path
    output: Path

    @property
    def lock_path(self) -> Path:
        return self.root / "deckgen.lock"

    @property
    def media_dir(self) -> Path:
        return self.root / self.config.media

    @property
    def identity(self) -> LockIdentity:
        """What learners' Anki knows the deck by, as ``deckgen.lock`` records it."""
        config = self.config
        return LockIdentity(name=config.name, deck_id=config.deck_id,
                            note_type_ids=config.note_type_ids,
                            guid_namespace=config.guid_namespace)

    def where(self, key: tuple[str, ...]) -> Location:
        """Where the value of ``key`` stands in ``deckgen.yaml`` (read again: for messages)."""
        return load_yaml(self.root / PROJECT_FILE).at(key)


def load_project(
    root: Path,
    cards: Path | None = None,
    seeds: Path | None = None,
    output: Path | None = None,
) -> Project:
    """Read ``deckgen.yaml`` in ``root``; the options given override its paths."""
    path = root / PROJECT_FILE
    if not path.is_file():
        raise DeckgenError(
            [Diagnostic(Location(path), f"no {PROJECT_FILE} here; run deckgen from the project root")]
        )
    doc = load_yaml(path)
    config, errors = validate(doc, ProjectFile)
    if config is None:
        raise DeckgenError(errors)
    for key in ("cards", "seeds", "output", "media"):
        value = Path(getattr(config, key))
        if value.is_absolute() or not (root / value).resolve().is_relative_to(root.resolve()):
            errors.append(Diagnostic(doc.at((key,)), f"'{key}' must be a path inside the project"))
    if errors:
        raise DeckgenError(errors)
    project = Project(
        root=root,
        config=config,
        cards_dir=cards if cards is not None else root / config.cards,
        seeds_dir=seeds if seeds is not None else root / config.seeds,
        output=output if output is not None else root / config.output,
    )
    for what, folder in (("cards", project.cards_dir), ("seeds", project.seeds_dir)):
        if not folder.is_dir():
            raise DeckgenError([Diagnostic(Location(folder), f"{what} folder not found")])
    return project
