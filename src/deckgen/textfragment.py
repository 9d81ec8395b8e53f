"""Links to a quoted passage itself: a URL text fragment (``#:~:text=start,end``).

The WICG Text Fragments spec (https://wicg.github.io/scroll-to-text-fragment/) has the browser
scroll to, and highlight, the first run of the page's text that starts with ``start`` and ends
with ``end``, each matched on word boundaries. Both are built from the quote's own words as the
seed has them (the seed is the page's text, verbatim). Each term is percent-encoded, and the
characters the fragment's own syntax uses (``-``, ``&`` and ``,``) are encoded too.
"""

from __future__ import annotations

from urllib.parse import quote, urldefrag

# A passage this short (in words) is matched whole; a longer one by its first and last words.
WHOLE_UP_TO = 8
TERM_WORDS = 4


def encode_term(term: str) -> str:
    """A text directive's term, percent-encoded: every character but letters, digits and
    ``_.~`` (so ``-``, ``&``, ``,``, ``#`` and spaces are encoded)."""
    return quote(term, safe="").replace("-", "%2D")


def text_directive(passage: str) -> str:
    """``text=start,end`` (or ``text=whole`` for a short passage) for ``passage``, its words
    split on white space."""
    words = passage.split()
    if not words:
        raise ValueError("an empty passage has no text fragment")
    if len(words) <= WHOLE_UP_TO:
        return "text=" + encode_term(" ".join(words))
    start, end = " ".join(words[:TERM_WORDS]), " ".join(words[-TERM_WORDS:])
    return f"text={encode_term(start)},{encode_term(end)}"


def passage_url(url: str, passage: str) -> str:
    """``url`` (its own fragment dropped) with a text fragment for ``passage``."""
    return f"{urldefrag(url).url}#:~:{text_directive(passage)}"
