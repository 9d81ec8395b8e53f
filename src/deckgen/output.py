"""A build's output: the deck and ``deckgen.lock``, committed together (both or neither).

The two files live in different folders, and no two renames are atomic together, so a build
commits through a journal kept beside the project's output (``deckgen.yaml``'s ``output``):

1. Under an exclusive build lock (``.<output>.build-lock``, one per project whatever ``-o``
   says, so two builds of a project run one after the other), the journal is written first,
   naming every temporary file the build will make: the SQLite scratch and the deck beside the
   deck, ``deckgen.lock``'s beside it. A build killed at any moment leaves nothing the next
   build cannot find.
2. Both temporary files are written and flushed to disk; the journal then says *committing*
   (written to disk before any rename): the deck's temporary file (its inode) and
   ``deckgen.lock`` as it was.
3. The deck is renamed into place, then the lock; the journal is removed.

The next build, holding the lock, finishes or undoes whatever a killed build left: before the
deck's rename, it removes the temporary files (the old pair stays); after it, it renames the
new lock into place (the new pair), unless ``deckgen.lock`` was changed meanwhile by someone
else. Between the two renames the disk holds the new deck and the old lock, with the new lock
beside it and the journal saying so: no build reads the lock before finishing that commit.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import DeckgenError, Diagnostic, Location
from .project import Project
from .yamlsource import file_kind

JOURNAL_VERSION = 1
Waiting = Callable[[str], None]  # told once, when the build has to wait for another


def _error(path: Path, message: str) -> DeckgenError:
    return DeckgenError([Diagnostic(Location(path), message)])


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """An ``OSError`` in the block becomes a located error at ``path`` (the path the user knows,
    never a temporary name)."""
    try:
        yield
    except OSError as exc:
        raise _error(path, f"cannot write: {exc.strerror or exc}") from None


def refuse_unless_regular(path: Path, what: str) -> None:
    """Refuse to replace anything at ``path`` but a regular file: a folder, a symbolic link
    (followed or not, dangling or not), a FIFO, a socket or a device is never replaced."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise _error(path, f"cannot write: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):  # (file_kind: the same words as the readers' messages)
        kind = file_kind(mode)
        raise _error(path, f"{what} {'is ' * (not kind.startswith('not '))}{kind}; deckgen "
                           "writes only where there is a regular file or nothing")


def _make_folder(folder: Path) -> list[Path]:
    """``mkdir -p``; the folders it made, deepest first (to remove them if nothing is put there)."""
    made = []
    while not folder.exists() and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    for path in reversed(made):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
    return made


def _remove_folders(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no handle on a folder for it)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # (some file systems refuse it: nothing to do then)
            os.fsync(fd)
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


# the build lock's descriptor, closed in a forked child (the card checkers): a child must never
# keep the lock after the build that forked it is gone
_held: set[int] = set()
if hasattr(os, "register_at_fork"):
    def _close_in_child() -> None:
        for fd in list(_held):
            with contextlib.suppress(OSError):
                os.close(fd)
        _held.clear()

    os.register_at_fork(after_in_child=_close_in_child)


def _try_lock(fd: int, *, wait: bool) -> bool:
    """Lock ``fd`` exclusively (``flock`` on POSIX; ``LockFileEx`` on Windows, through the
    ``filelock`` package, whose import costs a POSIX build ~15 ms for what ``fcntl`` does)."""
    if sys.platform == "win32":
        from filelock import lock_descriptor

        return lock_descriptor(fd, blocking=wait, poll_interval=0.05)
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES) and not wait:
            return False
        raise
    return True


class BuildLock:
    """An exclusive lock between processes, held on a file that exists only while it is held:
    it is removed before the lock is let go, and a waiter that then gets the lock of a removed
    file starts over on the new one."""

    def __init__(self, path: Path, waiting: Waiting | None = None) -> None:
        self.path, self.waiting = path, waiting
        self._fd: int | None = None
        self._made: list[Path] = []

    def acquire(self) -> None:
        told = False
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        with _writing(self.path):
            for _ in range(1000):
                self._made += _make_folder(self.path.parent)
                try:
                    fd = os.open(self.path, flags, 0o644)
                except FileNotFoundError:  # its folder was just removed by the build before
                    continue
                try:
                    if not _try_lock(fd, wait=False):
                        if not told and self.waiting:
                            self.waiting(self._waiting_message(fd))
                            told = True
                        _try_lock(fd, wait=True)
                    if _same_file(fd, self.path):
                        _held.add(fd)
                        self._fd = fd
                        if sys.platform != "win32":  # (a waiter on Windows cannot read it)
                            os.ftruncate(fd, 0)
                            os.write(fd, f"{os.getpid()}\n".encode())
                        return
                except BaseException:
                    os.close(fd)
                    raise
                os.close(fd)  # the holder removed that file as it let go: lock the new one
            raise OSError(f"could not lock {self.path}")

    def _waiting_message(self, fd: int) -> str:
        holder = ""
        if sys.platform != "win32":  # the holder's process id (on Windows its lock covers it)
            with contextlib.suppress(OSError, ValueError):
                holder = f" (process {int(os.pread(fd, 32, 0))})"
        return (f"deckgen: waiting for another build of this project{holder} to finish "
                f"(lock file {self.path.as_posix()})")

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            self._let_go(fd)
        _remove_folders(self._made)
        self._made = []

    def _let_go(self, fd: int) -> None:
        _held.discard(fd)
        if sys.platform != "win32":
            with contextlib.suppress(OSError):  # removed while held: nobody can lock it then
                os.unlink(self.path)
            os.close(fd)
        else:  # Windows removes no open file; a waiter holding it open finds it still there
            from filelock import unlock_descriptor

            with contextlib.suppress(OSError):
                unlock_descriptor(fd)
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.path)


def _paths(project: Project) -> tuple[Path, Path]:
    """The build lock and the journal: beside the project's own output, whatever ``-o`` says."""
    anchor = project.root / project.config.output
    return (anchor.with_name(f".{anchor.name}.build-lock"),
            anchor.with_name(f".{anchor.name}.build-journal"))


def _identity(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def _write_journal(path: Path, record: dict[str, Any], *, durable: bool) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if durable:
        _fsync_folder(path.parent)


_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{16}\.(?:scratch|tmp)\Z", re.DOTALL)


def _read_journal(journal: Path) -> dict[str, Any] | None:
    """The journal, if there is one and it is as :class:`Commit` writes it (else None: it is
    replaced whole, so only a hand could make it otherwise, and nothing it names is touched)."""
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
        temps = [Path(t) for t in record["temps"]]
        numbers: list[Any] = []
        if record["state"] == "committing":
            deck, lock = record["deck"], record["lock"]
            temps.append(Path(deck["temp"]))
            if not isinstance(deck["path"], str):
                raise TypeError(deck["path"])
            numbers += deck["file"]
            if lock is not None:
                temps.append(Path(lock["temp"]))
                numbers += lock["was"] or []
                if Path(lock["path"]).name != "deckgen.lock":
                    raise ValueError(lock["path"])
        elif record["state"] != "writing":
            raise ValueError(record["state"])
        if not all(_TEMP_NAME.match(t.name) for t in temps) or not all(
                type(n) is int for n in numbers):
            raise ValueError(temps)
        return dict(record)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, KeyError):
        _unlink(journal)
        return None


def _finish(journal: Path) -> None:
    """Finish or undo the commit a killed build left (the caller holds the build lock)."""
    _unlink(journal.with_name(journal.name + ".tmp"))
    record = _read_journal(journal)
    if record is None:
        return
    deck, lock = record["deck"] if record["state"] == "committing" else None, record.get("lock")
    if deck is not None and not Path(deck["temp"]).exists():
        # the deck was renamed into place: put its lock in place too, unless the deck was since
        # replaced (another project writing there) or the lock changed (a checkout, an edit)
        found = _identity(Path(deck["path"]))
        committed = found is not None and found[:2] == deck["file"]
        if (lock and committed and Path(lock["temp"]).exists()
                and _identity(Path(lock["path"])) == lock["was"]):
            with _writing(Path(lock["path"])):
                os.replace(lock["temp"], lock["path"])
                _fsync_folder(Path(lock["path"]).parent)
    for temp in record["temps"]:
        with _writing(Path(temp)):
            _unlink(Path(temp))
    _unlink(journal)


def finish_interrupted(project: Project, waiting: Waiting | None = None) -> None:
    """Finish or undo what a killed build of ``project`` left behind (a build does this first)."""
    guard, journal = _paths(project)
    lock = BuildLock(guard, waiting)
    lock.acquire()
    try:
        with _writing(journal):
            _finish(journal)
    finally:
        lock.release()


class Commit:
    """One build's output files, from the build lock to the commit. Use as a context manager:
    leaving it any way but through :meth:`commit` leaves the old deck and lock as they were
    and no file behind."""

    def __init__(self, project: Project, *, write_lock: bool, waiting: Waiting | None = None
                 ) -> None:
        self.deck, self.lock = project.output, project.lock_path
        guard, self._journal = _paths(project)
        self._guard = BuildLock(guard, waiting)
        token = secrets.token_hex(8)
        self.scratch = self.deck.with_name(f".{self.deck.name}.{token}.scratch")
        self.deck_temp = self.deck.with_name(f".{self.deck.name}.{token}.tmp")
        self._lock_temp = self.lock.with_name(f".{self.lock.name}.{token}.tmp")
        self._write_lock = write_lock
        self._lock_changed = False
        self._made: list[Path] = []
        self._journaled = False  # (a journal there before is a killed build's, not ours)
        self._done = False

    @property
    def _temps(self) -> list[Path]:
        return [self.scratch, self.deck_temp] + ([self._lock_temp] if self._write_lock else [])

    def __enter__(self) -> Commit:
        self._guard.acquire()
        try:
            with _writing(self._journal):
                _finish(self._journal)
            with _writing(self.deck):
                self._made = _make_folder(self.deck.parent)
            with _writing(self._journal):
                _write_journal(self._journal, {"version": JOURNAL_VERSION, "state": "writing",
                                               "temps": [str(p.absolute()) for p in self._temps]},
                               durable=False)
            self._journaled = True
            # made now, so that a folder nobody may write to fails the build before its work
            for temp in self._temps:
                with _writing(self.lock if temp == self._lock_temp else self.deck):
                    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except BaseException:
            self._clean_up()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._clean_up()

    def _clean_up(self) -> None:
        try:
            if not self._done:
                for temp in self._temps:
                    with contextlib.suppress(OSError):
                        _unlink(temp)
                if self._journaled:
                    with contextlib.suppress(OSError):
                        _unlink(self._journal)
                _remove_folders(self._made)
        finally:
            self._guard.release()

    def write_lock(self, text: str) -> None:
        """Stage the new ``deckgen.lock`` (nothing to do if it already says ``text``)."""
        with _writing(self.lock):
            try:
                self._lock_changed = self.lock.read_text(encoding="utf-8") != text
            except FileNotFoundError:
                self._lock_changed = True
            if self._lock_changed:
                with open(self._lock_temp, "w", encoding="utf-8") as f:
                    f.write(text)

    def commit(self) -> None:
        """Put the deck (written to :attr:`deck_temp`) and the staged lock in place."""
        with contextlib.suppress(OSError):  # (else the next build removes it)
            _unlink(self.scratch)
        refuse_unless_regular(self.deck, "output")
        lock = self._write_lock and self._lock_changed
        if lock:
            refuse_unless_regular(self.lock, "lock file")
        with _writing(self.deck):
            _fsync_file(self.deck_temp)
            deck_file = _identity(self.deck_temp)
        with _writing(self.lock):
            if lock:
                _fsync_file(self._lock_temp)
        record = {"version": JOURNAL_VERSION, "state": "committing",
                  "temps": [str(p.absolute()) for p in self._temps],
                  "deck": {"temp": str(self.deck_temp.absolute()), "path": str(self.deck.absolute()),
                           "file": (deck_file or [])[:2]},
                  "lock": {"temp": str(self._lock_temp.absolute()), "path": str(self.lock.absolute()),
                           "was": _identity(self.lock)} if lock else None}
        with _writing(self._journal):
            _write_journal(self._journal, record, durable=True)
        with _writing(self.deck):
            os.replace(self.deck_temp, self.deck)
        self._done = True  # from here on, the journal stays until the lock is in place too
        if lock:
            try:
                os.replace(self._lock_temp, self.lock)
            except OSError as exc:
                raise _error(self.lock, f"cannot write: {exc.strerror or exc} (the new deck is in "
                                        "place: the next build puts this lock file in place)"
                             ) from None
        _fsync_folder(self.deck.parent)
        if lock and self.lock.parent != self.deck.parent:
            _fsync_folder(self.lock.parent)
        with contextlib.suppress(OSError):
            _unlink(self._journal)
        for temp in self._temps:
            with contextlib.suppress(OSError):
                _unlink(temp)
