"""deckgen build from the user's side: output, identity, atomic writes, sanitising."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from ankihelp import TEMPLATE_ERROR_MARK, import_apkg, open_collection, render_all, unsafe_markup
from conftest import CARDS_YAML, Project, copy_of_repository_deck
from deckgen import package
from deckgen.notes import note_guid


def test_build_reports_one_line(project: Project) -> None:
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(
        r"built 2 cards in 1 decks: out/test\.apkg \(\d+\.\d KiB, \d+\.\d\d s\)\n", result.stdout
    )
    assert zipfile.ZipFile(project.output).namelist() == ["collection.anki2", "media"]


def test_check_writes_nothing(project: Project) -> None:
    before = sorted(p.relative_to(project.root) for p in project.root.rglob("*"))
    result = project.run("check")
    assert (result.exit_code, result.stdout) == (0, "checked 2 cards: no errors\n")
    assert sorted(p.relative_to(project.root) for p in project.root.rglob("*")) == before


def test_cards_and_seeds_options(project: Project) -> None:
    (project.root / "cards").rename(project.root / "mycards")
    (project.root / "seeds").rename(project.root / "myseeds")
    result = project.run("build", "--cards", "mycards", "--seeds", "myseeds", "-o", "x/y.apkg")
    assert result.exit_code == 0, result.stderr
    assert (project.root / "x" / "y.apkg").is_file()


def test_python_m_and_version(project: Project) -> None:
    run = subprocess.run([sys.executable, "-m", "deckgen", "--version"],
                         capture_output=True, text=True, cwd=project.root, check=False)
    assert run.returncode == 0
    assert re.fullmatch(r"deckgen, version \d+\.\d+\.\d+\n", run.stdout)
    run = subprocess.run([sys.executable, "-m", "deckgen", "check"],
                         capture_output=True, text=True, cwd=project.root, check=False)
    assert (run.returncode, run.stdout) == (0, "checked 2 cards: no errors\n")


def test_failed_write_keeps_previous_output_and_leaves_no_temp_files(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert project.run("build").exit_code == 0
    previous = project.output.read_bytes()
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    def broken(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(package, "_add", broken)
    project.write("cards/safety.yaml", CARDS_YAML.replace("First, do no harm.\n", "Do no harm.\n"))
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (
        1, "out/test.apkg:1:1: error: cannot write: No space left on device\n1 error\n")
    assert project.output.read_bytes() == previous
    assert sorted(p.name for p in project.output.parent.iterdir()) == ["test.apkg"]
    assert list(temp.iterdir()) == []


def test_guid_depends_on_card_id_only(project: Project, tmp_path: Path) -> None:
    project.run("build")
    first = render_all(_imported(project.output, tmp_path / "a"))
    project.write("cards/safety.yaml", CARDS_YAML.replace("First, do no harm.\n", "Do no harm.\n"))
    project.run("build")
    second = render_all(_imported(project.output, tmp_path / "b"))
    assert [r.note_guid for r in first] == [r.note_guid for r in second]
    assert {r.note_guid for r in first} == {
        note_guid("test-deck", "do-no-harm"), note_guid("test-deck", "overstimulation-cloze")
    }


def test_markdown_is_rendered_and_scripts_never_reach_anki(project: Project, tmp_path: Path) -> None:
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.",
        "answer: '*First*, do no harm. <script>alert(1)</script> "
        "[x](javascript:alert(1)) <img src=x onerror=alert(1)>'",
    ))
    assert project.run("build").exit_code == 0
    col = _imported(project.output, tmp_path / "c")
    basic = next(r for r in render_all(col) if "foundational" in r.question)
    assert "<em>First</em>, do no harm." in basic.answer
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in basic.answer  # shown as text, inert
    assert unsafe_markup(basic.answer) == []
    assert unsafe_markup('<a href="javascript:x()">x</a><b onclick="x()">') == [
        "a href=javascript:x()", "b onclick="]  # the scanner itself can fail


def test_starter_deck_builds_and_imports_into_anki(tmp_path: Path) -> None:
    repo = copy_of_repository_deck(tmp_path / "repo")
    out = tmp_path / "deck.apkg"
    run = subprocess.run([sys.executable, "-m", "deckgen", "build", "-o", str(out)],
                         capture_output=True, text=True, cwd=repo, check=False)
    assert run.returncode == 0, run.stderr
    col = open_collection(tmp_path / "col")
    log = import_apkg(col, out)
    cards_in_source = len(re.findall(r"^  - id: ", "".join(
        p.read_text(encoding="utf-8") for p in sorted((repo / "cards").rglob("*.yaml"))), re.M))
    retired = json.loads((repo / "deckgen.lock").read_text(encoding="utf-8"))["retired"]
    assert len(log.new) == cards_in_source + len(retired) == col.note_count()
    assert len(col.find_notes("tag:deckgen::retired")) == len(retired)
    assert (len(log.updated), len(log.duplicate), len(log.conflicting)) == (0, 0, 0)
    titles = _seed_titles(repo)
    for r in render_all(col):
        if "deckgen::retired" in r.tags:
            continue
        assert TEMPLATE_ERROR_MARK not in r.question + r.answer
        assert r.question.strip() and r.answer.strip()
        seed = next(t[len("seed::"):] for t in r.tags if t.startswith("seed::"))
        assert titles[seed] in r.answer.replace("&quot;", '"')
        assert 'class="dg-passage"' in r.answer
        level = next(t for t in r.tags if t.startswith("evidence::"))
        assert f"dg-level-{level[len('evidence::'):]}" in r.answer


def _seed_titles(repo: Path) -> dict[str, str]:
    import yaml

    manifest = yaml.safe_load((repo / "seeds" / "seeds.yaml").read_text(encoding="utf-8"))
    return {s["id"]: s["title"] for s in manifest["seeds"]}


def _imported(apkg: Path, folder: Path):  # type: ignore[no-untyped-def]
    col = open_collection(folder)
    import_apkg(col, apkg)
    return col
