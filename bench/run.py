"""Benchmark: deckgen check and build on synthetic projects of N cards, next to plain genanki.

    python bench/run.py                 # N = 10,000 and 100,000
    python bench/run.py --sizes 1000    # any sizes

Each measurement is one whole process (start-up, imports, parsing, writing): wall time and
peak resident memory, read from the operating system (wait4). The synthetic project spreads N
cards over files of 500 cards and seeds of about 2,000 words; every card cites a real sentence
of its seed, and every fifth card has Markdown in a field. The baseline is a plain genanki
script writing the same N notes with the same nine fields.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CARDS_PER_FILE = 500
CARDS_PER_SEED = 250
WORDS = (
    "therapist patient muscle tension pressure session treatment tissue pain relief spine disc "
    "nerve fascia technique protocol stretch joint mobility range motion breathing fatigue "
    "evidence study control group placebo outcome report observation claim caution training "
    "safety harm principle contraindication overstimulation tone resting spasm support load "
    "recovery care family column reader clinic physician practice experience memory case"
).split()


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
import sys, genanki
n, out = int(sys.argv[1]), sys.argv[2]
model = genanki.Model(1600000002, "basic", fields=[{"name": f"F{i}"} for i in range(9)],
    templates=[{"name": "Card 1", "qfmt": "{{F0}}", "afmt": "{{FrontSide}}<hr id=answer>{{F1}}"}])
deck = genanki.Deck(1600000001, "Bench deck")
for i in range(n):
    fields = [f"According to the author, what does passage {i} say about tone and load?",
              "Therapist patient muscle tension pressure session treatment tissue.", "",
              "Synthetic seed · A. Author · Bench Press",
              '<blockquote class="dg-passage">Muscle tension pressure session treatment.</blockquote>',
              '<span class="dg-badge">Expert opinion</span>', "Synthetic claim, no data.", "",
              f"card-{i}"]
    deck.add_note(genanki.Note(model=model, fields=fields, guid=genanki.guid_for("bench", i)))
genanki.Package(deck).write_to_file(out, timestamp=1600000000)
"""


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole process."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read().decode()[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args()
    deckgen = [sys.executable, "-m", "deckgen"]
    rows = []
    work = Path(tempfile.mkdtemp(prefix="deckgen-bench-"))
    try:
        for n in args.sizes:
            root = work / f"n{n}"
            make_project(root, n)
            check_s, check_mb = measure([*deckgen, "check"], root)
            build_s, build_mb = measure([*deckgen, "build"], root)
            (root / "baseline.py").write_text(BASELINE, encoding="utf-8")
            base_s, _ = measure([sys.executable, "baseline.py", str(n), "baseline.apkg"], root)
            rows.append((n, check_s, build_s, base_s, build_s / base_s, max(check_mb, build_mb)))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"projects kept in {work}")
    print(f"{'N':>8}  {'check s':>8}  {'build s':>8}  {'baseline s':>10}  {'build/base':>10}  "
          f"{'peak RSS MiB':>12}")
    for n, c, b, base, ratio, rss in rows:
        print(f"{n:>8}  {c:>8.2f}  {b:>8.2f}  {base:>10.2f}  {ratio:>10.2f}  {rss:>12.0f}")
    if len(rows) >= 2:
        print(f"build time ratio {rows[-1][0]}/{rows[0][0]}: {rows[-1][2] / rows[0][2]:.1f}")


if __name__ == "__main__":
    main()
