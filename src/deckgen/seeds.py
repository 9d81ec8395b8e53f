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

from rapidfuzz import fuzz

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
    """A seed's metadata and its text, normalised once."""

    seed: Seed
    path: Path
    text: str
    norm: str = field(init=False)
    origin: OffsetMap = field(init=False)
    line_starts: list[int] = field(init=False)
    _searches: int = field(init=False, default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.norm, self.origin = normalise_with_origin(self.text)
        # lines end at LF, CR LF or CR alone (old Mac files), as editors count them
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(self.text)]

    def line_of(self, index: int) -> int:
        return bisect.bisect_right(self.line_starts, index)

    def span(self, quote: str) -> tuple[int, int] | None:
        """Where ``quote`` stands in the seed's own text, as offsets ``[start, end)`` (trailing
        white space left out), or None if it does not occur after normalising. The first
        occurrence that starts a word is taken, else the first occurrence."""
        needle = normalise(quote)
        at = self._first(needle) if needle else -1
        return None if at < 0 else self._original(at, at + len(needle))

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
        needle = normalise(quote)
        found = fuzz.partial_ratio_alignment(needle, self.norm)
        if found is None:
            return None
        start, end = found.dest_start, found.dest_end
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
        return (start, end) if end > start else None


def load_seeds(seeds_dir: Path) -> dict[str, SeedText]:
    """Load ``seeds.yaml`` and every seed text it names; raise on any problem."""
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
    if errors:
        raise DeckgenError(errors)
    return seeds
