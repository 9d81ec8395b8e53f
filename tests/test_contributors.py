"""Contributors' tools from the user's side: ``deckgen diff`` agrees with the build."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import CARDS_YAML, REPO, SEED_TEXT, Project, pressure_card
from deckgen.cli import cli

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**ENV, "HOME": str(root)}).stdout


def commit(project: Project, message: str) -> None:
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", message)


NUMBERED = """\
cards:
  - id: 404
    question: According to the tiny seed, what is the third way massage harms?
    answer: When overstimulation occurs.
    extra: no
    source:
      seed: tiny
      quote: In what situations can massage cause harm?
    evidence: expert-opinion
"""


def test_diff_compares_what_the_build_compares(project: Project) -> None:
    project.write("cards/more/numbered.yaml", NUMBERED)
    git(project.root, "init", "-q", "-b", "main")
    commit(project, "base")
    # the pull request: YAML's "no" and "off" are both text to deckgen (the lock records the
    # change); an unquoted numeric id edited; a card added; a card moved to another file
    project.write("cards/more/numbered.yaml", NUMBERED.replace("extra: no", "extra: off")
                  .replace("third way", "third and last way")
                  + CARDS_YAML.split("cards:\n")[1].split("  - id: overstimulation-cloze")[0])
    project.write("cards/safety.yaml", "deck: Safety\ntags: [safety]\ncards:\n"
                  + CARDS_YAML.split("    evidence: expert-opinion\n", 1)[1]
                  + pressure_card("pressure-harm"))
    commit(project, "the change")
    checked = project.run("check")
    assert checked.exit_code == 0, checked.stderr

    result = project.run("diff", "HEAD~1", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "1 added, 2 changed, 0 retired\n"
        "Added:\n"
        "  + pressure-harm\n"
        "      question: According to the tiny seed, what is the second way massage harms?\n"
        "      answer: When excessive pressure is applied.\n"
        "      evidence: expert-opinion\n"
        "      caveat: One expert's judgement, stated without data.\n"
        "      source: tiny: A Tiny Seed · A. Author · Test Press · https://example.org/tiny\n"
        "      quote: When excessive pressure is applied (line 7)\n"
        "      tags: safety, seed::tiny, evidence::expert-opinion\n"
        "      deck: Test deck::Safety\n"
        "Changed:\n"
        "  ~ 404\n"
        "      question: According to the tiny seed, what is the third {+and last+} way massage "
        "harms?\n"
        "      extra: [-no-] {+off+}\n"
        # do-no-harm moved to a file without a deck and tags: what its note shows changed
        "  ~ do-no-harm\n"
        "      tags: [-safety,-] seed::tiny, evidence::expert-opinion\n"
        "      deck: Test [-deck::Safety-] {+deck+}\n"
    )


def test_diff_follows_the_seeds_and_the_working_tree(project: Project) -> None:
    git(project.root, "init", "-q", "-b", "main")
    commit(project, "base")
    # a seed edited where a card quotes it (the card shows the seed's own words), and above
    # the passages (no card shows a line number: nothing changes for that)
    project.write("seeds/tiny.txt", "Preface.\n\n" + SEED_TEXT.replace("“First, do no harm.”",
                                                                         '"First, do no harm."'))
    project.write("cards/safety.yaml", CARDS_YAML.split("  - id: overstimulation-cloze")[0])
    result = project.run("diff", "HEAD")
    assert result.stdout == (
        "0 added, 1 changed, 1 retired\n"
        "Retired:\n"
        "  - overstimulation-cloze\n"
        "Changed:\n"
        "  ~ do-no-harm\n"
        "      quote: there is a foundational principle: [-“First,-] {+\"First,+} do no "
        "[-harm.”-] {+harm.\"+} (line [-3)-] {+5)+}\n"
    )
    same = project.run("diff", "HEAD", "HEAD")
    assert same.stdout == "No card changes.\n"


def test_diff_reports_errors_where_they_are(project: Project) -> None:
    git(project.root, "init", "-q", "-b", "main")
    project.write("cards/safety.yaml", CARDS_YAML.replace("do no harm.\"'", "do any harm.\"'"))
    commit(project, "a broken quote")
    project.write("cards/safety.yaml", CARDS_YAML)
    result = project.run("diff", "HEAD")
    assert result.exit_code == 1
    assert result.stderr.startswith("HEAD:cards/safety.yaml:9:14: error: quote not found in "
                                    "seed 'tiny'")
    unknown = project.run("diff", "v9")
    assert unknown.stderr == "deckgen: error: BASE 'v9' is not a commit in this repository\n"


def test_diff_reads_a_revision_in_one_pass(project: Project,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import deckgen.diff as diff_module

    calls: list[str] = []
    real = diff_module._run_git

    def counted(root: Path, *args: str, stdin: bytes | None = None) -> object:
        calls.append(args[0])
        return real(root, *args, stdin=stdin)

    for i in range(5):
        project.write(f"cards/f{i}.yaml", f"cards:\n{pressure_card(f'p-{i}')}")
    git(project.root, "init", "-q", "-b", "main")
    commit(project, "base")
    project.write("cards/f3.yaml", f"cards:\n{pressure_card('p-33')}")
    monkeypatch.setattr(diff_module, "_run_git", counted)
    result = project.run("diff", "HEAD")
    assert result.stdout.startswith("1 added, 0 changed, 1 retired\n")
    assert calls.count("cat-file") == 1 and calls.count("ls-tree") == 1
    assert "show" not in calls


# --- deckgen new: structural insertion ------------------------------------------------------

SCHEMA_LINE = "# yaml-language-server: $schema=../schema/card-file.schema.json\n"
NOT_LAST = SCHEMA_LINE + """\
cards:
    # the cards come first in this file
    -   id: do-no-harm
        question: According to the tiny seed, what is the foundational principle of all healthcare fields?
        answer: First, do no harm.  # a comment that must stay
        source:
            seed: tiny
            quote: 'there is a foundational principle: "First, do no harm."'
        evidence: expert-opinion
# the file's deck and tags, after its cards
deck: Safety
tags: [safety]
"""
FLOW = SCHEMA_LINE + """\
deck: Safety
cards: [{id: do-no-harm, question: "According to the tiny seed, what is the foundational principle of all healthcare fields?", answer: "First, do no harm.", source: {seed: tiny, quote: 'there is a foundational principle: "First, do no harm."'}, evidence: expert-opinion}]  # one line
tags: [safety]
"""
INDENTLESS = """\
cards:
- id: do-no-harm
  question: According to the tiny seed, what is the foundational principle of all healthcare fields?
  answer: First, do no harm.
  source:
    seed: tiny
    quote: 'there is a foundational principle: "First, do no harm."'
  evidence: expert-opinion
deck: Safety
"""


def _filled(text: str, card_id: str) -> str:
    """The skeleton's TODOs filled in, so that ``deckgen check`` judges the whole file."""
    return (text.replace("TODO According to <source>, ...?", "According to the tiny seed, "
                         "what is the second way massage harms?")
            .replace('"TODO According to <source>, ...?"', '"According to the tiny seed, what '
                     'is the second way massage harms?"')
            .replace("TODO what the evidence lacks, in one sentence", "One expert's judgement.")
            .replace("answer: TODO", "answer: When excessive pressure is applied.")
            .replace('answer: "TODO"', 'answer: "When excessive pressure is applied."')
            .replace("seed: TODO", "seed: tiny").replace('seed: "TODO"', 'seed: "tiny"')
            .replace("quote: TODO", "quote: When excessive pressure is applied")
            .replace('quote: "TODO"', 'quote: "When excessive pressure is applied"')
            .replace("evidence: TODO", "evidence: expert-opinion")
            .replace('evidence: "TODO"', 'evidence: "expert-opinion"'))


FLOW_LINES = FLOW.replace("cards: [{id", "cards: [\n    {id").replace("}]  # one line", "},\n  ]")


LITERAL = INDENTLESS.replace("  answer: First, do no harm.\n", "  answer: |\n    First, do no harm.\n").replace(
    "  evidence: expert-opinion\n", "  evidence: expert-opinion\n  extra: >\n    Folded text.\n\n")


@pytest.mark.parametrize("layout", [NOT_LAST, FLOW, INDENTLESS, FLOW_LINES, LITERAL])
def test_new_inserts_at_the_end_of_the_cards_wherever_they_are(project: Project,
                                                                layout: str) -> None:
    project.write("cards/safety.yaml", layout)
    result = project.run("new", "cards/safety.yaml")
    assert (result.exit_code, result.stderr) == (0, "")
    text = (project.root / "cards/safety.yaml").read_text()
    for line in layout.splitlines():  # every line kept (comments, schema line, other keys)
        if "[" not in line and "{" not in line:
            assert line in text.splitlines(), line
    project.write("cards/safety.yaml", _filled(text, "safety-1"))
    checked = project.run("check")
    assert (checked.exit_code, checked.stderr) == (0, "")
    assert checked.stdout == "checked 2 cards: no errors\n"


def test_new_keeps_the_items_own_indentation(project: Project) -> None:
    project.write("cards/safety.yaml", NOT_LAST)
    project.run("new", "cards/safety.yaml")
    text = (project.root / "cards/safety.yaml").read_text()
    assert "        evidence: expert-opinion\n    -   id: safety-1\n        question: TODO" in text
    assert "        source:\n            seed: TODO  # deckgen quote" in text
    assert text.endswith("# the file's deck and tags, after its cards\ndeck: Safety\ntags: [safety]\n")


def test_new_cloze_and_id(project: Project) -> None:
    project.write("cards/safety.yaml", CARDS_YAML)
    project.run("build")
    result = project.run("new", "cards/safety.yaml", "--cloze", "--id", "pressure-cloze")
    assert result.stdout == "added card 'pressure-cloze' to cards/safety.yaml: fill in the TODOs\n"
    text = (project.root / "cards/safety.yaml").read_text()
    assert text.startswith(CARDS_YAML)
    assert text[len(CARDS_YAML):].startswith(
        "  - id: pressure-cloze\n    cloze: TODO According to <source>, {{c1::TODO the words to "
        "recall}}.\n")
    again = project.run("new", "cards/safety.yaml", "--id", "do-no-harm")
    assert (again.exit_code, again.stderr) == (1, (
        "cards/safety.yaml:1:1: error: --id 'do-no-harm' is already used by a card, or was used "
        "by a retired one: ids are never reused\n1 error\n"))
    bad = project.run("new", "cards/safety.yaml", "--id", "Bad Id")
    assert bad.exit_code == 1
    assert "is not a card id: lowercase letters, digits and single '-' between them" in bad.stderr
    numeric = project.run("new", "cards/safety.yaml", "--id", "2024")
    assert numeric.exit_code == 0
    assert "  - id: \"2024\"\n" in (project.root / "cards/safety.yaml").read_text()


@pytest.mark.parametrize(("text", "reason"), [
    ("- just\n- a list\n", "the file's top level is not a mapping of keys (deck, tags, cards)"),
    ("cards: some text\n", "'cards' is not a list"),
    ("{deck: Safety}\n", "the file has no 'cards' key, and its keys are not in block style at "
                         "the start of the line"),
])
def test_new_refuses_a_layout_it_cannot_extend_and_leaves_the_file(project: Project, text: str,
                                                                   reason: str) -> None:
    path = project.write("cards/odd.yaml", text)
    result = project.run("new", "cards/odd.yaml")
    assert (result.exit_code, result.stderr) == (1, (
        f"cards/odd.yaml:1:1: error: cannot add a card to this file: {reason}; add the card by "
        "hand\n1 error\n"))
    assert path.read_text() == text
    assert sorted(p.name for p in path.parent.iterdir()) == ["odd.yaml", "safety.yaml"]


def test_new_on_empty_cards(project: Project) -> None:
    for text in ("cards: []  # none yet\ndeck: Later\n", "cards:\ndeck: Later\n", "# only a comment\n"):
        project.write("cards/empty.yaml", text)
        made = project.run("new", "cards/empty.yaml")
        assert made.exit_code == 0, made.stderr
        written = (project.root / "cards/empty.yaml").read_text()
        assert "  - id: empty-1\n" in written
        assert yaml.safe_load(written)["cards"][0]["id"] == "empty-1"
    for text in ("deck: X\ncards: []\n", "deck: X\ncards: [ ]   \n", "deck: X\ncards: []"):
        project.write("cards/empty.yaml", text)
        assert project.run("new", "cards/empty.yaml").exit_code == 0
        assert (project.root / "cards/empty.yaml").read_text().startswith(
            "deck: X\ncards:\n  - id: empty-1\n")  # (no white space left where [] was)
    broken = project.write("cards/broken.yaml", "cards: [\n")
    result = project.run("new", "cards/broken.yaml")
    assert result.exit_code == 1 and result.stderr.startswith("cards/broken.yaml:1:9: error: YAML syntax error")
    assert broken.read_text() == "cards: [\n"


# --- working from anywhere in the project ----------------------------------------------------


def run_in(folder: Path, *args: str) -> Result:
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(cli, list(args), prog_name="deckgen", catch_exceptions=False)
    finally:
        os.chdir(old)


def test_commands_find_the_project_from_a_subfolder(project: Project) -> None:
    sub = project.root / "cards" / "more"
    sub.mkdir()
    project.write("cards/safety.yaml", CARDS_YAML.replace("evidence: expert-opinion", "evidence: rtc", 1))
    broken = run_in(sub, "check")
    assert broken.exit_code == 1
    assert broken.stderr.startswith("../../cards/safety.yaml:10:15: error: unknown evidence level 'rtc'")
    project.write("cards/safety.yaml", CARDS_YAML)
    assert run_in(sub, "check").stdout == "checked 2 cards: no errors\n"
    built = run_in(sub, "build")
    assert built.stdout.startswith("built 2 cards in 1 decks: ../../out/test.apkg (")
    assert (project.root / "out/test.apkg").is_file()
    made = run_in(sub, "new", "extra.yaml")
    assert made.stdout == "added card 'extra-1' to extra.yaml: fill in the TODOs\n"
    assert (sub / "extra.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../../schema/card-file.schema.json\ncards:\n")
    (sub / "extra.yaml").unlink()
    assert run_in(sub, "quote", "tiny", "excessive pressure").exit_code == 0
    assert run_in(sub, "stats").exit_code == 0
    schema = run_in(sub, "schema")
    assert schema.stdout.startswith("../../schema/card-file.schema.json\n")
    preview = run_in(sub, "preview")
    assert preview.stdout.endswith(": ../../build/preview/index.html\n")
    git(project.root, "init", "-q", "-b", "main")
    commit(project, "base")
    project.write("cards/safety.yaml", CARDS_YAML + pressure_card("pressure-harm"))
    assert run_in(sub, "diff", "HEAD").stdout.startswith("1 added, 0 changed, 0 retired\n")


def test_dash_c_runs_as_if_started_there(project: Project) -> None:
    outside = project.root.parent
    project.write("cards/safety.yaml", CARDS_YAML.replace("evidence: expert-opinion", "evidence: rtc", 1))
    broken = run_in(outside, "-C", "proj", "check")
    assert broken.stderr.startswith("cards/safety.yaml:10:15: error: unknown evidence level")
    project.write("cards/safety.yaml", CARDS_YAML)
    assert run_in(outside, "-C", "proj", "check").stdout == "checked 2 cards: no errors\n"
    assert run_in(outside, "-C", "proj/cards", "check").stdout == "checked 2 cards: no errors\n"
    assert Path.cwd() != project.root  # the folder is changed back
    built = run_in(outside, "-C", "proj", "build", "-o", "elsewhere.apkg")
    assert built.exit_code == 0 and (project.root / "elsewhere.apkg").is_file()
    missing = run_in(outside, "-C", "nowhere", "check")
    assert missing.exit_code == 2 and "'nowhere' does not exist" in missing.stderr
    # as git: several -C one after the other, each from the one before; an empty one is no move
    chained = run_in(outside, "-C", "proj", "-C", "", "-C", "cards", "check")
    assert chained.stdout == "checked 2 cards: no errors\n"
    assert run_in(outside, "-C", "proj", "-C", "cards", "-C", "..", "build", "-o",
                  "chained.apkg").exit_code == 0
    assert (project.root / "chained.apkg").is_file()
    a_file = run_in(outside, "-C", "proj", "-C", "deckgen.yaml", "check")
    assert a_file.exit_code == 2 and "'deckgen.yaml' is not a folder" in a_file.stderr
    nothing = run_in(outside, "check")
    assert nothing.stderr == ("deckgen: error: no deckgen.yaml here or in any folder "
                              "above; run deckgen inside a deckgen project, or name its folder "
                              "with 'deckgen -C DIR'\n")


# --- quotes ---------------------------------------------------------------------------------

WRAPPED = """\
A Wrapped Seed

The therapist kept working on the muscle long after the
pathological tension was gone, and the patient felt worse.

Signs to watch:
- pathological tension gone
- patient felt worse
"""


def test_a_quote_not_found_shows_the_changed_word_and_its_line(project: Project) -> None:
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "quote: 'there is a foundational principle: \"First, do no harm.\"'",
        "quote: When overstimulation occurrs"))
    result = project.run("check")
    assert result.stderr == (
        "cards/safety.yaml:9:14: error: quote not found in seed 'tiny'\n"
        "    nearest passage (tiny.txt, line 8):\n"  # (not running on into line 10)
        "      When overstimulation occurs\n"
        "    differs at line 8 ([-the quote's words-] {+the seed's+}):\n"
        "      When overstimulation [-occurrs-] {+occurs+}\n"
        "1 error\n")
    project.write("seeds/tiny.txt", WRAPPED)
    project.write("cards/safety.yaml", CARDS_YAML.split("  - id: overstimulation-cloze")[0].replace(
        "quote: 'there is a foundational principle: \"First, do no harm.\"'",
        "quote: kept working on the muscle long after the pathological tension had gone"))
    wrapped = project.run("check")
    assert wrapped.stderr == (
        "cards/safety.yaml:9:14: error: quote not found in seed 'tiny'\n"
        "    nearest passage (tiny.txt, line 3):\n"
        "      kept working on the muscle long after the pathological tension was gone,\n"
        "    differs at line 4 ([-the quote's words-] {+the seed's+}):\n"
        "      kept working on the muscle long after the pathological tension [-had gone-] "
        "{+was gone,+}\n"
        "1 error\n")


def test_quote_ranks_whole_quotable_sentences_first(project: Project) -> None:
    project.write("seeds/tiny.txt", WRAPPED)
    result = project.run("quote", "tiny", "pathological tension gone")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "line 3 (84%):\n"  # the whole sentence, over two lines, above the better fragment
        '      quote: "The therapist kept working on the muscle long after the pathological '
        'tension was gone, and the patient felt worse."\n'
        "line 7 (100%; 3 words; a quote has 5 to 60):\n"
        '      quote: "pathological tension gone"\n')


def test_the_lock_of_a_big_deck_is_read(project: Project) -> None:
    """A lock has a line of some 300 bytes per card: a 100,000-card deck's is about 30 MB, over
    the 16 MiB a YAML file may have. It is read (and a build of the project works)."""
    assert project.run("build").exit_code == 0
    lock = project.root / "deckgen.lock"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text.rstrip("\n") + " " * (17 * 1024 * 1024) + "\n", encoding="utf-8")
    result = project.run("check")
    assert (result.exit_code, result.stderr) == (0, "")
    assert project.run("build").exit_code == 0
    assert lock.read_text(encoding="utf-8") == text


def test_new_keeps_a_byte_order_mark(project: Project) -> None:
    for ending in ("\n", "\r\n"):
        text = "\ufeff" + CARDS_YAML.replace("\n", ending)
        (project.root / "cards" / "safety.yaml").write_bytes(text.encode())
        assert project.run("new", "cards/safety.yaml").exit_code == 0
        data = (project.root / "cards" / "safety.yaml").read_bytes()
        assert data.startswith(text.encode()) and data.count(b"\xef\xbb\xbf") == 1


def test_new_keeps_a_crlf_file_crlf(project: Project) -> None:
    crlf = (project.root / "cards" / "safety.yaml").read_text().replace("\n", "\r\n")
    (project.root / "cards" / "safety.yaml").write_bytes(crlf.encode())
    result = project.run("new", "cards/safety.yaml")
    assert result.exit_code == 0, result.stderr
    data = (project.root / "cards" / "safety.yaml").read_bytes()
    assert data.startswith(crlf.encode())
    assert data.count(b"\n") == data.count(b"\r\n") > crlf.count("\n")


# --- deckgen diff agrees with 'deckgen build --locked' ----------------------------------------

RETIRED = "concert-pitch-tone"


def media_deck(tmp_path: Path, *, retired: bool = False) -> Path:
    """The example deck with media, in a git repository whose one commit has an up-to-date lock:
    a second image declared (unused), and with ``retired`` one card retired (no reason given)."""
    from test_media import png

    root = tmp_path / "media-deck"
    shutil.copytree(REPO / "examples" / "media-deck", root,
                    ignore=shutil.ignore_patterns("build", "tools"))
    (root / ".gitignore").write_text("build/\n")
    (root / "media" / "other.png").write_bytes(png(3, 2, b"\x00\x80\x00\xff"))
    _edit(root, "media/media.yaml", lambda t: t + (
        "  - file: other.png\n    source: Drawn for the tests\n    author: C. Painter\n"
        "    licence: CC0\n"))
    if retired:
        _edit(root, "cards/pitch.yaml", lambda t: t[:t.index(f"  - id: {RETIRED}")])
    assert Project(root).run("build").exit_code == 0
    assert Project(root).run("build", "--locked").exit_code == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def _edit(root: Path, relative: str, change: Callable[[str], str]) -> None:
    path = root / relative
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def build_changes(root: Path) -> set[str]:
    """The cards ``deckgen build --locked`` names as changed (new, changed, retired)."""
    result = Project(root).run("build", "--locked")
    if result.exit_code == 0:
        return set()
    assert "lock file is out of date" in result.stderr, result.stderr
    return set(re.findall(r"card '([^']+)'", result.stderr))


def diff_changes(root: Path, base: str, head: str | None = None) -> set[str]:
    """The cards ``deckgen diff`` reports added, changed or retired."""
    from deckgen.diff import diff_revisions
    from deckgen.project import load_project

    found = diff_revisions(load_project(root), base, head)
    return set(found.added) | set(found.changed) | set(found.retired)


def _new_image(root: Path) -> None:
    from test_media import png

    (root / "media" / "sine-wave.png").write_bytes(png(4, 4, b"\x00\x00\x80\xff"))


# each edit, and the cards it changes for learners ('deckgen build --locked' says so too)
EDITS: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    "image reference swapped": (lambda root: _edit(
        root, "cards/pitch.yaml", lambda t: t.replace("(sine-wave.png)", "(other.png)")),
        {"pure-tone-shape"}),
    "image bytes changed": (_new_image, {"pure-tone-shape"}),
    "credit edited": (lambda root: _edit(root, "media/media.yaml", lambda t: t.replace(
        "author: The deckgen authors", "author: The deckgen team", 1)), {"pure-tone-shape"}),
    "unused image's credit edited": (lambda root: _edit(
        root, "media/media.yaml", lambda t: t.replace("C. Painter", "D. Painter")), set()),
    "unused image changed": (lambda root: (root / "media" / "other.png").write_bytes(
        (root / "media" / "sine-wave.png").read_bytes()), set()),
    "repository added": (lambda root: _edit(root, "deckgen.yaml", lambda t: t + (
        "repository: https://github.com/example/pitch\n")),
        {"pure-tone-shape", "concert-pitch-tone"}),
    "description edited": (lambda root: _edit(root, "deckgen.yaml", lambda t: t.replace(
        "An example deck", "An example")), set()),
    "answer edited": (lambda root: _edit(root, "cards/pitch.yaml", lambda t: t.replace(
        "A sine wave.", "A sine wave (a pure tone).")), {"pure-tone-shape"}),
}


@pytest.mark.parametrize("name", EDITS)
def test_diff_reports_what_the_locked_build_reports(tmp_path: Path, name: str) -> None:
    root = media_deck(tmp_path)
    edit, expected = EDITS[name]
    edit(root)
    assert build_changes(root) == expected
    assert diff_changes(root, "HEAD") == expected
    if name == "image bytes changed":  # (the card's words are the same: its image is not)
        shown = Project(root).run("diff", "HEAD").stdout
        assert re.search(r"^      media: sine-wave\.png \[-\[\w+\]-\] \{\+\[\w+\]\+\} "
                         r"\(The deckgen authors, MIT \(the deckgen licence\)\)$", shown, re.M), shown
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", name)
    assert diff_changes(root, "HEAD~1", "HEAD") == expected  # (read from git, media and all)


RETIRED_EDITS: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    "reason given": (lambda root: _edit(root, "deckgen.yaml", lambda t: t + (
        f"retired:\n  {RETIRED}: A card with a recording of an orchestra replaces it.\n")),
        {RETIRED}),
    "the default reason given in words": (lambda root: _edit(root, "deckgen.yaml", lambda t: t + (
        f"retired:\n  {RETIRED}: Its authors removed it from the deck.\n")), set()),
}


@pytest.mark.parametrize("name", RETIRED_EDITS)
def test_diff_reports_a_retired_cards_new_reason(tmp_path: Path, name: str) -> None:
    root = media_deck(tmp_path, retired=True)
    edit, expected = RETIRED_EDITS[name]
    edit(root)
    assert build_changes(root) == expected
    assert diff_changes(root, "HEAD") == expected
    if expected:
        shown = Project(root).run("diff", "HEAD").stdout
        assert shown == ("0 added, 1 changed, 0 retired\nChanged:\n  ~ concert-pitch-tone\n"
                         "      reason: [-Its authors removed it from the deck.-] {+A card with "
                         "a recording of an orchestra replaces it.+}\n")
    # the reason released: removing it from deckgen.yaml changes nothing (the lock keeps it)
    assert Project(root).run("build").exit_code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", name)
    _edit(root, "deckgen.yaml", lambda t: t.split("retired:")[0])
    assert build_changes(root) == set() == diff_changes(root, "HEAD")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "reason removed")
    assert diff_changes(root, "HEAD~1", "HEAD") == set()
    if expected:  # and from before the reason was given, the reason is the change
        assert diff_changes(root, "HEAD~2", "HEAD") == expected


def test_diff_and_the_locked_build_agree_on_any_mix_of_edits(tmp_path: Path) -> None:
    """Property: for edits mixed at random (a fixed seed), the cards diff reports are the cards
    'deckgen build --locked' names, from the working tree and between two commits."""
    chosen = random.Random(20261201)
    names = sorted(EDITS)
    for round_ in range(4):
        mix = chosen.sample(names, chosen.randint(2, 4))
        root = media_deck(tmp_path / str(round_), retired=round_ % 2 == 1)
        for name in mix:
            EDITS[name][0](root)
        if round_ % 2 == 1:
            RETIRED_EDITS["reason given"][0](root)
        expected = build_changes(root)
        assert diff_changes(root, "HEAD") == expected, mix
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "mix")
        assert diff_changes(root, "HEAD~1", "HEAD") == expected, mix
