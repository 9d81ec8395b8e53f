"""``pipeline.each_file``: what the commands that read every card (preview, stats) build on.
The same summaries in the same order, and the same errors, in one process and over workers."""

from __future__ import annotations

import pytest

from conftest import Project, pressure_card
from deckgen import parallel
from deckgen.cards import LoadedFile
from deckgen.errors import DeckgenError
from deckgen.notes import NoteSpec
from deckgen.pipeline import each_file
from deckgen.project import load_project


def _ids(loaded: LoadedFile, notes: list[NoteSpec]) -> tuple[str, list[str], list[str]]:
    return loaded.refs[0].path.name, [rc.card.id for rc in loaded.cards], [n.guid for n in notes]


def _spread(project: Project, files: int) -> None:
    for i in range(files):
        project.write(f"cards/more-{i:02d}.yaml", "deck: Safety\ncards:\n" + "".join(
            pressure_card(f"p-{i}-{j}") for j in range(3)))


@pytest.mark.parametrize("threshold", [1 << 40, 0], ids=["one process", "workers"])
def test_summaries_come_in_file_order_with_their_notes(
        project: Project, monkeypatch: pytest.MonkeyPatch, threshold: int) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", threshold)
    _spread(project, 5)
    found = each_file(load_project(project.root), _ids, notes=True)
    assert [name for name, _, _ in found] == [f"more-{i:02d}.yaml" for i in range(5)] + [
        "safety.yaml"]
    assert found[0][1] == ["p-0-0", "p-0-1", "p-0-2"]
    assert all(len(guids) == len(ids) and all(guids) for _, ids, guids in found)
    assert each_file(load_project(project.root), _ids)[0][2] == []  # no notes asked for


@pytest.mark.parametrize("threshold", [1 << 40, 0], ids=["one process", "workers"])
def test_errors_within_and_across_files_are_raised(
        project: Project, monkeypatch: pytest.MonkeyPatch, threshold: int) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", threshold)
    _spread(project, 3)
    project.write("cards/more-01.yaml", "deck: Safety\ncards:\n" + pressure_card("p-0-0"))
    project.write("cards/zz.yaml", "deck: SAFETY\ncards:\n" + pressure_card("zz-1").replace(
        "When excessive pressure is applied", "When gentle pressure is applied"))
    with pytest.raises(DeckgenError) as raised:
        each_file(load_project(project.root), _ids)
    messages = [d.message for d in raised.value.diagnostics]
    assert any("duplicate card id 'p-0-0'" in m for m in messages)
    assert any("differs only in case" in m for m in messages)
    assert any("not found" in m for m in messages)
