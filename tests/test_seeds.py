"""Finding a quote in a seed: normalisation and the way back to the seed's own words."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckgen.schema import Seed
from deckgen.seeds import SeedText, normalise

SEED = Seed(id="s", file="s.txt", title="S", author=None, publisher=None, url=None, genre="test",
            max_evidence="expert-opinion")


def seed_text(text: str) -> SeedText:
    return SeedText(SEED, Path("s.txt"), text)


def test_typography_white_space_and_invisible_characters_do_not_matter() -> None:
    seed = seed_text("Intro line.\n\nShe said: \u201cFirst, do no\u00a0harm\u2026\u201d \u2014 "
                     "and\n   meant it.\nCaf\u00e9\u200b au lait, co\u00adoperation.\n")
    # the passage is the seed's own characters, its white space runs shown as one space
    assert seed.find('said: "First, do no harm..." - and meant it.') == (
        "said: \u201cFirst, do no harm\u2026\u201d \u2014 and meant it.", 3)
    assert seed.find("Cafe\u0301 au lait, cooperation.") == (
        "Caf\u00e9\u200b au lait, co\u00adoperation.", 5)
    assert seed.find("First, do no harm!") is None  # never a fuzzy match
    assert seed.find("meant it") == ("meant it", 4)


# text made of the pieces normalisation treats differently
pieces = st.sampled_from([
    "word", "Other", "x", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2019", "\u201c", "\u201d",
    "\u2014", "\u2013", "\u2026", "\u00ad", "\u200b", "e\u0301", "\u00e9", "\ufb01", "\u2460", ".",
    ",", "-", "'", '"', "\u3000", "\u00bd",
])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(pieces, min_size=1, max_size=40), data=st.data())
def test_any_passage_of_the_normalised_text_is_found_as_the_seeds_own_words(
    parts: list[str], data: st.DataObject
) -> None:
    text = "".join(parts)
    seed = seed_text(text)
    if not seed.norm:
        return
    start = data.draw(st.integers(0, len(seed.norm) - 1))
    end = data.draw(st.integers(start + 1, len(seed.norm)))
    quote = seed.norm[start:end].strip()
    if not quote:
        return
    span = seed.span(quote)
    assert span is not None
    first, stop = span
    # the seed's own words, normalised, contain the quote (the first occurrence may lie earlier)
    assert quote in normalise(text[first:stop])
    assert not text[first:stop][-1:].isspace()


def test_a_quote_is_taken_where_it_starts_a_word() -> None:
    seed = seed_text("They bathe patient after patient.\nThen the patient rests.\n")
    assert seed.find("the patient") == ("the patient", 2)  # not inside "bathe patient"
    assert seed.find("athe patient") == ("athe patient", 1)  # only inside a word: still found


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # (set on each use)
@given(data=st.data())
def test_big_seeds_are_looked_up_with_the_same_results(
    data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from deckgen import seeds

    rng = random.Random(data.draw(st.integers(0, 1000)))
    words = ["care", "harm", "pressure", "caring", "the", "thermal", "a", "“no”", "e\u0301"]
    text = "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(1500))
    seed = seed_text(text)
    assert len(seed.norm) >= 1 << 16  # big enough to be indexed
    quotes = []
    for _ in range(20):
        start = data.draw(st.integers(0, len(seed.norm) - 1))
        quotes.append(seed.norm[start:start + data.draw(st.integers(1, 60))].strip() or "care")
    monkeypatch.setattr(seeds, "INDEX_AFTER", 1 << 60)
    searched = [seed.span(q) for q in quotes]
    monkeypatch.setattr(seeds, "INDEX_AFTER", 0)
    indexed = seed_text(text)  # (a seed of its own: a seed keeps the spans it found)
    assert [indexed.span(q) for q in quotes] == searched
