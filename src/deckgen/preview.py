"""``deckgen preview``: the deck as a self-contained static site, and its coverage of the seeds.

Pages (no network, no external resource, the same bytes for the same sources):

- ``index.html``: every card, front and back, grouped by subdeck, rendered from the note types'
  own templates and CSS (:mod:`deckgen.cardrender`), with filters by seed, evidence level and
  tag; each quote links to the passage in its seed's page.
- ``seeds/<seed id>.html``: the seed's text, every cited passage highlighted (``<mark>``) and
  linked to its cards, the share of paragraphs cited and the evidence levels of its cards.
- ``coverage.html``: the same figures for every seed and the whole deck (``deckgen stats``).

The HTML comes from Jinja2 templates (``templates/preview/``, :mod:`deckgen.templating`) with
autoescaping: only HTML that deckgen made safe already (the cards' sanitised fields rendered by
the note types' templates, the deck's description) is passed as such.

Speed: each card file is checked as the build checks it, a file per core
(:func:`deckgen.pipeline.each_file`), and its cards' articles are rendered right there
(:func:`file_cards`); only the articles and a few figures per card come back. What needs every
card (where each quote's passage is highlighted, the seed pages, the counts) is done here.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from markupsafe import Markup

from .cardrender import render_note
from .cards import LoadedFile
from .coverage import CardCitation, Coverage, SeedCoverage, Span, coverage, percent
from .errors import DeckgenError, Diagnostic, Location
from .evidence import BY_ID, LEVEL_IDS
from .media import Media, load_media, preview_html
from .notes import NoteSpec
from .notetypes import CSS
from .parallel import FileJob, workers_for
from .pipeline import each_file
from .project import Project
from .render import escape, is_http_url, markdown_to_html
from .seeds import load_seeds
from .templating import environment, template
from .textfragment import passage_url

GENERATOR = '<meta name="generator" content="deckgen preview">'
# where a quote's anchor goes in the articles of a card file, until every card is read: no text
# of an article can hold it (finalise removes control characters from every field; file names
# cannot hold one; everything else is ids, tags and numbers)
_ANCHOR = "\x00"


@dataclass(frozen=True)
class PreviewResult:
    cards: int
    decks: int
    seeds: int
    coverage: Coverage
    index: Path


# ----------------------------------------------------------------------------- card files


@dataclass(frozen=True)
class FileCards:
    """One card file as the site needs it, made where the file was checked: its cards'
    articles (HTML, cut where the anchor of each linked quote goes), what the coverage needs of
    each card, and its share of the index page's figures."""

    deck: str
    html: tuple[str, ...]  # len(links) + 1 pieces
    links: tuple[tuple[str, int], ...]  # (card id, quote number) of each anchor, in order
    citations: tuple[CardCitation, ...]
    tags: dict[str, int] = field(default_factory=dict)  # tags (for the filter) -> cards
    anki_cards: int = 0
    media: dict[str, int] = field(default_factory=dict)  # name in the package -> cards
    showing: int = 0  # cards that show media

    def articles(self, anchors: dict[tuple[str, int], str]) -> Markup:
        """The articles, each quote linked to its passage's anchor in ``anchors``."""
        html = self.html
        if not self.links:
            return Markup(html[0])
        pieces = [html[0]]
        for link, piece in zip(self.links, html[1:], strict=True):
            pieces += (escape(anchors[link]), piece)
        return Markup("".join(pieces))


class _Side(NamedTuple):
    name: str
    css_class: str
    question: Markup
    answer: Markup


class _Cite(NamedTuple):
    number: int  # the quote's, from 1
    linked: bool  # to its passage in the seed's page
    line: int
    live: str | None  # the passage on the seed's own page


class _Card(NamedTuple):
    id: str
    seed: str
    title: str
    seed_file: str
    evidence: str
    tags: tuple[str, ...]  # (never empty: every card is tagged with its seed and level)
    kind: str
    sides: list[_Side]
    cites: list[_Cite]
    location: str


def file_cards(loaded: LoadedFile, notes: list[NoteSpec]) -> FileCards:
    """:class:`FileCards` of one checked card file and its notes (for
    :func:`deckgen.pipeline.each_file`, in the worker process that checked it)."""
    cards: list[_Card] = []
    citations = []
    links: list[tuple[str, int]] = []
    tags: Counter[str] = Counter()
    media: Counter[str] = Counter()
    anki_cards = showing = 0
    for rc, note in zip(loaded.cards, notes, strict=True):
        citation = CardCitation.of(rc)
        citations.append(citation)
        rendered = render_note(note)
        numbered = note.kind == "cloze" and len(rendered) > 1
        sides = [_Side(f"Card {r.ordinal + 1} · " if numbered else "", f"card card{r.ordinal + 1}",
                       Markup(preview_html(r.question)), Markup(preview_html(r.answer)))
                 for r in rendered]  # (the fields are sanitised and finalised: see NoteSpec)
        seed = rc.seed.seed
        live = seed.url if seed.url and is_http_url(seed.url) else None  # (as the card's link)
        cites = [_Cite(number, span is not None, passage.line,
                       passage_url(live, passage.text) if live else None)
                 for number, (passage, span) in enumerate(
                     zip(rc.passages, citation.spans, strict=True), start=1)]
        cards.append(_Card(rc.card.id, seed.id, seed.title, rc.seed.path.name, rc.card.evidence,
                           note.tags, note.kind, sides, cites, rc.location.display()))
        links += [(rc.card.id, n) for n, span in enumerate(citation.spans, start=1) if span]
        tags.update(_filter_tags(note))
        anki_cards += len(rendered)
        media.update(set(note.media))
        showing += bool(note.media)
    html = template("preview/cards.html.j2").render(cards=cards, anchor=Markup(_ANCHOR))
    pieces = tuple(html.split(_ANCHOR))
    if len(pieces) != len(links) + 1:  # pragma: no cover - a bug, not a user's mistake
        raise AssertionError(f"{len(pieces) - 1} anchors written for {len(links)} links")
    deck = notes[0].deck if notes else ""
    return FileCards(deck, pieces, tuple(links), tuple(citations), dict(tags), anki_cards,
                     dict(media), showing)


def _filter_tags(note: NoteSpec) -> list[str]:
    return [t for t in note.tags if not t.startswith(("seed::", "evidence::"))]


# ----------------------------------------------------------------------------- the site


def write_preview(project: Project, output_dir: Path) -> PreviewResult:
    """Check the project, then write the site to ``output_dir``, replacing an earlier preview
    there; the folder appears only once complete."""
    seeds = load_seeds(project.seeds_dir)
    media = load_media(project.media_dir)
    for name in environment().list_templates():  # (the pages, and what they include)
        template(name)  # compiled once, here, before the worker processes are forked
    files = [f for f in each_file(project, file_cards, notes=True, seeds=seeds, media=media)
             if f.citations]
    cov = coverage(seeds, (card for f in files for card in f.citations))
    name = project.config.name

    def write(site: Path) -> None:
        (site / "seeds").mkdir()
        pages = {site / "seeds" / f"{sc.seed.seed.id}.html": sc for sc in cov.seeds}
        workers = _seed_page_workers(cov)
        with FileJob(_write_seed_page, (name, pages)).start(list(pages), workers) as written:
            # (the seed pages are written by worker processes meanwhile, in big projects)
            _write_page(site / "index.html",
                        _index_page(name, project.config.description, files, cov))
            _write_page(site / "coverage.html",
                        [_coverage_page(name, cov, _media_section(media, files))])
            shown = sorted({n for f in files for n in f.media})
            if shown:
                (site / "media").mkdir()
            for n in shown:  # the images and audio shown
                (site / "media" / n).write_bytes(media.data[n])
            for _ in written:
                pass

    _write_site(project, output_dir, write)
    return PreviewResult(
        cards=cov.cards,
        decks=len({f.deck for f in files}),
        seeds=len(cov.seeds),
        coverage=cov,
        index=output_dir / "index.html",
    )


# ----------------------------------------------------------------------------- writing


def _seed_page_workers(cov: Coverage) -> int:
    """How many processes write the seed pages: as for the card files, by the work's size,
    here the pages' (their text, and some 300 bytes of markup per passage cited)."""
    size = sum(len(sc.seed.text) + 300 * sum(len(s.cites) for s in sc.spans) for sc in cov.seeds)
    return workers_for([sc.seed.path for sc in cov.seeds], size=size)


def _write_page(path: Path, text: Iterable[str]) -> None:
    """A page, from its text in pieces (so the biggest is never held whole)."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.writelines(text)


def _write_seed_page(job: tuple[str, dict[Path, SeedCoverage]], path: Path) -> None:
    name, pages = job
    _write_page(path, [_seed_page(name, pages[path])])


def _write_site(project: Project, output_dir: Path, write: Callable[[Path], None]) -> None:
    """``write`` the site into a new folder next to ``output_dir``, then put it in place."""
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
        write(work)
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
        if not index.is_file():
            return False
        with open(index, encoding="utf-8") as page:  # (its head only: the page may be big)
            return GENERATOR in page.read(2000)
    except (OSError, UnicodeDecodeError):
        return False


# ----------------------------------------------------------------------------- pages


def _page(up: str, current: str, script: str = "") -> dict[str, Any]:
    """What every page's frame (page.html.j2) needs."""
    return {"card_css": Markup(CSS), "up": up, "current": current, "script": script}


def _subdeck(root: str, deck: str) -> str:
    return deck[len(root) + 2:] if deck.startswith(root + "::") else deck


def _index_page(name: str, description: str, files: list[FileCards], cov: Coverage) -> Iterator[str]:
    """index.html, in pieces as the template writes it (the articles are the bulk)."""
    by_deck: dict[str, list[FileCards]] = {}
    for f in files:
        by_deck.setdefault(f.deck, []).append(f)
    seed_counts = {sc.seed.seed.id: len(sc.cards) for sc in cov.seeds}
    level_counts = Counter(card.evidence for f in files for card in f.citations)
    tag_counts: Counter[str] = Counter()
    for f in files:
        tag_counts.update(f.tags)
    anchors = cov.anchors
    decks = [(number, _subdeck(name, deck), deck, sum(len(f.citations) for f in by_deck[deck]),
              (f.articles(anchors) for f in by_deck[deck]))
             for number, deck in enumerate(sorted(by_deck), start=1)]
    filters = [
        ("Seed", "f-seed", [(sid, sid, n) for sid, n in seed_counts.items() if n]),
        ("Evidence level", "f-level", [(lv, BY_ID[lv].label, level_counts[lv])
                                       for lv in LEVEL_IDS if level_counts[lv]]),
        ("Tag", "f-tag", [(t, t, tag_counts[t]) for t in sorted(tag_counts)]),
    ]
    return template("preview/index.html.j2").generate(
        _page("", "index.html", "preview/filters.js"), title=name, name=name,
        cards=cov.cards, anki_cards=sum(f.anki_cards for f in files), decks=decks,
        seeds_used=sum(1 for n in seed_counts.values() if n), cited=cov.cited,
        paragraphs=cov.paragraphs, share=percent(cov.share),
        description=Markup(markdown_to_html(description)),  # (sanitised)
        filters=filters)


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


def levels_chart(rows: list[tuple[str, dict[str, int]]], title: str, ident: str) -> dict[str, Any]:
    """The arguments of the chart.html.j2 macro: a horizontal bar per row, split by evidence
    level (share of the row's cards)."""
    width, step = 360, 42
    bars = []
    for i, (label, levels) in enumerate(rows):
        total = sum(levels.values())
        x, row = 0.0, []
        for level, n in levels.items():
            w = width * n / total
            row.append((level, BY_ID[level].label, n, x, w))
            x += w
        bars.append((label, total, i * step, row))
    return {"rows": bars, "title": title, "ident": ident, "width": width,
            "height": step * len(rows) + 4, "colours": level_colours(),
            "legend": [level for level in LEVEL_IDS if any(level in levels for _, levels in rows)]}


def _levels_title(label: str, levels: dict[str, int]) -> str:
    return f"{label}: {_levels_text(levels)}"


def _levels_text(levels: dict[str, int]) -> str:
    return ", ".join(f"{BY_ID[lv].label} {n}" for lv, n in levels.items()) or "no cards"


# ----------------------------------------------------------------------------- coverage page


def _media_section(media: Media, files: list[FileCards]) -> dict[str, Any] | None:
    """The media the cards show, each with its cards and its credit (as ``deckgen stats``
    counts them); None for a project without media."""
    if not media.declared:
        return None
    by_name = {f.name: f for f in media.files.values()}
    cards: Counter[str] = Counter()
    for f in files:
        cards.update(f.media)
    rows = [(by_name[n].file, by_name[n].kind, cards[n], Markup(by_name[n].credit))  # (HTML)
            for n in sorted(cards, key=lambda n: by_name[n].file) if n in by_name]
    return {"files": rows, "showing": sum(f.showing for f in files),
            "unused": len(media.declared) - len(rows)}


def _coverage_page(name: str, cov: Coverage, media: dict[str, Any] | None) -> str:
    chart_rows = [(sc.seed.seed.id, sc.levels) for sc in cov.seeds] + [("whole deck", cov.levels)]
    seeds = [{"id": sc.seed.seed.id, "cards": len(sc.cards), "cited": len(sc.cited),
              "paragraphs": len(sc.paragraphs), "share": percent(sc.share),
              "levels": _levels_text(levels)}
             for sc, (_, levels) in zip(cov.seeds, chart_rows[:-1], strict=True)]
    total = {"cards": cov.cards, "cited": cov.cited, "paragraphs": cov.paragraphs,
             "share": percent(cov.share), "levels": _levels_text(chart_rows[-1][1])}
    chart_title = "Evidence levels of the cards (share of each bar's cards). " + "; ".join(
        _levels_title(label, levels) for label, levels in chart_rows)
    return template("preview/coverage.html.j2").render(
        _page("", "coverage.html"), title=f"Coverage - {name}", name=name, seeds=seeds,
        total=total, chart=levels_chart(chart_rows, chart_title, "chart-all"), media=media)


# ----------------------------------------------------------------------------- seed pages


def _seed_page(name: str, sc: SeedCoverage) -> str:
    meta = sc.seed.seed
    level = {card.id: card.evidence for card in sc.cards}
    paragraphs = []
    active: list[Span] = []  # the spans that may overlap this paragraph or a later one
    upcoming = iter(sc.spans)  # (in text order, as the paragraphs)
    following = next(upcoming, None)
    for index, para in enumerate(sc.paragraphs):
        while following is not None and following.start < para.end:
            active.append(following)
            following = next(upcoming, None)
        active = [s for s in active if s.end > para.start]
        spans = [s for s in active if s.start < para.end]
        paragraphs.append(_paragraph(sc.seed.text, index, para.start, para.end, para.line,
                                     spans, level))
    text = template("preview/seed-text.html.j2").render(paragraphs=paragraphs)
    return template("preview/seed.html.j2").render(
        _page("../", "", "preview/target.js"), title=f"{meta.title} - {name}", seed=meta,
        facts=[v for v in (meta.author, meta.publisher, meta.genre) if v],
        file=sc.seed.path.name, cited=len(sc.cited), paragraphs=len(paragraphs),
        text=Markup(text),  # (rendered by its template)
        share=percent(sc.share), cards=len(sc.cards), passages=len(sc.spans),
        chart=levels_chart([(meta.id, sc.levels)], "Evidence levels of the cards: "
                           + _levels_title(meta.id, sc.levels), "chart-seed"))


def _paragraph(text: str, index: int, start: int, end: int, line: int, spans: list[Span],
               level: dict[str, str]) -> tuple[Any, ...]:
    """One paragraph for seed.html.j2: (number, line, cited, pieces, cited by), its text cut
    where a span starts or ends, each piece with its mark (None where no span covers it)."""
    cuts = sorted({start, end, *(max(start, min(end, x)) for s in spans for x in (s.start, s.end))})
    pieces: list[tuple[Any, ...]] = []  # (text, marked, extra anchors, anchor, many, spans, cards)
    for a, b in itertools.pairwise(cuts):
        covering = [s for s in spans if s.start < b and a < s.end]
        if not covering:
            pieces.append((text[a:b], False, (), None, False, "", ""))
            continue
        starting = [s.anchor for s in covering if s.start == a]
        cards = sorted({card for s in covering for card, _ in s.cites})
        pieces.append((text[a:b], True, starting[1:], starting[0] if starting else None,
                       len(covering) > 1, " ".join(s.anchor for s in covering), ", ".join(cards)))
    cited_by = []
    seen = set()
    for span in spans:
        if not start <= span.start < end:
            continue
        for card, _ in span.cites:
            if card not in seen:
                seen.add(card)
                cited_by.append((card, level[card], span.anchor))
    return index + 1, line, bool(spans), pieces, cited_by
