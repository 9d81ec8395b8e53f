"""``deckgen preview``: the deck as a self-contained static site, and its coverage of the seeds.

Pages (no network, no external resource, the same bytes for the same sources):

- ``index.html``: every card, front and back, grouped by subdeck, rendered from the note types'
  own templates and CSS (:mod:`deckgen.cardrender`), with filters by seed, evidence level and
  tag; each quote links to the passage in its seed's page.
- ``seeds/<seed id>.html``: the seed's text, every cited passage highlighted (``<mark>``) and
  linked to its cards, the share of paragraphs cited and the evidence levels of its cards.
- ``coverage.html``: the same figures for every seed and the whole deck (``deckgen stats``).

Field HTML is sanitised by deckgen already; everything else written here is escaped.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .cardrender import render_note
from .cards import ResolvedCard, load_cards
from .coverage import Coverage, SeedCoverage, Span, coverage, percent
from .errors import DeckgenError, Diagnostic, Location
from .evidence import BY_ID, LEVEL_IDS
from .media import Media, preview_html, project_media
from .notes import NoteMaker, NoteSpec, evidence_html
from .notetypes import CSS
from .project import Project
from .render import escape, is_http_url, markdown_to_html
from .seeds import load_seeds
from .textfragment import passage_url

GENERATOR = '<meta name="generator" content="deckgen preview">'


@dataclass(frozen=True)
class PreviewResult:
    cards: int
    decks: int
    seeds: int
    coverage: Coverage
    index: Path


@dataclass(frozen=True)
class Cards:
    """The project's cards and their notes, in the same order."""

    cards: list[ResolvedCard]
    notes: list[NoteSpec]
    media: Media | None = None


def project_cards(project: Project) -> tuple[Cards, Coverage]:
    """Check the project (raising on errors): its cards, their notes, and the coverage of
    every seed."""
    seeds = load_seeds(project.seeds_dir)
    cards = load_cards(project.cards_dir, seeds)
    media = project_media(project.media_dir, cards)  # (raises on a media error)
    maker = NoteMaker.of(project.config, seeds, media)
    return Cards(cards, [maker.note(rc) for rc in cards], media), coverage(seeds, cards)


def write_preview(project: Project, output_dir: Path) -> PreviewResult:
    """Check the project, then write the site to ``output_dir``, replacing an earlier preview
    there; the folder appears only once complete."""
    result, cov = project_cards(project)
    pages = site(project.config.name, project.config.description, result, cov)
    shown = sorted({name for note in result.notes for name in note.media})
    files = {f"media/{name}": result.media.data[name] for name in shown} if result.media else {}
    _write_site(project, pages, output_dir, files)
    return PreviewResult(
        cards=len(result.cards),
        decks=len({n.deck for n in result.notes}),
        seeds=len(cov.seeds),
        coverage=cov,
        index=output_dir / "index.html",
    )


def site(name: str, description: str, result: Cards, cov: Coverage) -> dict[str, str]:
    """Every page of the site: relative path → HTML."""
    pages = {
        "index.html": _index_page(name, description, result, cov),
        "coverage.html": _coverage_page(name, cov, _media_section(result)),
    }
    for sc in cov.seeds:
        pages[f"seeds/{sc.seed.seed.id}.html"] = _seed_page(name, sc, cov)
    return pages


# ----------------------------------------------------------------------------- writing


def _write_site(project: Project, pages: dict[str, str], output_dir: Path,
                files: dict[str, bytes] | None = None) -> None:
    target = output_dir.resolve()
    for folder in (project.cards_dir, project.seeds_dir):
        folder = folder.resolve()
        if target.is_relative_to(folder) or folder.is_relative_to(target):
            raise DeckgenError([Diagnostic(
                Location(output_dir), f"output folder must not be inside or contain {folder.name}/"
            )])
    if output_dir.exists() and (not output_dir.is_dir() or (
            any(output_dir.iterdir()) and not _is_preview(output_dir))):
        raise DeckgenError([Diagnostic(
            Location(output_dir),
            "output folder exists and is not a deckgen preview; choose another with -o",
        )])
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".tmp", dir=output_dir.parent))
    old: Path | None = None
    try:
        for relative, text in sorted(pages.items()):
            path = work / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        for relative, data in sorted((files or {}).items()):  # the images and audio shown
            path = work / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for folder in (work, *(p for p in work.rglob("*") if p.is_dir())):
            os.chmod(folder, 0o755)
        if output_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".old",
                                        dir=output_dir.parent))
            os.replace(output_dir, old / "site")
        os.replace(work, output_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if old is not None and not output_dir.exists() and (old / "site").exists():
            os.replace(old / "site", output_dir)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _is_preview(folder: Path) -> bool:
    index = folder / "index.html"
    try:
        return index.is_file() and GENERATOR in index.read_text(encoding="utf-8")[:2000]
    except (OSError, UnicodeDecodeError):
        return False


# ----------------------------------------------------------------------------- pages

PAGE_CSS = """\
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: #f2f2f7; color: #1d1d1f; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 16px;
}
[hidden] { display: none !important; }
a { color: #0b5cad; }
:focus-visible { outline: 3px solid #0b5cad; outline-offset: 2px; }
.pv-skip {
  position: absolute; left: -100vw; top: 0.5em; background: #fff; padding: 0.5em 1em; z-index: 2;
}
.pv-skip:focus { left: 0.5em; }
.pv-top { background: #fff; border-bottom: 1px solid #d2d2d7; }
.pv-wrap { max-width: 84em; margin: 0 auto; padding: 0 1rem; }
.pv-nav ul {
  list-style: none; margin: 0; padding: 0.6em 0; display: flex; flex-wrap: wrap; gap: 0.3em 1.2em;
}
.pv-nav a { display: inline-block; padding: 0.35em 0; font-weight: 600; }
.pv-nav a[aria-current="page"] { color: #1d1d1f; text-decoration: none; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0.6em 0 0.3em; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 1.2em 0 0.4em; }
.pv-lead { margin: 0.3em 0 0.8em; color: #3a3a3c; }
.pv-about { margin: 0.3em 0 0.8em; }
.pv-about summary { cursor: pointer; font-weight: 600; padding: 0.3em 0; }
.pv-decks { padding-top: 0.2em; }
.pv-summary { margin: 0.3em 0 1em; }
.pv-filters {
  background: #fff; border-top: 1px solid #d2d2d7; border-bottom: 1px solid #d2d2d7;
  padding: 0.6em 0; margin-bottom: 0.8em;
}
.pv-filters .pv-wrap { display: flex; flex-wrap: wrap; gap: 0.6em 1em; align-items: flex-end; }
.pv-filters label {
  display: flex; flex-direction: column; font-size: 0.85rem; font-weight: 600; gap: 0.2em;
  flex: 1 1 9em; max-width: 100%;
}
.pv-filters select, .pv-filters button {
  font: inherit; font-size: 1rem; min-height: 2.75rem; max-width: 100%; width: 100%;
  padding: 0.3em 0.5em; border: 1px solid #8e8e93; border-radius: 8px; background: #fff;
  color: #1d1d1f;
}
.pv-filters button { width: auto; flex: 0 0 auto; cursor: pointer; font-weight: 600; }
.pv-status { flex: 1 0 100%; margin: 0; font-weight: 600; }
@media (min-width: 48em) {
  .pv-filters { position: sticky; top: 0; z-index: 1; }
  .pv-status { flex: 1 1 auto; align-self: center; }
}
.pv-toc { margin: 0.5em 0 0; padding-left: 1.2em; }
.pv-deck-count, .pv-count { color: #6e6e73; font-weight: 400; }
.pv-card {
  background: #fff; border: 1px solid #d2d2d7; border-radius: 12px;
  margin: 0 0 1em; padding: 0.75em; scroll-margin-top: 6em;
}
.pv-card:target { border-color: #0b5cad; box-shadow: 0 0 0 2px #0b5cad; }
.pv-card-head {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em 0.6em; margin-bottom: 0.6em;
}
.pv-card-head h3 {
  font-size: 1rem; margin: 0; font-family: ui-monospace, "SFMono-Regular", Menlo, monospace;
  overflow-wrap: anywhere;
}
.pv-kind { color: #6e6e73; font-size: 0.9rem; }
.pv-sides {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 22em), 1fr));
  align-items: start; gap: 0.75em; margin-bottom: 0.75em;
}
.pv-side {
  border: 1px solid #e5e5ea; border-radius: 8px; padding: 0.4em 0 0.6em; min-width: 0;
  overflow-wrap: anywhere; background: #fff;
}
.pv-side-label {
  margin: 0 0.75rem 0.3em; font-size: 0.75rem; letter-spacing: 0.06em; text-transform: uppercase;
  color: #6e6e73;
}
.pv-card-foot { font-size: 0.9rem; color: #3a3a3c; }
.pv-card-foot p { margin: 0.25em 0; overflow-wrap: anywhere; }
.pv-cite a { font-weight: 600; }
.pv-tag {
  display: inline-block; font-family: ui-monospace, Menlo, monospace; font-size: 0.85em;
  background: #e5e5ea; border-radius: 4px; padding: 0 0.35em; margin: 0.1em 0;
}
.pv-table-wrap { overflow-x: auto; }
table.pv-table { border-collapse: collapse; background: #fff; font-size: 0.95rem; min-width: 100%; }
.pv-table th, .pv-table td {
  border: 1px solid #d2d2d7; padding: 0.35em 0.5em; text-align: left; vertical-align: top;
}
.pv-table th[scope="row"] { overflow-wrap: anywhere; }
.pv-table td.pv-num, .pv-table th.pv-num { text-align: right; font-variant-numeric: tabular-nums; }
.pv-table tfoot td, .pv-table tfoot th { font-weight: 700; }
.pv-chart { max-width: 40em; margin: 0.5em 0; }
.pv-chart svg { display: block; width: 100%; height: auto; }
.pv-legend {
  list-style: none; padding: 0; margin: 0.4em 0 1em; display: flex; flex-wrap: wrap;
  gap: 0.4em 0.6em; font-size: 0.9rem;
}
.pv-meta { margin: 0.2em 0; color: #3a3a3c; overflow-wrap: anywhere; }
.pv-text {
  background: #fff; border: 1px solid #d2d2d7; border-radius: 12px; padding: 0.5em 0.9em;
  margin: 1em 0 2em;
}
.pv-para { border-left: 4px solid #e5e5ea; padding: 0.1em 0 0.1em 0.7em; margin: 0.7em 0; }
.pv-para.pv-cited { border-left-color: #1b7f3b; }
.pv-para p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1.0625rem; }
.pv-ln { display: block; font-size: 0.75rem; color: #6e6e73; }
mark.pv-hl {
  background: #fff0a8; color: inherit; border-bottom: 2px solid #d4a400; padding: 0.05em 0;
  scroll-margin-top: 4em;
}
mark.pv-hl-many { background: #ffd966; }
mark.pv-hl:target, mark.pv-current { background: #ffb703; outline: 2px solid #9a5b00; }
.pv-citedby {
  list-style: none; margin: 0.35em 0 0; padding: 0; font-size: 0.85rem; display: flex;
  flex-wrap: wrap; gap: 0.3em 0.8em;
}
.pv-citedby li { overflow-wrap: anywhere; }
.pv-foot { color: #6e6e73; font-size: 0.85rem; margin: 2em 0; }
"""

FILTER_SCRIPT = """\
(function () {
  "use strict";
  var form = document.getElementById("pv-filters");
  var seed = document.getElementById("f-seed");
  var level = document.getElementById("f-level");
  var tag = document.getElementById("f-tag");
  var status = document.getElementById("pv-status");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".pv-card"));
  var decks = Array.prototype.slice.call(document.querySelectorAll(".pv-deck"));
  function has(list, item) { return (" " + list + " ").indexOf(" " + item + " ") >= 0; }
  function apply() {
    var shown = 0;
    cards.forEach(function (card) {
      var ok = (!seed.value || card.getAttribute("data-seed") === seed.value) &&
        (!level.value || card.getAttribute("data-level") === level.value) &&
        (!tag.value || has(card.getAttribute("data-tags"), tag.value));
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    decks.forEach(function (deck) {
      var n = deck.querySelectorAll(".pv-card:not([hidden])").length;
      deck.hidden = n === 0;
      deck.querySelector(".pv-deck-count").textContent = "(" + n + ")";
    });
    status.textContent = "Showing " + shown + " of " + cards.length + " cards";
  }
  var query = new URLSearchParams(window.location.search);
  [["seed", seed], ["level", level], ["tag", tag]].forEach(function (pair) {
    var value = query.get(pair[0]);
    if (value && pair[1].querySelector('option[value="' + CSS.escape(value) + '"]')) {
      pair[1].value = value;
    }
  });
  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();
"""

TARGET_SCRIPT = """\
(function () {
  "use strict";
  function mark() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    Array.prototype.forEach.call(document.querySelectorAll("mark[data-spans]"), function (m) {
      var on = id !== "" && (" " + m.getAttribute("data-spans") + " ").indexOf(" " + id + " ") >= 0;
      m.classList.toggle("pv-current", on);
    });
  }
  window.addEventListener("hashchange", mark);
  mark();
})();
"""

_e = escape


def _page(title: str, body: str, *, up: str, current: str, script: str = "") -> str:
    links = [("index.html", "Cards"), ("coverage.html", "Coverage")]
    here = ' aria-current="page"'
    nav = "".join(f'<li><a href="{up}{href}"{here if href == current else ""}>{label}</a></li>'
                  for href, label in links)
    scripts = f"<script>\n{script}</script>\n" if script else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{GENERATOR}\n"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data: 'self' file:; "
        "media-src 'self' file:\">\n"
        f"<title>{_e(title)}</title>\n"
        f'<style id="card-css">\n{CSS}</style>\n'
        f"<style>\n{PAGE_CSS}</style>\n"
        "</head>\n<body>\n"
        '<a class="pv-skip" href="#main">Skip to content</a>\n'
        '<header class="pv-top"><div class="pv-wrap">'
        f'<nav class="pv-nav" aria-label="Preview"><ul>{nav}</ul></nav>'
        "</div></header>\n"
        f"{body}"
        f"{scripts}"
        "</body>\n</html>\n"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _subdeck(root: str, deck: str) -> str:
    return deck[len(root) + 2:] if deck.startswith(root + "::") else deck


def _options(label: str, ident: str, items: list[tuple[str, str, int]]) -> str:
    options = "".join(f'<option value="{_e(value)}">{_e(text)} ({count})</option>'
                      for value, text, count in items)
    return (f'<label for="{ident}">{label}<select id="{ident}" name="{ident[2:]}">'
            f'<option value="">All</option>{options}</select></label>')


def _filter_tags(note: NoteSpec) -> list[str]:
    return [t for t in note.tags if not t.startswith(("seed::", "evidence::"))]


def _index_page(name: str, description: str, result: Cards, cov: Coverage) -> str:
    pairs = list(zip(result.cards, result.notes, strict=True))
    by_deck: dict[str, list[tuple[ResolvedCard, NoteSpec]]] = {}
    for rc, note in pairs:
        by_deck.setdefault(note.deck, []).append((rc, note))
    seed_counts = Counter(rc.seed.seed.id for rc in result.cards)
    level_counts = Counter(rc.card.evidence for rc in result.cards)
    tag_counts = Counter(t for note in result.notes for t in _filter_tags(note))
    anki_cards = 0
    sections = []
    toc = []
    for number, deck in enumerate(sorted(by_deck), start=1):
        articles = []
        for rc, note in by_deck[deck]:
            article, count = _card_article(rc, note, cov)
            articles.append(article)
            anki_cards += count
        label = _subdeck(name, deck)
        toc.append(f'<li><a href="#deck-{number}">{_e(label)}</a> '
                   f'<span class="pv-count">({len(by_deck[deck])})</span></li>')
        sections.append(
            f'<section class="pv-deck" aria-labelledby="deck-{number}" data-deck="{_e(deck)}">\n'
            f'<h2 id="deck-{number}">{_e(label)} <span class="pv-deck-count">'
            f"({len(by_deck[deck])})</span></h2>\n" + "".join(articles) + "</section>\n"
        )
    filters = (
        '<form id="pv-filters" class="pv-filters" role="search" aria-label="Filter cards" hidden>'
        '<div class="pv-wrap">'
        + _options("Seed", "f-seed", [(s.seed.seed.id, s.seed.seed.id, seed_counts[s.seed.seed.id])
                                      for s in cov.seeds if seed_counts[s.seed.seed.id]])
        + _options("Evidence level", "f-level", [(lv, BY_ID[lv].label, level_counts[lv])
                                                 for lv in LEVEL_IDS if level_counts[lv]])
        + _options("Tag", "f-tag", [(t, t, tag_counts[t]) for t in sorted(tag_counts)])
        + '<button type="reset">Show all</button>'
        f'<p id="pv-status" class="pv-status" role="status">Showing {len(pairs)} of {len(pairs)} '
        "cards</p></div></form>\n"
    )
    seeds_used = sum(1 for s in cov.seeds if s.cards)
    head = (
        '<div class="pv-wrap">'
        f"<h1>{_e(name)}</h1>\n"
        f'<p class="pv-summary">{_plural(len(pairs), "card")} ({_plural(anki_cards, "Anki card")}) in '
        f'{_plural(len(by_deck), "deck")}, citing {_plural(seeds_used, "seed")}; '
        f'<a href="coverage.html">{cov.cited} of {cov.paragraphs} seed paragraphs cited '
        f"({percent(cov.share)})</a>.</p>\n"
        f'<details class="pv-about"><summary>About this deck</summary>'
        f'<div class="pv-lead">{markdown_to_html(description)}</div></details>\n'
        f'<nav aria-label="Decks"><ul class="pv-toc">{"".join(toc)}</ul></nav>\n'
        "</div>\n"
    )
    body = (f'<main id="main" tabindex="-1">{head}{filters}<div class="pv-wrap pv-decks">\n'
            + "".join(sections) + "</div>\n</main>\n")
    return _page(name, body, up="", current="index.html", script=FILTER_SCRIPT)


def _card_article(rc: ResolvedCard, note: NoteSpec, cov: Coverage) -> tuple[str, int]:
    card = rc.card
    seed = rc.seed.seed
    ident = f"card-{card.id}"
    rendered = render_note(note)
    sides = []
    for rcard in rendered:
        css_class = f"card card{rcard.ordinal + 1}"
        name = f"Card {rcard.ordinal + 1} · " if note.kind == "cloze" and len(rendered) > 1 else ""
        sides.append(
            f'<div class="pv-sides">'
            f'<section class="pv-side" aria-label="{name}Front"><h4 class="pv-side-label">{name}Front</h4>'
            f'<div class="{css_class}">{preview_html(rcard.question)}</div></section>'
            f'<section class="pv-side" aria-label="{name}Back"><h4 class="pv-side-label">{name}Back</h4>'
            f'<div class="{css_class}">{preview_html(rcard.answer)}</div></section></div>\n'
        )
    cites = []
    for number, passage in enumerate(rc.passages, start=1):
        anchor = cov.anchors.get((card.id, number))
        where = f"{_e(rc.seed.path.name)}, line {passage.line}"
        cite = (f'<a href="seeds/{_e(seed.id)}.html#{_e(anchor)}">{where}</a>' if anchor
                else where)
        if seed.url and is_http_url(seed.url):  # the same link as the card's
            cite += (f' (<a class="pv-live" href="{_e(passage_url(seed.url, passage.text))}">'
                     "on the page</a>)")
        cites.append(cite)
    kind = "basic" if note.kind == "basic" else f"cloze · {_plural(len(rendered), 'card')}"
    tags = " ".join(f'<span class="pv-tag">{_e(t)}</span>' for t in note.tags)
    article = (
        f'<article class="pv-card" id="{_e(ident)}" data-seed="{_e(seed.id)}" '
        f'data-level="{_e(card.evidence)}" data-tags="{_e(" ".join(note.tags))}" '
        f'aria-labelledby="{_e(ident)}-h">\n'
        f'<header class="pv-card-head"><h3 id="{_e(ident)}-h">{_e(card.id)}</h3>'
        f'{evidence_html(card.evidence)}<span class="pv-kind">{kind}</span></header>\n'
        + "".join(sides)
        + '<footer class="pv-card-foot">'
        f'<p class="pv-cite">Quoted from <i>{_e(seed.title)}</i>: {"; ".join(cites)}</p>'
        f"<p>Tags: {tags}</p>"
        f"<p>Source: {_e(rc.location.display())}</p></footer>\n</article>\n"
    )
    return article, len(rendered)


# ----------------------------------------------------------------------------- charts


@cache
def level_colours() -> dict[str, str]:
    """Each level's badge colour, read from the note types' CSS (one source for both)."""
    default = "#6e6e73"
    colours: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS):
        found = re.search(r"background:\s*(#[0-9a-fA-F]{3,6})", body)
        if not found:
            continue
        if re.search(r"(^|,)\s*\.dg-badge\s*(,|$)", selectors):
            default = found.group(1)
        for level in re.findall(r"\.dg-level-([a-z-]+)", selectors):
            colours[level] = found.group(1)
    return {level: colours.get(level, default) for level in LEVEL_IDS}


def levels_chart(rows: list[tuple[str, dict[str, int]]], title: str, ident: str) -> str:
    """A horizontal bar per row, split by evidence level (share of the row's cards)."""
    width, bar, step = 360, 18, 42
    height = step * len(rows) + 4
    colours = level_colours()
    parts = []
    for i, (label, levels) in enumerate(rows):
        total = sum(levels.values())
        y = i * step
        parts.append(f'<text x="0" y="{y + 13}" class="pv-chart-label">{_e(label)} '
                     f"({_plural(total, 'card')})</text>")
        if not total:
            parts.append(f'<rect x="0" y="{y + 18}" width="{width}" height="{bar}" fill="#e5e5ea">'
                         "<title>no cards</title></rect>")
            continue
        x = 0.0
        for level, n in levels.items():
            w = width * n / total
            parts.append(
                f'<rect x="{x:.2f}" y="{y + 18}" width="{w:.2f}" height="{bar}" '
                f'fill="{colours[level]}"><title>{_e(BY_ID[level].label)}: {n} of {total}</title></rect>'
            )
            if w >= 16:
                parts.append(f'<text x="{x + w / 2:.2f}" y="{y + 31}" text-anchor="middle" '
                             f'fill="#fff" font-weight="700">{n}</text>')
            x += w
    return (
        f'<figure class="pv-chart"><svg viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{ident}-t" font-family="system-ui, sans-serif" font-size="13">'
        f'<title id="{ident}-t">{_e(title)}</title>{"".join(parts)}</svg></figure>\n'
        '<ul class="pv-legend" aria-label="Evidence levels">'
        + "".join(f"<li>{evidence_html(level)}</li>" for level in LEVEL_IDS
                  if any(level in levels for _, levels in rows))
        + "</ul>\n"
    )


def _levels_title(label: str, levels: dict[str, int]) -> str:
    described = ", ".join(f"{BY_ID[lv].label} {n}" for lv, n in levels.items()) or "no cards"
    return f"{label}: {described}"


# ----------------------------------------------------------------------------- coverage page


def _media_section(result: Cards) -> str:
    """The media the cards show, each with its cards and its credit (as ``deckgen stats``
    counts them); nothing for a project without media."""
    media = result.media
    if media is None or not media.declared:
        return ""
    by_name = {f.name: f for f in media.files.values()}
    cards: dict[str, int] = {}
    for note in result.notes:
        for name in set(note.media):
            cards[name] = cards.get(name, 0) + 1
    rows = [f'<tr><th scope="row"><code>{_e(by_name[n].file)}</code></th>'
            f"<td>{_e(by_name[n].kind)}</td><td class=\"pv-num\">{cards[n]}</td>"
            f"<td>{by_name[n].credit}</td></tr>\n"  # (the credit is sanitised HTML already)
            for n in sorted(cards, key=lambda n: by_name[n].file) if n in by_name]
    unused = len(media.declared) - len(rows)
    showing = sum(1 for note in result.notes if note.media)
    return ("<h2>Images and audio</h2>\n"
            f'<p>{_plural(len(rows), "file")} shown on {_plural(showing, "card")}'
            f" ({unused} declared but unused).</p>\n"
            '<div class="pv-table-wrap"><table class="pv-table" id="pv-media">\n'
            '<thead><tr><th scope="col">File</th><th scope="col">Kind</th>'
            '<th scope="col" class="pv-num">Cards</th><th scope="col">Credit</th></tr></thead>\n'
            "<tbody>\n" + "".join(rows) + "</tbody></table></div>\n")


def _coverage_page(name: str, cov: Coverage, media: str = "") -> str:
    rows, level_rows = [], []
    for sc in cov.seeds:
        sid = sc.seed.seed.id
        cards = (f'<a href="index.html?seed={_e(sid)}">{len(sc.cards)}</a>' if sc.cards else "0")
        rows.append(
            f'<tr><th scope="row"><a href="seeds/{_e(sid)}.html">{_e(sid)}</a></th>'
            f'<td class="pv-num">{cards}</td>'
            f'<td class="pv-num">{len(sc.cited)}/{len(sc.paragraphs)}</td>'
            f'<td class="pv-num">{percent(sc.share)}</td></tr>\n'
        )
        level_rows.append(f'<tr><th scope="row">{_e(sid)}</th><td>{_levels_html(sc.levels)}</td></tr>\n')
    table = (
        '<div class="pv-table-wrap">'
        '<table class="pv-table" id="pv-coverage" aria-describedby="pv-cov-lead">\n'
        '<thead><tr><th scope="col">Seed</th><th scope="col" class="pv-num">Cards</th>'
        '<th scope="col" class="pv-num">Paragraphs cited</th><th scope="col" class="pv-num">Share</th>'
        '</tr></thead>\n<tbody>\n' + "".join(rows) + "</tbody>\n"
        f'<tfoot><tr><th scope="row">Whole deck</th><td class="pv-num">{cov.cards}</td>'
        f'<td class="pv-num">{cov.cited}/{cov.paragraphs}</td>'
        f'<td class="pv-num">{percent(cov.share)}</td></tr></tfoot>'
        "</table></div>\n"
    )
    levels_table = (
        '<details class="pv-about"><summary>Evidence levels as a table</summary>'
        '<div class="pv-table-wrap"><table class="pv-table" id="pv-levels">\n'
        '<thead><tr><th scope="col">Seed</th><th scope="col">Cards per evidence level</th></tr></thead>\n'
        "<tbody>\n" + "".join(level_rows) + "</tbody>\n"
        f'<tfoot><tr><th scope="row">Whole deck</th><td>{_levels_html(cov.levels)}</td></tr></tfoot>'
        "</table></div></details>\n"
    )
    chart_rows = [(sc.seed.seed.id, sc.levels) for sc in cov.seeds] + [("whole deck", cov.levels)]
    chart_title = "Evidence levels of the cards (share of each bar's cards). " + "; ".join(
        _levels_title(label, levels) for label, levels in chart_rows)
    body = (
        '<main id="main" tabindex="-1"><div class="pv-wrap">\n'
        "<h1>Coverage of the seeds</h1>\n"
        f'<p class="pv-lead" id="pv-cov-lead">{_e(name)}: {_plural(cov.cards, "card")} cite '
        f"{cov.cited} of {cov.paragraphs} paragraphs of {_plural(len(cov.seeds), 'seed')} "
        f"({percent(cov.share)}). A paragraph is a run of non-blank lines (each line, in a seed "
        "without blank lines); it is cited when a card's quote overlaps it.</p>\n"
        + table
        + "<h2>Evidence levels</h2>\n"
        + levels_chart(chart_rows, chart_title, "chart-all")
        + levels_table
        + media
        + '<p class="pv-foot">Written by <code>deckgen preview</code>; <code>deckgen stats</code> '
        "prints the same figures.</p>\n"
        "</div></main>\n"
    )
    return _page(f"Coverage - {name}", body, up="", current="coverage.html")


def _levels_html(levels: dict[str, int]) -> str:
    return ", ".join(f"{_e(BY_ID[lv].label)} {n}" for lv, n in levels.items()) or "no cards"


# ----------------------------------------------------------------------------- seed pages


def _seed_page(name: str, sc: SeedCoverage, cov: Coverage) -> str:
    meta = sc.seed.seed
    facts = [_e(v) for v in (meta.author, meta.publisher, meta.genre) if v]
    link = (f'<p class="pv-meta"><a href="{_e(meta.url)}" rel="noopener noreferrer">{_e(meta.url)}</a></p>\n'
            if meta.url else "")
    paragraphs = []
    for index, para in enumerate(sc.paragraphs):
        paragraphs.append(_paragraph_html(sc, index, para.start, para.end, para.line))
    body = (
        '<main id="main" tabindex="-1"><div class="pv-wrap">\n'
        f"<h1>{_e(meta.title)}</h1>\n"
        f'<p class="pv-meta">{" · ".join(facts)}</p>\n{link}'
        f'<p class="pv-meta">Seed <code>{_e(meta.id)}</code>, file {_e(sc.seed.path.name)}; strongest '
        f"level a card may claim: {evidence_html(meta.max_evidence)}</p>\n"
        f'<p class="pv-summary" id="pv-share"><strong>{len(sc.cited)} of {len(sc.paragraphs)} '
        f"paragraphs cited ({percent(sc.share)})</strong> by "
        + (f'<a href="../index.html?seed={_e(meta.id)}">{_plural(len(sc.cards), "card")}</a>'
           if sc.cards else "no card")
        + f"; {_plural(len(sc.spans), 'highlighted passage')}.</p>\n"
        + levels_chart([(meta.id, sc.levels)], "Evidence levels of the cards: "
                       + _levels_title(meta.id, sc.levels), "chart-seed")
        + '<h2 id="text">Text</h2>\n<div class="pv-text">\n' + "".join(paragraphs) + "</div>\n"
        "</div></main>\n"
    )
    return _page(f"{meta.title} - {name}", body, up="../", current="", script=TARGET_SCRIPT)


def _paragraph_html(sc: SeedCoverage, index: int, start: int, end: int, line: int) -> str:
    text = sc.seed.text
    spans = [s for s in sc.spans if s.start < end and start < s.end]
    cuts = sorted({start, end, *(max(start, min(end, x)) for s in spans for x in (s.start, s.end))})
    level = {rc.card.id: rc.card.evidence for rc in sc.cards}
    out = []
    for a, b in itertools.pairwise(cuts):
        covering = [s for s in spans if s.start < b and a < s.end]
        if not covering:
            out.append(_e(text[a:b]))
            continue
        starting = [s for s in covering if s.start == a]
        for extra in starting[1:]:
            out.append(f'<span id="{_e(extra.anchor)}"></span>')
        ident = f' id="{_e(starting[0].anchor)}"' if starting else ""
        many = " pv-hl-many" if len(covering) > 1 else ""
        cards = sorted({card for s in covering for card, _ in s.cites})
        out.append(
            f'<mark class="pv-hl{many}"{ident} data-spans="{_e(" ".join(s.anchor for s in covering))}" '
            f'title="Cited by {_e(", ".join(cards))}">{_e(text[a:b])}</mark>'
        )
    here: list[Span] = [s for s in spans if start <= s.start < end]
    cited_by = []
    seen = set()
    for span in here:
        for card, _ in span.cites:
            if card in seen:
                continue
            seen.add(card)
            cited_by.append(
                f'<li><a href="../index.html#card-{_e(card)}">{_e(card)}</a> '
                f'{evidence_html(level[card])} <a href="#{_e(span.anchor)}" '
                f'aria-label="passage cited by {_e(card)}">passage</a></li>'
            )
    cited = " pv-cited" if spans else ""
    listing = (f'<ul class="pv-citedby" aria-label="Cards citing this paragraph">{"".join(cited_by)}</ul>'
               if cited_by else "")
    return (f'<div class="pv-para{cited}" id="p-{index + 1}"><span class="pv-ln">line {line}</span>'
            f'<p>{"".join(out)}</p>{listing}</div>\n')
