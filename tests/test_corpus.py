"""The hostile and broken input corpus (tests/corpus/*).

Each case is a folder: ``files/`` is laid over the small test project (byte for byte), then
the symbolic links listed in ``links`` are made (one per line: the link's path in the project,
a tab, its target; kept as text so that they survive a source distribution and a checkout
without symbolic links), ``args`` is the deckgen command line, and ``expected`` is either
``SAFE`` (the build must succeed and the real Anki backend must render every card with no
executable markup) or ``exit N`` followed by the exact output (stderr for errors, stdout for
success).
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

from ankihelp import TEMPLATE_ERROR_MARK, import_apkg, open_collection, render_all, unsafe_markup
from conftest import Project

CORPUS = Path(__file__).with_name("corpus")
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def lay_over(project: Project, case: Path) -> None:
    files = case / "files"
    for src in sorted(files.rglob("*")) if files.exists() else ():
        dest = project.root / src.relative_to(files)
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        shutil.copyfile(src, dest)
    links = case / "links"
    for line in links.read_text(encoding="utf-8").splitlines() if links.exists() else ():
        path, target = line.split("\t")
        dest = project.root / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        os.symlink(target, dest)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink() and "out" not in p.relative_to(root).parts
            and p.name != "deckgen.lock"}


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert sum((CORPUS / c / "expected").read_text() == "SAFE\n" for c in CASES) >= 10


@pytest.mark.parametrize("name", CASES)
def test_case(project: Project, name: str, tmp_path: Path) -> None:
    case = CORPUS / name
    lay_over(project, case)
    before = snapshot(project.root)
    args = shlex.split((case / "args").read_text())
    result = project.run(*args)
    expected = (case / "expected").read_text(encoding="utf-8")
    assert "Traceback" not in result.stderr
    assert snapshot(project.root) == before, "an input file changed"
    if expected == "SAFE\n":
        assert result.exit_code == 0, result.stderr
        col = open_collection(tmp_path / "anki")
        import_apkg(col, project.output)
        rendered = render_all(col)
        assert rendered
        for card in rendered:
            html = card.question + card.answer
            assert TEMPLATE_ERROR_MARK not in html
            assert unsafe_markup(html) == [], (card.fields, html)
        return
    code_line, _, output = expected.partition("\n")
    assert result.exit_code == int(code_line.split()[1]), result.stderr
    assert (result.stderr if result.exit_code else result.stdout) == output
    if result.exit_code:
        assert not (project.root / "out").exists() or not any((project.root / "out").iterdir())
