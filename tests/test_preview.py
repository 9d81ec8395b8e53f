"""deckgen preview and deckgen stats from the user's side.

- the CLI on the small test project (exact outputs, escaping, output folder rules);
- the preview's card HTML against the real Anki backend, card by card (same templates);
- the site in a real browser: headless Chromium, driven through the DevTools protocol over a
  pipe (``--remote-debugging-pipe``, standard library only), from a file URL with no network.
  Screenshots are saved in tests/artifacts/.

Without Chromium the browser tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import deckgen
from ankihelp import import_apkg, open_collection
from conftest import CARDS_YAML, REPO, SEED_TEXT, SEEDS_YAML, Project, copy_of_repository_deck
from deckgen.cardrender import render_cloze, render_note
from deckgen.cards import LoadedFile, ResolvedCard
from deckgen.evidence import BY_ID
from deckgen.notes import NoteSpec
from deckgen.notetypes import CSS
from deckgen.pipeline import each_file
from deckgen.preview import level_colours
from deckgen.project import Project as DeckProject


@dataclass(frozen=True)
class Cards:
    """A project's cards and their notes, in the same order, as the build makes them."""

    cards: list[ResolvedCard]
    notes: list[NoteSpec]


def _pairs(loaded: LoadedFile, notes: list[NoteSpec]) -> list[tuple[ResolvedCard, NoteSpec]]:
    return list(zip(loaded.cards, notes, strict=True))


def project_cards(project: DeckProject) -> Cards:
    pairs = [pair for found in each_file(project, _pairs, notes=True) for pair in found]
    return Cards([rc for rc, _ in pairs], [note for _, note in pairs])

ARTIFACTS = REPO / "tests" / "artifacts"
PHONE = (390, 844)

# ============================================================================ CLI: deckgen stats

STATS_SMALL = """\
seed   cards  cited/paragraphs  share  evidence levels
tiny       2               2/4    50%  expert-opinion 2
total      2               2/4    50%  expert-opinion 2
"""


def test_stats_prints_the_table(project: Project) -> None:
    result = project.run("stats")
    assert (result.exit_code, result.stdout, result.stderr) == (0, STATS_SMALL, "")


def test_stats_counts_every_seed_level_and_paragraph(project: Project) -> None:
    project.write("seeds/seeds.yaml", SEEDS_YAML + """\
  - id: other-seed
    file: other.txt
    title: Another seed
    genre: test text
    max_evidence: rct
  - id: unused
    file: unused.txt
    title: Nobody cites me
    genre: test text
    max_evidence: rct
""")
    # no blank line: one paragraph a line
    project.write("seeds/other.txt", "First line.\nSecond line, cited.\nThird line.\n")
    project.write("seeds/unused.txt", "Alone.\n")
    project.write("cards/other.yaml", """\
        cards:
          - id: other-rct
            question: According to the other seed, which line is cited?
            answer: The second.
            source: {seed: other-seed, quote: "Second line, cited."}
            evidence: rct
          - id: other-mechanism
            question: According to the other seed, which line comes first?
            answer: The first.
            source: {seed: other-seed, quote: ["First line.", "Second line"]}
            evidence: mechanism
        """)
    result = project.run("stats")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == """\
seed        cards  cited/paragraphs  share  evidence levels
tiny            2               2/4    50%  expert-opinion 2
other-seed      2               2/3    67%  rct 1, mechanism 1
unused          0               0/1     0%  -
total           4               4/8    50%  rct 1, mechanism 1, expert-opinion 2
"""


def test_stats_and_preview_take_cards_and_seeds_options(project: Project) -> None:
    (project.root / "cards").rename(project.root / "mycards")
    (project.root / "seeds").rename(project.root / "myseeds")
    result = project.run("stats", "--cards", "mycards", "--seeds", "myseeds")
    assert (result.exit_code, result.stdout) == (0, STATS_SMALL)
    result = project.run("preview", "--cards", "mycards", "--seeds", "myseeds", "-o", "site")
    assert result.exit_code == 0, result.stderr
    assert (project.root / "site" / "index.html").is_file()


def test_stats_and_preview_report_errors_like_check(project: Project) -> None:
    project.write("cards/safety.yaml", CARDS_YAML.replace("First, do no harm.\"'", "Do no harm.\"'"))
    check = project.run("check")
    for command in ("stats", "preview"):
        result = project.run(command)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == check.stderr
        assert "quote not found in seed 'tiny'" in result.stderr
    assert not (project.root / "build").exists()


# ============================================================================ CLI: deckgen preview

SITE_FILES = ["coverage.html", "index.html", "seeds", "seeds/tiny.html"]


def _site(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_preview_writes_a_static_site(project: Project) -> None:
    result = project.run("preview")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("wrote 2 cards in 1 deck and 1 seed page (2/4 paragraphs cited, 50%): "
                             "build/preview/index.html\n")
    site = project.root / "build" / "preview"
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == SITE_FILES
    first = _site(site)
    assert project.run("preview").exit_code == 0
    assert _site(site) == first, "the same sources must give the same bytes"
    assert sorted(p.name for p in site.parent.iterdir()) == ["preview"], "no temporary folder left"


def test_preview_is_self_contained(project: Project) -> None:
    assert project.run("preview").exit_code == 0
    for name, data in _site(project.root / "build" / "preview").items():
        page = data.decode("utf-8")
        assert "<link" not in page and " src=" not in page and "@import" not in page, name
        assert "url(" not in page, name
        assert "Content-Security-Policy" in page and "default-src 'none'" in page, name
        # the only absolute addresses are plain links (the seed's url, or a passage in it),
        # never loaded
        for url in re.findall(r"https?://[^\s\"'<]+", page):
            assert url.split("#:~:text=")[0] == "https://example.org/tiny", (name, url)
        assert re.search(r"\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d", page) is None, "no timestamps"


def test_preview_uses_the_note_types_css_and_templates(project: Project) -> None:
    assert project.run("preview").exit_code == 0
    index = (project.root / "build" / "preview" / "index.html").read_text(encoding="utf-8")
    assert f'<style id="card-css">\n{CSS}</style>' in index
    result = project_cards(deckgen.load_project(project.root))
    for note in result.notes:
        for card in render_note(note):
            assert f'<div class="card card{card.ordinal + 1}">{card.question}</div>' in index
            assert f'<div class="card card{card.ordinal + 1}">{card.answer}</div>' in index
    # the cloze front hides the deletion, the back shows it
    assert '<span class="cloze" data-cloze="objectively&#x20;provable" data-ordinal="1">[...]</span>' in index
    assert '<span class="cloze" data-ordinal="1">objectively provable</span>' in index


def test_seed_page_highlights_each_cited_passage_and_links_its_cards(project: Project) -> None:
    assert project.run("preview").exit_code == 0
    site = project.root / "build" / "preview"
    page = (site / "seeds" / "tiny.html").read_text(encoding="utf-8")
    marks = re.findall(r'<mark class="pv-hl" id="([^"]+)" data-spans="[^"]+" title="([^"]+)">(.*?)</mark>', page)
    assert marks == [
        ("q-do-no-harm-1", "Cited by do-no-harm",
         "there is a foundational principle: “First, do no harm.”"),
        ("q-overstimulation-cloze-1", "Cited by overstimulation-cloze",
         "Overstimulation is not objectively provable — the author says so himself."),
    ]
    assert '<strong>2 of 4 paragraphs cited (50%)</strong>' in page
    assert '<a href="../index.html#card-do-no-harm">do-no-harm</a>' in page
    assert page.count('class="pv-para pv-cited"') == 2 and page.count('class="pv-para"') == 2
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="seeds/tiny.html#q-do-no-harm-1">tiny.txt, line 3</a>' in index
    assert '<a href="seeds/tiny.html#q-overstimulation-cloze-1">tiny.txt, line 10</a>' in index
    assert 'id="card-do-no-harm" data-seed="tiny" data-level="expert-opinion" ' \
           'data-tags="safety seed::tiny evidence::expert-opinion"' in index


def test_overlapping_and_shared_passages(project: Project) -> None:
    project.write("cards/more.yaml", """\
        cards:
          - id: same-passage
            question: According to the tiny seed, what is the principle, once more?
            answer: First, do no harm.
            source: {seed: tiny, quote: 'there is a foundational principle: "First, do no harm."'}
            evidence: expert-opinion
          - id: overlapping
            question: According to the tiny seed, where does the principle hold?
            answer: In all healthcare fields.
            source: {seed: tiny, quote: "In all healthcare fields, there is a foundational"}
            evidence: expert-opinion
        """)
    assert project.run("preview").exit_code == 0
    site = project.root / "build" / "preview"
    page = (site / "seeds" / "tiny.html").read_text(encoding="utf-8")
    para = re.search(r'<div class="pv-para pv-cited" id="p-2">.*?</div>', page, re.S)
    assert para is not None
    assert ('<p><mark class="pv-hl" id="q-overlapping-1" data-spans="q-overlapping-1" '
            'title="Cited by overlapping">In all healthcare fields, </mark>'
            '<mark class="pv-hl pv-hl-many" id="q-do-no-harm-1" data-spans="q-overlapping-1 q-do-no-harm-1" '
            'title="Cited by do-no-harm, overlapping, same-passage">there is a foundational</mark>'
            '<mark class="pv-hl" data-spans="q-do-no-harm-1" title="Cited by do-no-harm, same-passage">'
            " principle: “First, do no harm.”</mark></p>") in para.group()
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="seeds/tiny.html#q-do-no-harm-1">tiny.txt, line 3</a>' in index
    assert index.count('href="seeds/tiny.html#q-do-no-harm-1"') == 2
    assert "2 of 4 paragraphs cited" in page


def test_preview_escapes_what_it_writes(project: Project) -> None:
    project.write("seeds/seeds.yaml", SEEDS_YAML.replace("title: A Tiny Seed",
                                                         "title: '<script>alert(1)</script> & co'"))
    project.write("seeds/tiny.txt", SEED_TEXT + "\n<img src=x onerror=alert(2)> & <b>bold</b>\n")
    project.write("cards/x.yaml", """\
        tags: [x-tag]
        cards:
          - id: escaping
            question: According to the tiny seed, what does <script>alert(3)</script> do?
            answer: Nothing & nothing.
            source: {seed: tiny, quote: "<img src=x onerror=alert(2)> & <b>bold</b>"}
            evidence: expert-opinion
        """)
    assert project.run("preview").exit_code == 0
    for name, data in _site(project.root / "build" / "preview").items():
        page = data.decode("utf-8")
        assert "<script>alert" not in page and "<img" not in page and "<b>bold" not in page, name
    seed_page = (project.root / "build/preview/seeds/tiny.html").read_text(encoding="utf-8")
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co - Test deck</title>" in seed_page
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</mark>" in seed_page


def test_preview_replaces_an_earlier_preview_and_nothing_else(project: Project) -> None:
    assert project.run("preview", "-o", "site").exit_code == 0
    (project.root / "site" / "seeds" / "stale.html").write_text("old", encoding="utf-8")
    assert project.run("preview", "-o", "site").exit_code == 0
    assert not (project.root / "site" / "seeds" / "stale.html").exists()

    mine = project.write("notes/keep.txt", "my own file\n")
    for target in ("notes", ".", "cards", "seeds/site"):
        result = project.run("preview", "-o", target)
        assert result.exit_code == 1, target
        assert result.stderr.startswith(f"{target}:1:1: error: output folder "), result.stderr
    assert mine.read_text(encoding="utf-8") == "my own file\n"
    assert not (project.root / "seeds" / "site").exists()


# ============================================================================ the same as Anki


def _anki_cards(apkg: Path, folder: Path) -> dict[tuple[str, int], Any]:
    col = open_collection(folder)
    try:
        import_apkg(col, apkg)
        out = {}
        for cid in col.find_cards("-tag:deckgen::retired"):  # (the preview shows the deck's cards)
            card = col.get_card(cid)
            out[(card.note().guid, card.ord)] = card.render_output(reload=True)
        return out
    finally:
        col.close()


def _assert_same_as_anki(root: Path, tmp_path: Path) -> int:
    project = deckgen.load_project(root)
    deckgen.build(project)
    anki = _anki_cards(project.output, tmp_path / "anki")
    mine = {(note.guid, card.ordinal): (note.card_id, card)
            for note in project_cards(project).notes for card in render_note(note)}
    assert sorted(mine) == sorted(anki), "the preview must show exactly the cards Anki has"
    for key, (card_id, card) in mine.items():
        out = anki[key]
        assert (card.question, card.answer) == (out.question_text, out.answer_text), (card_id, key[1])
        assert out.css == CSS
    return len(mine)


def test_preview_cards_are_what_anki_renders_for_the_starter_deck(tmp_path: Path) -> None:
    root = copy_of_repository_deck(tmp_path / "deck")
    assert _assert_same_as_anki(root, tmp_path) >= 83


def test_preview_clozes_are_what_anki_renders(project: Project, tmp_path: Path) -> None:
    project.write("cards/clozes.yaml", """\
        deck: Clozes
        cards:
          - id: hint-and-markup
            cloze: 'Hints: {{c1::do *no* harm & <b>x</b>::a "hint" & more}}, {{c2::second}}, {{c1::again}} é, {{c3::a "b" ''c'' ü/\u2013}}'
            source: {seed: tiny, quote: do no harm}
            evidence: expert-opinion
          - id: empty-hint-and-gap
            cloze: Empty hint {{c1::x y::}} and a gap {{c3::three}} then `code {x}` and {{c2::a::b::c}}
            source: {seed: tiny, quote: do no harm}
            evidence: expert-opinion
        """)
    assert _assert_same_as_anki(project.root, tmp_path) == 2 + 3 + 3


def test_cloze_parser_follows_anki_on_nesting_and_stray_marks() -> None:
    # deckgen check refuses these; the renderer still reads them as Anki 25+ does
    text = "Nest {{c1::outer {{c2::inner::ih}} tail::oh}} and }} stray {{c4::x}} {{c5::unclosed"
    assert render_cloze(text, 1, question=True) == (
        'Nest <span class="cloze" data-cloze="outer&#x20;&lt;span&#x20;class&#x3D;&quot;cloze&#x2D;'
        'inactive&quot;&#x20;data&#x2D;ordinal&#x3D;&quot;2&quot;&gt;inner&lt;&#x2F;span&gt;&#x20;tail" '
        'data-ordinal="1">[oh]</span> and }} stray <span class="cloze-inactive" data-ordinal="4">x</span> '
    )


# ============================================================================ the browser

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--no-proxy-server",
)


# moves the pipe ends to fds 3 and 4 (dup2 leaves them inheritable), then becomes the browser
_TRAMPOLINE = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); " \
    "os.execv(sys.argv[3], sys.argv[3:])"


class Browser:
    """Chromium driven through the DevTools protocol on a pipe: JSON messages ending in NUL,
    written to the browser's fd 3 and read from its fd 4."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        self.log = profile / "chromium.log"
        with open(self.log, "wb") as log:
            # the browser reads commands on its fd 3 and writes answers on its fd 4
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _TRAMPOLINE, str(to_child_r), str(from_child_w),
                 binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
                 "about:blank"],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
                stdout=log, stderr=log,
            )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"}, browser=True)
            self.session = self.send("Target.attachToTarget", {"targetId": target["targetId"],
                                                               "flatten": True}, browser=True)["sessionId"]
            for domain in ("Page", "Runtime", "Network", "Log"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
            self.phone()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(AssertionError, OSError):
                self.send("Browser.close", browser=True, timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)

    # -- protocol
    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(left, 0))
            if not ready:
                raise AssertionError("Chromium did not answer in time; see " + str(self.log))
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise AssertionError("Chromium closed the pipe; see " + str(self.log))
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False,
             timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                assert "error" not in answer, (method, answer["error"])
                return answer.get("result", {})  # type: ignore[no-any-return]
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    # -- page
    def phone(self) -> None:
        self.send("Emulation.setDeviceMetricsOverride", {
            "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})

    def open(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def key(self, key: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key,
                                                 "windowsVirtualKeyCode": code,
                                                 "nativeVirtualKeyCode": code})

    def screenshot(self, path: Path, selector: str | None = None) -> tuple[int, int]:
        """Save a PNG of the element (whole, even if taller than the screen) or the viewport."""
        params: dict[str, Any] = {"format": "png"}
        if selector is not None:
            box = self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
                e.scrollIntoView(); const r = e.getBoundingClientRect();
                return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }})()""")
            params.update(clip={"x": box[0], "y": box[1], "width": box[2], "height": box[3],
                                "scale": 1}, captureBeyondViewport=True)
        data = base64.b64decode(self.send("Page.captureScreenshot", params)["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def problems(self) -> list[str]:
        """Requests that left the file system, script errors, console and log errors so far."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file://", "about:")):
                    found.append(f"request: {url}")
            elif event["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning"):
                found.append(f"console: {params['args']}")
            elif event["method"] == "Network.loadingFailed":
                found.append(f"failed: {params}")
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                found.append(f"log: {params['entry']['text']}")  # blocked loads (CSP) show here
        return found


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(_chromium(), tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Cards]:
    """The starter deck's preview, written by the CLI."""
    root = copy_of_repository_deck(tmp_path_factory.mktemp("starter") / "deck")
    result = Project(root).run("preview")
    assert result.exit_code == 0, result.stderr
    return root / "build" / "preview", project_cards(deckgen.load_project(root))


def _visible_cards(browser: Browser) -> int:
    return int(browser.js("document.querySelectorAll('.pv-card:not([hidden])').length"))


def _choose(browser: Browser, select: str, value: str) -> None:
    browser.js(f"""(() => {{ const s = document.getElementById({json.dumps(select)});
        s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change', {{bubbles: true}})); }})()""")


def _no_horizontal_scroll(browser: Browser) -> None:
    width = browser.js("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] == PHONE[0], f"the page scrolls sideways at phone width: {width}"
    wide = browser.js("[...document.querySelectorAll('.pv-table-wrap')]"
                      ".filter(w => w.scrollWidth > w.clientWidth).length")
    assert wide == 0, "a table scrolls sideways at phone width"


def test_index_in_chromium_counts_and_filters(browser: Browser, starter: tuple[Path, Any]) -> None:
    site, result = starter
    browser.open((site / "index.html").as_uri())
    assert browser.requests() == [(site / "index.html").as_uri()], "one file, nothing else loaded"
    total = len(result.cards)
    assert browser.js("document.querySelectorAll('article.pv-card').length") == total
    assert _visible_cards(browser) == total
    assert browser.js("document.getElementById('pv-status').textContent") == \
        f"Showing {total} of {total} cards"
    assert browser.js("document.getElementById('pv-filters').hidden") is False
    _no_horizontal_scroll(browser)

    seed = "caregiver-column-als"
    expected = sum(rc.seed.seed.id == seed for rc in result.cards)
    _choose(browser, "f-seed", seed)
    assert _visible_cards(browser) == expected > 0
    assert browser.js("document.getElementById('pv-status').textContent") == \
        f"Showing {expected} of {total} cards"
    assert browser.js("[...document.querySelectorAll('.pv-deck:not([hidden])')]"
                      ".map(d => d.dataset.deck)") == sorted({n.deck for rc, n in zip(
                          result.cards, result.notes, strict=True) if rc.seed.seed.id == seed})
    _choose(browser, "f-level", "expert-opinion")
    both = sum(rc.seed.seed.id == seed and rc.card.evidence == "expert-opinion" for rc in result.cards)
    assert _visible_cards(browser) == both
    browser.js("document.querySelector('#pv-filters button[type=reset]').click()")
    browser.js("new Promise(r => setTimeout(r, 50))")
    assert _visible_cards(browser) == total
    tag = "harm"
    _choose(browser, "f-tag", tag)
    assert _visible_cards(browser) == sum(tag in n.tags for n in result.notes) > 0
    browser.open((site / "index.html").as_uri() + "?level=testimonial")
    assert _visible_cards(browser) == sum(rc.card.evidence == "testimonial" for rc in result.cards) > 0
    assert browser.problems() == []


def test_index_filters_work_by_keyboard(browser: Browser, starter: tuple[Path, Any]) -> None:
    site, result = starter
    browser.open((site / "index.html").as_uri())
    order = []
    for _ in range(40):
        browser.key("Tab", 9)
        active = browser.js("document.activeElement.id || document.activeElement.textContent.trim()")
        order.append(active)
        if active == "f-seed":
            break
    assert order[0] == "Skip to content", order
    assert order[-1] == "f-seed", order
    assert browser.js("getComputedStyle(document.activeElement).outlineStyle") != "none"
    browser.key("ArrowDown", 40)
    first_seed = browser.js("document.getElementById('f-seed').value")
    assert first_seed
    assert _visible_cards(browser) == sum(rc.seed.seed.id == first_seed for rc in result.cards)
    assert browser.problems() == []


def test_citation_opens_the_seed_with_the_passage_highlighted(
    browser: Browser, starter: tuple[Path, Any]
) -> None:
    site, result = starter
    rc = next(rc for rc in result.cards if rc.card.id == "overstimulation-definition-cloze")
    browser.open((site / "index.html").as_uri())
    href = browser.js("document.querySelector('#card-overstimulation-definition-cloze .pv-cite a')"
                      ".getAttribute('href')")
    assert href == "seeds/do-no-harm-disc-case.html#q-overstimulation-definition-cloze-1"
    browser.events.clear()
    browser.js("document.querySelector('#card-overstimulation-definition-cloze .pv-cite a').click()")
    browser.wait_for("Page.loadEventFired")
    assert browser.js("location.pathname.endsWith('/seeds/do-no-harm-disc-case.html')")
    assert [url.split("#")[0] for url in browser.requests()] == [
        (site / "seeds" / "do-no-harm-disc-case.html").as_uri()]
    mark = browser.js("""(() => { const m = document.getElementById(location.hash.slice(1));
        const r = m.getBoundingClientRect(); const current = [...document.querySelectorAll('mark.pv-current')];
        return {tag: m.tagName, text: current.map(e => e.textContent).join(''),
                background: getComputedStyle(m).backgroundColor, top: r.top, bottom: r.bottom,
                height: innerHeight}; })()""")
    assert mark["tag"] == "MARK"
    assert " ".join(mark["text"].split()) == rc.passages[0].text
    assert mark["background"] == "rgb(255, 183, 3)", "the cited passage is highlighted"
    assert 0 <= mark["top"] < mark["bottom"] <= mark["height"], "scrolled into view"
    share = browser.js("document.getElementById('pv-share').textContent")
    assert re.match(r"\d+ of \d+ paragraphs cited \(\d+%\) by \d+ cards", share), share
    _no_horizontal_scroll(browser)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "preview-seed-passage.png")
    assert browser.problems() == []


def test_screenshots_of_a_card_and_the_coverage_page(browser: Browser, starter: tuple[Path, Any]) -> None:
    site, _ = starter
    browser.open((site / "index.html").as_uri())
    width, height = browser.screenshot(ARTIFACTS / "preview-index.png")
    assert (width, height) == PHONE
    width, height = browser.screenshot(ARTIFACTS / "preview-card-basic.png",
                                       "#card-three-ways-massage-harms")
    assert width <= PHONE[0] and height > 300
    browser.screenshot(ARTIFACTS / "preview-card-cloze.png", "#card-overstimulation-definition-cloze")
    badge = browser.js("""(() => { const b = document.querySelector(
        '#card-three-ways-massage-harms .pv-side:nth-child(2) .dg-badge');
        const s = getComputedStyle(b); return [s.backgroundColor, s.color, b.textContent]; })()""")
    assert badge == [_rgb(level_colours()["expert-opinion"]), "rgb(255, 255, 255)",
                     BY_ID["expert-opinion"].label]
    browser.open((site / "coverage.html").as_uri())
    assert browser.requests() == [(site / "coverage.html").as_uri()]
    _no_horizontal_scroll(browser)
    rows = browser.js("[...document.querySelectorAll('#pv-coverage tbody tr')].length")
    assert rows == len(list((site / "seeds").iterdir()))
    assert browser.js("document.querySelectorAll('.pv-chart svg rect').length") > rows
    width, height = browser.screenshot(ARTIFACTS / "preview-coverage.png", "body")
    assert width == PHONE[0] and height > PHONE[1], "the whole coverage page, table and chart"
    browser.open((site / "seeds" / "do-no-harm-disc-case.html").as_uri())
    _no_horizontal_scroll(browser)
    browser.screenshot(ARTIFACTS / "preview-seed-top.png")
    assert browser.problems() == []


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


def test_anki_rendered_cards_in_chromium(browser: Browser, tmp_path: Path) -> None:
    """Cards as the real Anki backend renders them (render_output, note type CSS), shown in a
    page the way Anki's reviewer does: the CSS, then the card in a body of class card cardN."""
    root = copy_of_repository_deck(tmp_path / "deck")
    project = deckgen.load_project(root)
    deckgen.build(project)
    anki = _anki_cards(project.output, tmp_path / "anki")
    guids = {n.card_id: n.guid for n in project_cards(project).notes}
    for name, card_id, ordinal in (("basic", "three-ways-massage-harms", 0),
                                   ("cloze", "overstimulation-definition-cloze", 1)):
        out = anki[(guids[card_id], ordinal)]
        for side, html in (("front", out.question_text), ("back", out.answer_text)):
            page = tmp_path / f"anki-{name}-{side}.html"
            page.write_text(
                '<!DOCTYPE html><html><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<style>{out.css}</style></head>"
                f'<body class="card card{ordinal + 1}"><div id="qa">{html}</div></body></html>',
                encoding="utf-8")
            browser.open(page.as_uri())
            if side == "back":
                seen = browser.js("""(() => { const b = document.querySelector('.dg-badge');
                    const c = document.querySelector('.dg-citation'); const s = getComputedStyle(b);
                    return {badge: b.textContent, bg: s.backgroundColor,
                            citation: c.innerText, top: getComputedStyle(c).borderTopStyle}; })()""")
                # the citation block has its own rule (the badge and caveat stand between it
                # and the answer)
                assert seen["bg"] != "rgba(0, 0, 0, 0)"
                assert seen["top"] == "solid"
                assert "card id: " + card_id in seen["citation"]
                assert seen["badge"] in {level.label for level in BY_ID.values()}
            else:
                assert browser.js("document.querySelector('.dg-citation')") is None
            _no_horizontal_scroll(browser)
            browser.screenshot(ARTIFACTS / f"anki-{name}-{side}.png")
    assert browser.problems() == []
