"""Shared fixtures: a small deckgen project in a temporary folder, and a CLI runner."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from deckgen.cli import cli

REPO = Path(__file__).resolve().parent.parent

PROJECT_YAML = """\
name: Test deck
description: A deck for tests. Study material, not medical advice.
deck_id: 1500000001
note_type_ids:
  basic: 1500000002
  cloze: 1500000003
guid_namespace: test-deck
output: out/test.apkg
"""

SEED_TEXT = """\
A Tiny Seed

In all healthcare fields, there is a foundational principle: “First, do no harm.”

In what situations can massage cause harm?
  1. When contraindications are ignored
  2. When excessive pressure is applied
  3. When overstimulation occurs

Overstimulation is not objectively provable — the author says so himself.
"""

SEEDS_YAML = """\
seeds:
  - id: tiny
    file: tiny.txt
    title: A Tiny Seed
    author: A. Author
    publisher: Test Press
    url: https://example.org/tiny
    genre: test text
    max_evidence: expert-opinion
"""

CARDS_YAML = """\
deck: Safety
tags: [safety]
cards:
  - id: do-no-harm
    question: According to the tiny seed, what is the foundational principle of all healthcare fields?
    answer: First, do no harm.
    source:
      seed: tiny
      quote: 'there is a foundational principle: "First, do no harm."'
    evidence: expert-opinion
  - id: overstimulation-cloze
    cloze: According to the author, overstimulation is not {{c1::objectively provable}}.
    source:
      seed: tiny
      quote: Overstimulation is not objectively provable - the author says so himself.
    evidence: expert-opinion
    caveat: The author's own judgement.
"""

# a source block that resolves in SEED_TEXT, for tests that build cards by hand
PRESSURE_SOURCE = """\
    source:
      seed: tiny
      quote: When excessive pressure is applied
    evidence: expert-opinion
"""


def pressure_card(card_id: str) -> str:
    """A valid basic card about the second way massage harms, with the given id."""
    return (f"  - id: {card_id}\n"
            "    question: According to the tiny seed, what is the second way massage harms?\n"
            "    answer: When excessive pressure is applied.\n" + PRESSURE_SOURCE)


@dataclass
class Project:
    root: Path

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, *args: str) -> Result:
        old = Path.cwd()
        os.chdir(self.root)
        try:
            return CliRunner().invoke(cli, list(args), prog_name="deckgen", catch_exceptions=False)
        finally:
            os.chdir(old)

    @property
    def output(self) -> Path:
        return self.root / "out" / "test.apkg"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A valid two-card project; tests overwrite files to break it."""
    p = Project(tmp_path / "proj")
    p.write("deckgen.yaml", PROJECT_YAML)
    p.write("seeds/seeds.yaml", SEEDS_YAML)
    p.write("seeds/tiny.txt", SEED_TEXT)
    p.write("cards/safety.yaml", CARDS_YAML)
    yield p


def copy_of_repository_deck(dest: Path) -> Path:
    """The repository's starter deck (project file, lock, seeds, cards) copied to ``dest``,
    so tests that build it never touch the working tree."""
    dest.mkdir(parents=True)
    for name in ("deckgen.yaml", "deckgen.lock"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, dest / name)
    for name in ("seeds", "cards"):
        shutil.copytree(REPO / name, dest / name)
    return dest
