"""The starter deck meets its bar: every seed mined, every theme covered, levels honest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import deckgen
from conftest import REPO
from deckgen.cards import ResolvedCard
from deckgen.evidence import BY_ID

LONG_ARTICLES = ("harm-by-massage-als-1", "do-no-harm-disc-case", "harm-by-massage-als-2",
                 "massage-cancer-2")
THEMES = ("Safety principles", "Overstimulation", "Why evidence levels matter")
# people on the seed pages who are not the authors: never named on a card
PRIVATE_NAMES = ("Todd", "Sheila", "Sue", "Claude", "Rainville", "Debra", "Cox", "Deborah",
                 "Baker", "Nina", "Walfoort", "Maggie", "Broeren", "Jody", "Jennifer", "O'Brien")


@pytest.fixture(scope="module")
def starter() -> list[ResolvedCard]:
    return deckgen.resolve(deckgen.load_project(REPO))


def test_every_seed_is_mined(starter: list[ResolvedCard]) -> None:
    per_seed = Counter(rc.seed.seed.id for rc in starter)
    for seed in LONG_ARTICLES:
        assert per_seed[seed] >= 10, (seed, per_seed[seed])
    assert per_seed["caregiver-column-als"] >= 6
    assert set(per_seed) == {*LONG_ARTICLES, "caregiver-column-als"}


def test_every_theme_is_covered_in_its_subdeck(starter: list[ResolvedCard]) -> None:
    per_theme = Counter(rc.deck for rc in starter)
    for theme in THEMES:
        assert per_theme[theme] >= 15, (theme, per_theme[theme])
    assert per_theme["Caregiving practice in ALS"] >= 6
    assert None not in per_theme


def test_every_level_is_allowed_by_its_seed(starter: list[ResolvedCard]) -> None:
    for rc in starter:
        assert BY_ID[rc.card.evidence].rank >= BY_ID[rc.seed.seed.max_evidence].rank, rc.card.id


def test_caregiver_practice_is_levelled_as_testimony(starter: list[ResolvedCard]) -> None:
    levels = {rc.card.evidence for rc in starter if rc.deck == "Caregiving practice in ALS"}
    assert levels == {"testimonial"}


def test_no_private_person_is_named(starter: list[ResolvedCard]) -> None:
    import re

    for rc in starter:
        card = rc.card
        text = " ".join(filter(None, (card.question, card.answer, card.cloze, card.extra,
                                      card.caveat, *card.source.quote)))
        for name in PRIVATE_NAMES:
            assert not re.search(rf"\b{re.escape(name)}\b", text), (card.id, name)


def test_card_files_are_named_after_their_theme() -> None:
    assert sorted(p.name for p in Path(REPO, "cards").glob("*.yaml")) == [
        "caregiving-als.yaml", "evidence-levels.yaml", "overstimulation.yaml",
        "safety-principles.yaml",
    ]


def test_starter_deck_passes_the_strict_lint() -> None:
    result = deckgen.check(deckgen.load_project(REPO), lint=True, strict=True)
    assert result.warnings == []
