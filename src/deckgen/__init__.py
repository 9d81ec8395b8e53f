"""deckgen: compile cited, evidence-levelled flashcards written in YAML into Anki decks."""

from typing import Any

from .build import BuildResult, CheckResult, build, check, resolve
from .errors import DeckgenError, Diagnostic, Location
from .project import Project, load_project

__all__ = [
    "BuildResult",
    "CheckResult",
    "DeckgenError",
    "Diagnostic",
    "Location",
    "Project",
    "__version__",
    "build",
    "check",
    "load_project",
    "resolve",
]


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata only when asked for (start-up time)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("deckgen")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0.0.0"
    raise AttributeError(f"module 'deckgen' has no attribute {name!r}")
