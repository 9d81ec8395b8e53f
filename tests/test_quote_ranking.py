"""`deckgen quote`: what an author typing a few remembered words sees first."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import LCSseq
from rapidfuzz.utils import default_process

from conftest import REPO, Project
from deckgen.authoring import CLOSE, _held, _sentences, quote_problem, rank_quotes
from deckgen.project import load_project
from deckgen.seeds import load_seeds

RANKING = """\
A Ranking Seed

Short bit here.
The therapist kept working on the muscle long after the
pathological tension was gone, and the patient felt worse.
The pressure was short and light, and nobody felt any bit of it.
A bitter shortage of hands meant shorter sessions for everyone.
Signs to watch:
- pathological tension gone
- patient felt worse
"""


@pytest.fixture
def ranking(project: Project) -> Project:
    project.write("seeds/tiny.txt", RANKING)
    return project


def test_an_exact_short_sentence_comes_first(ranking: Project) -> None:
    result = ranking.run("quote", "tiny", "short bit")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (  # the sentence holding both words far apart is not "about as
        "line 3 (100%; 3 words; a quote has 5 to 60):\n"  # alike": it comes after
        '      quote: "Short bit here."\n'
        "line 6 (67%):\n"
        '      quote: "The pressure was short and light, and nobody felt any bit of it."\n'
        "line 7 (67%):\n"  # ("shorter" counts as "short", "bitter" not as "bit": too short)
        '      quote: "A bitter shortage of hands meant shorter sessions for everyone."\n')


def test_an_exact_long_sentence_comes_first(ranking: Project) -> None:
    result = ranking.run("quote", "tiny", "the patient felt worse", "-n", "3")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (  # the whole sentence over the fragment: both hold the words
        "line 4 (100%):\n"
        '      quote: "The therapist kept working on the muscle long after the pathological '
        'tension was gone, and the patient felt worse."\n'
        "line 10 (100%; 3 words; a quote has 5 to 60):\n"
        '      quote: "patient felt worse"\n'
        "line 6 (53%):\n"  # ("the" and "felt")
        '      quote: "The pressure was short and light, and nobody felt any bit of it."\n')
    whole = ranking.run("quote", "tiny", "kept working on the muscle long after the "
                                         "pathological tension was gone", "-n", "1")
    assert whole.stdout.startswith("line 4 (100%):\n")


def test_a_whole_sentence_beats_a_fragment_holding_as_many_words(ranking: Project) -> None:
    result = ranking.run("quote", "tiny", "pathologcal tension gone")  # (a typo)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "line 4 (83%):\n"
        '      quote: "The therapist kept working on the muscle long after the pathological '
        'tension was gone, and the patient felt worse."\n'
        "line 9 (96%; 3 words; a quote has 5 to 60):\n"
        '      quote: "pathological tension gone"\n')


def test_nothing_relevant_at_all_is_an_error(ranking: Project) -> None:
    # letters in common ("the", "ing"...) but no word: nothing is shown
    result = ranking.run("quote", "tiny", "zebras crossing the meadows")
    assert result.exit_code == 0  # ("the" is a word of the seed)
    assert all("the" in line.lower() for line in result.stdout.splitlines()[1::2])
    result = ranking.run("quote", "tiny", "zebras crossing meadows")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "", "seeds/seeds.yaml:1:1: error: no passage of 'tiny' resembles "
               "\"zebras crossing meadows\"\n1 error\n")
    punctuation = ranking.run("quote", "tiny", "?!")
    assert punctuation.exit_code == 1


def test_the_likest_passage_is_shown_even_behind_quotable_sentences(project: Project) -> None:
    project.write("seeds/tiny.txt", "A Seed\n\n" + "".join(
        f"Rule {n}: do no harm, whatever the patient asks for.\n" for n in range(1, 7))
        + "Do no harm.\n")
    result = project.run("quote", "tiny", "do no harm")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0:7:2] == [f"line {n} (100%):" for n in range(3, 7)]
    assert lines[8:] == ["line 9 (100%; 3 words; a quote has 5 to 60):",
                         '      quote: "Do no harm."']
    one = project.run("quote", "tiny", "do no harm", "-n", "1")
    assert one.stdout.splitlines()[0] == "line 3 (100%):"


def test_starter_deck_thank_you(tmp_path: object) -> None:
    result = Project(REPO).run("quote", "massage-cancer-2", "Thank you")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[:4] == [
        "line 62 (100%; 4 words; a quote has 5 to 60):",
        '      quote: "I said, “Thank you.”"',
        "line 43 (82%):",
        '      quote: "Thank God, the test came back at 0.4."']


def test_every_sentence_of_the_starter_seeds_finds_itself() -> None:
    """Each sentence of each real seed, typed whole: it is shown, first unless it breaks the
    quote rules and a sentence that satisfies them is about as alike ("She booked one hour.":
    "I asked whether she booked a one-hour or two-hour session." at 89%), or another sentence
    holds it whole."""
    checked = 0
    for seed_id, seed in load_seeds(load_project(REPO).seeds_dir).items():
        sentences = _sentences(seed)
        for line, passage in sentences:
            found = rank_quotes(seed, passage)
            # (a sentence may stand twice in a seed: "Kristin Neva" under each column)
            assert passage in [c.passage for c in found], (seed_id, line, passage)
            first = found[0]
            assert first.held == len(default_process(passage).split())
            if first.passage != passage:  # only a quotable sentence about as alike goes first
                assert first.problem is None and first.score >= 100 - CLOSE
                assert quote_problem(passage) is not None or first.score == 100
            checked += 1
    assert checked > 300


def test_quote_is_fast_on_a_big_seed(project: Project) -> None:
    words = ["therapist", "patient", "muscle", "tension", "pressure", "session", "the", "a",
             "treatment", "tissue", "pain", "relief", "spine", "disc", "nerve", "of"]
    sentences = [" ".join(words[(i * 7 + k * 3) % len(words)] for k in range(6 + i % 9)) + "."
                 for i in range(30_000)]  # about 1.5 MB, every sentence holding common words
    project.write("seeds/tiny.txt", "A Big Seed\n\n" + "\n".join(sentences) + "\n")
    start = time.perf_counter()
    result = project.run("quote", "tiny", "patient muscle tension the")
    elapsed = time.perf_counter() - start
    assert (result.exit_code, result.stderr) == (0, "")
    assert elapsed < 5, elapsed  # (about 1 s here: a guard against anything quadratic)


@given(wanted=st.lists(st.sampled_from("abcdef"), min_size=1, max_size=70),
       tokens=st.lists(st.sampled_from("abcdefg"), max_size=40))
def test_held_is_the_longest_common_subsequence(wanted: list[str], tokens: list[str]) -> None:
    bits: dict[str, int] = {}
    for i, w in enumerate(wanted):
        bits[w] = bits.get(w, 0) | 1 << i
    assert _held(bits, len(wanted), tokens) == LCSseq.similarity(wanted, tokens)
