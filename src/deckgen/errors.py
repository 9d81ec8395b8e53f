"""Located diagnostics: every user mistake becomes one of these, never a traceback."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# What a terminal, a log viewer or an editor would act on rather than show: C0 and C1 controls
# and DEL (escape sequences, carriage returns, new lines), line and paragraph separators, the
# bidirectional controls (which reorder what is shown) and lone surrogates (undecodable bytes
# of a file name, which cannot even be printed).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` as it may be shown on a terminal: every character a terminal or editor would
    act on instead of showing (see ``_UNPRINTABLE``) written as its escape (``\\x1b``,
    ``\\u2028``), so a value can neither colour the output nor start a line of its own. The
    escapes are also valid in a double-quoted YAML value. Never applied to what goes into the
    deck."""
    return text if text.isprintable() else _UNPRINTABLE.sub(_escape, text)


@dataclass(frozen=True)
class Location:
    """A position in a file: 1-based line and column. ``path`` None: a problem of the run
    itself, with no file to point at (shown as ``deckgen``: no made-up file name)."""

    path: Path | None
    line: int = 1
    column: int = 1

    def display(self, root: Path | None = None) -> str:
        path = self.path
        if path is None:
            return "deckgen"
        if root is not None:  # (realpath, unlike resolve, never fails on a symbolic link loop)
            real, base = Path(os.path.realpath(path)), Path(os.path.realpath(root))
            if real.is_relative_to(base):
                path = real.relative_to(base)
        return f"{path.as_posix()}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning, printed as ``path:line:col: severity: message``."""

    location: Location
    message: str
    severity: str = "error"
    details: tuple[str, ...] = field(default=())

    def format(self, root: Path | None = None) -> str:
        """The lines to print, each value escaped (see :func:`printable`): one line for the
        diagnostic and one per detail, whatever the file names and values hold."""
        head = f"{self.location.display(root)}: {self.severity}: {self.message}"
        return "\n".join(printable(line) for line in [head, *("    " + d for d in self.details)])

    def sort_key(self) -> tuple[str, int, int]:
        loc = self.location
        return (loc.path.as_posix() if loc.path is not None else "", loc.line, loc.column)


class DeckgenError(Exception):
    """Raised when a run found errors; carries every diagnostic collected so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__(f"{len(self.diagnostics)} error(s)")

    def __reduce__(self) -> tuple[type[DeckgenError], tuple[list[Diagnostic]]]:
        return DeckgenError, (self.diagnostics,)  # so it can come back from a worker process


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``; did you mean 'x'?`` suffix for the closest choice, or ``""``."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
