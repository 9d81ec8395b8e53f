"""What deckgen prints, from the user's side: every value it echoes is escaped (no escape
sequence reaches the terminal, no value forges a line), every message is located where the
author can act on it, no card file is left unread without a word, and the YAML messages and
limits are the same whatever libyaml PyYAML bundles."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CARDS_YAML, PRESSURE_SOURCE, PROJECT_YAML, SEED_TEXT, SEEDS_YAML, Project
from deckgen import yamlsource
from deckgen.errors import DeckgenError
from deckgen.yamlsource import load_yaml

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def raw_controls(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on rather than show (the test's own
    list, written apart from deckgen's)."""
    return [c for c in text if c != "\n" and (
        unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in BIDI)]


def run_cli(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """deckgen in a process of its own, so that a run that would block fails the test
    instead of hanging it."""
    return subprocess.run([sys.executable, "-m", "deckgen", *args], cwd=root, timeout=timeout,
                          capture_output=True, text=True, check=False)


# ---- card files deckgen does not read are never silent

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@needs_fifo
def test_a_named_pipe_named_like_a_card_file_is_an_error_and_never_blocks(
        project: Project) -> None:
    os.mkfifo(project.root / "cards" / "pipe.yaml")
    run = run_cli(project.root, "check")
    assert (run.returncode, run.stderr) == (1, (
        "cards/pipe.yaml:1:1: error: card file is a named pipe (FIFO), not a regular file; "
        "deckgen reads only regular files\n1 error\n"))


@needs_fifo
def test_a_seed_that_is_a_named_pipe_says_so_and_never_blocks(project: Project) -> None:
    (project.root / "seeds" / "tiny.txt").unlink()
    os.mkfifo(project.root / "seeds" / "tiny.txt")
    run = run_cli(project.root, "check")
    assert (run.returncode, run.stderr) == (1, (
        "seeds/seeds.yaml:3:11: error: seed file 'tiny.txt' is a named pipe (FIFO), not a file\n"
        "1 error\n"))


@needs_fifo
def test_a_file_that_turns_into_a_pipe_after_the_check_is_not_waited_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # read_text checks the opened file itself, so a swap between the look and the read
    # cannot block either
    pipe = tmp_path / "x.yaml"
    os.mkfifo(pipe)
    monkeypatch.setattr(yamlsource, "not_a_file", lambda path: None)  # the look saw a file
    with pytest.raises(DeckgenError) as caught:
        yamlsource.read_text(pipe, "YAML file")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == "YAML file is a named pipe (FIFO), not a regular file"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads any folder")
def test_an_unreadable_folder_of_cards_is_a_located_error(project: Project) -> None:
    locked = project.root / "cards" / "locked"
    locked.mkdir()
    (locked / "more.yaml").write_text(CARDS_YAML)
    locked.chmod(0)
    try:
        result = project.run("check")
    finally:
        locked.chmod(0o755)
    assert (result.exit_code, result.stderr) == (
        1, "cards/locked:1:1: error: cannot read folder: Permission denied\n1 error\n")


def test_a_folder_that_cannot_be_listed_is_a_located_error(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    # (root reads every folder, so the refusal a user would get is injected here)
    locked = project.root / "cards" / "locked"
    locked.mkdir()
    scandir = os.scandir

    def refusing(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    result = project.run("check")
    assert (result.exit_code, result.stderr) == (
        1, "cards/locked:1:1: error: cannot read folder: Permission denied\n1 error\n")


def test_a_card_moved_behind_a_symbolic_link_is_never_retired(project: Project) -> None:
    assert project.run("build").exit_code == 0
    lock = (project.root / "deckgen.lock").read_bytes()
    deck = project.output.read_bytes()
    (project.root / "elsewhere").mkdir()
    (project.root / "cards" / "safety.yaml").rename(project.root / "elsewhere" / "safety.yaml")
    (project.root / "cards" / "safety.yaml").symlink_to("../elsewhere/safety.yaml")
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (1, (
        "cards/safety.yaml:1:1: error: card file is a symbolic link: deckgen does not follow "
        "links in the cards folder; put the file itself here\n1 error\n"))
    assert (project.root / "deckgen.lock").read_bytes() == lock
    assert project.output.read_bytes() == deck


def test_card_files_are_found_the_same_whatever_the_case_of_their_extension(
        project: Project) -> None:
    for name in ("A.YAML", "b.Yml", "c.yAmL"):
        project.write(f"cards/sub/{name}", "cards:\n" + PRESSURE_SOURCE.replace(
            "    source:", f"  - id: {name.lower().replace('.', '-')}\n"
            "    question: According to the tiny seed, what is the second way massage harms?\n"
            "    answer: When excessive pressure is applied.\n    source:"))
    result = project.run("check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("checked 5 cards: no errors")


# ---- one bad card hides nothing


def test_each_card_of_a_file_with_a_schema_error_is_still_checked(project: Project) -> None:
    project.write("cards/safety.yaml", "cards:\n"
                  "  - id: no-answer\n    question: What?\n" + PRESSURE_SOURCE +
                  "  - id: misquoted\n    question: What?\n    answer: That.\n"
                  + PRESSURE_SOURCE.replace("is applied", "is applyed") +
                  "  - id: wrong-level\n    question: What?\n    answer: That.\n"
                  + PRESSURE_SOURCE.replace("expert-opinion", "systematic-review"))
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stderr == (
        "cards/safety.yaml:2:5: error: card has no 'answer'\n"
        "cards/safety.yaml:13:14: error: quote not found in seed 'tiny'\n"
        "    nearest passage (tiny.txt, line 7):\n"
        "      When excessive pressure is applied\n"
        "    differs at line 7 ([-the quote's words-] {+the seed's+}):\n"
        "      When excessive pressure is [-applyed-] {+applied+}\n"
        "cards/safety.yaml:21:15: error: evidence level 'systematic-review' is stronger than "
        "seed 'tiny' allows (max_evidence: expert-opinion)\n"
        "3 errors\n")


# ---- the command line's own values


@pytest.mark.parametrize("limit", ["-1", "0"])
def test_quote_with_a_limit_below_one_is_a_usage_error(project: Project, limit: str) -> None:
    result = project.run("quote", "tiny", "pressure", "-n", limit)
    assert (result.exit_code, result.stderr) == (2, (
        "Usage: deckgen quote [OPTIONS] SEED WORDS\n"
        "Try 'deckgen quote --help' for help.\n\n"
        f"Error: Invalid value for '-n' / '--limit': {limit} is not in the range x>=1.\n"))


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   cwd=root, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("rev", ["no-such-rev", "", "--output=written.txt", "HEAD~9"])
def test_diff_with_a_bad_revision_says_so_in_one_line(project: Project, rev: str) -> None:
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-qm", "first")
    result = project.run("diff", "--", rev)
    assert (result.exit_code, result.stderr) == (
        1, f"deckgen: error: BASE '{rev}' is not a commit in this repository\n")
    assert not (project.root / "written.txt").exists()
    result = project.run("diff", "HEAD", "--", rev)
    assert result.stderr.startswith(f"deckgen: error: HEAD '{rev}' is not a commit")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_escapes_the_card_text_it_shows(project: Project) -> None:
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-qm", "first")
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", 'answer: "First, do \\e[2J no\\u2028harm."').replace(
        "id: overstimulation-cloze", 'id: "new\\ncard"'))
    result = project.run("diff", "HEAD")  # (the build's own errors, as the build reports them)
    assert (result.exit_code, result.stderr) == (1, (
        "cards/safety.yaml:6:13: error: text contains a control character (U+001B); remove it\n"
        "cards/safety.yaml:11:9: error: id 'new\\x0acard' must be lowercase letters, digits and "
        "single '-' between them\n2 errors\n"))
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", 'answer: "First, do \\u202e no\\u2028harm."').replace(
        "id: overstimulation-cloze", "id: new-card"))
    result = project.run("diff", "HEAD")
    assert (result.exit_code, result.stdout.splitlines()[:3]) == (0, [
        "1 added, 1 changed, 1 retired", "Added:", "  + new-card"])
    assert result.stdout.endswith(
        "Retired:\n"
        "  - overstimulation-cloze\n"
        "Changed:\n"
        "  ~ do-no-harm\n"
        "      answer: First, do {+\\u202e+} no harm.\n")


def test_quote_prints_a_passage_escaped_as_the_yaml_it_pastes_as(project: Project) -> None:
    project.write("seeds/tiny.txt", SEED_TEXT.replace(
        "When excessive pressure is applied", "When excessive \x1b[31mpressure\u202e is applied"))
    result = project.run("quote", "tiny", "excessive pressure is applied", "-n", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == (
        '      quote: "When excessive \\x1b[31mpressure\\u202e is applied"')
    assert raw_controls(result.stdout) == []
    pasted = yaml.safe_load(result.stdout.splitlines()[1])
    assert pasted == {"quote": "When excessive \x1b[31mpressure\u202e is applied"}


def test_new_and_build_escape_the_paths_they_print(project: Project) -> None:
    result = project.run("new", "cards/\x1b[31mred.yaml")
    assert (result.exit_code, result.stdout) == (
        0, "added card '31mred-1' to cards/\\x1b[31mred.yaml: fill in the TODOs\n")
    (project.root / "cards" / "\x1b[31mred.yaml").unlink()
    result = project.run("build", "-o", "out/\x1b]0;owned\x07.apkg")
    assert result.exit_code == 0, result.stderr
    assert "out/\\x1b]0;owned\\x07.apkg (" in result.stdout
    assert raw_controls(result.stdout) == []


def test_a_file_name_with_a_new_line_forges_no_message(project: Project) -> None:
    project.write("cards/a\ncards/b.yaml:1:1: error: forged.yaml",
                  CARDS_YAML.replace("id: do-no-harm", "id: Do-no-harm")
                  .replace("id: overstimulation-cloze", "id: other-cloze"))
    result = project.run("check")
    assert (result.exit_code, result.stderr) == (1, (
        "cards/a\\x0acards/b.yaml:1:1: error: forged.yaml:4:9: error: id 'Do-no-harm' must be "
        "lowercase letters, digits and single '-' between them\n1 error\n"))


# ---- hostile characters in every value that is echoed

HOSTILE = ["\x1b", "\x1b[31m", "\n", "\r", "\x00", "\x07", "\x08", "\x7f", "\x85", "\x9b",
           "\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\u061c", "\ufeff", "\u200b",
           "\udcff", "\t", "x:1:1: error: forged", "'", '"', "\\", "a", "Z", "-", " ", "é"]
hostile_text = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=6).map("".join)
LOCATED = re.compile(r"^.+:\d+:\d+: (error|warning): ")


def _yaml_text(value: str) -> str:
    """``value`` as a double-quoted YAML scalar (the escapes reach every character)."""
    return json.dumps(value)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(card_id=hostile_text, key=hostile_text, tag=hostile_text, name=hostile_text,
       level=hostile_text)
def test_no_echoed_value_reaches_the_terminal_raw_or_forges_a_line(
        tmp_path_factory: pytest.TempPathFactory, card_id: str, key: str, tag: str, name: str,
        level: str) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    project = Project(root)
    project.write("deckgen.yaml", PROJECT_YAML)
    project.write("seeds/seeds.yaml", SEEDS_YAML)
    project.write("seeds/tiny.txt", SEED_TEXT)
    file_name = name.replace("/", "_").replace("\x00", "_")
    project.write(f"cards/{file_name}.yaml", (
        f"tags: [{_yaml_text(tag)}]\n"
        "cards:\n"
        f"  - id: {_yaml_text(card_id)}\n"
        "    question: According to the tiny seed, what is the second way massage harms?\n"
        "    answer: When excessive pressure is applied.\n"
        f"    {_yaml_text('x-' + key)}: 1\n"
        + PRESSURE_SOURCE.replace("evidence: expert-opinion", f"evidence: {_yaml_text(level)}")))
    result = project.run("check")
    assert result.exit_code == 1, result.output
    assert raw_controls(result.stderr) == []
    lines = result.stderr.splitlines()
    summary = re.fullmatch(r"(\d+) errors?", lines[-1])
    assert summary, lines
    located = [line for line in lines[:-1] if LOCATED.match(line)]
    # one line per error (no details for these), and none made by a value
    assert len(lines) - 1 == len(located) == int(summary.group(1)), lines


# ---- YAML: the same messages and limits whatever libyaml is bundled


class _FailingLibyaml(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml as a release with a lower limit of its own would behave: it gives up past
    ``depth`` levels."""

    depth = 0

    def get_event(self) -> Any:
        event = super().get_event()
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.level = getattr(self, "level", 0) + 1
            if self.level > self.depth:
                mark: Any = event.start_mark
                raise yaml.parser.ParserError(None, None, "exceeded maximum nesting depth", mark)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self.level -= 1
        return event


def _outcome(path: Path) -> Any:
    try:
        doc = load_yaml(path)
    except DeckgenError as exc:
        return [d.format() for d in exc.diagnostics]
    return doc.data, {key: doc.at(key) for key in doc.value_marks}


YAML_TEXTS = [
    "cards: " + "[" * 70 + "]" * 70 + "\n",
    "cards:\n" + "".join("  " * i + "- a:\n" for i in range(1, 100)),
    "cards: [" + "{a: " * 200 + "b" + "}" * 200 + "]\n",
    CARDS_YAML,
    CARDS_YAML + "  - id: 'never closed\n",
    "cards: [a, b\n",
    "a: [[[[[[[[[[1]]]]]]]]]]\nb: 'x\n",
]


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@pytest.mark.parametrize("depth", [1, 3, 10, 63, 64, 65, 1000])
@pytest.mark.parametrize("text", YAML_TEXTS)
def test_a_libyaml_with_another_limit_changes_no_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, depth: int) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    expected = _outcome(path)
    monkeypatch.setattr(_FailingLibyaml, "depth", depth)
    monkeypatch.setattr(yamlsource, "_Loader", _FailingLibyaml)
    assert _outcome(path) == expected


def test_the_nesting_limit_is_deckgens_at_any_depth(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    for depth in (65, 999, 1000, 1001, 5000):
        path.write_text("cards: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
        with pytest.raises(DeckgenError) as caught:
            load_yaml(path)
        assert [d.format() for d in caught.value.diagnostics] == [
            f"{path.as_posix()}:1:71: error: nesting is deeper than 64 levels"]
