"""The preview's pages come from Jinja2 templates with autoescaping: the same bytes as the
string-built pages they replaced (a stored site, written by that code for a hostile project),
and every text the user controls escaped wherever it lands."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import PROJECT_YAML, Project
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
