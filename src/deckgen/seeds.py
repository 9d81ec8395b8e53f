"""Step 3: the seed texts, and finding a quoted passage in them.

A quote is found when it occurs in the seed after both are normalised the same way:
Unicode NFKC, curly quotes to straight, dashes to '-', soft hyphens and zero-width characters
removed, runs of white space to one space, case kept. Never a fuzzy match: the nearest passage
is computed only to explain an error. Big seeds are indexed by word start, so a quote is looked
up rather than searched for.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import unicodedata
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import DeckgenError, Diagnostic, Location
from .schema import Seed, SeedManifest, validate
from .worddiff import word_diff, word_opcodes
from .yamlsource import load_yaml, not_a_file, read_text

_REMOVED = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), "")
_REPLACED = {
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032"), "'"),
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033"), '"'),
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"),
}


def _normalise_cluster(cluster: str) -> str:
    out = unicodedata.normalize("NFKC", cluster).translate(_REMOVED).translate(_REPLACED)
    if out and unicodedata.category(out[0]) == "Pd":
        out = "-" + out[1:]
    return out


_CHUNKS = re.compile(r"(\s+)|([!-~]+(?: [!-~]+)*)|(.)", re.S)


class OffsetMap:
    """Where each character of a normalised text came from in the original text.

    Stored as runs in which both offsets advance together (a whole line of plain text is one
    run), so a seed costs a few numbers per line, not one per character.
    """

    def __init__(self) -> None:
        self.norm = array("q")
        self.orig = array("q")

    def add(self, norm_at: int, orig_at: int) -> None:
        """Normalised offset ``norm_at`` comes from ``orig_at``, and so on until the next run."""
        if not self.norm or norm_at - self.norm[-1] != orig_at - self.orig[-1]:
            self.norm.append(norm_at)
            self.orig.append(orig_at)

    def __getitem__(self, index: int) -> int:
        run = bisect.bisect_right(self.norm, index) - 1
        return self.orig[run] + index - self.norm[run]


def normalise_with_origin(text: str) -> tuple[str, OffsetMap]:
    """Normalise ``text``; ``origin[i]`` is the index in ``text`` of normalised character ``i``.

    Runs of printable ASCII (most of any text) are copied whole; other characters go through
    NFKC with any combining marks that follow them. The one space left of a run of white space
    comes from the run's last character.
    """
    out: list[str] = []
    origin = OffsetMap()
    size = 0  # length of the normalised text so far
    space_at = -1  # where the pending run of white space ends, or -1
    n = len(text)
    pos = 0
    while pos < n:
        match = _CHUNKS.match(text, pos)
        assert match is not None  # the pattern matches any character
        start, pos = match.start(), match.end()
        if match.group(1):
            space_at = pos - 1
            continue
        piece = match.group(2)
        if piece and pos < n and not text[pos].isascii() and unicodedata.combining(text[pos]):
            pos -= 1  # the last letter goes with the combining marks after it
            piece = piece[:-1]
        if not piece:
            pos = start + 1
            while pos < n and not text[pos].isascii() and unicodedata.combining(text[pos]):
                pos += 1
            piece = _normalise_cluster(text[start:pos])
            if not piece:
                continue
            if piece.isspace():
                space_at = pos - 1
                continue
        if space_at >= 0:
            if out:
                out.append(" ")
                origin.add(size, space_at)
                size += 1
            space_at = -1
        out.append(piece)
        if match.group(2) or len(piece) == 1:  # linear
            origin.add(size, start)
        else:  # one character became several (e.g. an ellipsis): each comes from it
            for i in range(len(piece)):
                origin.add(size + i, start)
        size += len(piece)
    return "".join(out), origin


def normalise(text: str) -> str:
    if text.isascii():  # the common case: only white space changes
        return " ".join(text.split())
    return normalise_with_origin(text)[0]


_LINE_BREAK = re.compile(r"\r\n?|\n")

# A seed of this size or more (normalised characters) is indexed by word start once it has
# been searched INDEX_AFTER times: searching 1 MB takes ~70 µs, a look-up ~4 µs, building the
# index ~150 ms. Smaller seeds are searched as fast as they could be looked up.
INDEX_FROM = 1 << 16
INDEX_AFTER = 500
_KEY = 16


@dataclass
class SeedText:
    """A seed's metadata and its text, normalised once, on first use (a command that reads one
    seed, as ``deckgen quote`` does, normalises only that one)."""

    seed: Seed
    path: Path
    text: str
    _searches: int = field(init=False, default=0, repr=False, compare=False)
    # each quote's span, once found (the preview asks again for the quotes the check resolved)
    _spans: dict[str, tuple[int, int] | None] = field(init=False, default_factory=dict,
                                                      repr=False, compare=False)

    @cached_property
    def _normalised(self) -> tuple[str, OffsetMap]:
        return normalise_with_origin(self.text)

    @property
    def norm(self) -> str:
        return self._normalised[0]

    @property
    def origin(self) -> OffsetMap:
        return self._normalised[1]

    @cached_property
    def line_starts(self) -> list[int]:
        # lines end at LF, CR LF or CR alone (old Mac files), as editors count them
        return [0] + [m.end() for m in _LINE_BREAK.finditer(self.text)]

    def line_of(self, index: int) -> int:
        return bisect.bisect_right(self.line_starts, index)

    def span(self, quote: str) -> tuple[int, int] | None:
        """Where ``quote`` stands in the seed's own text, as offsets ``[start, end)`` (trailing
        white space left out), or None if it does not occur after normalising. The first
        occurrence that starts a word is taken, else the first occurrence."""
        if quote in self._spans:
            return self._spans[quote]
        needle = normalise(quote)
        at = self._first(needle) if needle else -1
        found = self._spans[quote] = None if at < 0 else self._original(at, at + len(needle))
        return found

    def _first(self, needle: str) -> int:
        norm = self.norm
        self._searches += 1
        if len(norm) >= INDEX_FROM and self._searches > INDEX_AFTER and len(needle) >= _KEY:
            for at in self._word_starts.get(needle[:_KEY], ()):
                if norm.startswith(needle, at):
                    return at
        else:
            at = norm.find(needle)
            while at > 0 and norm[at - 1] != " ":
                at = norm.find(needle, at + 1)
            if at >= 0:
                return at
        return norm.find(needle)  # not at the start of a word (or not at all)

    @cached_property
    def _word_starts(self) -> dict[str, list[int]]:
        """Every word start of the normalised text, by the characters that follow it, so a
        quote is found in a big seed without searching all of it (built on first use)."""
        index: dict[str, list[int]] = defaultdict(list)
        norm = self.norm
        for at in itertools.accumulate((len(word) + 1 for word in norm.split(" ")), initial=0):
            index[norm[at:at + _KEY]].append(at)
        return index

    def find(self, quote: str) -> tuple[str, int] | None:
        """The seed's own words for ``quote`` and their line, or None if it does not occur."""
        found = self.span(quote)
        return None if found is None else self._passage(*found)

    def passage(self, span: tuple[int, int]) -> tuple[str, int]:
        """The seed's own words at ``span`` (as :meth:`span` gives it) and their line: what
        :meth:`find` gives for the quote, for a caller that needs the span too."""
        return self._passage(*span)

    def _original(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the text for normalised offsets ``[start, end)``."""
        first, last = self.origin[start], self.origin[end - 1]
        # the first source character after the match (one source character may have become
        # several normalised ones, e.g. an ellipsis)
        stop = next((self.origin[i] for i in range(end, len(self.norm))
                     if self.origin[i] > last), len(self.text))
        while stop > first and self.text[stop - 1].isspace():
            stop -= 1
        return first, stop

    def _passage(self, first: int, stop: int) -> tuple[str, int]:
        return " ".join(self.text[first:stop].split()), self.line_of(first)

    def not_found(self, quote: str) -> tuple[str, tuple[str, ...]]:
        """Why :meth:`find` found nothing for ``quote``: the message and its detail lines."""
        if not normalise(quote):
            return ("quote is empty once normalised (it holds only white space, zero-width "
                    "characters or soft hyphens): quote the passage itself", ())
        found = self._nearest_span(quote)
        if found is None:
            return f"quote not found in seed '{self.seed.id}'", ()
        start, end = found
        passage, line = self._passage(*self._original(start, end))
        # where the quote and the passage differ, word by word, and the line of the first
        # difference (the passage may run over several lines)
        quoted, seen = normalise(quote).split(), self.norm[start:end].split(" ")
        differs_at = next((j1 for op, _, _, j1, _ in word_opcodes(quoted, seen)
                           if op != "equal"), 0)
        first = start + sum(len(w) + 1 for w in seen[:differs_at])
        differs_line = self.line_of(self.origin[min(first, end - 1)])
        return (f"quote not found in seed '{self.seed.id}'",
                (f"nearest passage ({self.path.name}, line {line}):", f"  {passage}",
                 f"differs at line {differs_line} ([-the quote's words-] {{+the seed's+}}):",
                 f"  {word_diff(normalise(quote), self.norm[start:end])}"))

    def nearest(self, quote: str) -> tuple[int, str]:
        """The passage of the seed most like ``quote``, and its line (only to explain errors)."""
        found = self._nearest_span(quote)
        if found is None:
            return 1, ""
        passage, line = self._passage(*self._original(*found))
        return line, passage

    def _nearest_span(self, quote: str) -> tuple[int, int] | None:
        """Normalised offsets ``[start, end)`` of the whole words most like ``quote``."""
        from rapidfuzz import fuzz  # (only to explain an error: kept out of every start-up)

        needle = normalise(quote)
        found = fuzz.partial_ratio_alignment(needle, self.norm)
        if found is None:
            return None
        norm = self.norm
        quoted = needle.split(" ")
        windows = [(found.dest_start, found.dest_end)]
        # where either half of the quote stands as it is: a quote with one word wrong has one
        # such half (on characters alone, a short quote may align elsewhere)
        half = len(quoted) // 2
        if half >= 2:
            first_half = " ".join(quoted[:half])
            for piece, before in ((first_half, 0), (needle[len(first_half) + 1:],
                                                    len(first_half) + 1)):
                at = norm.find(piece)
                if at >= 0:
                    windows.append((max(0, at - before), min(len(norm), at - before + len(needle))))
        fits = [fit for start, end in windows if (fit := self._fit(quoted, start, end))]
        return min(fits, key=lambda fit: fit[0])[1:] if fits else None  # (a tie: the first)

    def _fit(self, quoted: list[str], start: int,
             end: int) -> tuple[tuple[int, int], int, int] | None:
        """The whole words about normalised offsets ``[start, end)`` that ``quoted`` fits best:
        the cost of the fit (see :func:`_best_fit`) and their offsets."""
        norm = self.norm
        # whole words only: never from or to a space (the line would be the one before)
        while start < end and norm[start].isspace():
            start += 1
        while end > start and norm[end - 1].isspace():
            end -= 1
        while start > 0 and not norm[start - 1].isspace():
            start -= 1
        while end < len(norm) and not norm[end].isspace():
            end += 1
        if end <= start:
            return None
        # the characters aligned say where; the words say which: the seed words around them
        # that the quote's words fit best (a quote with a word more or less than the seed's
        # is aligned a word early or late)
        margin = min(len(quoted) - 1, FIT_MARGIN) + 2
        lo = start
        for _ in range(margin):
            if lo == 0:
                break
            lo = norm.rfind(" ", 0, lo - 1) + 1
        hi = end
        for _ in range(margin):
            if hi == len(norm):
                break
            after = norm.find(" ", hi + 1)
            hi = len(norm) if after < 0 else after
        seen = norm[lo:hi].split(" ")
        at = list(itertools.accumulate((len(word) + 1 for word in seen), initial=lo))
        aligned_end = bisect.bisect_left(at, end + 1)  # (the window's end, in words)
        cost, first, stop = _best_fit(quoted, seen, aligned_end)
        return (cost, at[first], at[stop] - 1) if stop > first else (cost, start, end)


# how many seed words beyond the aligned characters a nearest passage may reach (plus two)
FIT_MARGIN = 20
_NOT_WORD = re.compile(r"\W+")


def _best_fit(quoted: list[str], seen: list[str], near: int) -> tuple[tuple[int, int], int, int]:
    """The words ``seen[first:stop]`` that ``quoted`` fits with the fewest word edits (a word
    changed, left out or added; a word that differs only in case or punctuation counts half),
    and of those the one with the most words the same: a fitting alignment, free at both ends
    of ``seen``. Ties go to a passage whose first and last words stand for quoted ones (a
    changed first or last word is shown as changed), then to the one ending nearest ``near``.
    Returns the fit's cost (half edits, minus words the same) and ``first, stop``."""
    loose = [_NOT_WORD.sub("", w.casefold()) for w in seen]
    # cost[j] (half edits, minus words the same), start[j], diagonal[j]: the best fit of the
    # quote's words so far that ends before seen[j]; where it starts; whether its last step
    # paired a quoted word with seen[j - 1]
    cost = [(0, 0)] * (len(seen) + 1)
    start = list(range(len(seen) + 1))
    diagonal = [False] * (len(seen) + 1)
    for word in quoted:
        plain = _NOT_WORD.sub("", word.casefold())
        row, row_start, row_diagonal = [(cost[0][0] + 2, cost[0][1])], [start[0]], [False]
        for j, other in enumerate(seen, 1):
            edits, same = cost[j - 1]
            best = ((edits, same - 1) if word == other else
                    (edits + 1, same) if plain == loose[j - 1] else (edits + 2, same))
            best_start, is_diagonal = start[j - 1], True
            left_out = (cost[j][0] + 2, cost[j][1])  # the quoted word is not in the seed
            if left_out < best:
                best, best_start, is_diagonal = left_out, start[j], False
            added = (row[j - 1][0] + 2, row[j - 1][1])  # the seed has a word more
            if added < best:
                best, best_start, is_diagonal = added, row_start[j - 1], False
            row.append(best)
            row_start.append(best_start)
            row_diagonal.append(is_diagonal)
        cost, start, diagonal = row, row_start, row_diagonal
    stop = min(range(len(seen) + 1), key=lambda j: (cost[j], not diagonal[j], abs(j - near)))
    return cost[stop], start[stop], stop


def load_seeds(seeds_dir: Path, normalised: bool = True) -> dict[str, SeedText]:
    """Load ``seeds.yaml`` and every seed text it names; raise on any problem. Each text is
    normalised now (before worker processes are forked, so that they share it), or, with
    ``normalised=False``, when first searched (for a command that searches one seed)."""
    manifest_path = seeds_dir / "seeds.yaml"
    if not_a_file(manifest_path) == "not found":  # (what else it may be, the reader says)
        raise DeckgenError([Diagnostic(Location(manifest_path), "seed manifest not found")])
    doc = load_yaml(manifest_path)
    manifest, errors = validate(doc, SeedManifest)
    if manifest is None:
        raise DeckgenError(errors)
    seeds: dict[str, SeedText] = {}
    root = Path(os.path.realpath(seeds_dir))  # (unlike resolve, never fails on a link loop)
    for i, seed in enumerate(manifest.seeds):
        if seed.id in seeds:
            errors.append(Diagnostic(doc.at(("seeds", i, "id")), f"duplicate seed id '{seed.id}'"))
            continue
        path = seeds_dir / seed.file
        resolved = Path(os.path.realpath(path))
        text, problem = "", None
        kind = not_a_file(path)
        if not resolved.is_relative_to(root) or Path(seed.file).is_absolute():
            problem = "is outside the seeds folder"
        elif kind is not None:  # never opened: a named pipe would block the run
            problem = kind if kind == "not found" else f"is {kind}, not a file"
        else:
            try:
                text = read_text(path, "seed file")
            except DeckgenError as exc:
                errors.extend(exc.diagnostics)
                continue
            if not text.strip():
                problem = "is empty"
        if problem:  # (located only now: finding positions means reading seeds.yaml again)
            errors.append(Diagnostic(doc.at(("seeds", i, "file")),
                                     f"seed file '{seed.file}' {problem}"))
            continue
        seeds[seed.id] = SeedText(seed, path, text)
        if normalised:
            seeds[seed.id].line_of(len(seeds[seed.id].norm))
    if errors:
        raise DeckgenError(errors)
    return seeds
