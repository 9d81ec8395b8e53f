"""Running the per-file work of a big project on every core.

Each card file is checked (and its notes rendered) on its own, so files are handed to worker
processes and the results come back in file order. Workers are forked once everything they
share is loaded (the seeds, normalised), so it is not copied or sent. Small projects, and
systems without a safe ``fork``, run in this process: the results are the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

C = TypeVar("C")
R = TypeVar("R")

# below this much YAML, starting workers costs more than it saves
PARALLEL_MIN_BYTES = 1 << 20


def workers_for(paths: Sequence[Path], size: int | None = None) -> int:
    """How many processes to use for ``paths``: 1 unless the work is worth spreading. Its
    size is the files' (in bytes), or ``size`` when the work is not reading them."""
    if sys.platform != "linux" or len(paths) < 2:
        return 1
    cores = len(os.sched_getaffinity(0))
    if size is None:
        size = sum(p.stat().st_size for p in paths)
    if cores < 2 or size < PARALLEL_MIN_BYTES:
        return 1
    return min(cores, len(paths))


class FileJob(Generic[C, R]):
    """``work(context, path)`` for every path, in order, over ``workers`` processes."""

    def __init__(self, work: Callable[[C, Path], R], context: C) -> None:
        self.work = work
        self.context = context

    def start(self, paths: Sequence[Path], workers: int,
              on_result: Callable[[int], None] | None = None) -> Results[R]:
        """Start the work (workers begin at once); the results come in order, each as soon as
        it is ready, and ``on_result`` is told how many have come."""
        if workers <= 1:
            return Results((self.work(self.context, path) for path in paths), on_result)
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_start_worker, initargs=(self.work, self.context))
        return Results(pool.map(_run_in_worker, paths), on_result, pool)


class Results(Generic[R]):
    """The results of started work, in order. :meth:`close` (or leaving a ``with`` block) stops
    the work and the workers, whether or not any result was taken. A worker that dies (killed,
    out of memory) makes iterating raise ``BrokenProcessPool``, never hang."""

    def __init__(self, results: Iterator[R], on_result: Callable[[int], None] | None = None,
                 pool: ProcessPoolExecutor | None = None) -> None:
        self._results = results
        self._on_result = on_result
        self._pool = pool
        self._count = 0

    def __iter__(self) -> Iterator[R]:
        return self

    def __next__(self) -> R:
        result = next(self._results)
        self._count += 1
        if self._on_result:
            self._on_result(self._count)
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Results[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_job: tuple[Callable[[Any, Path], Any], Any] | None = None


def _start_worker(work: Callable[[Any, Path], Any], context: Any) -> None:
    global _job
    _job = work, context
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _run_in_worker(path: Path) -> Any:
    assert _job is not None
    work, context = _job
    return work(context, path)
