"""The deck and deckgen.lock are committed together (both or neither), builds of a project run
one at a time, scratch files live beside the output and never outlive the next build, and the
output path must hold a regular file or nothing.

The processes killed here are real ``python -m deckgen build`` runs, started through a small
wrapper script that can kill the process (SIGKILL) right before its n-th file-system step, or
before a given rename, or hold it once it holds the build lock: the product has no hook."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from conftest import CARDS_YAML, Project, pressure_card
from deckgen import package
from deckgen.notes import NoteSpec
from deckgen.output import finish_interrupted
from deckgen.package import DeckSettings, PackageError, PackageWriter, StampedNote
from deckgen.project import load_project

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and file types")

# Version B of the cards: one card changed, one gone (retired), one new.
CARDS_B = CARDS_YAML.replace("First, do no harm.\n", "Do no harm.\n").split(
    "  - id: overstimulation-cloze")[0] + pressure_card("second-way")
INPUTS = ["cards", "deckgen.lock", "deckgen.yaml", "seeds"]

WRAPPER = textwrap.dedent('''\
    """python wrapper.py ARGS...: deckgen ARGS with file-system faults, as the environment says."""
    import os, signal, sys, time, runpy, atexit, functools

    kill_at = int(os.environ.get("FAULT_KILL_AT", "0"))        # SIGKILL before the n-th step
    kill_replacing = os.environ.get("FAULT_KILL_REPLACING")    # ... before this file is replaced
    hold = os.environ.get("FAULT_HOLD")                        # once the build lock is held,
                                                               # wait for this file to exist
    count_file = os.environ.get("FAULT_COUNT")                 # write how many steps there were
    steps = 0

    def hooked(name, real):
        def step(*args, **kwargs):
            global steps, hold
            steps += 1
            if steps == kill_at or (name == "replace" and kill_replacing
                                    and os.path.basename(args[1]) == kill_replacing):
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*args, **kwargs)
            if name == "write" and hold:  # (the first write: the lock holder's process id)
                for _ in range(6000):
                    if os.path.exists(hold):
                        break
                    time.sleep(0.01)
                hold = None
            return result
        # (a partial is no descriptor: Python 3.10's pathlib keeps os functions as class
        # attributes of its accessor, where a plain function would be bound as a method)
        return functools.partial(step)

    for name in ("open", "write", "ftruncate", "fsync", "replace", "unlink", "mkdir", "rmdir"):
        setattr(os, name, hooked(name, getattr(os, name)))
    if count_file:
        atexit.register(lambda: open(count_file, "w").write(str(steps)))
    sys.argv = ["deckgen", *sys.argv[1:]]
    runpy.run_module("deckgen", run_name="__main__", alter_sys=True)
''')


@dataclass(frozen=True)
class Note:
    mod: int
    fields: tuple[str, ...]
    tags: str


def deck_notes(apkg: Path, scratch: Path) -> tuple[dict[str, Note], set[int]]:
    """The deck's notes by card id (the last field), and its note types' ``mod``."""
    scratch.write_bytes(zipfile.ZipFile(apkg).read("collection.anki2"))
    with sqlite3.connect(scratch) as db:
        notes = {}
        for mod, flds, tags in db.execute("SELECT mod, flds, tags FROM notes"):
            fields = tuple(flds.split("\x1f"))
            notes[fields[-1]] = Note(mod, fields, tags)
        models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    db.close()
    return notes, {m["mod"] for m in models.values()}


@dataclass(frozen=True)
class Version:
    fields: dict[str, tuple[str, ...]]  # the live cards' fields, by card id
    hashes: dict[str, str]  # the lock's hash per live card


def version_of(deck: Path, lock_text: str, versions: dict[str, Version], scratch: Path) -> str:
    """Assert that the deck and the lock belong together and to one of ``versions``; its name."""
    lock = json.loads(lock_text)
    notes, model_mods = deck_notes(deck, scratch)
    entries = {**lock["cards"], **lock["retired"]}
    assert set(notes) == set(entries), "the deck's cards are not the lock's"
    for card_id, entry in entries.items():
        note = notes[card_id]
        assert note.mod == entry["mod"], f"{card_id}: the deck's mod is not the lock's"
        assert note.fields[0] == entry["front"], card_id
        assert ("deckgen::retired" in note.tags) == (card_id in lock["retired"]), card_id
    assert model_mods == {max(e["mod"] for e in lock["note_types"].values())}
    live = {card_id: notes[card_id].fields for card_id in lock["cards"]}
    hashes = {card_id: entry["hash"] for card_id, entry in lock["cards"].items()}
    found = [name for name, v in versions.items() if (v.fields, v.hashes) == (live, hashes)]
    assert found, "the deck and the lock match neither build"
    return found[0]


def strays(project: Project) -> list[str]:
    """Everything in the project that is neither an input nor the deck."""
    out = project.output.parent
    return sorted([p.name for p in project.root.iterdir() if p.name not in [*INPUTS, "out"]]
                  + [f"out/{p.name}" for p in (out.iterdir() if out.exists() else [])
                     if p.name != "test.apkg"])


def reference(project: Project, cards: str, tmp: Path) -> Version:
    project.write("cards/safety.yaml", cards)
    (project.root / "deckgen.lock").unlink(missing_ok=True)
    assert project.run("build").exit_code == 0
    lock = json.loads((project.root / "deckgen.lock").read_text())
    notes, _ = deck_notes(project.output, tmp)
    return Version({c: notes[c].fields for c in lock["cards"]},
                   {c: e["hash"] for c, e in lock["cards"].items()})


@pytest.fixture
def versions(project: Project, tmp_path: Path) -> dict[str, Version]:
    refs = {"A": reference(project, CARDS_YAML, tmp_path / "ref.db"),
            "B": reference(project, CARDS_B, tmp_path / "ref.db")}
    (project.root / "deckgen.lock").unlink()
    project.output.unlink()
    return refs


def start(project: Project, tmp_path: Path, *args: str, **faults: str) -> subprocess.Popen[str]:
    wrapper = tmp_path / "wrapper.py"
    if not wrapper.exists():
        wrapper.write_text(WRAPPER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULT_")}
    env.update({f"FAULT_{k.upper()}": v for k, v in faults.items()})
    return subprocess.Popen([sys.executable, str(wrapper), *args], cwd=project.root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(project: Project, tmp_path: Path, *args: str, **faults: str) -> tuple[int, str]:
    proc = start(project, tmp_path, *args, **faults)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def seen(project: Project, versions: dict[str, Version], scratch: Path) -> tuple[str, bool]:
    """The pair on disk right after a kill, as the next build will find it, and whether the
    kill came between the two renames: either the deck matches deckgen.lock, or the journal is
    there and the deck matches the new lock waiting beside deckgen.lock."""
    lock_path = project.root / "deckgen.lock"
    try:
        return version_of(project.output, lock_path.read_text(), versions, scratch), False
    except AssertionError:
        assert (project.output.parent / ".test.apkg.build-journal").exists()
        (waiting,) = project.root.glob(".deckgen.lock.*.tmp")
        return version_of(project.output, waiting.read_text(), versions, scratch), True


# ---- SIGKILL at any moment

@posix_only
def test_builds_killed_at_random_points_leave_the_old_pair_or_the_new(
    project: Project, versions: dict[str, Version], tmp_path: Path
) -> None:
    scratch = tmp_path / "deck.db"
    sources = {"A": CARDS_YAML, "B": CARDS_B}
    project.write("cards/safety.yaml", CARDS_YAML)
    assert run(project, tmp_path, "build")[0] == 0
    project.write("cards/safety.yaml", CARDS_B)  # how many steps a build that changes both takes
    assert run(project, tmp_path, "build", count=str(tmp_path / "count"))[0] == 0
    steps = int((tmp_path / "count").read_text())
    assert steps >= 8  # (the hooks see the build)
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    # right before each of a build's file-system steps (they shift when a build starts by
    # finishing a killed one's commit), right before the lock's rename (between the two
    # renames), at random moments; in random order; then more, until 36 builds were killed
    plans = ([("step", k) for k in range(1, steps + 1)] + [("between", 0)] * 4
             + [("moment", 0)] * 6)
    rng.shuffle(plans)
    kills = window = rounds = 0
    committed = "B"
    while rounds < len(plans) or kills < 36:
        assert rounds < 100, f"seed {seed}: too few builds were killed"
        how, step = plans[rounds] if rounds < len(plans) else ("step", rng.randint(1, steps))
        version = "A" if committed == "B" else "B"  # so that deck and lock both change
        project.write("cards/safety.yaml", sources[version])
        if how == "moment":
            proc = start(project, tmp_path, "build")
            time.sleep(rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
        else:
            proc = start(project, tmp_path, "build", **(
                {"kill_at": str(step)} if how == "step" else {"kill_replacing": "deckgen.lock"}))
        _, err = proc.communicate(timeout=60)
        code = proc.returncode
        assert code in (0, -signal.SIGKILL), err
        rounds += 1
        if code != -signal.SIGKILL:
            committed = version
            assert strays(project) == [], f"seed {seed}"
            continue
        kills += 1
        left = strays(project)
        assert len(left) <= 6, f"seed {seed}: {left}"  # this build's own, never more
        now, between = seen(project, versions, scratch)
        assert now in (committed, version), f"seed {seed}"
        window += between
        if kills % 2:  # half the time deckgen finishes (or undoes) the commit at once; else the
            finish_interrupted(load_project(project.root))  # next (maybe killed) build does
            assert strays(project) == [], f"seed {seed}"
            now_seen = version_of(project.output, (project.root / "deckgen.lock").read_text(),
                                  versions, scratch)
            assert now_seen == now, f"seed {seed}"
        committed = now
    assert window >= 1, f"seed {seed}: no kill came between the renames"
    print(f"{rounds} builds, {kills} killed ({window} between the renames), {steps} steps")
    code, err = run(project, tmp_path, "build")
    assert code == 0, err
    assert strays(project) == []
    assert version_of(project.output, (project.root / "deckgen.lock").read_text(), versions,
                      scratch) == version


@posix_only
def test_a_build_killed_between_the_renames_is_finished_by_the_next_build(
    project: Project, versions: dict[str, Version], tmp_path: Path
) -> None:
    scratch = tmp_path / "deck.db"
    project.write("cards/safety.yaml", CARDS_YAML)
    assert run(project, tmp_path, "build")[0] == 0
    old_lock = (project.root / "deckgen.lock").read_text()
    project.write("cards/safety.yaml", CARDS_B)
    code, _ = run(project, tmp_path, "build", kill_replacing="deckgen.lock")
    assert code == -signal.SIGKILL
    # the window: the new deck, the old lock, the new lock beside it and the journal
    assert (project.root / "deckgen.lock").read_text() == old_lock
    (new_lock,) = project.root.glob(".deckgen.lock.*.tmp")
    assert version_of(project.output, new_lock.read_text(), versions, scratch) == "B"
    assert strays(project) == sorted([new_lock.name, "out/.test.apkg.build-journal",
                                      "out/.test.apkg.build-lock"])
    # the next build finds the new pair: with the same cards, the lock is up to date
    code, err = run(project, tmp_path, "build", "--locked")
    assert (code, err) == (0, "")
    assert strays(project) == []
    assert version_of(project.output, (project.root / "deckgen.lock").read_text(), versions,
                      scratch) == "B"


@posix_only
def test_a_build_killed_before_the_deck_is_renamed_leaves_the_old_pair(
    project: Project, versions: dict[str, Version], tmp_path: Path
) -> None:
    project.write("cards/safety.yaml", CARDS_YAML)
    assert run(project, tmp_path, "build")[0] == 0
    old = project.output.read_bytes(), (project.root / "deckgen.lock").read_text()
    project.write("cards/safety.yaml", CARDS_B)
    code, _ = run(project, tmp_path, "build", kill_replacing="test.apkg")
    assert code == -signal.SIGKILL
    assert (project.output.read_bytes(), (project.root / "deckgen.lock").read_text()) == old
    assert len(strays(project)) == 4  # the new deck and lock, the journal, the build lock
    project.write("cards/safety.yaml", CARDS_YAML)
    code, err = run(project, tmp_path, "build", "--locked")
    assert (code, err) == (0, "")
    assert strays(project) == []


# ---- two builds at once

@posix_only
def test_two_builds_at_once_run_one_after_the_other(
    project: Project, versions: dict[str, Version], tmp_path: Path
) -> None:
    project.write("cards/safety.yaml", CARDS_B)
    go = tmp_path / "go"
    first = start(project, tmp_path, "build", hold=str(go))
    lock_file = project.output.parent / ".test.apkg.build-lock"
    deadline = time.monotonic() + 30
    while not lock_file.exists() or not lock_file.read_text():
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.01)
    second = start(project, tmp_path, "build", "-o", "other/deck.apkg")  # one project, either -o
    assert second.stderr is not None
    waiting = second.stderr.readline()  # (while the first build holds the lock)
    go.touch()
    assert waiting + second.communicate(timeout=60)[1] == (
        f"deckgen: waiting for another build of this project (process {first.pid}) to finish "
        "(lock file out/.test.apkg.build-lock)\n")
    assert first.communicate(timeout=60)[1] == ""
    assert (first.returncode, second.returncode) == (0, 0)
    lock = (project.root / "deckgen.lock").read_text()
    assert version_of(project.output, lock, versions, tmp_path / "a.db") == "B"
    assert version_of(project.root / "other" / "deck.apkg", lock, versions, tmp_path / "b.db") == "B"
    assert strays(project) == ["other"]
    assert os.listdir(project.root / "other") == ["deck.apkg"]


@posix_only
def test_builds_started_together_all_succeed_and_agree(
    project: Project, versions: dict[str, Version], tmp_path: Path
) -> None:
    for cards in (CARDS_YAML, CARDS_B, CARDS_YAML):
        project.write("cards/safety.yaml", cards)
        procs = [start(project, tmp_path, "build") for _ in range(3)]
        for proc in procs:
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
        assert version_of(project.output, (project.root / "deckgen.lock").read_text(), versions,
                          tmp_path / "deck.db") == ("A" if cards == CARDS_YAML else "B")
        assert strays(project) == []


# ---- the output path: a regular file or nothing

SPECIAL = "deckgen writes only where there is a regular file or nothing"


def _refused(project: Project, args: list[str], where: str, what: str) -> None:
    result = project.run("build", *args)
    assert (result.exit_code, result.stderr) == (1, f"{where}:1:1: error: {what}; {SPECIAL}\n1 error\n")
    assert not (project.root / "deckgen.lock").exists()  # refused before any work


@posix_only
def test_a_fifo_at_the_output_is_refused(project: Project) -> None:
    project.output.parent.mkdir()
    os.mkfifo(project.output)
    _refused(project, [], "out/test.apkg", "output is a named pipe (FIFO)")
    assert stat.S_ISFIFO(os.lstat(project.output).st_mode)
    assert os.listdir(project.output.parent) == ["test.apkg"]


@posix_only
@pytest.mark.parametrize("target", ["elsewhere.apkg", "nowhere/deck.apkg"])
def test_a_symbolic_link_at_the_output_is_refused(project: Project, tmp_path: Path,
                                                   target: str) -> None:
    (tmp_path / "elsewhere.apkg").write_bytes(b"someone's file")
    (project.root / "deck.apkg").symlink_to(tmp_path / target)
    _refused(project, ["-o", "deck.apkg"], "deck.apkg", "output is a symbolic link")
    assert os.readlink(project.root / "deck.apkg") == str(tmp_path / target)
    assert (tmp_path / "elsewhere.apkg").read_bytes() == b"someone's file"
    # the project's own output too (a link that stays inside the project)
    project.write("kept.apkg", "the author's file")
    project.output.parent.mkdir()
    project.output.symlink_to(Path("..", "kept.apkg"))
    _refused(project, [], "out/test.apkg", "output is a symbolic link")
    assert (project.root / "kept.apkg").read_text() == "the author's file"
    assert os.listdir(project.output.parent) == ["test.apkg"]


def test_a_folder_at_the_output_is_refused(project: Project) -> None:
    (project.root / "deck.apkg").mkdir()
    _refused(project, ["-o", "deck.apkg"], "deck.apkg", "output is a folder")
    project.output.mkdir(parents=True)
    _refused(project, [], "out/test.apkg", "output is a folder")
    assert os.listdir(project.output.parent) == ["test.apkg"]


@posix_only
def test_a_device_at_the_output_is_refused(project: Project) -> None:
    # a device node of the test's own, like /dev/null (never the system's: a build that got
    # this wrong would replace it)
    device = project.root / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    _refused(project, ["-o", "null"], "null", "output is a device")
    assert stat.S_ISCHR(os.lstat(device).st_mode)


@posix_only
def test_a_symbolic_link_at_the_lock_file_is_refused(project: Project, tmp_path: Path) -> None:
    assert project.run("build").exit_code == 0
    (tmp_path / "shared.lock").write_text((project.root / "deckgen.lock").read_text())
    (project.root / "deckgen.lock").unlink()
    (project.root / "deckgen.lock").symlink_to(tmp_path / "shared.lock")
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (
        1, f"deckgen.lock:1:1: error: lock file is a symbolic link; {SPECIAL}\n1 error\n")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="a folder's permissions do not stop root")
def test_an_unwritable_output_folder_is_located_at_the_output(project: Project) -> None:
    project.write("dist/keep", "")
    (project.root / "dist").chmod(0o555)
    try:
        result = project.run("build", "-o", "dist/deck.apkg")
    finally:
        (project.root / "dist").chmod(0o755)
    assert (result.exit_code, result.stderr) == (
        1, "dist/deck.apkg:1:1: error: cannot write: Permission denied\n1 error\n")


# ---- a full disk, an unwritable lock: the old pair stays, nothing is left

@pytest.fixture
def built(project: Project) -> tuple[bytes, str]:
    """A first build; the cards then change, so the next build would change deck and lock."""
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", CARDS_B)
    return project.output.read_bytes(), (project.root / "deckgen.lock").read_text()


def _unchanged(project: Project, built: tuple[bytes, str]) -> None:
    assert (project.output.read_bytes(), (project.root / "deckgen.lock").read_text()) == built
    assert strays(project) == []


def test_a_full_disk_in_the_sqlite_write(project: Project, built: tuple[bytes, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = sqlite3.connect

    def small_disk(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = real(*args, **kwargs)  # type: ignore[arg-type]
        conn.execute("PRAGMA max_page_count = 14")  # room for the schema, not for the rest
        return conn

    monkeypatch.setattr(sqlite3, "connect", small_disk)
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (
        1, "out/test.apkg:1:1: error: cannot write: database or disk is full\n1 error\n")
    _unchanged(project, built)


def test_a_full_disk_in_the_zip_write(project: Project, built: tuple[bytes, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real, calls = package._add, []

    def filling(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
        calls.append(name)
        if len(calls) == 2:  # the collection is written, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), zf.filename)
        real(zf, name, data)

    monkeypatch.setattr(package, "_add", filling)
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (
        1, "out/test.apkg:1:1: error: cannot write: No space left on device\n1 error\n")
    _unchanged(project, built)


def test_an_unwritable_lock_file_keeps_the_old_deck(project: Project, built: tuple[bytes, str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.open

    def refusing(path: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        if Path(path).name.startswith(".deckgen.lock.") and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (
        1, "deckgen.lock:1:1: error: cannot write: Permission denied\n1 error\n")
    _unchanged(project, built)


def test_a_lock_that_cannot_be_renamed_is_put_in_place_by_the_next_build(
    project: Project, built: tuple[bytes, str], monkeypatch: pytest.MonkeyPatch,
    versions: dict[str, Version], tmp_path: Path,
) -> None:
    assert project.run("build").exit_code == 0  # (the fixture's first build came before)
    project.write("cards/safety.yaml", CARDS_YAML)
    real = os.replace

    def busy(src: str, dst: str) -> None:
        if Path(dst).name == "deckgen.lock":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), dst)
        real(src, dst)

    monkeypatch.setattr(os, "replace", busy)
    result = project.run("build")
    assert (result.exit_code, result.stderr) == (
        1, "deckgen.lock:1:1: error: cannot write: Permission denied (the new deck is in place: "
           "the next build puts this lock file in place)\n1 error\n")
    monkeypatch.undo()
    assert project.run("build", "--locked").exit_code == 0
    assert version_of(project.output, (project.root / "deckgen.lock").read_text(), versions,
                      tmp_path / "deck.db") == "A"
    assert strays(project) == []


def test_no_scratch_file_goes_to_the_temporary_folder(project: Project, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(name, str(temp))
    seen_files: set[str] = set()
    real = sqlite3.connect

    def watching(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        seen_files.add(database)
        return real(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", watching)
    assert project.run("build").exit_code == 0
    (scratch,) = seen_files
    assert Path(url2pathname(urlparse(scratch).path)).parent == project.output.parent
    assert list(temp.iterdir()) == []
    assert strays(project) == []


def test_a_number_out_of_sqlites_range_is_a_package_error(tmp_path: Path) -> None:
    settings = DeckSettings("Deck", "", 1500000001, 1500000002, 1500000003, "ns")
    spec = NoteSpec("card", "guid", "basic", ("Q", "A", "", "", "", "", "", "", "card"), (), "Deck")
    (tmp_path / "scratch").touch()
    with PackageWriter(settings, 1, tmp_path / "scratch") as writer:
        writer.add(StampedNote(spec, 1 << 64))
        with pytest.raises(PackageError, match="a number is out of SQLite's range"):
            writer.commit(tmp_path / "deck.apkg")


def test_a_journal_not_written_by_deckgen_touches_nothing(project: Project) -> None:
    card_file = project.root / "cards" / "safety.yaml"
    project.write("out/.test.apkg.build-journal", json.dumps(
        {"version": 1, "state": "writing", "temps": [str(card_file)]}))
    assert project.run("build").exit_code == 0
    assert card_file.read_text() == CARDS_YAML
    assert strays(project) == []
