"""The preview's pages come from Jinja2 templates with autoescaping: the same bytes as the
string-built pages they replaced (a stored site, written by that code for a hostile project),
and every text the user controls escaped wherever it lands."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from conftest import PROJECT_YAML, Project
from deckgen import parallel
from deckgen.coverage import Paragraph, Span, cited_paragraphs
from deckgen.templating import environment
from test_media import png

GOLDEN = Path(__file__).resolve().parent / "golden" / "preview-hostile"


HOSTILE = "<b>\"x\"</b> & 'y' <script>alert(1)</script>"


def hostile_project(root: Path) -> Project:
    """A project with markup, quotes and ampersands in every text the user controls: the
    deck's name and description, a seed's title, author, publisher, genre, address, file name
    and text, a subdeck, the cards' texts and quotes, a media file's name and credit."""
    p = Project(root)
    p.write("deckgen.yaml", PROJECT_YAML.replace(
        "name: Test deck", f"name: 'Deck {HOSTILE.replace(chr(39), chr(39) * 2)}'").replace(
        "description: A deck for tests. Study material, not medical advice.",
        "description: |\n  About <i>it</i> & \"that\": *emphasis* <script>alert(2)</script>\n"
        "  [a link](https://example.org/?a=1&b='2') and <img src=x onerror=alert(3)>"))
    p.write("seeds/seeds.yaml", """\
        seeds:
          - id: hostile
            file: "it's <a&b>.txt"
            title: 'Title <i>"t"</i> & ''t'' </title><script>alert(4)</script>'
            author: 'Author <u>"a"</u> & ''a'''
            publisher: 'Press <s>&amp;</s> "p"'
            url: 'https://example.org/path?q="1"&r=<2>&s=''3'''
            genre: 'genre <em>&</em> "g"'
            max_evidence: rct
          - id: plain
            file: plain.txt
            title: Plain
            genre: text
            max_evidence: expert-opinion
        """)
    p.write("seeds/it's <a&b>.txt", (
        "Opening line with <tags> & \"double\" and 'single' quotes.\n"
        "\n"
        "The passage <img src=x onerror=alert(5)> & <b>bold</b> \"cited\" it's here.\n"
        "Second line of that paragraph, & more.\n"
        "\n"
        "Uncited closing paragraph </p></div><script>alert(6)</script>.\n"))
    p.write("seeds/plain.txt", "One line.\nAnother line, cited.\n")
    p.write("cards/hostile.yaml", """\
        deck: 'Sub <i>"deck"</i> & ''x'''
        tags: [file-tag]
        cards:
          - id: hostile-basic
            question: 'According to the seed, what does <script>alert(7)</script> & "this" do?'
            answer: "Nothing <b>bold</b> & 'quoted' *em*."
            source:
              seed: hostile
              quote: ["<img src=x onerror=alert(5)> & <b>bold</b> \\"cited\\" it's here", "& more"]
            evidence: rct
            tags: [card_tag, a::b]
            extra: 'Extra <i>"e"</i> & ''e'''
          - id: hostile-cloze
            cloze: 'The seed says {{c1::"double" & ''single''::a "hint" & <b>x</b>}} and {{c2::<tags>}}.'
            source:
              seed: hostile
              quote: 'with <tags> & "double" and ''single'' quotes'
            evidence: rct
            caveat: 'Caveat <script>alert(8)</script> & "c".'
        """)
    p.write("cards/plain.yaml", """\
        cards:
          - id: plain-image
            question: |
              ![An <img> & "alt"](pic's&x.png)

              According to the plain seed, which line is cited?
            answer: Another line.
            source: {seed: plain, quote: "Another line, cited."}
            evidence: expert-opinion
        """)
    p.write("media/media.yaml", """\
        media:
          - file: "pic's&x.png"
            source: 'https://example.org/pic?a=1&b="2"'
            author: 'Maker <b>"m"</b> & ''m'''
            licence: 'CC <i>BY</i> & "more"'
        """)
    (p.root / "media" / "pic's&x.png").write_bytes(png())
    return p


def _site(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_hostile_site_is_byte_identical_to_the_string_built_one(tmp_path: Path) -> None:
    """The stored site was written by the preview as it was before the templates (commit
    message: "golden site by the string-built preview"); regenerate it only for an intended
    change of the pages (DECKGEN_WRITE_GOLDEN=1), and review the diff."""
    project = hostile_project(tmp_path / "proj")
    result = project.run("preview", "-o", "site")
    assert result.exit_code == 0, result.stderr
    site = _site(project.root / "site")
    if os.environ.get("DECKGEN_WRITE_GOLDEN"):
        for relative, data in site.items():
            (GOLDEN / relative).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / relative).write_bytes(data)
    golden = _site(GOLDEN)
    assert sorted(site) == sorted(golden)
    for relative, data in site.items():
        assert data == golden[relative], relative


# the texts of hostile_project as the user typed them (YAML quoting undone)
DECK = "Deck " + HOSTILE
SUBDECK = 'Sub <i>"deck"</i> & \'x\''
TITLE = 'Title <i>"t"</i> & \'t\' </title><script>alert(4)</script>'
AUTHOR = 'Author <u>"a"</u> & \'a\''
PUBLISHER = 'Press <s>&amp;</s> "p"'
GENRE = 'genre <em>&</em> "g"'
URL = 'https://example.org/path?q="1"&r=<2>&s=\'3\''
SEED_FILE = "it's <a&b>.txt"
CITED = '<img src=x onerror=alert(5)> & <b>bold</b> "cited" it\'s here.'
UNCITED = "Uncited closing paragraph </p></div><script>alert(6)</script>."
QUOTE = 'with <tags> & "double" and \'single\' quotes'
MEDIA_FILE = "pic's&x.png"
CREDIT = 'Maker <b>"m"</b> & \'m\' · CC <i>BY</i> & "more"'


def test_every_text_the_user_controls_is_escaped_where_it_lands(tmp_path: Path) -> None:
    """Ids and tags are kept to plain letters, digits, '-', '_' and '::' by the schema; every
    other text can hold markup, quotes and ampersands, and each lands escaped."""
    project = hostile_project(tmp_path / "proj")
    assert project.run("preview", "-o", "site").exit_code == 0
    pages = {name: data.decode("utf-8") for name, data in _site(project.root / "site").items()
             if name.endswith(".html")}
    index, coverage, seed = pages["index.html"], pages["coverage.html"], pages["seeds/hostile.html"]
    for name, page in pages.items():  # no markup of the user's anywhere, as it was typed
        for raw in ("<script>alert", '<b>"', '<i>"', "<u>", "<s>", "<em>&", "<tags>", "<img src=x",
                    "<i>it</i>", "<i>BY</i>", "</title><script>", "<a&b>"):
            assert raw not in page, (name, raw)
    e = html.escape  # deckgen's escaping everywhere: &quot; and &#x27;
    # the deck's name and description; the subdeck
    assert f"<title>{e(DECK)}</title>" in index and f"<h1>{e(DECK)}</h1>" in index
    assert f"<title>Coverage - {e(DECK)}</title>" in coverage
    assert f'<p class="pv-lead" id="pv-cov-lead">{e(DECK)}: 3 cards cite ' in coverage
    assert f"<title>{e(TITLE)} - {e(DECK)}</title>" in seed
    assert ('<div class="pv-lead">About &lt;i&gt;it&lt;/i&gt; &amp; "that": <em>emphasis</em> '
            "&lt;script&gt;alert(2)&lt;/script&gt;") in index  # (Markdown, sanitised)
    assert f'<a href="#deck-2">{e(SUBDECK)}</a>' in index
    assert f'data-deck="{e(DECK)}::{e(SUBDECK)}"' in index
    assert f'<h2 id="deck-2">{e(SUBDECK)} <span class="pv-deck-count">(2)</span></h2>' in index
    # the seed's title, author, publisher, genre, address and file name
    assert f"Quoted from <i>{e(TITLE)}</i>: " in index
    assert f'<a href="seeds/hostile.html#q-hostile-basic-1">{e(SEED_FILE)}, line 3</a>' in index
    assert f"<h1>{e(TITLE)}</h1>" in seed
    assert f'<p class="pv-meta">{e(AUTHOR)} · {e(PUBLISHER)} · {e(GENRE)}</p>' in seed
    assert f'<a href="{e(URL)}" rel="noopener noreferrer">{e(URL)}</a>' in seed
    assert f"file {e(SEED_FILE)}; strongest level" in seed
    # the seed's text, the cited passages, the quotes on the cards' backs
    assert f'title="Cited by hostile-basic">{e(CITED[:-1])}</mark>' in seed
    assert f"<p>{e(UNCITED)}</p>" in seed
    assert f'<blockquote class="dg-passage">{e(QUOTE)}</blockquote>' in index
    # the cards' texts (sanitised fields), their ids and tags
    assert 'what does &lt;script&gt;alert(7)&lt;/script&gt; &amp; "this" do?' in index  # (Markdown)
    assert '<h3 id="card-hostile-basic-h">hostile-basic</h3>' in index
    assert '<span class="pv-tag">card_tag</span> <span class="pv-tag">a::b</span>' in index
    # the media file's name and credit
    assert f'<th scope="row"><code>{e(MEDIA_FILE)}</code></th>' in coverage
    assert e(CREDIT) in coverage


def test_templates_escape_unless_the_value_is_already_html() -> None:
    env = environment()
    assert env.autoescape is True
    page = env.from_string("<p title=\"{{ text }}\">{{ text }} {{ html }} {{ n }}</p>").render(
        text="a < b & \"c\" 'd'", html=Markup("<b>sanitised</b>"), n=3)
    assert page == ('<p title="a &lt; b &amp; &quot;c&quot; &#x27;d&#x27;">'
                    "a &lt; b &amp; &quot;c&quot; &#x27;d&#x27; <b>sanitised</b> 3</p>")
    # every page comes from a template of the package's
    names = env.list_templates()
    assert {"preview/page.html.j2", "preview/index.html.j2", "preview/cards.html.j2",
            "preview/seed.html.j2", "preview/coverage.html.j2"} <= set(names)


def test_the_site_is_the_same_written_over_worker_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big projects check their card files and write their seed pages a file per core: the
    same bytes as in one process."""
    project = hostile_project(tmp_path / "proj")
    assert project.run("preview", "-o", "one").exit_code == 0
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    assert parallel.workers_for(sorted((project.root / "cards").iterdir())) == 2
    assert project.run("preview", "-o", "many").exit_code == 0
    assert _site(project.root / "many") == _site(project.root / "one")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=12), st.lists(st.tuples(
    st.integers(0, 40), st.integers(1, 10)), max_size=8))
def test_cited_paragraphs_are_those_a_span_overlaps(cuts: list[int],
                                                    found: list[tuple[int, int]]) -> None:
    """coverage finds them without comparing every pair; this is the definition."""
    bounds = sorted(set(cuts))
    paragraphs = tuple(Paragraph(a, b, 1) for a, b in zip(bounds[::2], bounds[1::2], strict=False))
    spans = [Span(start, start + length, "a", ()) for start, length in sorted(found)]
    assert cited_paragraphs(paragraphs, [(s.start, s.end) for s in spans]) == {
        i for i, p in enumerate(paragraphs) if any(s.start < p.end and p.start < s.end for s in spans)}
