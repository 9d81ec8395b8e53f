"""The command line: options in, one library call, errors out as ``path:line:col: error: …``.

Exit codes: 0 success, 1 errors in the input, 2 usage errors, 3 internal errors (a bug).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import DeckgenError, Diagnostic, Location, printable
from .project import find_project, find_root

# Each command imports the modules it uses when it runs: starting the command line (and
# ``--help``, and completion) loads none of the others. (Measured: importing them all took
# ~0.1 s of every command's start, a tenth of the 1-second budget at 10,000 cards.)
if TYPE_CHECKING:
    from .diff import DeckDiff
    from .pipeline import Progress

F = TypeVar("F", bound=Callable[..., Any])


def _paths(func: F) -> F:
    func = click.option("--seeds", "seeds", type=click.Path(path_type=Path, file_okay=False),
                        help="Seed folder (default: from deckgen.yaml, 'seeds').")(func)
    func = click.option("--cards", "cards", type=click.Path(path_type=Path, file_okay=False),
                        help="Card folder (default: from deckgen.yaml, 'cards').")(func)
    return func


def _reporting(func: F) -> F:
    """Print every DeckgenError as located lines and exit 1; a bug exits 3 with a short note."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except DeckgenError as exc:
            for diagnostic in exc.diagnostics:
                _report(diagnostic)
            if all(d.location.path is None for d in exc.diagnostics):
                sys.exit(1)  # (a problem of the run itself: its one line says it all)
            count = sum(d.severity == "error" for d in exc.diagnostics)
            warnings = len(exc.diagnostics) - count
            extra = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
            click.echo(f"{count} error{'s' if count != 1 else ''}{extra}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except KeyboardInterrupt:  # (before click turns it into "Aborted!" and exit 1)
            click.echo(INTERRUPTED, err=True)
            raise click.exceptions.Exit(130) from None
        except Exception as exc:
            if debug:
                traceback.print_exc()
            click.echo(
                f"deckgen: internal error: {type(exc).__name__}: {printable(str(exc))}\n"
                "This is a bug in deckgen, not in your cards. Please report it to deckgen's "
                "maintainers with the command you ran"
                + ("." if debug else " and the output of --debug."),
                err=True,
            )
            sys.exit(3)

    return wrapper  # type: ignore[return-value]


# Ctrl-C: the run stops with one line and exit code 130 (128 + SIGINT), as shells expect
INTERRUPTED = "deckgen: interrupted"


def _report(diagnostic: Diagnostic) -> None:
    """One diagnostic on stderr; under GitHub Actions also as a workflow command, which the
    pull request shows as an annotation at the file and line."""
    click.echo(diagnostic.format(), err=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        click.echo(github_annotation(diagnostic), err=True)


def _escape_property(text: str, extra: str = "") -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    for char in extra:
        text = text.replace(char, f"%{ord(char):02X}")
    return text


def github_annotation(diagnostic: Diagnostic) -> str:
    """``::error file=…,line=…,col=…::message`` (GitHub's workflow command; values escaped as
    the runner unescapes them, and shown as :func:`printable` shows them). The file is named
    from the repository's root (``GITHUB_WORKSPACE``), as the pull request names it, wherever
    deckgen ran; a problem with no file of the checkout to point at (no file at all, a file
    in another revision, outside the repository) is annotated without one, its location
    leading the message."""
    loc = diagnostic.location
    kind = "warning" if diagnostic.severity == "warning" else "error"
    lines = [diagnostic.message, *diagnostic.details]
    path = _checkout_path(loc.path)
    if path is None and loc.path is not None:
        lines[0] = f"{loc.display()}: {lines[0]}"
    message = _escape_property("\n".join(printable(line) for line in lines))
    if path is None:
        return f"::{kind}::{message}"
    return (f"::{kind} file={_escape_property(printable(path), ':,')},line={loc.line},"
            f"col={loc.column}::{message}")


def _checkout_path(path: Path | None) -> str | None:
    """``path`` as the pull request names it (from ``GITHUB_WORKSPACE``, else as given), or
    None when it is not a file of the checkout."""
    if path is None or not os.path.isfile(path):
        return None
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return path.as_posix()
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(workspace))
    return None if relative.startswith("..") else Path(relative).as_posix()


def _plain_terminal() -> bool:
    """A terminal that takes no escape codes: TERM unset, empty or 'dumb'."""
    return os.environ.get("TERM", "") in ("", "dumb")


@contextlib.contextmanager
def _progress() -> Iterator[Progress | None]:
    """Progress on stderr for long runs, when stderr is a terminal that takes escape codes
    (else nothing): one line, rewritten at most ten times a second and cleared at the end,
    errors or not."""
    stream = sys.stderr
    if not stream.isatty() or _plain_terminal():
        yield None
        return
    shown, showing = 0.0, ""

    def report(what: str, done: int, total: int) -> None:
        nonlocal shown, showing
        now = time.monotonic()
        if what == showing and done < total and now - shown < 0.1:
            return
        shown, showing = now, what
        stream.write(f"\r\x1b[K{what} {done}/{total}" if total > 1 else f"\r\x1b[K{what}...")
        stream.flush()

    try:
        yield report
    finally:
        if shown:
            stream.write("\r\x1b[K")
            stream.flush()


def _print_version(ctx: click.Context) -> None:
    from . import __version__  # read from the package metadata only when asked for

    click.echo(f"deckgen, version {__version__}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _, value: _print_version(ctx) if value else None,
              help="Show the version and exit.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@click.option("-C", "directories", metavar="DIR", multiple=True,
              help="Run as if deckgen had been started in DIR (as 'git -C': several are taken "
              "one after the other, each from the one before; an empty DIR changes nothing).")
def cli(debug: bool, directories: tuple[str, ...]) -> None:
    """Compile cited, evidence-levelled flashcards (YAML) into an Anki deck.

    Commands find the project by looking for deckgen.yaml in the current folder, then in each
    folder above it (as git finds .git); paths in messages are relative to where you stand."""
    before = os.getcwd()
    for directory in directories:
        if not directory:
            continue
        if not os.path.isdir(directory):
            what = "does not exist" if not os.path.exists(directory) else "is not a folder"
            os.chdir(before)
            raise click.BadParameter(f"'{printable(directory)}' {what}", param_hint="'-C'")
        os.chdir(directory)
    if os.getcwd() != before:
        click.get_current_context().call_on_close(lambda: os.chdir(before))


@cli.command()
@_paths
@click.option("-o", "--output", type=click.Path(path_type=Path),  # (what is there: build checks)
              help="The .apkg to write (default: from deckgen.yaml).")
@click.option("--locked", is_flag=True,
              help="Fail if deckgen.lock is out of date instead of updating it (for CI).")
@click.option("--new-identity", is_flag=True,
              help="Accept a changed name, deck_id, note_type_ids or guid_namespace in "
              "deckgen.yaml and record it in deckgen.lock, instead of refusing it. Learners who "
              "imported an earlier release would see their deck split in two (name), every "
              "update skipped (note type ids) or every card twice (guid_namespace): use it "
              "only to start a new deck on purpose.")
@click.option("--dry-run", is_flag=True,
              help="With --locked: build the deck in a temporary folder and discard it, so "
              "nothing is left in the project (for pre-commit hooks).")
@_reporting
def build(cards: Path | None, seeds: Path | None, output: Path | None, locked: bool,
          new_identity: bool, dry_run: bool) -> None:
    """Check every card and citation, then write the deck."""
    if dry_run and (not locked or output is not None):
        raise click.UsageError("--dry-run checks deckgen.lock without writing anything: use it "
                               "with --locked and without -o")
    from .pipeline import build as build_deck

    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if dry_run:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="deckgen-")))
            output = scratch / "deck.apkg"
        project = find_project(cards=cards, seeds=seeds, output=output)
        with _progress() as progress:
            result = build_deck(project, locked=locked, new_identity=new_identity,
                                progress=progress,
                                waiting=lambda message: click.echo(message, err=True))
    elapsed = time.perf_counter() - started
    retired = f" (+{result.retired} retired)" if result.retired else ""
    where = ("(dry run: deck discarded, deckgen.lock is up to date)" if dry_run
             else f"{printable(result.output.as_posix())}")
    click.echo(
        f"built {result.cards} cards{retired} in {result.decks} decks: {where} "
        f"({_size(result.size)}, {elapsed:.2f} s)"
    )


@cli.command()
@_paths
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@_reporting
def check(cards: Path | None, seeds: Path | None, strict: bool) -> None:
    """Run every check and the card-writing rules; write nothing."""
    from .pipeline import check as check_deck

    project = find_project(cards=cards, seeds=seeds)
    with _progress() as progress:
        result = check_deck(project, lint=True, strict=strict, progress=progress)
    for warning in result.warnings:
        _report(warning)
    count = len(result.warnings)
    warned = f", {count} warning{'s' if count != 1 else ''}" if count else ""
    click.echo(f"checked {result.cards} cards: no errors{warned}")


@cli.command()
@click.option("-o", "--output-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where to write the schemas (default: the project's schema folder, or "
              "'schema' outside a project).")
@_reporting
def schema(output_dir: Path | None) -> None:
    """Write the JSON Schemas of card files, the seed manifest, the project file and the
    media manifest, for editors to check the YAML as it is typed."""
    from .schema import json_schemas

    if output_dir is None:
        output_dir = (find_root() or Path(".")) / "schema"
    output_dir.mkdir(parents=True, exist_ok=True)
    for name, text in json_schemas().items():
        (output_dir / name).write_text(text, encoding="utf-8")
        click.echo(printable((output_dir / name).as_posix()))


@cli.command()
@click.argument("seed")
@click.argument("words")
@click.option("--seeds", "seeds", type=click.Path(path_type=Path, file_okay=False),
              help="Seed folder (default: from deckgen.yaml, 'seeds').")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many candidates.")
@_reporting
def quote(seed: str, words: str, seeds: Path | None, limit: int) -> None:
    """Find sentences of SEED holding WORDS, ready to paste as quote:. Those holding more of
    the words (in order, a typo allowed) come first; of those holding as many and about as
    alike (the %), the ones that satisfy the quote rules (5 to 60 words, no elision) first,
    then the others, each saying what it breaks. The likest is always shown (-n 2+)."""
    from .authoring import find_quotes, yaml_quoted

    project = find_project(seeds=seeds)
    candidates = find_quotes(project, seed, words, limit)
    if not candidates:
        raise DeckgenError([Diagnostic(Location(project.seeds_dir / "seeds.yaml"),
                                       f"no passage of '{seed}' resembles \"{words}\"")])
    for c in candidates:
        # (the escapes printable() writes are YAML's too: the line still pastes as the quote)
        problem = f"; {c.problem}" if c.problem else ""
        click.echo(f"line {c.line} ({c.score:.0f}%{problem}):\n      quote: "
                   f"{printable(yaml_quoted(c.passage))}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--cloze", is_flag=True, help="Add a cloze card instead of a question and answer.")
@click.option("--id", "card_id", metavar="ID",
              help="The new card's id (default: the file's name and the first free number). "
              "An id any card has ever used, retired ones included, is refused.")
@_reporting
def new(file: Path, cloze: bool, card_id: str | None) -> None:
    """Add a card skeleton to the end of FILE's cards (FILE is made if missing), with a fresh,
    never-used id. The file is changed structurally, keeping its comments and layout, or not at
    all."""
    from .authoring import new_card

    project = find_project()
    card_id = new_card(project, file, card_id=card_id, cloze=cloze)
    click.echo(f"added card '{printable(card_id)}' to {printable(file.as_posix())}: fill in "
               "the TODOs")


@cli.command()
@click.argument("base")
@click.argument("head", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True,
              help="text for the terminal, markdown for a pull-request comment.")
@_reporting
def diff(base: str, head: str | None, fmt: str) -> None:
    """Cards added, changed (word diff) and retired between BASE and HEAD (default: the
    working tree)."""
    from .diff import diff_revisions, render
    from .media import diff_text as media_diff

    project = find_project()
    result = diff_revisions(project, base, head)
    click.echo(render(_shown(result), markdown=fmt == "markdown"), nl=False)
    media = media_diff(project.root, project.media_dir.relative_to(project.root).as_posix(),
                       base, head, markdown=fmt == "markdown")
    click.echo(media, nl=False)


def _shown(diff: DeckDiff) -> DeckDiff:
    """``diff`` with every id and text escaped for the terminal (see ``printable``). The texts'
    white space is collapsed first, as the word diff does, so the same words differ."""

    from .diff import DeckDiff

    def shown(text: str) -> str:
        return printable(" ".join(text.split()))

    return DeckDiff(
        added={printable(i): {k: shown(v) for k, v in view.items()}
               for i, view in diff.added.items()},
        changed={printable(i): [(k, shown(a), shown(b)) for k, a, b in changes]
                 for i, changes in diff.changed.items()},
        retired=[printable(i) for i in diff.retired],
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@cli.command()
@_paths
@click.option("-o", "--output-dir", "output", type=click.Path(path_type=Path, file_okay=False),
              help="Where to write the site (replaces an earlier preview there; default: "
              "build/preview in the project).")
@_reporting
def preview(cards: Path | None, seeds: Path | None, output: Path | None) -> None:
    """Write the cards and the seeds' coverage as a static site."""
    project = find_project(cards=cards, seeds=seeds)
    if output is None:
        output = project.root / "build" / "preview"
    from .coverage import percent
    from .preview import write_preview

    result = write_preview(project, output)
    cov = result.coverage
    click.echo(
        f"wrote {_plural(result.cards, 'card')} in {_plural(result.decks, 'deck')} and "
        f"{_plural(result.seeds, 'seed page')} ({cov.cited}/{cov.paragraphs} paragraphs cited, "
        f"{percent(cov.share)}): {printable(result.index.as_posix())}"
    )


@cli.command()
@_paths
@_reporting
def stats(cards: Path | None, seeds: Path | None) -> None:
    """Print each seed's cards, paragraphs cited and evidence levels."""
    from .stats import project_stats

    project = find_project(cards=cards, seeds=seeds)
    click.echo(project_stats(project), nl=False)


def _size(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (callable from tests)."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="deckgen",
                        standalone_mode=False)
        if isinstance(code, int):  # (click returns an Exit's code in this mode)
            return code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo(INTERRUPTED, err=True)
        return 130
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # Ctrl-C outside a command's run
            click.echo(INTERRUPTED, err=True)
            return 130
        click.echo("Aborted.", err=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
