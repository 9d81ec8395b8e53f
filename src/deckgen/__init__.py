"""deckgen: compile cited, evidence-levelled flashcards written in YAML into Anki decks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deckgen")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from .build import BuildResult, CheckResult, build, check
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
]
