"""Links to a quoted passage itself: a URL text fragment (``#:~:text=start,end``).

The WICG Text Fragments spec (https://wicg.github.io/scroll-to-text-fragment/) has the browser
scroll to, and highlight, the first run of the page's text that starts with ``start`` and ends
with ``end``, each matched on word boundaries. Both are built from the quote's own words as the
seed has them (the seed is the page's text, verbatim), leaving out words that may be a list's
number or bullet (a page often draws those itself). Each term is percent-encoded, and the
characters the fragment's own syntax uses (``-``, ``&`` and ``,``) are encoded too.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urldefrag

# A passage this short (in words) is matched whole; a longer one by its first and last words.
WHOLE_UP_TO = 8
TERM_WORDS = 4
# A word that may be a list's number or bullet: on the page that is often drawn by the list
# itself (``<ol>``), not text, so a term never includes one.
_MARKER = re.compile(r"\d{1,3}[.)]|[-*\u2022\u00b7\u2013\u2014]")


def encode_term(term: str) -> str:
    """A text directive's term, percent-encoded: every character but letters, digits and
    ``_.~`` (so ``-``, ``&``, ``,``, ``#`` and spaces are encoded)."""
    return quote(term, safe="").replace("-", "%2D")


def _run(words: list[str]) -> list[str]:
    """The first words of ``words`` (up to :data:`TERM_WORDS`), list markers at the start
    skipped, ending before the next marker."""
    i = 0
    while i < len(words) - 1 and _MARKER.fullmatch(words[i]):
        i += 1
    run = [words[i]]
    for word in words[i + 1:i + TERM_WORDS]:
        if _MARKER.fullmatch(word):
            break
        run.append(word)
    return run


def text_directive(passage: str) -> str:
    """``text=start,end`` (or ``text=whole`` for a short passage) for ``passage``: its words
    (split on white space) as the seed has them, list markers left out of the terms."""
    words = passage.split()
    if not words:
        raise ValueError("an empty passage has no text fragment")
    inner = words[:]
    while len(inner) > 1 and _MARKER.fullmatch(inner[0]):
        inner.pop(0)
    while len(inner) > 1 and _MARKER.fullmatch(inner[-1]):
        inner.pop()
    markers = sum(1 for w in inner if _MARKER.fullmatch(w))
    if len(inner) <= WHOLE_UP_TO and markers in (0, len(inner)):  # (all markers: a dash alone)
        return "text=" + encode_term(" ".join(inner))
    start, end = _run(inner), _run(inner[::-1])[::-1]
    return f"text={encode_term(' '.join(start))},{encode_term(' '.join(end))}"


def passage_url(url: str, passage: str) -> str:
    """``url`` (its own fragment dropped) with a text fragment for ``passage``."""
    return f"{urldefrag(url).url}#:~:{text_directive(passage)}"
