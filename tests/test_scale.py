"""Big projects: card files checked a file per core, and progress shown on a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PRESSURE_SOURCE, Project, pressure_card
from deckgen import parallel

needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


def many_files(project: Project, files: int = 6) -> None:
    for f in range(files):
        project.write(f"cards/part-{f}.yaml", "deck: Pressure\ncards:\n" + "".join(
            pressure_card(f"pressure-{f}-{i}") for i in range(5)))


def run_both_ways(project: Project, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[tuple[
        int, str, str, bytes | None]]:
    """The same command in this process and over forked workers: exit code, output, deck."""
    outcomes = []
    for threshold in (1 << 60, 0):  # never / always worth spreading
        monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", threshold)
        project.output.unlink(missing_ok=True)  # (the lock stays: new cards' mod is the time)
        result = project.run(*args)
        deck = project.output.read_bytes() if project.output.exists() else None
        outcomes.append((result.exit_code, result.stdout.replace(" s)", ""), result.stderr, deck))
    return outcomes


@needs_fork
def test_workers_build_the_same_deck(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    many_files(project)
    assert parallel.workers_for(sorted((project.root / "cards").glob("*.yaml"))) == 1
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    assert parallel.workers_for(sorted((project.root / "cards").glob("*.yaml"))) == min(
        len(os.sched_getaffinity(0)), 7)
    (seq_code, seq_out, seq_err, seq_deck), (par_code, par_out, par_err, par_deck) = run_both_ways(
        project, monkeypatch, "build")
    assert seq_code == par_code == 0, seq_err + par_err
    seq_out, par_out = (out.rsplit("(", 1)[0] for out in (seq_out, par_out))
    assert seq_out == par_out == "built 32 cards in 2 decks: out/test.apkg "
    assert seq_deck == par_deck  # the same bytes


@needs_fork
def test_workers_report_the_same_errors(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    many_files(project)
    project.write("cards/part-2.yaml", "cards:\n" + pressure_card("pressure-0-1")  # duplicate id
                  + "  - id: lost\n    question: What is lost?\n    answer: A quote.\n"
                  + PRESSURE_SOURCE.replace("pressure", "pleasure"))
    project.write("cards/part-4.yaml", "cards: [")
    first, second = run_both_ways(project, monkeypatch, "check")
    assert first == second
    code, _, stderr, _ = first
    assert code == 1
    assert stderr.splitlines()[0] == (
        "cards/part-2.yaml:2:9: error: duplicate card id 'pressure-0-1' (first used at "
        "cards/part-0.yaml:10:9)")
    assert "cards/part-2.yaml:14:14: error: quote not found in seed 'tiny'" in stderr
    assert "cards/part-4.yaml:1:9: error: YAML syntax error" in stderr
    assert stderr.endswith("3 errors\n")


def run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run deckgen with stderr on a pseudo-terminal: exit code, stdout, what the terminal got."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "deckgen", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, stdout, seen.decode()


def test_progress_on_a_terminal_and_silence_elsewhere(project: Project) -> None:
    many_files(project, files=3)
    code, stdout, terminal = run_on_a_terminal(["build"], project.root)
    assert code == 0, terminal
    assert stdout.startswith("built 17 cards in 2 decks")
    assert "\r\x1b[Kchecking card files 4/4" in terminal
    assert "\r\x1b[Kwriting the deck..." in terminal
    assert terminal.endswith("\r\x1b[K")  # the line is cleared: nothing is left on screen
    piped = subprocess.run([sys.executable, "-m", "deckgen", "build"], cwd=project.root,
                           capture_output=True, text=True, check=False)
    assert (piped.returncode, piped.stderr) == (0, "")


def test_progress_is_cleared_before_errors(project: Project) -> None:
    project.write("cards/broken.yaml", "cards: [")
    code, _, terminal = run_on_a_terminal(["check"], project.root)
    assert code == 1
    assert terminal.startswith("\r\x1b[Kchecking card files")
    assert "\r\x1b[Kcards/broken.yaml:1:9: error: YAML syntax error" in terminal.replace("\r\n", "\n")


@needs_fork
def test_a_worker_that_dies_is_an_internal_error_not_a_hang(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_module = sys.modules["deckgen.pipeline"]
    many_files(project)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)

    def dies(job: object, path: Path) -> None:
        os._exit(9)  # as if killed (out of memory, kill -9)

    monkeypatch.setattr(build_module, "_check_file", dies)
    result = project.run("build")
    assert result.exit_code == 3
    assert result.stderr.startswith("deckgen: internal error: BrokenProcessPool")
    assert sorted(p.name for p in project.root.iterdir()) == ["cards", "deckgen.yaml", "seeds"]


@needs_fork
def test_an_error_before_the_first_result_stops_the_workers(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    many_files(project)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    (project.root / "deckgen.lock").write_text("{not json", encoding="utf-8")
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (
        1, "deckgen.lock:1:2: error: lock file is not valid JSON: Expecting property name "
           "enclosed in double quotes\n1 error\n")
    assert multiprocessing.active_children() == []  # no worker left checking files
    assert not project.output.exists()
