"""Located diagnostics: every user mistake becomes one of these, never a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A position in a file: 1-based line and column."""

    path: Path
    line: int = 1
    column: int = 1

    def display(self, root: Path | None = None) -> str:
        path = self.path
        if root is not None and path.resolve().is_relative_to(root.resolve()):
            path = path.resolve().relative_to(root.resolve())
        return f"{path.as_posix()}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning, printed as ``path:line:col: severity: message``."""

    location: Location
    message: str
    severity: str = "error"
    details: tuple[str, ...] = field(default=())

    def format(self, root: Path | None = None) -> str:
        head = f"{self.location.display(root)}: {self.severity}: {self.message}"
        return "\n".join([head, *("    " + line for line in self.details)])

    def sort_key(self) -> tuple[str, int, int]:
        loc = self.location
        return (loc.path.as_posix(), loc.line, loc.column)


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
