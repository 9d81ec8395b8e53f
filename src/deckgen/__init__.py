"""deckgen: compile cited, evidence-levelled flashcards written in YAML into Anki decks.

The public API is imported on first use, so that starting the command line loads nothing heavy
before it can handle Ctrl-C (see :mod:`deckgen.__main__`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import DeckgenError, Diagnostic, Location
    from .pipeline import BuildResult, CheckResult, build, check, resolve
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

_WHERE = {
    "BuildResult": "pipeline", "CheckResult": "pipeline", "build": "pipeline", "check": "pipeline",
    "resolve": "pipeline", "DeckgenError": "errors", "Diagnostic": "errors", "Location": "errors",
    "Project": "project", "load_project": "project",
}


def __getattr__(name: str) -> Any:
    """The public API, imported when first asked for; ``__version__`` from the installed
    metadata."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("deckgen")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0.0.0"
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'deckgen' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
