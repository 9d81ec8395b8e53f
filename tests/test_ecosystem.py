"""The repository in its ecosystem, checked by the real tools: the GitHub Actions workflow
(zizmor), pre-commit's own configuration, the published hooks and the built wheel."""

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
