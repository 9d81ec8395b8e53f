"""Contributors' tools from the user's side: ``deckgen diff`` agrees with the build."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import CARDS_YAML, SEED_TEXT, Project, pressure_card

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
    # a seed edited above the quoted passages: every citing card's quote line moves
    project.write("seeds/tiny.txt", "Preface.\n\n" + SEED_TEXT)
    project.write("cards/safety.yaml", CARDS_YAML.split("  - id: overstimulation-cloze")[0])
    result = project.run("diff", "HEAD")
    assert result.stdout == (
        "0 added, 1 changed, 1 retired\n"
        "Retired:\n"
        "  - overstimulation-cloze\n"
        "Changed:\n"
        "  ~ do-no-harm\n"
        "      quote: there is a foundational principle: “First, do no harm.” (line [-3)-] "
        "{+5)+}\n"
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
    assert unknown.stderr == ".:1:1: error: BASE 'v9' is not a commit in this repository\n1 error\n"


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
