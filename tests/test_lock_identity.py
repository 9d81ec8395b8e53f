"""The lock file read like every other input, the project's identity protected, merge conflicts
in the lock resolved by ``deckgen build``, and the guid made of the namespace and the card id."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import genanki
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankihelp import import_apkg, open_collection, render_all
from conftest import CARDS_YAML, PROJECT_YAML, Project, copy_of_repository_deck, pressure_card
from deckgen.notes import note_guid

LOCK = "deckgen.lock"


def lock_text(project: Project) -> str:
    return (project.root / LOCK).read_text(encoding="utf-8")


def guids(apkg: Path) -> dict[str, str]:
    """Card id (the CardId field, the last one) to guid, as written in the package."""
    with zipfile.ZipFile(apkg) as zf, open(apkg.with_suffix(".anki2"), "wb") as out:
        out.write(zf.read("collection.anki2"))
    conn = sqlite3.connect(apkg.with_suffix(".anki2"))
    try:
        return {flds.split("\x1f")[-1]: guid for guid, flds in conn.execute(
            "SELECT guid, flds FROM notes")}
    finally:
        conn.close()


# --- identity ------------------------------------------------------------------------------

def test_the_identity_is_recorded_and_a_lock_without_one_adopts_it(tmp_path: Path) -> None:
    """The repository's lock (written before identities were recorded) reads and writes back
    byte for byte; an up-to-date lock of that shape passes --locked untouched, and a build adds
    the identity line and changes nothing else."""
    from deckgen.lock import read_lock

    root = copy_of_repository_deck(tmp_path / "deck")
    text = (root / LOCK).read_text(encoding="utf-8")
    assert read_lock(root / LOCK).dumps() == text
    project = Project(root)
    assert project.run("build").exit_code == 0  # up to date with the cards as they are now
    lines = (root / LOCK).read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1] == (
        '"identity": {"name": "Massage therapy - safety and evidence", "deck_id": 1749500878, '
        '"note_type_ids": {"basic": 1771117392, "cloze": 1303271442}, '
        '"guid_namespace": "massage-safety-evidence"},\n')
    before = "".join(lines[:1] + lines[2:])  # as deckgen wrote it before identities
    (root / LOCK).write_text(before, encoding="utf-8")
    result = project.run("build", "--locked")
    assert result.exit_code == 0, result.stderr
    assert (root / LOCK).read_text(encoding="utf-8") == before
    assert project.run("build").exit_code == 0
    assert (root / LOCK).read_text(encoding="utf-8") == "".join(lines)
    assert project.run("build", "--locked").exit_code == 0


IDENTITY_CHANGES = {
    "name": ("name: Test deck", "name: Test deck two", "deckgen.yaml:1:7: error: name changed "
             "from 'Test deck' (recorded in deckgen.lock) to 'Test deck two': every learner's deck "
             "would split in two: the cards they have stay in the old deck, new cards arrive in a "
             "new one"),
    "deck_id": ("deck_id: 1500000001", "deck_id: 1500000009", "deckgen.yaml:3:10: error: deck_id "
                "changed from 1500000001 (recorded in deckgen.lock) to 1500000009: Anki finds a "
                "deck by its name, so this changes nothing for learners, but the ids are pinned "
                "for good and a new one usually means that deckgen.yaml came from another deck"),
    "basic": ("basic: 1500000002", "basic: 1500000009", "deckgen.yaml:5:10: error: "
              "note_type_ids: basic changed from 1500000002 (recorded in deckgen.lock) to "
              "1500000009: learners' Anki would skip every update to the basic cards they have "
              "and add a second copy of the note type"),
    "cloze": ("cloze: 1500000003", "cloze: 1500000009", "deckgen.yaml:6:10: error: "
              "note_type_ids: cloze changed from 1500000003 (recorded in deckgen.lock) to "
              "1500000009: learners' Anki would skip every update to the cloze cards they have "
              "and add a second copy of the note type"),
    "guid_namespace": ("guid_namespace: test-deck", "guid_namespace: other-deck",
                       "deckgen.yaml:7:17: error: guid_namespace changed from 'test-deck' "
                       "(recorded in deckgen.lock) to 'other-deck': learners' Anki would take "
                       "every card for a new one: each learner would have every card twice, the "
                       "new copies without their review history"),
}
HINT = "; put it back, or run 'deckgen build --new-identity' if that is what you mean\n1 error\n"


@pytest.mark.parametrize("key", IDENTITY_CHANGES)
def test_a_changed_identity_is_refused_unless_asked_for(project: Project, key: str) -> None:
    assert project.run("build").exit_code == 0
    lock, deck = lock_text(project), project.output.read_bytes()
    old, new, message = IDENTITY_CHANGES[key]
    project.write("deckgen.yaml", PROJECT_YAML.replace(old, new))
    for args in (("build",), ("check",), ("build", "--locked")):
        result = project.run(*args)
        assert (result.exit_code, result.stderr) == (1, message + HINT), args
    assert lock_text(project) == lock and project.output.read_bytes() == deck

    # card errors are reported with it, not hidden behind it
    project.write("cards/extra.yaml", "cards:\n" + pressure_card("Bad-Id"))
    result = project.run("build")
    assert result.stderr.count("error:") == 2 and message in result.stderr
    (project.root / "cards/extra.yaml").unlink()

    result = project.run("build", "--new-identity", "--locked")
    assert result.exit_code == 1
    assert "    recorded identity (name, ids, guid namespace)\n" in result.stderr
    result = project.run("build", "--new-identity")
    assert result.exit_code == 0, result.stderr
    recorded = json.loads(lock_text(project))["identity"]
    assert new.split(": ")[1] in json.dumps(recorded)
    assert project.run("build").exit_code == 0
    assert project.run("check").exit_code == 0


def test_the_identity_messages_say_what_the_real_backend_does(project: Project,
                                                              tmp_path: Path) -> None:
    """What each message promises, measured: a learner imports a release, reviews, then imports
    the next one built with --new-identity (one card edited, one added)."""
    def outcome(old: str, new: str) -> tuple[int, int, int, set[str], set[str]]:
        p = Project(tmp_path / new.replace(" ", "-").replace(":", ""))
        for name in ("deckgen.yaml", "seeds/seeds.yaml", "seeds/tiny.txt", "cards/safety.yaml"):
            p.write(name, (project.root / name).read_text())
        assert p.run("build").exit_code == 0
        col = open_collection(p.root / "learner")
        import_apkg(col, p.output)
        p.write("deckgen.yaml", PROJECT_YAML.replace(old, new))
        p.write("cards/safety.yaml", CARDS_YAML.replace("answer: First, do no harm.",
                                                        "answer: Do no harm.")
                + pressure_card("third-card"))
        assert p.run("build", "--new-identity").exit_code == 0
        log = import_apkg(col, p.output)
        rendered = render_all(col)
        return (len(log.updated), len(log.conflicting), col.note_count(),
                {c.deck for c in rendered}, {n.name for n in col.models.all_names_and_ids()})

    updated, conflicting, notes, decks, _ = outcome("guid_namespace: test-deck",
                                                    "guid_namespace: other-deck")
    assert (updated, notes) == (0, 5)  # every card twice
    updated, conflicting, notes, decks, types = outcome("basic: 1500000002", "basic: 1500000009")
    assert (updated, conflicting) == (0, 1) and "deckgen basic+" in types  # skipped, forked
    updated, conflicting, notes, decks, _ = outcome("name: Test deck", "name: Test deck two")
    assert decks == {"Test deck::Safety", "Test deck two::Safety"}  # split in two
    updated, conflicting, notes, decks, _ = outcome("deck_id: 1500000001", "deck_id: 1500000009")
    assert (updated, notes, decks) == (1, 3, {"Test deck::Safety"})  # nothing visible


@pytest.mark.parametrize(("deck_id", "basic", "cloze"), [
    ((1 << 20) + 1, (1 << 20) + 2, (1 << 20) + 3),
    ((1 << 53) - 1, (1 << 53) - 2, (1 << 53) - 3),
    (1500000001, 1500000001, 1500000002),  # a note type may share the deck's id
])
def test_the_ids_at_the_ends_of_their_range_import(project: Project, tmp_path: Path,
                                                   deck_id: int, basic: int, cloze: int) -> None:
    project.write("deckgen.yaml", PROJECT_YAML.replace("1500000001", str(deck_id)).replace(
        "1500000002", str(basic)).replace("1500000003", str(cloze)))
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    col = open_collection(tmp_path / "anki")
    assert len(import_apkg(col, project.output).new) == 2
    assert sorted(col.db.list("select distinct mid from notes")) == sorted({basic, cloze})
    assert {c.deck for c in render_all(col)} == {"Test deck::Safety"}


@pytest.mark.parametrize(("old", "new", "message"), [
    ("deck_id: 1500000001", f"deck_id: {1 << 53}", "deckgen.yaml:3:10: error: 'deck_id' must be "
     f"a large fixed number, over 2^20 and below 2^53, got {1 << 53}"),
    ("deck_id: 1500000001", f"deck_id: {1 << 63}", "deckgen.yaml:3:10: error: 'deck_id' must be "
     f"a large fixed number, over 2^20 and below 2^53, got {1 << 63}"),
    ("deck_id: 1500000001", "deck_id: 1", "deckgen.yaml:3:10: error: 'deck_id' must be a large "
     "fixed number, over 2^20 and below 2^53, got 1"),
    ("basic: 1500000002", f"basic: {(1 << 63) - 1}", "deckgen.yaml:5:10: error: 'basic' must be "
     f"a large fixed number, over 2^20 and below 2^53, got {(1 << 63) - 1}"),
    ("cloze: 1500000003", "cloze: 0", "deckgen.yaml:6:10: error: 'cloze' must be a large fixed "
     "number, over 2^20 and below 2^53, got 0"),
])
def test_ids_outside_the_range_are_refused(project: Project, old: str, new: str,
                                           message: str) -> None:
    project.write("deckgen.yaml", PROJECT_YAML.replace(old, new))
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (1, message + "\n1 error\n")


# --- the guid -----------------------------------------------------------------------------

def test_the_guid_is_made_of_the_namespace_and_the_card_id(project: Project,
                                                           tmp_path: Path) -> None:
    """As documented: genanki.guid_for("deckgen", guid_namespace, card id), for live and retired
    notes alike; two projects that differ only in their namespace share no guid."""
    project.write("cards/safety.yaml", CARDS_YAML + pressure_card("third-card"))
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", CARDS_YAML)  # third-card is retired
    assert project.run("build").exit_code == 0
    first = guids(project.output)
    assert set(first) == {"do-no-harm", "overstimulation-cloze", "third-card"}
    for card_id, guid in first.items():
        assert guid == genanki.guid_for("deckgen", "test-deck", card_id)

    other = Project(tmp_path / "other")
    for name in ("seeds/seeds.yaml", "seeds/tiny.txt", "cards/safety.yaml", LOCK):
        other.write(name, (project.root / name).read_text())
    other.write("deckgen.yaml", PROJECT_YAML.replace("test-deck", "other-deck"))
    other.write(LOCK, lock_text(project).replace('"test-deck"', '"other-deck"'))
    assert other.run("build").exit_code == 0
    second = guids(other.output)
    assert set(second) == set(first)
    assert not set(second.values()) & set(first.values())
    for card_id, guid in second.items():
        assert guid == genanki.guid_for("deckgen", "other-deck", card_id)


# --- the lock validated --------------------------------------------------------------------

def test_every_lock_shape_written_so_far_is_read(project: Project, tmp_path: Path) -> None:
    """The shapes of every deckgen.lock in the repository's history (indented JSON, then a line
    per card) read as they are."""
    repo = Path(__file__).resolve().parent.parent
    try:
        revisions = subprocess.run(["git", "log", "--format=%H", "--", LOCK], cwd=repo, check=True,
                                   capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    if not revisions:
        pytest.skip("no history")
    from deckgen.lock import read_lock

    for revision in revisions:
        text = subprocess.run(["git", "show", f"{revision}:{LOCK}"], cwd=repo, check=True,
                              capture_output=True, text=True).stdout
        path = tmp_path / f"{revision}.lock"
        path.write_text(text, encoding="utf-8")
        lock = read_lock(path)
        data = json.loads(text)
        assert len(lock.cards) == len(data["cards"]) > 0
        # locks written before the identity was recorded have none; later ones have it
        assert (lock.identity is None) == ("identity" not in data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6)
FIELDS = [("version",), ("identity",), ("identity", "deck_id"), ("identity", "note_type_ids"),
          ("identity", "name"), ("identity", "guid_namespace"), ("note_types",),
          ("note_types", "basic"), ("note_types", "basic", "mod"), ("note_types", "basic", "hash"),
          ("cards",), ("cards", "do-no-harm"), ("cards", "do-no-harm", "mod"),
          ("cards", "do-no-harm", "hash"), ("cards", "do-no-harm", "kind"),
          ("cards", "do-no-harm", "front"), ("cards", "do-no-harm", "deck"),
          ("cards", "do-no-harm", "extra"), ("cards", "new-key"), ("retired",),
          ("retired", "gone"), ("retired", "gone", "mod"), ("retired", "gone", "kind"),
          ("retired", "gone", "front"), ("retired", "gone", "deck"), ("unknown",)]
LOCATED = re.compile(r"(deckgen\.lock|deckgen\.yaml|cards/safety\.yaml):\d+:\d+: error: .+")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=JSON_VALUES, mods=st.sampled_from([0, 1, 2]))
def test_any_lock_content_gives_a_located_error_or_a_build(project: Project, field: tuple[str, ...],
                                                           value: object, mods: int) -> None:
    data: dict = {"version": 1,
                  "identity": {"name": "Test deck", "deck_id": 1500000001,
                               "note_type_ids": {"basic": 1500000002, "cloze": 1500000003},
                               "guid_namespace": "test-deck"},
                  "note_types": {"basic": {"hash": "sha256:" + "0" * 64, "mod": 1700000000}},
                  "cards": {"do-no-harm": {"hash": "sha256:" + "1" * 64, "mod": 1700000000 + mods,
                                           "kind": "basic", "deck": "Test deck::Safety",
                                           "front": "Q<script>x</script>"}},
                  "retired": {"gone": {"mod": 1700000000, "kind": "cloze", "deck": "Test deck",
                                       "front": "{{c1::x}}"}}}
    target = data
    for key in field[:-1]:
        target = target.setdefault(key, {}) if isinstance(target, dict) else {}
    if isinstance(target, dict):
        target[field[-1]] = value
    project.write(LOCK, json.dumps(data))
    before = lock_text(project)
    result = project.run("build")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.exit_code == 0:
        assert json.loads(lock_text(project))["version"] == 1
        return
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1].endswith(("error", "errors")), result.stderr
    assert all(LOCATED.fullmatch(line) or line.startswith("    ") for line in lines[:-1]), lines
    assert lock_text(project) == before


# --- merge conflicts -----------------------------------------------------------------------

def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root,
                          capture_output=True, text=True, check=False)


def deckgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deckgen", *args], cwd=root,
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("style", ["merge", "diff3", "zdiff3"])
def test_a_git_merge_conflict_in_the_lock_is_resolved_by_build(project: Project, tmp_path: Path,
                                                               style: str) -> None:
    root = project.root
    project.write(".gitignore", "out/\n")
    assert deckgen(root, "build").returncode == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "merge.conflictStyle", style)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    learner = open_collection(tmp_path / "learner-main")
    import_apkg(learner, project.output)

    git(root, "checkout", "-qb", "topic")
    project.write("cards/safety.yaml", CARDS_YAML + pressure_card("topic-card"))
    assert deckgen(root, "build").returncode == 0
    git(root, "commit", "-qam", "topic card")
    topic_learner = open_collection(tmp_path / "learner-topic")
    import_apkg(topic_learner, project.output)

    git(root, "checkout", "-q", "main")
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", "answer: Do no harm.") + pressure_card("main-card"))
    assert deckgen(root, "build").returncode == 0
    git(root, "commit", "-qam", "main card")
    import_apkg(learner, project.output)

    merge = git(root, "merge", "topic")
    assert merge.returncode != 0 and "CONFLICT" in merge.stdout
    assert git(root, "diff", "--name-only", "--diff-filter=U").stdout.split() == [
        "cards/safety.yaml", LOCK]
    conflicted = lock_text(project)
    assert "<<<<<<<" in conflicted and ("|||||||" in conflicted) == (style != "merge")
    first = 1 + conflicted.splitlines().index(next(line for line in conflicted.splitlines()
                                                   if line.startswith("<<<<<<<")))
    # the card file is resolved by hand: both cards kept, main's edit kept
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", "answer: Do no harm.") + pressure_card("main-card")
        + pressure_card("topic-card").replace("second way", "other way"))

    for args in (("check",), ("build", "--locked")):
        run = deckgen(root, *args)
        how = " (without --locked)" if "--locked" in args else ""
        assert (run.returncode, run.stderr) == (1, (
            f"deckgen.lock:{first}:1: error: the lock file has unresolved merge conflicts; run "
            f"'deckgen build'{how} to merge both sides, then commit deckgen.lock\n1 error\n"))
        assert lock_text(project) == conflicted

    run = deckgen(root, "build")
    assert run.returncode == 0, run.stderr
    resolved = json.loads(lock_text(project))
    assert set(resolved["cards"]) == {"do-no-harm", "overstimulation-cloze", "main-card",
                                      "topic-card"}
    assert deckgen(root, "build", "--locked").returncode == 0
    assert deckgen(root, "check").returncode == 0

    # learners of either branch's release get every change; a newcomer gets a clean deck
    for col, edited in ((learner, {"topic-card"}), (topic_learner,
                                                   {"do-no-harm", "main-card", "topic-card"})):
        log = import_apkg(col, project.output)
        assert len(log.conflicting) == 0
        assert len(log.new) + len(log.updated) == len(edited)
        assert col.note_count() == 4
    fresh = open_collection(tmp_path / "newcomer")
    assert len(import_apkg(fresh, project.output).new) == 4
    assert all("template-errors" not in c.question + c.answer for c in render_all(fresh))


def test_the_merge_keeps_the_newer_entry_and_revives_a_card_kept_on_one_side(
        project: Project, tmp_path: Path) -> None:
    """One side retired a card at a later mod than the other side's last edit of it: the merged
    build ships it live with a mod past both, so both sides' learners get it back."""
    from deckgen.lock import Lock as LockData
    from deckgen.lock import LockEntry, merge_locks

    live = LockEntry(100, "basic", "Q", "D", "sha256:" + "a" * 64)
    gone = LockEntry(105, "basic", "Q", "D")
    merged = merge_locks(LockData(cards={"x": live}), LockData(retired={"x": gone}))
    assert merged.cards["x"].mod == 105 and merged.cards["x"].hash == "" and not merged.retired
    newer = LockEntry(110, "basic", "Q2", "D", "sha256:" + "b" * 64)
    merged = merge_locks(LockData(cards={"x": newer}), LockData(retired={"x": gone}))
    assert merged.cards["x"] == newer
    same_mod = LockEntry(110, "basic", "Q3", "D", "sha256:" + "c" * 64)
    for a, b in ((newer, same_mod), (same_mod, newer)):  # symmetric, and goes past both
        merged = merge_locks(LockData(cards={"x": a}), LockData(cards={"x": b}))
        assert (merged.cards["x"].mod, merged.cards["x"].hash) == (110, "")
    both_gone = merge_locks(LockData(retired={"x": gone}),
                            LockData(retired={"x": LockEntry(90, "basic", "Q0", "D")}))
    assert both_gone.retired["x"] == gone and not both_gone.cards

    # end to end: the card edited on one side, removed (retired) on the other, later
    project.write("cards/safety.yaml", CARDS_YAML + pressure_card("third-card"))
    assert project.run("build").exit_code == 0
    base = lock_text(project)
    kept = json.loads(base)
    kept["cards"]["third-card"]["mod"] -= 10
    retired = json.loads(base)
    entry = retired["cards"].pop("third-card")
    retired["retired"]["third-card"] = {k: entry[k] for k in ("mod", "kind", "deck", "front")}
    sides = [json.dumps(kept, indent=1).splitlines(), json.dumps(retired, indent=1).splitlines()]
    project.write(LOCK, "\n".join(["<<<<<<< HEAD", *sides[0], "=======", *sides[1],
                                   ">>>>>>> topic", ""]))
    assert project.run("build").exit_code == 0
    after = json.loads(lock_text(project))
    assert after["cards"]["third-card"]["mod"] > entry["mod"] and not after["retired"]


@pytest.mark.parametrize(("text", "message"), [
    ('{"version": 1,\n<<<<<<< HEAD\n"cards": {}\n=======\n"cards": {}\n',
     "deckgen.lock:2:1: error: merge conflict opened here has no '>>>>>>>' to end it"),
    ('{"version": 1,\n=======\n"cards": {}}\n',
     "deckgen.lock:2:1: error: merge conflict marker '=======' outside a conflict"),
    ('{"version": 1,\n<<<<<<< a\n"cards": {}}\n=======\n"cards": []}\n>>>>>>> b\n',
     "deckgen.lock:5:10: error: 'cards' must be a mapping, got a list"),
    ('{"version": 1,\n<<<<<<< a\n"cards": {}}\n=======\n"cards": {\n>>>>>>> b\n',
     "deckgen.lock:7:1: error: lock file is not valid JSON (side 'b' of the merge conflict): "
     "Expecting property name enclosed in double quotes"),
    ('{"version": 1,\n<<<<<<< a\n"identity": {"name": "Test deck", "deck_id": 1500000001, '
     '"note_type_ids": {"basic": 1500000002, "cloze": 1500000003}, "guid_namespace": "test-deck"},'
     '\n=======\n"identity": {"name": "Test deck", "deck_id": 1500000001, "note_type_ids": '
     '{"basic": 1500000002, "cloze": 1500000003}, "guid_namespace": "test-other"},\n>>>>>>> b\n'
     '"cards": {}}\n',
     "deckgen.lock:5:13: error: the two sides of the merge conflict record different identities "
     "(name, ids, guid namespace): 'Test deck' (1500000001, 1500000002, 1500000003, test-deck) "
     "and 'Test deck' (1500000001, 1500000002, 1500000003, test-other); keep the 'identity' line "
     "that matches deckgen.yaml"),
])
def test_a_broken_conflict_is_a_located_error(project: Project, text: str, message: str) -> None:
    project.write(LOCK, text)
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (1, message + "\n1 error\n")
    assert lock_text(project) == text


# --- Anki's deck names ------------------------------------------------------------------------

NAMES = ["Plain", "Two::Parts", "a::::b", "c:: d", " lead", "trail ", "e:::f", "x:", "\u00a0nb",
         "e\u0301t\u00e9", "tab\there", "g::\u3000::h", "blank", "Ünïcode::ok"]


def test_the_deck_name_rules_are_ankis(tmp_path: Path) -> None:
    """deckgen's copy of Anki's deck-name normalisation agrees with the real backend: a name it
    accepts reaches Anki unchanged, a name it refuses is the one Anki renames, to what it says."""
    from deckgen.notes import NoteSpec, note_guid
    from deckgen.notetypes import BASIC_FIELDS
    from deckgen.package import DeckSettings, PackageWriter, StampedNote
    from deckgen.schema import _deck_name_problem, anki_deck_name

    out = tmp_path / "names.apkg"
    settings_ = DeckSettings("Root", "", 1500000001, 1500000002, 1500000003, "ns")
    with PackageWriter(settings_, 1700000000, tmp_path / "scratch.anki2") as writer:
        for n, name in enumerate(NAMES):
            fields = (f"Q{n}", "A", *[""] * (len(BASIC_FIELDS) - 2))
            writer.add(StampedNote(NoteSpec(f"c{n}", note_guid("ns", f"c{n}"), "basic", fields, (),
                                            f"Root::{name}"), 1700000000))
        writer.commit(out)
    col = open_collection(tmp_path / "anki")
    import_apkg(col, out)
    got = {c.fields["Question"]: c.deck for c in render_all(col)}
    for n, name in enumerate(NAMES):
        assert got[f"Q{n}"] == "Root::" + anki_deck_name(name), name
        assert (_deck_name_problem(name) is None) == (anki_deck_name(name) == name), name


def test_a_card_retired_on_one_branch_while_the_other_adds_one(project: Project) -> None:
    """Git merges the 'retired' section cleanly and leaves the 'cards' conflict, so one side of
    the conflict holds the retired card in both sections: build still merges it, and the
    retirement stands (the card files decide)."""
    root = project.root
    project.write(".gitignore", "out/\n")
    assert deckgen(root, "build").returncode == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    git(root, "checkout", "-qb", "retire")
    project.write("cards/safety.yaml", CARDS_YAML.split("  - id: overstimulation-cloze")[0])
    with (root / "deckgen.yaml").open("a", encoding="utf-8") as f:
        f.write("retired:\n  overstimulation-cloze: Folded into another card.\n")
    assert deckgen(root, "build").returncode == 0
    git(root, "commit", "-qam", "retire a card")
    git(root, "checkout", "-q", "main")
    project.write("cards/more.yaml", "deck: More\ncards:\n" + pressure_card("added-card"))
    assert deckgen(root, "build").returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "add a card")
    merge = git(root, "merge", "retire")
    assert "CONFLICT" in merge.stdout and "<<<<<<<" in lock_text(project)
    run = deckgen(root, "build")
    assert run.returncode == 0, run.stderr
    resolved = json.loads(lock_text(project))
    assert set(resolved["cards"]) == {"do-no-harm", "added-card"}
    assert set(resolved["retired"]) == {"overstimulation-cloze"}
    assert resolved["retired"]["overstimulation-cloze"]["reason"] == "Folded into another card."
    assert deckgen(root, "build", "--locked").returncode == 0


@settings(max_examples=300, deadline=None)
@given(namespace=st.text(min_size=1, max_size=40),  # (no lone surrogates: as in YAML)
       card_id=st.from_regex(r"[a-z0-9]+(?:-[a-z0-9]+)*", fullmatch=True))
def test_note_guid_is_genankis_guid_for(namespace: str, card_id: str) -> None:
    """deckgen writes genanki's guid algorithm out (for speed): the same guid for any namespace
    and card id, so a deck built before and after the change is the same deck to Anki."""
    assert note_guid(namespace, card_id) == genanki.guid_for("deckgen", namespace, card_id)
