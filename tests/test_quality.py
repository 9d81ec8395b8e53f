"""The code itself: ruff and mypy (strict) run as part of the test suite, as in CI."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_ruff() -> None:
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests"],
                         capture_output=True, text=True, cwd=REPO, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_strict() -> None:
    run = subprocess.run([sys.executable, "-m", "mypy"],
                         capture_output=True, text=True, cwd=REPO, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
