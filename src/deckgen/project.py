"""The project file (``deckgen.yaml``): the deck's name, description and pinned ids."""

from __future__ import annotations

import os
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


def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder holding ``deckgen.yaml``, from ``start`` (default: the current folder)
    up, as git finds ``.git``; relative to the current folder (``.``, ``..``, ``../..``), so
    that messages show paths from where the user stands. None when there is none."""
    here = Path.cwd()
    folder = Path(os.path.abspath(start if start is not None else here))
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return Path(os.path.relpath(candidate, here))
    return None


def find_project(
    cards: Path | None = None,
    seeds: Path | None = None,
    output: Path | None = None,
) -> Project:
    """:func:`load_project` for the project found by :func:`find_root` from the current folder."""
    root = find_root()
    if root is None:
        raise DeckgenError([Diagnostic(
            Location(None),
            f"no {PROJECT_FILE} here or in any folder above; run deckgen inside a deckgen "
            "project, or name its folder with 'deckgen -C DIR'",
        )])
    return load_project(root, cards=cards, seeds=seeds, output=output)


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
    config = read_config(root)
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


def read_config(root: Path) -> ProjectFile:
    """``deckgen.yaml`` in ``root``, validated (its paths inside the project); raise
    :class:`DeckgenError` with located messages otherwise."""
    doc = load_yaml(root / PROJECT_FILE)
    config, errors = validate(doc, ProjectFile)
    if config is None:
        raise DeckgenError(errors)
    for key in ("cards", "seeds", "output", "media"):
        value = Path(getattr(config, key))
        if value.is_absolute() or not (root / value).resolve().is_relative_to(root.resolve()):
            errors.append(Diagnostic(doc.at((key,)), f"'{key}' must be a path inside the project"))
    if errors:
        raise DeckgenError(errors)
    return config
