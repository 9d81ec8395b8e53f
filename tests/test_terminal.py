"""Terminal and CLI conventions, from the user's side: escape codes, Ctrl-C, help, completion,
GitHub annotations."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import CARDS_YAML, REPO, Project
from deckgen.cli import cli, main

DECKGEN = [sys.executable, "-m", "deckgen"]


def _stderr_on_a_terminal(project: Project, term: str | None) -> bytes:
    """What ``deckgen check`` writes to stderr when stderr is a terminal (a pseudo-terminal)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TERM", "CI", "GITHUB_ACTIONS")}
    if term is not None:
        env["TERM"] = term
    controller, terminal = pty.openpty()
    run = subprocess.Popen([*DECKGEN, "check"], cwd=project.root, stdout=subprocess.DEVNULL,
                           stderr=terminal, env=env)
    os.close(terminal)
    out = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        out += chunk
    os.close(controller)
    assert run.wait(30) == 0
    return out


@pytest.mark.parametrize("term", [None, "", "dumb"])
def test_no_escape_codes_on_a_dumb_terminal(project: Project, term: str | None) -> None:
    assert b"\x1b" not in _stderr_on_a_terminal(project, term)


def test_progress_on_a_real_terminal(project: Project) -> None:
    assert b"\r\x1b[Kchecking card files" in _stderr_on_a_terminal(project, "xterm-256color")


def test_ctrl_c_exits_130_with_one_line(project: Project) -> None:
    """A build waiting for another build's lock is interrupted as a user would."""
    from deckgen.output import BuildLock

    held = BuildLock(project.root / "out" / ".test.apkg.build-lock")
    held.acquire()
    try:
        run = subprocess.Popen([*DECKGEN, "build"], cwd=project.root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TERM": "dumb"})
        assert run.stderr is not None
        waiting = run.stderr.readline()
        assert waiting.startswith("deckgen: waiting for another build of this project")
        time.sleep(0.2)
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=30)
    finally:
        held.release()
    assert (run.returncode, stderr) == (130, "deckgen: interrupted\n")


@pytest.mark.parametrize("after", [0.15, 0.25, 0.35])  # (Python itself starts in ~0.03 s)
def test_ctrl_c_while_the_command_line_starts(project: Project, after: float) -> None:
    """A SIGINT while the modules are still loading (pydantic and the rest take a few tenths of
    a second): one line and 130, never a traceback; or, if it came after the run, its result."""
    run = subprocess.Popen([sys.executable, "-m", "deckgen", "check"], cwd=project.root,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert "Traceback" not in err, err
    # (-2, killed by SIGINT: what a shell shows as 130 too; some CPython versions end that way
    # after the interrupt was handled, and so does a signal that comes as the interpreter ends)
    assert (run.returncode, err) in ((130, "deckgen: interrupted\n"), (0, ""), (-2, ""),
                                     (-2, "deckgen: interrupted\n")), (run.returncode, err)


def test_ctrl_c_in_the_library_call(project: Project, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("deckgen.pipeline.check", interrupted)
    monkeypatch.chdir(project.root)
    assert main(["check"]) == 130
    assert capsys.readouterr().err == "deckgen: interrupted\n"


def _commands() -> list[tuple[str, click.Command]]:
    return [("deckgen", cli), *((f"deckgen {n}", c) for n, c in cli.commands.items())]


def test_every_command_option_and_argument_has_help() -> None:
    for name, command in _commands():
        assert command.help and len(command.help.split()) >= 5, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help and len(param.help.split()) >= 3, (name, param.opts)
            else:  # click shows arguments in the usage line: the help text must say them
                assert param.name and param.name.upper() in command.help, (name, param.name)
        shown = click.testing.CliRunner().invoke(
            cli, [*name.split()[1:], "--help"], prog_name="deckgen")
        assert shown.exit_code == 0, name
        for param in command.params:
            if isinstance(param, click.Option) and param.help:
                assert param.opts[-1] in shown.output, (name, param.opts)


def test_shell_completion_works_and_is_documented(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "_DECKGEN_COMPLETE=bash_source deckgen" in readme
    deckgen = Path(sys.executable).parent / "deckgen"
    script = subprocess.run([str(deckgen)], env={**os.environ, "_DECKGEN_COMPLETE": "bash_source"},
                            capture_output=True, text=True, check=True).stdout
    assert "complete -o nosort -F _deckgen_completion deckgen" in script
    words = subprocess.run([str(deckgen)], capture_output=True, text=True, check=True, env={
        **os.environ, "_DECKGEN_COMPLETE": "bash_complete", "COMP_WORDS": "deckgen pre",
        "COMP_CWORD": "1"}).stdout
    assert words.split() == ["plain,preview"]


def test_errors_are_github_annotations_under_actions(project: Project,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    project.write("cards/safety.yaml", CARDS_YAML.replace("evidence: expert-opinion",
                                                          "evidence: rtc", 1))
    plain = project.run("check")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    annotated = project.run("check")
    assert annotated.exit_code == 1
    assert annotated.stderr == (
        "cards/safety.yaml:10:15: error: unknown evidence level 'rtc'; did you mean 'rct'?\n"
        "::error file=cards/safety.yaml,line=10,col=15::unknown evidence level 'rtc'; did you "
        "mean 'rct'?\n"
        "1 error\n")
    assert "::error" not in plain.stderr


def test_annotation_values_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deckgen.cli import github_annotation
    from deckgen.errors import Diagnostic, Location

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "a,b:c.yaml").write_text("cards: []\n")
    d = Diagnostic(Location(Path("cards/a,b:c.yaml"), 3, 4), "50% off", "warning",
                   ("nearest passage:", "  text"))
    assert github_annotation(d) == (
        "::warning file=cards/a%2Cb%3Ac.yaml,line=3,col=4::50%25 off%0Anearest passage:%0A  text")


def test_annotations_name_files_from_the_repository_root(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deck in a folder of its repository: the annotation names the file as the pull request
    does (from GITHUB_WORKSPACE), whether deckgen runs with -C or from a folder inside."""
    repository = project.root.parent
    project.write("cards/safety.yaml", CARDS_YAML.replace("evidence: expert-opinion",
                                                          "evidence: rtc", 1))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repository))
    wanted = "::error file=proj/cards/safety.yaml,line=10,col=15::unknown evidence level"
    monkeypatch.chdir(repository)
    run = CliRunner().invoke(cli, ["-C", "proj", "check"])
    assert run.exit_code == 1
    assert wanted in run.stderr
    monkeypatch.chdir(project.root / "cards")
    run = CliRunner().invoke(cli, ["check"])
    assert "../cards/safety.yaml:10:15: error" in run.stderr  # (the terminal: from here)
    assert wanted in run.stderr


def test_a_problem_of_the_run_itself_is_one_line_with_no_made_up_file(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.chdir(tmp_path)
    nowhere = CliRunner().invoke(cli, ["check"])
    assert nowhere.exit_code == 1
    assert nowhere.stderr.splitlines() == [
        "deckgen: error: no deckgen.yaml here or in any folder above; run deckgen inside a "
        "deckgen project, or name its folder with 'deckgen -C DIR'",
        "::error::no deckgen.yaml here or in any folder above; run deckgen inside a deckgen "
        "project, or name its folder with 'deckgen -C DIR'"]
    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    monkeypatch.chdir(project.root)
    bad = CliRunner().invoke(cli, ["diff", "no-such-revision"])
    assert bad.exit_code == 1
    assert bad.stderr.splitlines() == [
        "deckgen: error: BASE 'no-such-revision' is not a commit in this repository",
        "::error::BASE 'no-such-revision' is not a commit in this repository"]


def test_starting_the_command_line_loads_only_what_every_command_needs() -> None:
    """Each command imports its own modules when it runs (a tenth of a second of every start,
    measured), so ``--help``, completion and the light commands never load the others."""
    code = ("import sys, deckgen.cli; print(' '.join(sorted(m for m in sys.modules if m in "
            "{'deckgen.pipeline', 'deckgen.diff', 'deckgen.authoring', 'deckgen.preview', "
            "'deckgen.coverage', 'deckgen.lint', 'deckgen.package', 'deckgen.lock', "
            "'genanki', 'markdown_it', 'rapidfuzz', 'multiprocessing'})))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.split() == []
