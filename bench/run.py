"""Benchmark: every deckgen command on synthetic projects of N cards, next to plain genanki.

    python bench/run.py                 # N = 10,000 and 100,000
    python bench/run.py --sizes 1000    # any sizes

Each measurement is one whole command (start-up, imports, parsing, writing, and any worker
processes it starts): wall time, best of five runs, and peak memory (see measure()). The
synthetic project spreads N cards over files of 500 cards and seeds of about 2,000 words; every
card cites a real sentence of its seed, and every fifth card has Markdown in a field. ``build``
is measured with the lock file in place, as in a real project. The baseline is a plain genanki
script that reads the notes deckgen wrote (guid, deck, tags, the nine fields) from a JSON file
and writes them again, with the same decks.

The other commands run on the same project, made a git repository: ``diff HEAD~1 HEAD`` after a
commit that changes one card file (one word in each of its cards' caveats), ``preview``,
``stats``, ``quote`` (a seed and four words of one of its sentences) and ``new`` (a card added
to a card file, which is put back before each run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

CARDS_PER_FILE = 500
CARDS_PER_SEED = 250
WORDS = [
    "therapist", "patient", "muscle", "tension", "pressure", "session", "treatment", "tissue",
    "pain", "relief", "spine", "disc", "nerve", "fascia", "technique", "protocol", "stretch",
    "joint", "mobility", "range", "motion", "breathing", "fatigue", "evidence", "study",
    "control", "group", "placebo", "outcome", "report", "observation", "claim", "caution",
    "training", "safety", "harm", "principle", "contraindication", "overstimulation", "tone",
    "resting", "spasm", "support", "load", "recovery", "care", "family", "column", "reader",
    "clinic", "physician", "practice", "experience", "memory", "case",
]


VOCABULARY = [a + b for a in WORDS for b in ("", "s", "ing", "ed", "al", "ive", "ness", "ment")]


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def make_project(root: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    (root / "cards").mkdir(parents=True)
    (root / "seeds").mkdir()
    seeds = max(1, n // CARDS_PER_SEED)
    manifest = ["seeds:"]
    sentences: list[list[str]] = []
    for s in range(seeds):
        lines = [sentence(rng, rng.randint(8, 16)) for _ in range(CARDS_PER_SEED + 20)]
        sentences.append(lines)
        (root / "seeds" / f"seed-{s}.txt").write_text(
            "\n\n".join(" ".join(lines[i:i + 4]) for i in range(0, len(lines), 4)) + "\n",
            encoding="utf-8")
        manifest += [f"  - id: seed-{s}", f"    file: seed-{s}.txt", f"    title: Synthetic seed {s}",
                     "    author: A. Author", "    publisher: Bench Press", "    url: null",
                     "    genre: synthetic", "    max_evidence: expert-opinion"]
    (root / "seeds" / "seeds.yaml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    (root / "deckgen.yaml").write_text(textwrap.dedent("""\
        name: Bench deck
        description: Synthetic deck for the benchmark.
        deck_id: 1600000001
        note_type_ids: {basic: 1600000002, cloze: 1600000003}
        guid_namespace: bench
        output: build/bench.apkg
        """), encoding="utf-8")
    for f in range(0, n, CARDS_PER_FILE):
        out = [f"deck: Part {f // CARDS_PER_FILE}", "tags: [bench]", "cards:"]
        for i in range(f, min(n, f + CARDS_PER_FILE)):
            s = i % seeds
            quote = sentences[s][(i // seeds) % len(sentences[s])]
            question = "According to the author, " + " ".join(rng.sample(VOCABULARY, 9)) + "?"
            answer = sentence(rng, 8)
            if i % 5 == 0:
                answer = f"*{answer[:-1]}* and `{rng.choice(WORDS)}`."
            out += [f"  - id: card-{i}", f"    question: {question}", f"    answer: '{answer}'",
                    "    source:", f"      seed: seed-{s}", f"      quote: {quote}",
                    "    evidence: expert-opinion", "    caveat: Synthetic claim, no data."]
        (root / "cards" / f"part-{f // CARDS_PER_FILE:04d}.yaml").write_text(
            "\n".join(out) + "\n", encoding="utf-8")


BASELINE = """\
import json, sys, genanki
notes, out = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2]
names = ["Question", "Answer", "Extra", "Source", "Quote", "Evidence", "Caveat", "Notice", "CardId"]
model = genanki.Model(1600000002, "basic", fields=[{"name": name} for name in names],
    templates=[{"name": "Card 1", "qfmt": "{{Question}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}{{Source}}{{Quote}}{{Evidence}}"}])
decks = {}
for guid, deck, tags, fields in notes:
    if deck not in decks:
        decks[deck] = genanki.Deck(1600000001 + len(decks), deck)
    decks[deck].add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=guid))
genanki.Package(list(decks.values())).write_to_file(out, timestamp=1600000000)
"""


def export_notes(apkg: Path, dest: Path) -> None:
    """The notes deckgen wrote (guid, deck, tags, fields), for the baseline to write again."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(apkg) as zf:
            zf.extract("collection.anki2", tmp)
        conn = sqlite3.connect(Path(tmp) / "collection.anki2")
        decks = {int(k): v["name"] for k, v in json.loads(
            conn.execute("SELECT decks FROM col").fetchone()[0]).items()}
        rows = conn.execute("SELECT n.guid, min(c.did), n.tags, n.flds FROM notes n "
                            "JOIN cards c ON c.nid = n.id GROUP BY n.id ORDER BY n.id").fetchall()
        conn.close()
    dest.write_text(json.dumps([[guid, decks[did], tags.split(), flds.split("\x1f")]
                                for guid, did, tags, flds in rows]), encoding="utf-8")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(child) for child in f.read().split()]
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one whole run: the process and any workers it
    starts. Memory is the larger of the process's own peak RSS (from wait4) and the highest sum
    of RSS over the process tree, sampled every 10 ms (a sum counts pages that forked workers
    share with their parent more than once, so it errs high)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        tree_peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            tree_peak = max(tree_peak, sum(_rss_kib(p) for p in _tree(proc.pid)))
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read().decode()[-3000:]}")
    return elapsed, max(usage.ru_maxrss, tree_peak) / 1024


def best_of(runs: int, cmd: list[str], cwd: Path) -> tuple[float, float]:
    """The fastest of ``runs`` runs (others on the machine only ever add time) and the highest
    memory seen."""
    results = [measure(cmd, cwd) for _ in range(runs)]
    return min(t for t, _ in results), max(m for _, m in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (best taken)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args()
    # as after 'pip install': modules compiled once, not at every start
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    deckgen = [sys.executable, "-m", "deckgen"]
    rows = []
    work = Path(tempfile.mkdtemp(prefix="deckgen-bench-"))
    try:
        for n in args.sizes:
            root = work / f"n{n}"
            make_project(root, n)
            measure([*deckgen, "build"], root)  # warm-up; writes the lock, as in a real project
            check_s, check_mb = best_of(args.runs, [*deckgen, "check"], root)
            build_s, build_mb = best_of(args.runs, [*deckgen, "build"], root)
            export_notes(root / "build" / "bench.apkg", root / "notes.json")
            (root / "baseline.py").write_text(BASELINE, encoding="utf-8")
            base_s, _ = best_of(args.runs, [sys.executable, "baseline.py", "notes.json",
                                            "baseline.apkg"], root)
            others = time_other_commands(root, deckgen, args.runs)
            rows.append((n, check_s, build_s, base_s, build_s / base_s, *others,
                         max(check_mb, build_mb)))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"projects kept in {work}")
    names = ("check s", "build s", "baseline s", "build/base", "diff s", "preview s", "stats s",
             "quote s", "new s", "peak MiB")
    print(f"{'N':>8}  " + "  ".join(f"{name:>10}" for name in names))
    for n, *values in rows:
        print(f"{n:>8}  " + "  ".join(f"{v:>10.2f}" for v in values[:-1])
              + f"  {values[-1]:>10.0f}")
    if len(rows) >= 2:
        print(f"build time ratio {rows[-1][0]}/{rows[0][0]}: {rows[-1][2] / rows[0][2]:.1f}")
    for n, *values in rows:
        print(f"{n}: diff/check {values[4] / values[0]:.2f}")


GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV})


def time_other_commands(root: Path, deckgen: list[str], runs: int) -> tuple[float, ...]:
    """diff (one file changed, committed), preview, stats, quote and new: best of ``runs``."""
    (root / ".gitignore").write_text("build/\nnotes.json\nbaseline.*\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    changed = root / "cards" / "part-0001.yaml"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "Synthetic claim, no data.", "Synthetic claim, no data at all."), encoding="utf-8")
    git(root, "commit", "-q", "-am", "one file changed")
    diff_s, _ = best_of(runs, [*deckgen, "diff", "HEAD~1", "HEAD"], root)
    preview_s, _ = best_of(runs, [*deckgen, "preview", "-o", "build/preview"], root)
    stats_s, _ = best_of(runs, [*deckgen, "stats"], root)
    seed_text = (root / "seeds" / "seed-0.txt").read_text(encoding="utf-8")
    words = " ".join(seed_text.split()[40:44]).strip(".")
    quote_s, _ = best_of(runs, [*deckgen, "quote", "seed-0", words], root)
    new_times = []
    for _ in range(runs):
        new_times.append(measure([*deckgen, "new", "cards/part-0000.yaml"], root)[0])
        git(root, "checkout", "-q", "--", "cards/part-0000.yaml")
    return diff_s, preview_s, stats_s, quote_s, min(new_times)


if __name__ == "__main__":
    main()
