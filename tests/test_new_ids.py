"""``deckgen new`` never gives a card an id that any card file or the lock holds, however it is
written there, and reads only the files whose text may hold it (so adding a card to a big deck
costs about what adding it to a small one does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Project, pressure_card
from deckgen import authoring
from deckgen.lock import read_lock
from deckgen.yamlsource import load_yaml


def test_new_finds_the_ids_however_they_are_written(project: Project) -> None:
    project.write("cards/escaped.yaml", 'cards:\n  - id: "safety\\x2d1"\n')  # (YAML's escape)
    project.write("cards/broken.yaml", "cards:\n  - id: safety-2\n    question: [\n")
    project.write("cards/flow.yaml", "cards: [{id: safety-3}, {id: 'safety-4'}]\n")
    project.write("cards/near.yaml", "cards:\n" + "".join(  # (ids that hold the next one)
        pressure_card(card_id) for card_id in ("safety-50", "my-safety-5", "safety-5x")))
    result = project.run("new", "cards/safety.yaml")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "added card 'safety-5' to cards/safety.yaml: fill in the TODOs\n"
    for card_id in ("safety-1", "safety-2", "safety-3", "safety-4"):
        again = project.run("new", "cards/safety.yaml", "--id", card_id)
        assert again.exit_code == 1 and "is already used by a card" in again.stderr, card_id


def test_new_reads_the_ids_of_a_file_that_is_not_utf8(project: Project) -> None:
    (project.root / "cards/latin1.yaml").write_bytes(
        b"cards:\n  - id: safety-1\n    question: Caf\xe9?\n")
    result = project.run("new", "cards/safety.yaml")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "added card 'safety-2' to cards/safety.yaml: fill in the TODOs\n"


def test_new_finds_a_retired_id_the_lock_spells_with_an_escape(project: Project) -> None:
    cards = (project.root / "cards/safety.yaml").read_text()
    project.write("cards/safety.yaml", cards + pressure_card("pressure-1"))
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", cards)
    assert project.run("build").exit_code == 0  # pressure-1 retired
    lock = project.root / "deckgen.lock"
    lock.write_text(lock.read_text().replace("pressure-1", "pressure\\u002d1"))
    assert project.run("check").exit_code == 0  # (the same lock)
    result = project.run("new", "cards/safety.yaml", "--id", "pressure-1")
    assert result.exit_code == 1 and "was used by a retired one" in result.stderr
    assert project.run("new", "cards/pressure.yaml").stdout.startswith("added card 'pressure-2'")


def test_new_reads_only_the_files_that_may_hold_the_id(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    for f in range(5):
        project.write(f"cards/part-{f}.yaml", "cards:\n" + "".join(
            pressure_card(f"pressure-{f}-{i}") for i in range(3)))
    assert project.run("build").exit_code == 0
    read: list[str] = []

    def spy(real: Any) -> Any:
        def reading(path: Path, *args: Any) -> Any:
            read.append(path.as_posix())
            return real(path, *args)
        return reading

    monkeypatch.setattr(authoring, "load_yaml", spy(load_yaml))
    monkeypatch.setattr(authoring, "read_lock", spy(read_lock))
    result = project.run("new", "cards/part-3.yaml")
    assert result.stdout == "added card 'part-3-1' to cards/part-3.yaml: fill in the TODOs\n"
    assert read == []  # (the file itself is read by the insertion, see cardinsert)
    project.write("cards/part-4.yaml", "cards:\n" + pressure_card("part-3-2"))
    result = project.run("new", "cards/part-3.yaml")
    assert result.stdout == "added card 'part-3-3' to cards/part-3.yaml: fill in the TODOs\n"
    assert read == ["cards/part-3.yaml", "cards/part-4.yaml"]
    read.clear()
    result = project.run("new", "cards/part-3.yaml", "--id", "pressure-2-1")
    assert result.exit_code == 1 and "is already used by a card" in result.stderr
    assert read == ["deckgen.lock", "cards/part-2.yaml"]


def test_new_chooses_an_id_the_lock_does_not_hold_without_reading_it(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    cards = (project.root / "cards/safety.yaml").read_text()
    project.write("cards/safety.yaml", cards + pressure_card("safety-1") + pressure_card("safety-2"))
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", cards + pressure_card("safety-2"))
    assert project.run("build").exit_code == 0  # safety-1 retired: only the lock holds it
    read: list[str] = []

    def reading(path: Path) -> Any:
        read.append(path.as_posix())
        return read_lock(path)

    monkeypatch.setattr(authoring, "read_lock", reading)
    result = project.run("new", "cards/safety.yaml")
    assert result.stdout == "added card 'safety-3' to cards/safety.yaml: fill in the TODOs\n"
    assert read == []  # (its text searched: an id it holds stands there as typed)
    refused = project.run("new", "cards/other.yaml", "--id", "safety-1")
    assert refused.exit_code == 1 and "was used by a retired one" in refused.stderr
    assert read == ["deckgen.lock"]
