"""Word-by-word differences, as ``deckgen diff`` and the quote-not-found message show them."""

from __future__ import annotations

import difflib
from collections.abc import Callable


def word_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """How ``a`` becomes ``b``, as :meth:`difflib.SequenceMatcher.get_opcodes` says."""
    return list(difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes())


def word_diff(old: str, new: str, markdown: bool = False,
              escape: Callable[[str], str] | None = None) -> str:
    """``old`` → ``new`` word by word: ``[-gone-]{+new+}`` or ~~gone~~ **new** in Markdown;
    ``escape`` is applied to the words (not to the marks)."""
    a, b = old.split(), new.split()
    out: list[str] = []
    shown = escape or (lambda text: text)
    for op, i1, i2, j1, j2 in word_opcodes(a, b):
        if op == "equal":
            out.append(shown(" ".join(a[i1:i2])))
            continue
        gone, came = shown(" ".join(a[i1:i2])), shown(" ".join(b[j1:j2]))
        if gone:
            out.append(f"~~{gone}~~" if markdown else f"[-{gone}-]")
        if came:
            out.append(f"**{came}**" if markdown else f"{{+{came}+}}")
    return " ".join(out)
