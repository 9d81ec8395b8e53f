"""The card-writing rules a machine can check (``card-writing.md``), each with a stable code.

Each rule is declared once in ``RULES`` (code, name, severity, summary); ``docs/lint-rules.md``
documents every code and a test fails if one is missing there. A card may silence a rule for
itself only with a reason: ``lint: {ignore: {DG104: "the list is the point"}}``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, combinations

from rapidfuzz import fuzz

from .cards import CardRef, ResolvedCard, locate
from .cloze import parse as parse_cloze
from .cloze import plain_text
from .errors import Diagnostic
from .evidence import BY_ID
from .schema import Card

ANSWER_WARN_WORDS = 15
ANSWER_MAX_WORDS = 25
QUESTION_MAX_WORDS = 30
MAX_LIST_ITEMS = 3
QUOTE_MIN_WORDS, QUOTE_MAX_WORDS = 5, 60
CLOZE_MAX_DELETIONS, CLOZE_MAX_WORDS = 2, 5
NEAR_DUPLICATE_SCORE = 90

YES_NO_OPENERS = frozenset((
    "is", "are", "was", "were", "am", "does", "do", "did", "can", "could", "should", "would",
    "will", "shall", "has", "have", "had", "may", "might", "must", "isn't", "aren't", "doesn't",
    "don't", "didn't", "can't", "couldn't", "shouldn't", "wouldn't", "won't", "hasn't", "haven't"
))
YES_NO_ANSWERS = {"yes", "no", "true", "false", "yes.", "no.", "true.", "false."}
OVERCLAIMS = ("cure", "cures", "cured", "proven", "reverses", "guarantees", "always works")
ATTRIBUTION_MARKERS = ("according to", "a reader", "reader's", "the column", "the author",
                       "the physician", "the caregiver", "disclaimer")
STOPWORDS = frozenset((
    "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "but", "what", "which", "who",
    "whom", "whose", "when", "where", "why", "how", "does", "do", "did", "is", "are", "was", "were",
    "be", "been", "this", "that", "these", "those", "it", "its", "by", "with", "as", "at", "from",
    "according", "his", "her", "their", "he", "she", "they", "you", "your"
))


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str  # "error" or "warning"
    summary: str


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("DG100", "ignore-without-reason", "error",
         "a `lint: ignore:` entry names a known rule and gives a reason"),
    Rule("DG101", "answer-too-long", "warning",
         f"an answer has at most {ANSWER_WARN_WORDS} words (error over {ANSWER_MAX_WORDS})"),
    Rule("DG102", "question-too-long", "error",
         f"a question has at most {QUESTION_MAX_WORDS} words"),
    Rule("DG103", "enumeration", "error",
         f"an answer lists at most {MAX_LIST_ITEMS} items"),
    Rule("DG104", "yes-no-question", "error",
         "no yes/no questions, no yes/no/true/false answers"),
    Rule("DG105", "answer-in-question", "error",
         "the question does not give the answer away"),
    Rule("DG106", "several-questions", "warning", "one question per card (one '?')"),
    Rule("DG107", "unattributed", "error",
         "opinion, anecdote and testimony name their source in the question"),
    Rule("DG108", "overclaiming", "error",
         "no 'cure', 'proven', 'reverses'… outside a quote below the rct level"),
    Rule("DG109", "quote-shape", "error",
         f"a quote has {QUOTE_MIN_WORDS} to {QUOTE_MAX_WORDS} words, no '...' elision, one passage"),
    Rule("DG110", "near-duplicate", "warning", "no two questions nearly the same text"),
    Rule("DG111", "cloze-hygiene", "error",
         f"at most {CLOZE_MAX_DELETIONS} deletions of at most {CLOZE_MAX_WORDS} words, "
         "numbered from c1"),
)}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    field: str | None = None  # the card key it is about ("a.b.0" for nested); None: the card
    severity: str | None = None  # overrides the rule's default


_WORD_RE = re.compile(r"[\w'\u2019-]+")
_MARKUP_RE = re.compile(r"[*_`\[\]()<>#]")


@cache
def words(text: str) -> tuple[str, ...]:
    """The words of a card text, Markdown and cloze markup left out (cached: rules share it)."""
    return tuple(_WORD_RE.findall(_strip_markup(text)))


@cache  # (words and content_words of one text both need it)
def _strip_markup(text: str) -> str:
    if "{{" in text:  # a cloze: its deletions' text, without marks or hints
        text = plain_text(text)
    return _MARKUP_RE.sub(" ", text)


_CONTENT_RE = re.compile(r"\w(?:[\w'\u2019-]*\w)?")


@cache
def content_words(text: str) -> frozenset[str]:
    """The lower-case words of a text that carry meaning (no stop words, no edge apostrophes)."""
    return frozenset(_CONTENT_RE.findall(_strip_markup(text).lower())) - STOPWORDS


def _card_rules(rc: ResolvedCard) -> Iterator[Finding]:
    card = rc.card
    if card.answer is not None:
        n = len(words(card.answer))
        if n > ANSWER_MAX_WORDS:
            yield Finding("DG101", f"answer has {n} words (at most {ANSWER_MAX_WORDS}; aim for "
                          f"{ANSWER_WARN_WORDS}): split the card", "answer", "error")
        elif n > ANSWER_WARN_WORDS:
            yield Finding("DG101", f"answer has {n} words (aim for at most {ANSWER_WARN_WORDS})",
                          "answer")
        items = _list_items(card.answer)
        if items > MAX_LIST_ITEMS:
            yield Finding("DG103", f"answer lists {items} items (at most {MAX_LIST_ITEMS}): "
                          "split the card or use a cloze", "answer")
        if card.answer.strip().lower() in YES_NO_ANSWERS:
            yield Finding("DG104", "the answer is yes/no/true/false: ask an open question",
                          "answer")
    if card.question is not None:
        n = len(words(card.question))
        if n > QUESTION_MAX_WORDS:
            yield Finding("DG102", f"question has {n} words (at most {QUESTION_MAX_WORDS})",
                          "question")
        first = (words(card.question) or [""])[0].lower()
        if first in YES_NO_OPENERS:
            yield Finding("DG104", f"yes/no question (opens with '{first}'): ask what, why or "
                          "how", "question")
        if card.question.count("?") > 1:
            yield Finding("DG106", f"{card.question.count('?')} question marks: ask one "
                          "question per card", "question")
        if card.answer is not None:
            answer = content_words(card.answer)
            shared = answer & content_words(card.question)
            if answer and len(shared) / len(answer) > 0.5 and len(answer - shared) < 3:
                yield Finding("DG105", "the question contains most of the answer's words ("
                              + ", ".join(sorted(shared)) + ")", "question")
    yield from _attribution(rc)
    yield from _overclaiming(card)
    yield from _quote_shape(card)
    if card.cloze is not None:
        yield from _cloze_hygiene(card.cloze)


_LIST_LINE_RE = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
_SENTENCE_END_RE = re.compile(r"[;:.!?](?:\s|$)")
_PARENTHESES_RE = re.compile(r"\([^)]*\)")
_AND_OR_START_RE = re.compile(r"(?:and|or)\b")
_AND_OR_RE = re.compile(r"\b(?:and|or)\b")


def _list_items(answer: str) -> int:
    """Items listed in an answer: Markdown list lines, or ``a, b, c and d`` in a sentence."""
    lines = [ln for ln in answer.splitlines() if _LIST_LINE_RE.match(ln)]
    if lines:
        return len(lines)
    most = 1
    if "," not in answer:  # a sentence lists items with commas
        return most
    for sentence in _SENTENCE_END_RE.split(_PARENTHESES_RE.sub("", answer)):
        parts = [part.strip() for part in sentence.split(",")]
        for i, part in enumerate(parts):
            if i and _AND_OR_START_RE.match(part):
                most = max(most, i + 1)
                break
            if i and _AND_OR_RE.search(part):
                most = max(most, i + 2)
                break
    return most


def _attribution(rc: ResolvedCard) -> Iterator[Finding]:
    card, level = rc.card, BY_ID[rc.card.evidence]
    if not level.needs_attribution:
        return
    front = (card.question or card.cloze or "").lower()
    names, markers = _attribution_markers(rc.seed.seed.author, rc.seed.seed.publisher)
    if not any(m in front for m in markers):
        who = names[-1] if names else "the source"
        yield Finding("DG107", f"'{level.id}' needs its source named in the question "
                      f"(e.g. 'According to {who}, …')", "cloze" if card.cloze else "question")


@cache
def _attribution_markers(author: str | None, publisher: str | None) -> tuple[list[str], list[str]]:
    """The author's names, and every phrase that names the source in a question."""
    names = re.findall(r"[A-Z][\w'-]{2,}", author or "")
    publisher = re.sub(r"\s*\(.*\)", "", publisher or "")
    markers = [*(n.lower() for n in names), *ATTRIBUTION_MARKERS]
    if publisher:
        markers.append(publisher.lower())
    return names, markers


_OVERCLAIM_RE = re.compile(r"\b(" + "|".join(map(re.escape, OVERCLAIMS)) + r")\b")
_QUOTED_RE = re.compile("\"[^\"]*\"|\u201c[^\u201d]*\u201d|'[^']{3,}'")


_OVERCLAIM_FIELDS = ("question", "answer", "cloze", "extra", "caveat")


def _overclaiming(card: Card) -> Iterator[Finding]:
    if BY_ID[card.evidence].rank <= BY_ID["rct"].rank:
        return
    texts = [getattr(card, name) or "" for name in _OVERCLAIM_FIELDS]
    if not _OVERCLAIM_RE.search("\n".join(texts).lower()):  # (most cards: one search)
        return
    for name in _OVERCLAIM_FIELDS:
        text = getattr(card, name)
        if not text:
            continue
        lower = text.lower()
        if not _OVERCLAIM_RE.search(lower):
            continue
        unquoted = _QUOTED_RE.sub(" ", lower)
        for match in dict.fromkeys(m.group(1) for m in _OVERCLAIM_RE.finditer(unquoted)):
            yield Finding("DG108", f"'{match}' overclaims for '{card.evidence}' evidence: "
                          "say what the source reports", name)


def _quote_shape(card: Card) -> Iterator[Finding]:
    quotes = card.source.quote
    if len(quotes) > 1:
        yield Finding("DG109", "quote one passage: several passages usually mean several cards",
                      "source.quote")
    for i, quote in enumerate(quotes):
        where = f"source.quote.{i}" if len(quotes) > 1 else "source.quote"
        n = len(words(quote))
        if "..." in quote or "\u2026" in quote:
            yield Finding("DG109", "quote contains an elision ('...'): quote one unbroken "
                          "passage", where)
        elif not QUOTE_MIN_WORDS <= n <= QUOTE_MAX_WORDS:
            yield Finding("DG109", f"quote has {n} words ({QUOTE_MIN_WORDS} to "
                          f"{QUOTE_MAX_WORDS})", where)


def _cloze_hygiene(cloze: str) -> Iterator[Finding]:
    deletions = parse_cloze(cloze).deletions  # nested ones included, as Anki reads them
    numbers = sorted({n for d in deletions for n in d.ordinals})
    if len(deletions) > CLOZE_MAX_DELETIONS:
        yield Finding("DG111", f"{len(deletions)} deletions (at most {CLOZE_MAX_DELETIONS})",
                      "cloze")
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        yield Finding("DG111", "deletions must be numbered from c1 without gaps", "cloze")
    for deletion in deletions:
        n = len(words(deletion.text))
        if n > CLOZE_MAX_WORDS:
            yield Finding("DG111", f"a deletion has {n} words (at most {CLOZE_MAX_WORDS})", "cloze")


def near_duplicates(
    fronts: Sequence[str], tokens: Sequence[frozenset[str]]
) -> Iterator[tuple[int, int, float]]:
    """Pairs ``(i, j, score)`` of nearly identical card fronts, without comparing all pairs.

    Each front is keyed by every three of its four rarest content words (``tokens[i]``, see
    :func:`content_words`); only fronts sharing a key are compared. Near duplicates differ in a
    word or two, so they share at least three of their rarest words; unrelated questions almost
    never do.
    """
    texts: dict[int, str] = {}

    def text(i: int) -> str:
        if i not in texts:
            texts[i] = _strip_markup(fronts[i]).lower()
        return texts[i]

    frequency = Counter(chain.from_iterable(tokens))
    rank = {tok: i for i, tok in enumerate(sorted(frequency, key=lambda t: (frequency[t], t)))}
    # each key's first front, and the fronts of the keys that have more than one (most keys
    # have one: a list for each would be most of the time and memory of a big deck)
    first: dict[tuple[str, ...], int] = {}
    shared: dict[tuple[str, ...], list[int]] = {}
    for i, toks in enumerate(tokens):
        rarest = sorted(sorted(toks, key=rank.__getitem__)[:4])
        for key in combinations(rarest, min(3, len(rarest))):
            j = first.setdefault(key, i)
            if j != i:
                members = shared.get(key)
                if members is None:
                    shared[key] = [j, i]
                else:
                    members.append(i)
    seen: set[tuple[int, int]] = set()
    for key in first:  # (in the order the keys first came, as the pairs always were)
        group = shared.get(key)
        if group is None:
            continue
        for a_pos, a in enumerate(group[:50]):
            for b in group[a_pos + 1 : 50]:
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                score = fuzz.token_sort_ratio(text(a), text(b))
                if score >= NEAR_DUPLICATE_SCORE:
                    yield a, b, score


@dataclass(frozen=True)
class Front:
    """What the near-duplicate rule needs of a card (small, so it travels between processes)."""

    ref: CardRef
    text: str
    words: frozenset[str]  # its content words
    field: str  # "question" or "cloze"
    ignored: bool  # the card silences DG110

    @classmethod
    def of(cls, rc: ResolvedCard) -> Front:
        card = rc.card
        text = card.question or card.cloze or ""
        return cls(rc.ref, text, content_words(text),
                   "cloze" if card.cloze is not None else "question",
                   bool(card.lint and card.lint.ignore.get("DG110")))


def card_findings(rc: ResolvedCard) -> list[Diagnostic]:
    """Every rule but the near-duplicate one, for one card, its ignores applied."""
    out: list[Diagnostic] = []
    card = rc.card
    findings = list(_card_rules(rc))
    if card.lint:
        for code, reason in card.lint.ignore.items():
            if code not in RULES:
                findings.append(Finding("DG100", f"unknown rule '{code}' in lint: ignore", "lint"))
            elif not (reason or "").strip():
                findings.append(Finding("DG100", f"ignoring {code} needs a reason: "
                                        f"lint: {{ignore: {{{code}: \"why\"}}}}", "lint"))
    for finding in findings:
        if card.lint and card.lint.ignore.get(finding.code):
            continue
        rule = RULES[finding.code]
        out.append(Diagnostic(rc.where(finding.field), f"[{rule.code}] {finding.message}",
                              finding.severity or rule.severity))
    return out


def near_duplicate_findings(fronts: Sequence[Front]) -> list[Diagnostic]:
    """DG110 for the later card of each nearly identical pair."""
    rule = RULES["DG110"]
    pairs = [(fronts[a], fronts[b], score) for a, b, score in
             near_duplicates([f.text for f in fronts], [f.words for f in fronts])
             if not fronts[b].ignored]
    found = locate(item for first, later, _ in pairs  # two per pair
                   for item in ((later.ref, later.field), (first.ref, "id")))
    return [Diagnostic(found[2 * i], f"[{rule.code}] question nearly the same as card "
                                     f"'{first.ref.id}' at {found[2 * i + 1].display()} "
                                     f"({score:.0f}% alike)", rule.severity)
            for i, (first, _, score) in enumerate(pairs)]


def clear_caches() -> None:
    words.cache_clear()
    content_words.cache_clear()
    _strip_markup.cache_clear()
    _attribution_markers.cache_clear()
