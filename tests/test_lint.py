"""deckgen check's card-writing rules: exact messages, codes, --strict, reasoned ignores."""

from __future__ import annotations

import re

import pytest

from conftest import PRESSURE_SOURCE, REPO, Project
from deckgen.lint import RULES


def one_card(body: str) -> str:
    return "cards:\n  - id: c\n" + body + PRESSURE_SOURCE


CASES = [
    ("    question: According to the seed, what harms?\n"
     "    answer: one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen\n",
     "cards/safety.yaml:4:13: warning: [DG101] answer has 16 words (aim for at most 15)"),
    ("    question: According to the seed, what harms?\n"
     "    answer: " + " ".join(["word"] * 26) + "\n",
     "cards/safety.yaml:4:13: error: [DG101] answer has 26 words (at most 25; aim for 15): split the card"),
    ("    question: According to the seed, " + " ".join(["why"] * 30) + "?\n    answer: Because.\n",
     "cards/safety.yaml:3:15: error: [DG102] question has 34 words (at most 30)"),
    ("    question: According to the seed, what harms?\n    answer: Pressure, speed, heat and cold.\n",
     "cards/safety.yaml:4:13: error: [DG103] answer lists 4 items (at most 3): split the card or use a cloze"),
    ("    question: Does the seed say pressure harms?\n    answer: Pressure harms tissue badly.\n",
     "cards/safety.yaml:3:15: error: [DG104] yes/no question (opens with 'does'): ask what, why or how"),
    ("    question: According to the seed, what is harmful pressure?\n    answer: Harmful pressure.\n",
     "cards/safety.yaml:3:15: error: [DG105] the question contains most of the answer's words (harmful, pressure)"),
    ("    question: According to the seed, what harms? And why?\n    answer: Excess force.\n",
     "cards/safety.yaml:3:15: warning: [DG106] 2 question marks: ask one question per card"),
    ("    question: What harms?\n    answer: Excess force.\n",
     "cards/safety.yaml:3:15: error: [DG107] 'expert-opinion' needs its source named in the question (e.g. 'According to Author, …')"),
    # an attribution only in the answer does not count: the learner must know whose claim it is
    # before answering
    ("    question: What harms?\n    answer: According to the seed, excess force.\n",
     "cards/safety.yaml:3:15: error: [DG107] 'expert-opinion' needs its source named in the question (e.g. 'According to Author, …')"),
    ("    question: What harms?\n    answer: Excess force.\n    extra: According to the seed.\n",
     "cards/safety.yaml:3:15: error: [DG107] 'expert-opinion' needs its source named in the question (e.g. 'According to Author, …')"),
    ("    question: According to the seed, what does pressure do?\n    answer: It cures pain.\n",
     "cards/safety.yaml:4:13: error: [DG108] 'cures' overclaims for 'expert-opinion' evidence: say what the source reports"),
    ("    cloze: According to the seed, {{c1::a}} {{c2::b}} {{c3::c}}.\n",
     "cards/safety.yaml:3:12: error: [DG111] 3 deletions (at most 2)"),
    ("    cloze: According to the seed, {{c2::pressure}} harms.\n",
     "cards/safety.yaml:3:12: error: [DG111] deletions must be numbered from c1 without gaps"),
]


@pytest.mark.parametrize(("body", "expected"), CASES, ids=[c[1].split("[")[1][:5] + f"-{i}" for i, c in enumerate(CASES)])
def test_rule(project: Project, body: str, expected: str) -> None:
    project.write("cards/safety.yaml", one_card(body))
    result = project.run("check")
    assert expected + "\n" in result.stderr
    assert result.exit_code == (1 if ": error:" in expected else 0)


def test_quote_shape(project: Project) -> None:
    project.write("seeds/tiny.txt", "A Tiny Seed\n\nIt went on... and on and on and on, said the seed.\n"
                  "When excessive pressure is applied\nWhen overstimulation occurs\n")
    project.write("cards/safety.yaml", one_card(
        "    question: According to the seed, what harms?\n    answer: Excess force.\n"
    ).replace("quote: When excessive pressure is applied",
              "quote: [When excessive pressure is applied, 'It went on... and on and on']"))
    result = project.run("check")
    assert result.stderr.splitlines() == [
        "cards/safety.yaml:7:14: error: [DG109] quote one passage: several passages usually mean several cards",
        "cards/safety.yaml:7:51: error: [DG109] quote contains an elision ('...'): quote one unbroken passage",
        "2 errors",
    ]


def test_near_duplicates_are_reported_with_both_locations(project: Project) -> None:
    project.write("cards/more.yaml", "cards:\n  - id: dup\n"
                  "    question: According to the tiny seed, what is the foundational principle of all healthcare field?\n"
                  "    answer: Do no harm.\n" + PRESSURE_SOURCE)
    result = project.run("check")
    assert result.exit_code == 0
    assert ("cards/safety.yaml:5:15: warning: [DG110] question nearly the same as card 'dup' at "
            "cards/more.yaml:2:9 (99% alike)\n") in result.stderr
    assert result.stdout == "checked 3 cards: no errors, 1 warning\n"
    strict = project.run("check", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.endswith("1 error\n")


def test_ignore_needs_a_reason(project: Project) -> None:
    body = "    question: Does the author say pressure harms?\n    answer: Pressure harms tissue badly.\n"
    project.write("cards/safety.yaml", one_card(body + '    lint: {ignore: {DG104: "testing the rule"}}\n'))
    assert project.run("check", "--strict").exit_code == 0
    project.write("cards/safety.yaml", one_card(body + "    lint: {ignore: {DG104: }}\n"))
    result = project.run("check")
    assert "cards/safety.yaml:5:11: error: [DG100] ignoring DG104 needs a reason: lint: {ignore: {DG104: \"why\"}}\n" in result.stderr
    project.write("cards/safety.yaml", one_card(body + "    lint: {ignore: [DG104]}\n"))
    result = project.run("check")
    assert result.stderr.startswith(
        'cards/safety.yaml:5:20: error: lint: ignore must map each rule code to a reason, e.g. {DG104: "the list is the point"}\n')
    project.write("cards/safety.yaml", one_card(body + '    lint: {ignore: {DG999: "x"}}\n'))
    assert "[DG100] unknown rule 'DG999' in lint: ignore" in project.run("check").stderr


def test_every_rule_is_documented() -> None:
    page = (REPO / "docs" / "lint-rules.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^## (DG\d{3}) (\S+) \(", page, re.M))
    assert documented == {code: rule.name for code, rule in RULES.items()}
    for code in RULES:
        section = page.split(f"## {code} ")[1].split("\n## ")[0]
        for part in ("**Checks:**", "**Why:**", "**Fix:**"):
            assert part in section, (code, part)


def test_near_duplicate_search_is_not_all_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    from deckgen import lint

    compared = 0
    ratio = lint.fuzz.token_sort_ratio

    def counting(a: str, b: str) -> float:
        nonlocal compared
        compared += 1
        return ratio(a, b)

    monkeypatch.setattr(lint.fuzz, "token_sort_ratio", counting)
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(5000)]
    questions = [" ".join(rng.sample(vocabulary, 9)) + "?" for _ in range(10_000)]
    questions[9_999] = questions[17].replace("?", "s?")
    tokens = [lint.content_words(q) for q in questions]
    assert [(a, b) for a, b, _ in lint.near_duplicates(questions, tokens)] == [(17, 9_999)]
    assert 1 <= compared < 1_000  # all pairs would be 49,995,000
