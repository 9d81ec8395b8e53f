"""``deckgen stats`` checks the card files as ``deckgen check`` does, a file per core in big
projects: the same table and media lines in one process and over workers, and the errors that
check reports, those across files included."""

from __future__ import annotations

import pickle
import sys

import pytest

from conftest import SEED_TEXT, Project, pressure_card
from deckgen import parallel
from deckgen.coverage import CardCitation
from deckgen.media import load_media
from deckgen.pipeline import each_file
from deckgen.project import load_project
from deckgen.stats import Summariser
from test_media import media_project

needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")

SPREAD_STATS = """\
seed   cards  cited/paragraphs  share  evidence levels
tiny      16               3/4    75%  expert-opinion 16
total     16               3/4    75%  expert-opinion 16
media: 1 image and 1 audio file on 2 cards (0 declared but unused)
  credit: A. Painter, CC BY 4.0 (1 file)
  credit: B. Bell, CC0 (1 file)
"""


def spread(project: Project, files: int = 4) -> None:
    """The small project with media, and more card files: the cards of one seed in five files."""
    media_project(project)
    for f in range(files):
        project.write(f"cards/part-{f}.yaml", "deck: Pressure\ncards:\n" + "".join(
            pressure_card(f"pressure-{f}-{i}") for i in range(3)))
    project.write("cards/part-1.yaml", (project.root / "cards/part-1.yaml").read_text()
                  .replace("When excessive pressure is applied\n",
                           "Overstimulation is not objectively provable\n"))


def both_ways(project: Project, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str, str]]:
    outcomes = []
    for threshold in (1 << 60, 0):  # one process / a worker per core
        monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", threshold)
        result = project.run("stats")
        outcomes.append((result.exit_code, result.stdout, result.stderr))
    return outcomes


@needs_fork
def test_stats_are_the_same_in_one_process_and_over_workers(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    spread(project)
    alone, spread_out = both_ways(project, monkeypatch)
    assert alone == spread_out == (0, SPREAD_STATS, "")


@needs_fork
def test_stats_report_what_check_reports_across_files(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    spread(project)
    project.write("cards/part-2.yaml", "deck: PRESSURE\ncards:\n" + pressure_card("pressure-0-1"))
    check = project.run("check")
    for code, stdout, stderr in both_ways(project, monkeypatch):
        assert (code, stdout, stderr) == (1, "", check.stderr)
    assert check.stderr == (
        "cards/part-2.yaml:1:7: error: deck 'Test deck::PRESSURE' differs only in case from "
        "'Test deck::Pressure' (the deck of cards/part-0.yaml): Anki takes them for one deck; "
        "spell them the same\n"
        "cards/part-2.yaml:3:9: error: duplicate card id 'pressure-0-1' (first used at "
        "cards/part-0.yaml:10:9)\n"
        "2 errors\n")


def test_stats_print_no_table_when_a_card_shows_an_undeclared_file(project: Project) -> None:
    media_project(project)
    cards = (project.root / "cards/media.yaml").read_text()
    project.write("cards/media.yaml", cards.replace("](heart.png)", "](hart.png)"))
    result = project.run("stats")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "cards/media.yaml:3:15: error: media file 'hart.png' is not declared in "
        "media/media.yaml; did you mean 'heart.png'?\n1 error\n")


@needs_fork
def test_a_worker_sends_back_only_the_figures_inputs(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    spread(project)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    loaded = load_project(project.root)
    summaries = each_file(loaded, Summariser(load_media(loaded.media_dir)))
    cards = [card for summary in summaries for card, _ in summary]
    assert [type(card) for card in cards] == [CardCitation] * 16
    quote = "Overstimulation is not objectively provable"
    at = SEED_TEXT.index(quote)
    assert cards[5] == CardCitation("pressure-1-0", "tiny", "expert-opinion",
                                 ((at, at + len(quote)),))
    shown = {card.id: files for summary in summaries for card, files in summary}
    assert shown["with-image"] == ["heart.png"] and shown["pressure-0-0"] == []
    assert len(pickle.dumps(summaries)) < 3000  # (16 cards: no card, seed or document in it)
