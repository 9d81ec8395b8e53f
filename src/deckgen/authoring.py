"""Helpers for card authors: find a quotable passage, start a new card."""

from __future__ import annotations

import heapq
import itertools
import re
from dataclasses import dataclass, replace
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from .cardinsert import add_card, skeleton
from .cards import find_card_files, is_card_file_name
from .errors import DeckgenError, Diagnostic, Location, did_you_mean
from .lint import QUOTE_MAX_WORDS, QUOTE_MIN_WORDS
from .lint import words as text_words
from .lock import MAX_LOCK_BYTES, read_lock
from .project import Project
from .schema import ID_CHARACTERS, ID_ESCAPE, ID_RE
from .seeds import SeedText, load_seeds
from .yamlsource import load_yaml, read_text


@dataclass(frozen=True)
class Candidate:
    line: int
    passage: str
    score: float  # how alike the passage and the words are, character by character (0-100)
    problem: str | None = None  # why it breaks the quote rules (DG109) as it stands
    held: int = 0  # how many of the words it holds, in their order (a typo allowed)


# where a sentence ends: after . ! ? (and any closing quotes or brackets) before white space;
# at a blank line; before a line that starts a list item
_NL = r"(?:\r\n|\r|\n)"
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)"
                           rf"|{_NL}[ \t]*(?:{_NL}[ \t]*)+"
                           rf"|{_NL}(?=[ \t]*(?:\d+[.)]|[-*\u2022])[ \t])")
_LIST_MARK = re.compile(r"^(?:\d+[.)]|[-*\u2022])\s+")


def _sentences(seed: SeedText) -> list[tuple[int, str]]:
    """The seed's sentences, whole (a sentence may run over several lines; a list item is
    one), each with the line it starts on, verbatim with white space collapsed."""
    out = []
    text = seed.text
    cuts = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    for start, end in itertools.pairwise(cuts):
        chunk = text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        mark = _LIST_MARK.match(chunk[lead:])
        if mark:
            lead += mark.end()
        sentence = " ".join(chunk[lead:].split())
        if len(sentence.split()) >= 2:
            out.append((seed.line_of(start + lead), sentence))
    return out


def quote_problem(passage: str) -> str | None:
    """Why a passage, as it stands, breaks the quote rules (DG109), or None."""
    n = len(text_words(passage))
    if "..." in passage or "\u2026" in passage:
        return "it holds an elision"
    if not QUOTE_MIN_WORDS <= n <= QUOTE_MAX_WORDS:
        return f"{n} words; a quote has {QUOTE_MIN_WORDS} to {QUOTE_MAX_WORDS}"
    return None


# of the passages holding as many of the words, those that satisfy the quote rules go first
# among those this close to the most alike (in points of the %), ahead of any that break them
CLOSE = 20
# a word of the search and a word of a passage are the same word if they are, or if both have
# this many letters or more and are this alike (a typo, a plural)
TYPO_FROM, TYPO_SCORE = 4, 80


def find_quotes(project: Project, seed_id: str, words: str, limit: int = 5) -> list[Candidate]:
    """The sentences of a seed that hold ``words``, verbatim: those holding more of the words
    (in their order, a typo allowed) first; of those holding as many, the ones that satisfy the
    quote rules and are about as alike as the likest (:data:`CLOSE`) first; then by likeness.
    The likest passage is always among the ``limit`` shown (if more than one). A sentence
    holding none of the words is never shown."""
    seeds = load_seeds(project.seeds_dir, normalised=False)
    seed = seeds.get(seed_id)
    if seed is None:
        raise DeckgenError([Diagnostic(
            Location(project.seeds_dir / "seeds.yaml"),
            f"unknown seed '{seed_id}'{did_you_mean(seed_id, seeds)}",
        )])
    return rank_quotes(seed, words, limit)


def rank_quotes(seed: SeedText, words: str, limit: int = 5) -> list[Candidate]:
    """:func:`find_quotes` in a seed already loaded."""
    sentences = _sentences(seed)
    wanted = utils.default_process(words).split()
    if not wanted:
        return []
    tokens = [utils.default_process(s).split() for _, s in sentences]
    vocabulary = [t for t in set(utils.default_process(seed.text).split()) if len(t) >= TYPO_FROM]
    # each word of the seed that counts as searched words: the bits of those words
    bits: dict[str, int] = {}
    for i, w in enumerate(wanted):
        alike = {w}
        if len(w) >= TYPO_FROM:
            alike.update(v for v, _, _ in process.extract(
                w, vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE, limit=None))
        for v in alike:
            bits[v] = bits.get(v, 0) | 1 << i
    held = {i: n for i, ts in enumerate(tokens) if (n := _held(bits, len(wanted), ts))}
    scores = {i: score for _, score, i in process.extract(
        words, {i: sentences[i][1] for i in held}, scorer=fuzz.partial_ratio,
        processor=utils.default_process, limit=None)}
    best: dict[int, float] = {}
    for i, n in held.items():
        best[n] = max(best.get(n, 0), scores[i])
    # (whether a passage breaks the rules matters to its rank only if it is about as alike as
    # the likest holding as many words; it is said of every passage shown)
    found = [Candidate(sentences[i][0], sentences[i][1], scores[i],
                       quote_problem(sentences[i][1]) if scores[i] >= best[n] - CLOSE else None,
                       n) for i, n in held.items()]
    shown = heapq.nsmallest(limit, found, key=lambda c: (
        -c.held, c.score < best[c.held] - CLOSE,
        c.problem is not None and c.score >= best[c.held] - CLOSE, -c.score, len(c.passage),
        c.line))
    # the likest (of those holding the most words, the most alike, then the shortest): in the
    # last place, if more than one is shown and the ranking left it out
    likest = max(found, key=lambda c: (c.held, c.score, -len(c.passage)), default=None)
    if limit > 1 and likest is not None and likest not in shown:
        shown[-1] = likest
    return [replace(c, problem=quote_problem(c.passage)) for c in shown]


def _held(bits: dict[str, int], wanted: int, tokens: list[str]) -> int:
    """How many of the ``wanted`` searched words ``tokens`` holds in their order (``bits``: the
    searched words each token counts as): their longest common subsequence, bit-parallel
    (Hyyrö, 2004)."""
    full = (1 << wanted) - 1
    v = full
    for token in tokens:
        match = bits.get(token, 0)
        if match:
            u = v & match
            v = ((v + u) | (v - u)) & full
    return wanted - v.bit_count()


def yaml_quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'




def used_ids(project: Project, like: str, *, exact: bool = True) -> set[str]:
    """The ids that match ``like`` (a pattern of ids, starting with a literal part, such as
    an escaped id; all of each id) among every id in the deck's card files (as the loader
    reads them: every scalar is text) and every id the lock remembers (live or retired). With
    ``exact=False`` the lock is searched but not read: every word of its text that matches
    counts (a superset of its ids, enough to choose an id it does not hold).

    Only the files whose text may hold such an id are read (so adding a card costs about the
    same in a deck of any size): the loader gives every value as it is typed, apart from YAML's
    backslash escapes and folded line breaks (which leave a space or a line break, which no id
    holds), so a file holds an id only if the id stands in its text between characters that
    cannot be part of it, or an escape may spell it (``ID_ESCAPE``; in the lock, JSON, only
    ``\\u`` can)."""
    pattern = re.compile(f"(?:{like})(?![a-z0-9-])")  # (a literal first: searched quickly)

    def apart(text: str) -> set[str]:  # the matches that stand apart in the text
        return {m.group() for m in pattern.finditer(text)
                if m.start() == 0 or text[m.start() - 1] not in ID_CHARACTERS}

    ids: set[str] = set()
    lock = project.lock_path
    if lock.exists():
        text = read_text(lock, "lock file", MAX_LOCK_BYTES)
        words = apart(text)
        if ID_ESCAPE.search(text) or (words and exact):
            found = read_lock(lock)  # (the lock's one reader, validating it)
            ids |= set(found.cards) | set(found.retired)
        else:
            ids |= words
    for path in find_card_files(project.cards_dir):
        card_text: str | None
        try:
            card_text = read_text(path, "YAML file")
        except DeckgenError:
            card_text = None  # (unreadable as text: what the ids are is for the loader to say)
        if card_text is None or ID_ESCAPE.search(card_text) or apart(card_text):
            ids |= _file_ids(path)
    return {card_id for card_id in ids if re.fullmatch(like, card_id)}


def _file_ids(path: Path) -> set[str]:
    """Every id in one card file (for an empty or broken file: as the text shows them)."""
    try:
        data = load_yaml(path).data
    except DeckgenError:
        text = path.read_bytes().decode("utf-8", "replace")
        return set(re.findall(r"^\s*-\s*id:\s*([a-z0-9-]+)", text, re.M))
    cards = data.get("cards") if isinstance(data, dict) else None
    return {card["id"] for card in (cards if isinstance(cards, list) else ())
            if isinstance(card, dict) and isinstance(card.get("id"), str)}


def new_card(project: Project, path: Path, card_id: str | None = None,
             cloze: bool = False) -> str:
    """Add a card skeleton (basic, or cloze) with a fresh id (or ``card_id``, if no card has ever
    used it) at the end of the ``cards`` of ``path`` (made if missing); return the id. The file
    is changed structurally or not at all (see :mod:`deckgen.cardinsert`)."""
    if not path.resolve().is_relative_to(project.cards_dir.resolve()) or not is_card_file_name(
        path.name
    ):
        raise DeckgenError([Diagnostic(
            Location(path), f"a card file is a .yaml file inside {project.cards_dir.as_posix()}/"
        )])
    if card_id is None:
        stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "card"
        taken = used_ids(project, re.escape(stem) + "-[0-9]+", exact=False)
        number = 1
        while f"{stem}-{number}" in taken:
            number += 1
        card_id = f"{stem}-{number}"
    elif not ID_RE.fullmatch(card_id):
        raise DeckgenError([Diagnostic(Location(path), f"--id '{card_id}' is not a card id: "
                                       "lowercase letters, digits and single '-' between "
                                       "them")])
    elif used_ids(project, re.escape(card_id)):
        raise DeckgenError([Diagnostic(Location(path), f"--id '{card_id}' is already used by a "
                                       "card, or was used by a retired one: ids are never "
                                       "reused")])
    schema = Path("schema/card-file.schema.json")
    rel = Path(*[".."] * (len(path.parent.resolve().relative_to(
        project.root.resolve()).parts))) / schema
    add_card(path, skeleton(card_id, cloze), rel.as_posix())
    return card_id
