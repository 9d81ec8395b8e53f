"""Compare two versions of deckgen on one project, old and new alternating (this machine's
speed drifts from minute to minute, so runs of one version after the other mislead).

    git worktree add --detach /tmp/old <commit>
    cd <a project, e.g. one kept by: python bench/run.py --sizes 10000 --keep>
    python /path/to/bench/ab.py 10 /tmp/old/src /path/to/checkout/src check

Each version runs as ``python -m deckgen ARGS...`` with its ``src`` folder first on
PYTHONPATH; the medians and minima of wall time and of CPU time (the process and its workers)
are printed for each.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", type=int)
    parser.add_argument("old", help="the old version's src folder")
    parser.add_argument("new", help="the new version's src folder")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="deckgen's arguments")
    args = parser.parse_args()
    times: dict[str, tuple[list[float], list[float]]] = {args.old: ([], []), args.new: ([], [])}
    for round_ in range(args.rounds):
        for src in (args.old, args.new) if round_ % 2 == 0 else (args.new, args.old):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "deckgen", *args.args],
                                 env={**os.environ, "PYTHONPATH": src},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if run.returncode != 0:
                raise SystemExit(f"{src}: exit {run.returncode}\n{run.stderr.decode()[-2000:]}")
            times[src][0].append(wall)
            times[src][1].append(after.ru_utime + after.ru_stime
                                 - before.ru_utime - before.ru_stime)
    for src, (walls, cpus) in times.items():
        print(f"{src}: wall median {statistics.median(walls):.3f} s, min {min(walls):.3f} s; "
              f"CPU median {statistics.median(cpus):.3f} s, min {min(cpus):.3f} s")


if __name__ == "__main__":
    main()
