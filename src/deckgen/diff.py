"""``deckgen diff``: what a change does to the deck, card by card, between two git revisions."""

from __future__ import annotations

import difflib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .errors import DeckgenError, Diagnostic, Location

FIELDS = ("question", "answer", "cloze", "extra", "caveat", "evidence", "source", "tags", "deck")


@dataclass
class DeckDiff:
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)


def _run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        raise DeckgenError([Diagnostic(Location(root), f"cannot run git: {exc.strerror or exc}")
                            ]) from None


def _git(root: Path, *args: str) -> str:
    run = _run_git(root, *args)
    if run.returncode != 0:  # git's one-line reason, not the usage text that may follow it
        lines = [line.strip() for line in run.stderr.splitlines() if line.strip()]
        reason = next((line for line in lines if line.startswith(("fatal:", "error:"))),
                      lines[0] if lines else "failed")
        raise DeckgenError([Diagnostic(Location(root), f"git {args[0]}: {reason}")])
    return run.stdout


def check_revision(root: Path, which: str, rev: str) -> None:
    """A one-line error unless ``rev`` names a commit (and it is never read as an option)."""
    _git(root, "rev-parse", "--git-dir")  # not a repository: git's own message
    if rev.startswith("-") or _run_git(
        root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"
    ).returncode != 0:
        raise DeckgenError([Diagnostic(Location(root), f"{which} '{rev}' is not a commit in "
                                       "this repository")])


def _files_at(root: Path, cards_dir: str, rev: str | None) -> dict[str, str]:
    """The card files' texts at a revision (``None``: the working tree)."""
    if rev is None:
        base = root / cards_dir
        return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted(base.rglob("*")) if p.suffix in (".yaml", ".yml") and p.is_file()}
    names = _git(root, "ls-tree", "-r", "--name-only", rev, "--", cards_dir).splitlines()
    return {n: _git(root, "show", f"{rev}:{n}") for n in names
            if PurePosixPath(n).suffix in (".yaml", ".yml")}


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_flatten(v) for v in value)
    return "" if value is None else str(value)


def _cards(files: dict[str, str]) -> dict[str, dict[str, str]]:
    cards: dict[str, dict[str, str]] = {}
    for text in files.values():
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("cards"), list):
            continue
        for card in data["cards"]:
            if isinstance(card, dict) and isinstance(card.get("id"), str):
                flat = {k: _flatten(card.get(k)) for k in FIELDS if k != "deck"}
                flat["deck"] = _flatten(data.get("deck"))
                cards[card["id"]] = flat
    return cards


def diff_revisions(root: Path, cards_dir: str, base: str, head: str | None) -> DeckDiff:
    check_revision(root, "BASE", base)
    if head is not None:
        check_revision(root, "HEAD", head)
    before = _cards(_files_at(root, cards_dir, base))
    after = _cards(_files_at(root, cards_dir, head))
    result = DeckDiff()
    for card_id in sorted(after):
        if card_id not in before:
            result.added.append(card_id)
            continue
        changes = [(k, before[card_id][k], after[card_id][k]) for k in FIELDS
                   if before[card_id][k] != after[card_id][k]]
        if changes:
            result.changed[card_id] = changes
    result.retired = sorted(set(before) - set(after))
    return result


def word_diff(old: str, new: str, markdown: bool) -> str:
    """``old`` → ``new`` word by word: ``[-gone-]{+new+}`` or ~~gone~~ **new** in Markdown."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(a[i1:i2])
            continue
        gone, came = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if gone:
            out.append(f"~~{gone}~~" if markdown else f"[-{gone}-]")
        if came:
            out.append(f"**{came}**" if markdown else f"{{+{came}+}}")
    return " ".join(out)


def render(diff: DeckDiff, markdown: bool) -> str:
    if not (diff.added or diff.changed or diff.retired):
        return "No card changes.\n"
    counts = (f"{len(diff.added)} added, {len(diff.changed)} changed, "
              f"{len(diff.retired)} retired")
    lines = ["### Deck changes", "", counts, ""] if markdown else [counts]
    for title, mark, ids in (("Added", "+", diff.added), ("Retired", "-", diff.retired)):
        if not ids:
            continue
        if markdown:
            lines += [f"**{title}**", *(f"- `{i}`" for i in ids), ""]
        else:
            lines += [f"{title}:", *(f"  {mark} {i}" for i in ids)]
    if diff.changed:
        lines.append("**Changed**" if markdown else "Changed:")
        for card_id, changes in diff.changed.items():
            lines.append(f"- `{card_id}`" if markdown else f"  ~ {card_id}")
            for key, old, new in changes:
                text = word_diff(old, new, markdown)
                lines.append(f"  - {key}: {text}" if markdown else f"      {key}: {text}")
    return "\n".join(lines).rstrip("\n") + "\n"
