"""The contributor path's files: workflow, pre-commit, pull-request template."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from conftest import REPO


def check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", *args],
                          capture_output=True, text=True, check=False)


def test_workflow_is_a_valid_github_actions_workflow(tmp_path: Path) -> None:
    workflow = REPO / ".github" / "workflows" / "ci.yml"
    ok = check_jsonschema("--builtin-schema", "vendor.github-workflows", str(workflow))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text().replace("runs-on:", "runs_on:"))
    assert check_jsonschema("--builtin-schema", "vendor.github-workflows", str(broken)).returncode == 1


def test_workflow_runs_what_contributing_promises() -> None:
    text = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    for step in ("bash .ci/run", "deckgen check --strict", "deckgen build --locked",
                 "deckgen diff", "--format markdown", "GITHUB_STEP_SUMMARY", "upload-artifact",
                 "gh release create"):
        assert step in text, step


def test_pre_commit_files_are_valid() -> None:
    for command, name in (("validate-config", ".pre-commit-config.yaml"),
                          ("validate-manifest", ".pre-commit-hooks.yaml")):
        run = subprocess.run([sys.executable, "-m", "pre_commit", command, name], cwd=REPO,
                             capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout + run.stderr


def checklist(text: str) -> list[str]:
    lines = text.split("## Review checklist")[1].splitlines()
    items, current = [], None
    for line in lines:
        if line.startswith("- [ ]"):
            current = line
            items.append(current)
        elif line.startswith("      ") and items:
            items[-1] += " " + line.strip()
        elif line.startswith("#"):
            break
    return items


def test_pull_request_template_carries_the_cards_checklist() -> None:
    cards = checklist((REPO / "cards" / "README.md").read_text())
    template = checklist((REPO / ".github" / "pull_request_template.md").read_text())
    assert len(cards) >= 10
    assert template == cards


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_constraints_pin_every_dependency_the_tests_install() -> None:
    """CI installs with .ci/constraints.txt (.ci/run), so a new release can't break a fresh
    clone; a dependency added to pyproject.toml without regenerating it fails here."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    pinned = {_name(line) for line in (REPO / ".ci" / "constraints.txt").read_text().splitlines()
              if line and not line.startswith((" ", "#")) and "==" in line}
    assert wanted - pinned == set()
    assert "-c .ci/constraints.txt" in (REPO / ".ci" / "run").read_text()


def test_the_readme_test_command_is_ci_run() -> None:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start")[1].split("```sh")[1].split("```")[0]
    commands = [line for line in quick.splitlines() if line and not line.startswith("#")]
    assert commands[-1] == "bash .ci/run"
    assert commands[0].startswith("python3 -m venv .venv && ")
    assert "bash .ci/run" in (REPO / ".github" / "workflows" / "ci.yml").read_text()
