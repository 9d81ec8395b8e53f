"""``deckgen diff`` from the user's side, in a temporary git repository: it refuses what the
build refuses across the deck (an id two cards have, an id a retired card had), its Markdown
shows the cards' words as words (no HTML, mention, link or reference comes alive in a
pull-request comment), invisible characters show, and a revision's paths are git's."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from conftest import CARDS_YAML, Project, pressure_card
from deckgen.yamlsource import top_level_text

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**ENV, "HOME": str(root)}).stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def repository(project: Project) -> None:
    (project.root / ".gitignore").write_text("out/\n")
    git(project.root, "init", "-q", "-b", "main")
    commit(project.root, "base")


def in_revision(stderr: str, rev: str, prefix: str = "") -> str:
    """The build's messages as diff locates them in a revision (``REV:path``)."""
    return re.sub(r"(^|at )(cards/)", rf"\g<1>{rev}:{prefix}\g<2>", stderr, flags=re.M)


# --- the build's checks across the deck --------------------------------------------------------

def test_diff_refuses_an_id_that_an_unchanged_file_already_has(project: Project) -> None:
    # an unchanged file whose id is written with an escape ("\x2d" is "-"): the id is not in
    # its text as such, and must still be found
    project.write("cards/escaped.yaml", "cards:\n" + pressure_card('"fox\\x2dcard"'))
    project.write("cards/z-other.yaml", "cards:\n" + pressure_card("other-card"))
    repository(project)
    assert project.run("check").exit_code == 0
    project.write("cards/dup.yaml", "cards:\n" + pressure_card("do-no-harm")
                  + pressure_card("fox-card").replace("second way", "way"))
    built = project.run("build")
    assert (built.exit_code, built.stderr) == (1, (
        "cards/escaped.yaml:2:9: error: duplicate card id 'fox-card' (first used at "
        "cards/dup.yaml:9:9)\n"
        "cards/safety.yaml:4:9: error: duplicate card id 'do-no-harm' (first used at "
        "cards/dup.yaml:2:9)\n2 errors\n"))
    result = project.run("diff", "HEAD")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", built.stderr)
    commit(project.root, "the change")
    result = project.run("diff", "HEAD~1", "HEAD")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == in_revision(built.stderr, "HEAD")
    # the other way round (the base has the duplicate, the head has not): no error
    result = project.run("diff", "HEAD", "HEAD~1")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("0 added, 0 changed, 2 retired\n")


def test_diff_refuses_a_deck_that_differs_only_in_case_from_an_unchanged_files(
        project: Project) -> None:
    """As the build: Anki takes 'Safety' and 'SAFETY' for one deck. The unchanged files that
    could hold the clash are found in their text (the deck's first word, in any case) and
    loaded; one whose deck is spelled with an escape too."""
    project.write("cards/escaped.yaml", 'deck: "Sa\\x66ety::Pressure"\ncards:\n'
                  + pressure_card("escaped-card"))
    project.write("cards/unrelated.yaml", "deck: Other\ncards:\n" + pressure_card("other-card"))
    repository(project)
    assert project.run("check").exit_code == 0
    project.write("cards/added.yaml", "deck: SAFETY::Pressure\ncards:\n"
                  + pressure_card("added-card"))
    built = project.run("build")
    assert built.exit_code == 1 and "differs only in case" in built.stderr
    result = project.run("diff", "HEAD")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", built.stderr)
    commit(project.root, "the change")
    result = project.run("diff", "HEAD~1", "HEAD")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == in_revision(built.stderr, "HEAD").replace("deck of cards/",
                                                                      "deck of HEAD:cards/")
    # spelled as the others: no error
    project.write("cards/added.yaml", "deck: Safety::Pressure\ncards:\n"
                  + pressure_card("added-card"))
    assert project.run("build").exit_code == 0
    result = project.run("diff", "HEAD~1")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("1 added, 0 changed, 0 retired\n")


def test_diff_refuses_an_id_twice_in_one_file(project: Project) -> None:
    repository(project)
    project.write("cards/two.yaml", "cards:\n" + pressure_card("fox-card")
                  + pressure_card("fox-card").replace("second way", "way"))
    built = project.run("build")
    assert (built.exit_code, built.stderr) == (1, (
        "cards/two.yaml:9:9: error: duplicate card id 'fox-card' (first used at "
        "cards/two.yaml:2:9)\n1 error\n"))
    result = project.run("diff", "HEAD")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", built.stderr)
    commit(project.root, "the change")
    result = project.run("diff", "HEAD~1", "HEAD")
    assert (result.exit_code, result.stderr) == (1, in_revision(built.stderr, "HEAD"))


def test_diff_lets_a_card_move_to_another_file(project: Project) -> None:
    repository(project)
    first, second = CARDS_YAML.split("  - id: overstimulation-cloze")
    project.write("cards/safety.yaml", first)
    project.write("cards/cloze.yaml", "cards:\n  - id: overstimulation-cloze" + second)
    assert project.run("build").exit_code == 0
    result = project.run("diff", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("0 added, 1 changed, 0 retired\n")  # (its deck and tags)


def test_diff_refuses_a_retired_id_given_to_another_card(project: Project) -> None:
    project.write("cards/safety.yaml", CARDS_YAML + pressure_card("pressure-harm"))
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", CARDS_YAML)
    assert project.run("build").exit_code == 0  # (the lock retires pressure-harm)
    repository(project)
    project.write("cards/more.yaml", "cards:\n" + pressure_card("pressure-harm").replace(
        "the second way", "one way"))
    built = project.run("build")
    assert (built.exit_code, built.stderr) == (1, (
        "cards/more.yaml:2:9: error: card id 'pressure-harm' belonged to a card that was "
        "retired; an id is never given to a different card: choose a new id\n1 error\n"))
    result = project.run("diff", "HEAD")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", built.stderr)
    commit(project.root, "the change")
    result = project.run("diff", "HEAD~1", "HEAD")
    assert (result.exit_code, result.stderr) == (1, in_revision(built.stderr, "HEAD"))
    # the same card coming back is fine, for the build and for diff
    project.write("cards/more.yaml", "cards:\n" + pressure_card("pressure-harm"))
    result = project.run("diff", "HEAD~1")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("1 added, 0 changed, 0 retired\nAdded:\n  + pressure-harm\n")
    assert project.run("build").exit_code == 0


def test_diff_locates_a_revisions_errors_as_git_names_them(tmp_path: Path,
                                                           project: Project) -> None:
    # the deck lives in a folder of the repository: `git show HEAD:deck/cards/b.yaml` works
    deck = tmp_path / "repo" / "deck"
    deck.parent.mkdir()
    project.root.rename(deck)
    project = Project(deck)
    git(deck.parent, "init", "-q", "-b", "main")
    commit(deck.parent, "base")
    project.write("cards/b.yaml", "cards:\n" + pressure_card("do-no-harm"))
    project.write("cards/c.yaml", "cards:\n" + pressure_card("Bad"))
    commit(deck.parent, "the change")
    result = project.run("diff", "HEAD~1", "HEAD")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "HEAD:deck/cards/c.yaml:2:9: error: id 'Bad' must be lowercase letters, digits and "
        "single '-' between them",
        "HEAD:deck/cards/safety.yaml:4:9: error: duplicate card id 'do-no-harm' (first used at "
        "HEAD:deck/cards/b.yaml:2:9)"]
    shown = git(deck, "show", "HEAD:deck/cards/b.yaml")
    assert shown.splitlines()[1] == "  - id: do-no-harm"


# --- Markdown for a pull-request comment -------------------------------------------------------

HOSTILE = ('<img src="x" onerror="alert(1)"> @octocat and @org/team, #123 GH-7 :smile: '
           '[x](javascript:alert(1)) ![i](i.png) <https://evil.example> '
           'www.example.org a@b.example `code` a|b *em* __strong__ ~~gone~~ &amp; &lt;b&gt; '
           '\\*not em\\* <!-- hidden --> $x^2$ [^1]')


def text_of(rendered: str) -> str:
    """What a reader sees of rendered HTML: the text, without tags and comments."""
    return html.unescape(re.sub(r"<!--.*?-->|<[^>]*>", "", rendered))


def test_diff_markdown_shows_card_text_as_text(project: Project) -> None:
    from test_media import png

    (project.root / "media").mkdir()
    (project.root / "media" / "i.png").write_bytes(png())
    project.write("media/media.yaml", "media:\n  - file: i.png\n    source: Drawn for the "
                  "tests <b>@octocat</b>\n    author: C. Painter\n    licence: CC0\n")
    repository(project)
    answer = "First, do no harm. " + HOSTILE
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", "answer: |-\n      " + answer.replace(
            "harm. <img", "harm.\n      <img")) + pressure_card("new-card").replace(
        "answer: When excessive pressure is applied.", "answer: |-\n      " + HOSTILE))
    assert project.run("build").exit_code == 0  # (the deck takes it; too long for a card)
    result = project.run("diff", "HEAD", "--format", "markdown")
    assert (result.exit_code, result.stderr) == (0, "")
    out = result.stdout
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(out)
    # nothing of the cards' text comes alive: no image, link, raw HTML, emphasis or code
    for tag in ("<img", "<a ", "<em>", "<strong>", "<code>", "<table", "<br", "<h"):
        assert rendered.count(tag) == {"<code>": 2, "<strong>": 4, "<h": 1}.get(tag, 0), tag
    # GitHub links mentions, issue numbers and emoji in the text it shows: the text is split
    # after each @, # and : (by an empty comment); and bare addresses in the Markdown itself
    words = re.split(r"<!-- -->|<[^>]*>", rendered)
    for pattern in (r"@[a-z]", r"#\d", r"GH-\d", r":[a-z]+:"):
        assert not any(re.search(pattern, w) for w in words), pattern
    assert not re.search(r"www\.|https?:|\w@", out)
    # and what a reader sees is the card's words: the added card's answer whole, the changed
    # one with the new words strong (GitHub's ~~ and ** are the only marks)
    seen = text_of(rendered)
    assert f"answer: {HOSTILE}\n" in seen
    assert f"answer: First, do no harm. {HOSTILE}\n" in seen
    assert "<strong>&lt;img src=&quot;x&quot;" in rendered
    assert out.count("\n") == len(out.splitlines())  # (one line per field)


# --- invisible characters ------------------------------------------------------------------------

def test_diff_shows_invisible_characters(project: Project) -> None:
    repository(project)
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", 'answer: "First, do no\\u00ad harm.\\u200b"'))
    assert project.run("check").exit_code == 0
    result = project.run("diff", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith(
        "  ~ do-no-harm\n      answer: First, do [-no harm.-] {+no\\xad harm.\\u200b+}\n")
    markdown = project.run("diff", "HEAD", "--format", "markdown").stdout
    assert markdown.endswith(
        "- `do-no-harm`\n  - answer: First, do ~~no harm.~~ **no\\\\xad harm.\\\\u200b**\n")
    assert "\u200b" not in markdown and "\xad" not in markdown


def test_diff_markdown_shows_a_media_file_name_as_text(project: Project) -> None:
    repository(project)
    (project.root / "media").mkdir()
    (project.root / "media" / "a`<img src=x>` @octocat.png").write_bytes(b"x")
    result = project.run("diff", "HEAD", "--format", "markdown")
    assert result.stdout.endswith(
        "**Media**: 1 added, 0 changed, 0 removed\n- + ``a`<img src=x>` @octocat.png``\n")
    rendered = MarkdownIt("commonmark").render(result.stdout)
    assert "<code>a`&lt;img src=x&gt;` @octocat.png</code>" in rendered


@pytest.mark.parametrize(("text", "expected"), [
    ("deck: Safety\ncards: []\n", (True, "Safety")),
    ("cards: [{id: a}]\ndeck: 'X::Y'\n", (True, "X::Y")),  # after the cards
    ("cards: []\n", (True, None)),
    ('deck: "Sa\\x66ety"\n', (True, "Safety")),  # an escape, as the loader reads it
    ("deck: 2024\n", (True, "2024")),  # text as typed
    ("deck:\ncards: []\n", (True, None)),
    ("x: {deck: inner}\ndeck: top\n", (True, "top")),
    ("deck: [a]\n", (False, None)),
    ("<<: {deck: a}\n", (False, None)),
    ("base: &b x\ndeck: *b\n", (False, None)),
    ('deck: "\\ud800"\n', (False, None)),
    ("deck: [unclosed\n", (False, None)),
])
def test_a_files_deck_read_as_far_as_it(text: str, expected: tuple[bool, str | None]) -> None:
    """What diff reads of an unchanged file to know whether its deck may clash: the loader's
    value, or 'load it to know'."""
    assert top_level_text(text, "deck") == expected
    certain, value = expected
    if certain:
        data = yaml.load(text, Loader=yaml.BaseLoader) or {}
        assert (data.get("deck") or None) == value
