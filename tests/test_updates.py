"""Releases reach learners: in-place updates with history, local edits kept, retired cards marked;
byte-reproducible packages; the lock file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ankihelp import import_apkg, open_collection
from conftest import CARDS_YAML, Project, pressure_card

THIRD_CARD = pressure_card("excessive-pressure")
NEW_CARD = """\
  - id: overstimulation-third
    question: According to the tiny seed, what is the third situation in which massage can cause harm?
    answer: When overstimulation occurs.
    source:
      seed: tiny
      quote: When overstimulation occurs
    evidence: expert-opinion
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def note_by_card_id(col, card_id: str):  # type: ignore[no-untyped-def]
    (nid,) = col.find_notes(f'"CardId:{card_id}"')
    return col.get_note(nid)


def test_a_release_updates_in_place_and_keeps_history_and_local_edits(
    project: Project, tmp_path: Path
) -> None:
    project.write("cards/safety.yaml", CARDS_YAML + THIRD_CARD)
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "learner")
    log1 = import_apkg(col, project.output)
    assert len(log1.new) == 3

    # the learner reviews every card once, and edits one card that the next release won't change
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
    local = note_by_card_id(col, "overstimulation-cloze")
    local["Extra"] = "my own mnemonic"
    col.update_note(local)
    unchanged_mod = note_by_card_id(col, "overstimulation-cloze").mod

    # the author edits one answer, adds one card, removes one, and builds at once (same second)
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", "answer: First, *do no harm*.") + NEW_CARD)
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    assert "(+1 retired)" in result.stdout

    log2 = import_apkg(col, project.output)
    assert (len(log2.new), len(log2.updated), len(log2.conflicting)) == (1, 2, 0)
    assert len(log2.duplicate) == 1  # the unchanged note: same mod, skipped

    edited = note_by_card_id(col, "do-no-harm")
    assert edited["Answer"] == "First, <em>do no harm</em>."
    (card_id,) = edited.card_ids()
    assert col.get_card(card_id).reps == 1
    assert col.db.scalar("select count() from revlog where cid = ?", card_id) == 1

    kept = note_by_card_id(col, "overstimulation-cloze")
    assert kept["Extra"] == "my own mnemonic"
    assert kept.mod == unchanged_mod

    assert note_by_card_id(col, "overstimulation-third")["Answer"] == "When overstimulation occurs."
    retired = note_by_card_id(col, "excessive-pressure")
    assert "deckgen::retired" in retired.tags
    assert "Withdrawn" in retired["Notice"]
    assert retired["Question"].startswith("According to the tiny seed, what is the second")

    guids = col.db.list("select guid from notes")
    assert len(guids) == len(set(guids)) == 4

    (retired_card,) = retired.card_ids()
    assert col.decks.name(col.get_card(retired_card).did) == "Test deck::Safety"

    # a learner new to the deck gets the retired note without a card, and no Retired subdeck
    fresh = open_collection(tmp_path / "newcomer")
    import_apkg(fresh, project.output)
    assert fresh.find_cards("tag:deckgen::retired") == []
    assert len(fresh.find_notes("tag:deckgen::retired")) == 1
    assert fresh.decks.by_name("Test deck::Retired") is None


def test_same_sources_and_lock_give_the_same_bytes(project: Project, tmp_path: Path) -> None:
    assert project.run("build").exit_code == 0
    first = sha256(project.output)
    time.sleep(1.1)
    assert project.run("build").exit_code == 0
    assert sha256(project.output) == first

    # another folder, another hash seed, files created in another order
    other = tmp_path / "elsewhere" / "copy"
    other.mkdir(parents=True)
    for name in ("deckgen.yaml", "deckgen.lock"):
        shutil.copy(project.root / name, other / name)
    (other / "cards" / "z").mkdir(parents=True)
    project.write("cards/a.yaml", "cards: []\n")
    (other / "cards" / "safety.yaml").write_bytes((project.root / "cards/safety.yaml").read_bytes())
    (other / "cards" / "a.yaml").write_text("cards: []\n")
    shutil.copytree(project.root / "seeds", other / "seeds")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    run = subprocess.run([sys.executable, "-m", "deckgen", "build"], cwd=other, env=env,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert sha256(other / "out" / "test.apkg") == first


def test_locked_build_fails_when_the_lock_is_stale(project: Project) -> None:
    assert project.run("build").exit_code == 0
    lock = (project.root / "deckgen.lock").read_text()
    assert project.run("build", "--locked").exit_code == 0
    project.write("cards/safety.yaml", CARDS_YAML.replace("answer: First, do no harm.", "answer: Do no harm."))
    result = project.run("build", "--locked")
    assert result.exit_code == 1
    assert result.stderr == (
        "deckgen.lock:1:1: error: lock file is out of date (--locked); run 'deckgen build' and "
        "commit deckgen.lock\n"
        "    changed card 'do-no-harm'\n"
        "1 error\n"
    )
    assert (project.root / "deckgen.lock").read_text() == lock


def test_mod_moves_forward_only_when_content_changes(project: Project) -> None:
    assert project.run("build").exit_code == 0
    before = json.loads((project.root / "deckgen.lock").read_text())["cards"]
    project.write("cards/safety.yaml", CARDS_YAML.replace("answer: First, do no harm.", "answer: Do no harm."))
    assert project.run("build").exit_code == 0
    after = json.loads((project.root / "deckgen.lock").read_text())["cards"]
    assert after["do-no-harm"]["mod"] > before["do-no-harm"]["mod"]
    assert after["do-no-harm"]["hash"] != before["do-no-harm"]["hash"]
    assert after["overstimulation-cloze"] == before["overstimulation-cloze"]


def test_a_retired_id_is_never_given_to_another_card(project: Project) -> None:
    project.write("cards/safety.yaml", CARDS_YAML + THIRD_CARD)
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", CARDS_YAML)
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", CARDS_YAML + THIRD_CARD.replace(
        "what is the second way", "what is one way"))
    result = project.run("build")
    assert result.exit_code == 1
    assert result.stderr == (
        "cards/safety.yaml:18:9: error: card id 'excessive-pressure' belonged to a card that was "
        "retired; an id is never given to a different card: choose a new id\n1 error\n"
    )
    # the same card coming back is fine
    project.write("cards/safety.yaml", CARDS_YAML + THIRD_CARD)
    assert project.run("build").exit_code == 0


@settings(max_examples=300, deadline=None)
@given(mod=st.integers(0, 2**40), kind=st.sampled_from(["", "basic", "cloze"]), front=st.text(),
       deck=st.text(), digest=st.sampled_from(["", "sha256:" + "ab" * 32]))
def test_lock_lines_are_the_json_of_their_entries(mod: int, kind: str, front: str, deck: str,
                                                  digest: str) -> None:
    from deckgen.lock import LockEntry

    entry = LockEntry(mod, kind, front, deck, digest)
    assert entry.to_line() == json.dumps(entry.to_json(), ensure_ascii=False)
    assert LockEntry(**json.loads(entry.to_line())) == entry
