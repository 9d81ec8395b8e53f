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
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

C = TypeVar("C")
R = TypeVar("R")

# below this much YAML, starting workers costs more than it saves
PARALLEL_MIN_BYTES = 1 << 20


def workers_for(paths: Sequence[Path]) -> int:
    """How many processes to use for ``paths``: 1 unless the work is worth spreading."""
    if sys.platform != "linux" or len(paths) < 2:
        return 1
    cores = len(os.sched_getaffinity(0))
    if cores < 2 or sum(p.stat().st_size for p in paths) < PARALLEL_MIN_BYTES:
        return 1
    return min(cores, len(paths))


class FileJob(Generic[C, R]):
    """``work(context, path)`` for every path, in order, over ``workers`` processes."""

    def __init__(self, work: Callable[[C, Path], R], context: C) -> None:
        self.work = work
        self.context = context

    def start(self, paths: Sequence[Path], workers: int) -> Generator[R, None, None]:
        """Start the work (workers begin at once) and return the results in order, each as soon
        as it is ready; ``close()`` the iterator to stop early."""
        if workers <= 1:
            return (self.work(self.context, path) for path in paths)
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_start_worker, initargs=(self.work, self.context))
        return _results(pool, pool.map(_run_in_worker, paths))


def _results(pool: ProcessPoolExecutor, results: Iterator[R]) -> Generator[R, None, None]:
    # a worker that dies (killed, out of memory) makes this raise BrokenProcessPool, not hang
    try:
        yield from results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_job: tuple[Callable[[Any, Path], Any], Any] | None = None


def _start_worker(work: Callable[[Any, Path], Any], context: Any) -> None:
    global _job
    _job = work, context
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _run_in_worker(path: Path) -> Any:
    assert _job is not None
    work, context = _job
    return work(context, path)
