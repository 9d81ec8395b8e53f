"""A quote not found: the nearest passage is the seed's words the quote was meant to be, the
differences are marked word by word, and the line of the first difference is right."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CARDS_YAML, Project
from deckgen.schema import Seed
from deckgen.seeds import SeedText

SEED = Seed(id="s", file="s.txt", title="S", author=None, publisher=None, url=None, genre="test",
            max_evidence="expert-opinion")

SPANS = ("A Seed\n"
         "\n"
         "This is a seed written for the cards. It spans\n"
         "several lines and keeps going for a while before it ends.\n"
         "Caf\u00e9 au lait \u2013 a drink.\n")


def explain(text: str, quote: str) -> tuple[str, ...]:
    message, details = SeedText(SEED, Path("s.txt"), text).not_found(quote)
    assert message == "quote not found in seed 's'"
    return details


# (quote, passage line, passage, line of the first difference, word diff)
CASES = [
    pytest.param("several lines and keeps going for a long while before it ends.",
                 4, "several lines and keeps going for a while before it ends.",
                 4, "several lines and keeps going for a [-long-] while before it ends.",
                 id="inserted-word"),
    pytest.param("It spans several lines and going for a while",
                 3, "It spans several lines and keeps going for a while",
                 4, "It spans several lines and {+keeps+} going for a while",
                 id="dropped-word-next-line"),
    pytest.param("the cards. It spans lines and keeps",
                 3, "the cards. It spans several lines and keeps",
                 4, "the cards. It spans {+several+} lines and keeps",
                 id="dropped-word-first-of-a-line"),
    pytest.param("many lines and keeps going",
                 4, "several lines and keeps going",
                 4, "[-many-] {+several+} lines and keeps going",
                 id="changed-first-word"),
    pytest.param("for the cards. It spans several rows and keeps going",
                 3, "for the cards. It spans several lines and keeps going",
                 4, "for the cards. It spans several [-rows-] {+lines+} and keeps going",
                 id="changed-middle-word"),
    pytest.param("written for the cards. It sweeps",
                 3, "written for the cards. It spans",
                 3, "written for the cards. It [-sweeps-] {+spans+}",
                 id="changed-last-word"),
    pytest.param("It spans several lines and keeps going for a while before it stops.",
                 3, "It spans several lines and keeps going for a while before it ends.",
                 4, "It spans several lines and keeps going for a while before it [-stops.-] "
                    "{+ends.+}",
                 id="changed-last-word-next-line"),
    pytest.param("It spans several lines and keeps going on and on for a while",
                 3, "It spans several lines and keeps going for a while",
                 4, "It spans several lines and keeps going [-on and on-] for a while",
                 id="three-words-more"),
    pytest.param("a seed written for the cards. It spans several lines and keeps for a while",
                 3, "a seed written for the cards. It spans several lines and keeps going for a "
                    "while",
                 4, "a seed written for the cards. It spans several lines and keeps {+going+} "
                    "for a while",
                 id="long-quote-word-fewer"),
    pytest.param("several lines and keeps going for a while before it ends. Cafe\u0301 au lait "
                 "- a cold drink.",
                 4, "several lines and keeps going for a while before it ends. Caf\u00e9 au lait "
                    "\u2013 a drink.",
                 5, "several lines and keeps going for a while before it ends. Caf\u00e9 au lait "
                    "- a [-cold-] drink.",
                 id="non-ascii-next-line"),
    pytest.param("Caf\u00e8 au lait \u2014 a drink.",
                 5, "Caf\u00e9 au lait \u2013 a drink.",
                 5, "[-Caf\u00e8-] {+Caf\u00e9+} au lait - a drink.",
                 id="non-ascii-changed-first-word"),
]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize(("quote", "line", "passage", "differs_line", "diff"), CASES)
def test_the_nearest_passage_and_the_line_of_the_first_difference(
    quote: str, line: int, passage: str, differs_line: int, diff: str, newline: str
) -> None:
    assert explain(SPANS.replace("\n", newline), quote) == (
        f"nearest passage (s.txt, line {line}):", f"  {passage}",
        f"differs at line {differs_line} ([-the quote's words-] {{+the seed's+}}):", f"  {diff}")


COMMON = ["the", "a", "of", "caf\u00e9", "\u201cno\u201d", "harm,"]


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**9), edit=st.sampled_from(["change", "insert", "drop"]),
       length=st.integers(5, 25), newline=st.sampled_from(["\n", "\r\n"]))
def test_one_word_edited_inside_a_passage_finds_that_passage(
    seed: int, edit: str, length: int, newline: str
) -> None:
    """A passage with one word changed, added or left out inside it: the nearest passage is
    exactly that passage, and the first difference is on the edited word's line (random words
    and a few common ones, so that the passage is the one passage this near the quote)."""
    rng = random.Random(seed)
    vocabulary = COMMON + ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                                   for _ in range(rng.randint(3, 9))) for _ in range(200)]
    text_words = [rng.choice(vocabulary) for _ in range(250)]
    for i in range(1, len(text_words)):  # (no word twice in a row: "qln qln" makes a quote
        while text_words[i] == text_words[i - 1]:  # "qln zebra x" fit either one equally)
            text_words[i] = rng.choice(vocabulary)
    lines, cut = [], 0
    while cut < len(text_words):
        size = rng.randint(3, 8)
        lines.append(text_words[cut:cut + size])
        cut += size
    words = [(w, n + 1) for n, line in enumerate(lines) for w in line]
    first = rng.randrange(0, len(words) - length)
    passage = words[first:first + length]
    at = rng.randrange(1, length - 1)  # (an edit at either end is ambiguous: tested above)
    quoted = [w for w, _ in passage]
    if edit == "change":
        quoted[at] = "zebra"
    elif edit == "insert":
        quoted.insert(at, "zebra")
    else:
        del quoted[at]
    text = newline.join(" ".join(line) for line in lines) + newline
    if SeedText(SEED, Path("s.txt"), text).find(" ".join(quoted)) is not None:
        return  # (a dropped word may leave words the seed has elsewhere)
    details = explain(text, " ".join(quoted))
    assert details[:2] == (f"nearest passage (s.txt, line {passage[0][1]}):",
                           "  " + " ".join(w for w, _ in passage))
    assert details[2].startswith(f"differs at line {passage[at][1]} ")


def test_check_shows_the_nearest_passage_of_a_crlf_seed_on_its_right_line(project: Project) -> None:
    (project.root / "seeds" / "tiny.txt").write_bytes(SPANS.replace("\n", "\r\n").encode())
    project.write("cards/safety.yaml", CARDS_YAML.split("  - id: overstimulation-cloze")[0].replace(
        "quote: 'there is a foundational principle: \"First, do no harm.\"'",
        "quote: several lines and keeps going for a long while before it ends"))
    result = project.run("check")
    assert (result.exit_code, result.stderr) == (1, (
        "cards/safety.yaml:9:14: error: quote not found in seed 'tiny'\n"
        "    nearest passage (tiny.txt, line 4):\n"
        "      several lines and keeps going for a while before it ends.\n"
        "    differs at line 4 ([-the quote's words-] {+the seed's+}):\n"
        "      several lines and keeps going for a [-long-] while before it [-ends-] {+ends.+}\n"
        "1 error\n"))
