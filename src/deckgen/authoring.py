"""Helpers for card authors: find a quotable passage, start a new card."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from .cards import find_card_files
from .errors import DeckgenError, Diagnostic, Location, did_you_mean
from .lock import read_lock
from .project import Project
from .schema import CardFile, validate
from .seeds import SeedText, load_seeds
from .yamlsource import load_yaml

SCHEMA_COMMENT = "# yaml-language-server: $schema={}\n"


@dataclass(frozen=True)
class Candidate:
    line: int
    passage: str
    score: float


def _sentences(seed: SeedText) -> list[tuple[int, str]]:
    """The seed's sentences (and list lines), each with the line it starts on, verbatim."""
    out = []
    for match in re.finditer(r"[^\n.!?]+(?:[.!?]+[\"\u201d\u2019)]*|(?=\n)|$)", seed.text):
        text = " ".join(match.group().split())
        if len(text.split()) >= 2:
            out.append((seed.line_of(match.start() + len(match.group()) - len(
                match.group().lstrip())), text))
    return out


def find_quotes(project: Project, seed_id: str, words: str, limit: int = 5) -> list[Candidate]:
    """The passages of a seed most like ``words`` (fuzzy), best first, verbatim."""
    seeds = load_seeds(project.seeds_dir)
    seed = seeds.get(seed_id)
    if seed is None:
        raise DeckgenError([Diagnostic(
            Location(project.seeds_dir / "seeds.yaml"),
            f"unknown seed '{seed_id}'{did_you_mean(seed_id, seeds)}",
        )])
    sentences = _sentences(seed)
    found = process.extract(words, [s for _, s in sentences], scorer=fuzz.partial_ratio,
                            processor=utils.default_process, limit=limit, score_cutoff=50)
    ranked = sorted(found, key=lambda m: (-m[1], sentences[m[2]][0]))
    return [Candidate(sentences[i][0], sentences[i][1], score) for _, score, i in ranked]


def yaml_quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def used_ids(project: Project) -> set[str]:
    """Every id in the deck's card files, and every id the lock remembers (live or retired)."""
    lock = read_lock(project.lock_path)
    ids = set(lock.cards) | set(lock.retired)
    for path in find_card_files(project.cards_dir):
        card_file, _ = validate(load_yaml(path), CardFile)
        if card_file is not None:
            ids |= {card.id for card in card_file.cards}
        else:
            ids |= set(re.findall(r"^\s*-\s*id:\s*([a-z0-9-]+)", path.read_text("utf-8"), re.M))
    return ids


def new_card(project: Project, path: Path) -> str:
    """Append a card skeleton with a fresh id to ``path`` (created if missing); return the id."""
    if not path.resolve().is_relative_to(project.cards_dir.resolve()) or path.suffix not in (
        ".yaml", ".yml"
    ):
        raise DeckgenError([Diagnostic(
            Location(path), f"a card file is a .yaml file inside {project.cards_dir.as_posix()}/"
        )])
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "card"
    taken = used_ids(project)
    number = 1
    while f"{stem}-{number}" in taken:
        number += 1
    card_id = f"{stem}-{number}"
    skeleton = (
        f"  - id: {card_id}\n"
        "    question: TODO According to <source>, …?\n"
        "    answer: TODO\n"
        "    source:\n"
        "      seed: TODO  # deckgen quote SEED \"words\" finds a passage\n"
        "      quote: TODO\n"
        "    evidence: TODO  # see README, Evidence levels\n"
        "    caveat: TODO what the evidence lacks, in one sentence\n"
    )
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            text += "\n"
        text = re.sub(r"^cards:\s*\[\s*\]\s*$", "cards:", text, flags=re.M)
    else:
        schema = Path("schema/card-file.schema.json")
        rel = Path(*[".."] * (len(path.parent.resolve().relative_to(
            project.root.resolve()).parts))) / schema
        text = SCHEMA_COMMENT.format(rel.as_posix()) + "cards:\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + skeleton, encoding="utf-8")
    return card_id
