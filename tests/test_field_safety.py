"""What reaches Anki's fields: each safety layer on its own, then the whole build in the real
Anki backend (issue 12, root causes 1, 2, 5, 6 and 10).

- the finaliser (render.finalise): Anki's own markup ([sound:], [anki:], [latex], [$], MathJax,
  {{…}}) neutralised, the text read the same;
- the sanitiser (render.sanitise): raw HTML with every event handler on every allowed tag;
- the URL rule (render.is_http_url) against an independent oracle;
- the cloze parser (deckgen.cloze) against Anki's card generation and rendering;
- empty texts (white space classes, Markdown that renders to nothing);
- hypothesis builds imported into Anki, checked with ``render_output``.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ankihelp import TEMPLATE_ERROR_MARK, import_apkg, open_collection, unsafe_markup
from conftest import PRESSURE_SOURCE, PROJECT_YAML, SEED_TEXT, SEEDS_YAML, Project
from deckgen import cloze
from deckgen.cardrender import render_cloze
from deckgen.cards import cloze_problem
from deckgen.render import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    escape,
    finalise,
    has_visible_text,
    is_http_url,
    markdown_to_html,
    sanitise,
    shows_nothing,
    surely_shows,
)

CORPUS = Path(__file__).with_name("corpus")
BUILD_SETTINGS = settings(max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])

# ============================================================================ helpers


class _DomStrings(HTMLParser):
    """The text strings MathJax searches for delimiters, as HTMLDomStrings.ts collects them:
    text nodes (references decoded) are joined; ``<br>`` adds "\\n", ``<wbr>`` and comments add
    nothing; every other element, opening or closing, ends the string. (Stricter than MathJax:
    the contents of ``code``, ``pre``, ``script``… are searched too.)"""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: list[str] = []
        self.current = ""

    def push(self) -> None:
        if self.current.strip():
            self.strings.append(self.current)
        self.current = ""

    def handle_data(self, data: str) -> None:
        self.current += data

    def handle_comment(self, data: str) -> None:
        pass

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.current += "\n"
        elif tag != "wbr":
            self.push()

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "wbr"):
            self.push()


def mathjax_strings(fragment: str) -> list[str]:
    parser = _DomStrings()
    parser.feed(fragment)
    parser.close()
    parser.push()
    return parser.strings


_MATHJAX_OPENING = re.compile(r"\\[(\[]")  # Anki's MathJax: \( … \) and \[ … \] only


def mathjax_openings(fragment: str) -> list[str]:
    """Every MathJax opening delimiter in the strings MathJax would search (a pair needs one)."""
    return [s for s in mathjax_strings(fragment) if _MATHJAX_OPENING.search(s)]


def dom_text(fragment: str) -> str:
    """The text a learner reads (tags dropped, references decoded)."""
    out: list[str] = []

    class Text(HTMLParser):
        def handle_data(self, data: str) -> None:
            out.append(data)

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "br":
                out.append("\n")

    parser = Text(convert_charrefs=True)
    parser.feed(fragment)
    parser.close()
    return "".join(out)


def data_cloze(fragment: str) -> list[str]:
    """The decoded ``data-cloze`` attributes of Anki's cloze spans (HTML, shown by some clients)."""
    return [html.unescape(v) for v in re.findall(r'data-cloze="([^"]*)"', fragment)]


def assert_anki_reads_no_markup(col: Any) -> int:
    """Every card and every field of ``col``: no sound or TTS tag, no LaTeX, no MathJax
    delimiter, nothing executable, no template error. Returns the number of cards."""
    cards = 0
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        out = card.render_output(reload=True)
        assert list(out.question_av_tags) == [] and list(out.answer_av_tags) == []
        for side in (out.question_text, out.answer_text):
            assert TEMPLATE_ERROR_MARK not in side
            assert "<img" not in side, side  # (LaTeX arrives as an image)
            for surface in (side, *data_cloze(side)):
                assert mathjax_openings(surface) == [], surface
                assert unsafe_markup(surface) == [], surface
        for value in card.note().fields:
            assert not col._backend.extract_av_tags(text=value, question_side=True).av_tags
            assert not col._backend.extract_latex(text=value, svg=False, expand_clozes=True).latex
        cards += 1
    return cards


def make_project(root: Path, cards: str, *, seeds_yaml: str = SEEDS_YAML,
                 seeds: dict[str, str] | None = None, project_yaml: str = PROJECT_YAML) -> Project:
    p = Project(root)
    p.write("deckgen.yaml", project_yaml)
    p.write("seeds/seeds.yaml", seeds_yaml)
    for name, text in (seeds or {"tiny.txt": SEED_TEXT}).items():
        (root / "seeds").mkdir(parents=True, exist_ok=True)
        (root / "seeds" / name).write_text(text, encoding="utf-8")
    (root / "cards").mkdir(parents=True, exist_ok=True)
    (root / "cards" / "x.yaml").write_text(cards, encoding="utf-8")
    return p


def build_into_anki(p: Project, anki: Path) -> Any:
    result = p.run("build")
    assert result.exit_code == 0, result.stderr
    col = open_collection(anki)
    import_apkg(col, p.output)
    return col


def q(value: str) -> str:
    """A YAML scalar for any text (JSON is YAML)."""
    return json.dumps(value)


_counter = iter(range(10**9))


def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp(f"case{next(_counter)}")


# ============================================================================ the finaliser

NEUTRAL_FORMS = [
    # (field HTML, finalised): Anki's raw-string parsers meet a reference instead of "["
    ("[sound:x.mp3]", "&#91;sound:x.mp3]"),
    ("a [anki:tts lang=en_US]hi[/anki:tts]", "a &#91;anki:tts lang=en_US]hi&#91;/anki:tts]"),
    ("[anki:play:q:0]", "&#91;anki:play:q:0]"),
    ("[latex]x[/latex] [LaTeX]y[/LATEX]", "&#91;latex]x&#91;/latex] &#91;LaTeX]y&#91;/LATEX]"),
    ("[$]x[/$] [$$]y[/$$]", "&#91;$]x&#91;/$] &#91;$$]y&#91;/$$]"),
    ("[a] [sound] [$x] [[", "[a] [sound] [$x] [["),  # no mark: left alone
    # MathJax reads decoded DOM text, joined across comments: an element splits it
    ("\\(x\\)", "\\<span></span>(x\\<span></span>)"),
    ("\\[x\\]", "\\<span></span>[x\\<span></span>]"),
    ("&#92;(x&#x5C;) &bsol;&lpar;", "&#92;<span></span>(x&#x5C;<span></span>) &bsol;<span></span>&lpar;"),
    ("\\\\(", "\\\\<span></span>("),
    ("a\\<!-- c -->(b", "a\\<span></span>(b"),
    ("a\\<wbr>(b", "a\\<span></span>(b"),
    ("\\ (x) \\x", "\\ (x) \\x"),
    ('<a href="https://e.org/" title="\\(x\\)">t</a>', '<a href="https://e.org/" title="&#92;(x&#92;)">t</a>'),
    # template braces, in text and attributes
    ("{{FrontSide}} {x}", "&#123;&#123;FrontSide&#125;&#125; &#123;x&#125;"),
    ('<a title="{{c1::x}}">t</a>', '<a title="&#123;&#123;c1::x&#125;&#125;">t</a>'),
    ("a\x01b\x1fc", "abc"),
]


@pytest.mark.parametrize(("field", "final"), NEUTRAL_FORMS)
def test_the_finaliser_writes_each_anki_mark_in_its_neutral_form(field: str, final: str) -> None:
    assert finalise(field) == final
    assert finalise(final) == final  # idempotent
    assert dom_text(final) == dom_text(re.sub(r"<!--.*?-->|[\x00-\x1f]", "", field))


CLOZE_FORMS = [
    ("{{c1::a}} {{x}} }", "{{c1::a}} &#123;&#123;x&#125;&#125; &#125;"),
    ("{{c1::a {{c2::b}} c}}", "{{c1::a {{c2::b}} c}}"),
    ("{{c1::a}} }} {{c2::b", "{{c1::a}} &#125;&#125; &#123;&#123;c2::b"),
    # a hint Anki shows as "[hint]" must not become a mark there
    ("{{c1::a::sound:x}}", "{{c1::a::&#115;ound:x}}"),
    ("{{c1::a::latex}} {{c1::b::/latex}}", "{{c1::a::&#108;atex}} {{c1::b::&#47;latex}}"),
    ("{{c1::a::$}}", "{{c1::a::&#36;}}"),
    ("{{c1::a::b\\}}", "{{c1::a::b\\<span></span>}}"),
    ("{{c1::image-occlusion:rect::x}}", "{{c1::&#105;mage-occlusion:rect:&#58;x}}"),
    ('<a title="{{c1::x}}">{{c2::y}}</a>', '<a title="&#123;&#123;c1:&#58;x&#125;&#125;">{{c2::y}}</a>'),
]


@pytest.mark.parametrize(("field", "final"), CLOZE_FORMS)
def test_the_finaliser_keeps_a_cloze_fields_deletions_and_nothing_else(field: str,
                                                                       final: str) -> None:
    assert finalise(field, cloze=True) == final
    assert finalise(final, cloze=True) == final


def test_plain_fields_take_the_fast_path() -> None:
    plain = "According to the seed, what is the first principle? &quot;Do no harm&quot; (1)."
    assert finalise(plain) is plain
    assert finalise(escape("A title: (1) <b>")) == escape("A title: (1) <b>")


HOSTILE = [
    "[sound:x.mp3]", "[sound:a b]", "[anki:tts lang=en_US]hi[/anki:tts]", "[anki:play:q:0]",
    "[latex]x^2[/latex]", "[LaTeX]y[/LATEX]", "[$]z[/$]", "[$$]w[/$$]", "\\(a\\)", "\\[b\\]",
    "\\href{javascript:alert(1)}{x}", "&#92;(c&#92;)", "&bsol;[d&bsol;]", "&#x5C;(e&#x5c;)",
    "&#92", "\\\\(f\\\\)", "&lpar;", "&#40;", "&#x28;", "\\", "(", ")", "[", "]", "$", "$$",
    "/", "{{c1::g}}", "{{", "}}", "{", "}", " ", "word", "::", ":", "<!-- -->", "<wbr>",
    "&#91;sound:y]", "sound:", "anki:", "latex]", "\t", "\u00a0", "é", "*", "`", "_",
]
hostile_text = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=12).map("".join)


@settings(max_examples=600, deadline=None)
@given(text=hostile_text)
def test_finalised_text_reads_the_same_and_carries_no_anki_markup(text: str) -> None:
    for field in (escape(text), sanitise(text)):
        final = finalise(field)
        assert dom_text(final) == dom_text(re.sub(r"<!--.*?-->", "", field))  # reads the same
        assert finalise(final) == final
        _assert_no_raw_marks(final)


def _assert_no_raw_marks(final: str) -> None:
    assert not re.search(r"(?i)\[(?:sound:|/?anki:|/?latex\]|/?\$\$?\])", final), final
    assert "{{" not in final and "}}" not in final
    assert mathjax_openings(final) == [], final
    assert not re.search(r"\\[(\[]", final)  # Anki's own regexes (reviewer, cloze filter)


@settings(max_examples=400, deadline=None)
@given(before=hostile_text, inside=hostile_text, hint=st.none() | hostile_text)
def test_markdown_cloze_fields_keep_exactly_their_deletions(before: str, inside: str,
                                                           hint: str | None) -> None:
    text = f"{before} {{{{c1::{inside}{'' if hint is None else '::' + hint}}}}} {before}"
    assume(cloze_problem(text) is None)
    final = markdown_to_html(text, cloze=True)
    assert cloze.parse(final).numbers == cloze.parse(text).numbers == {1}
    assert finalise(final, cloze=True) == final
    for number in (1,):
        for question in (True, False):
            rendered = render_cloze(final, number, question=question)
            _assert_no_raw_marks(rendered.replace("[...]", ""))


# ============================================================================ the sanitiser

EVENT_HANDLERS = re.findall(r"\S+", """
onabort onafterprint onanimationend onanimationiteration onanimationstart onauxclick
onbeforecopy onbeforecut onbeforeinput onbeforematch onbeforepaste onbeforeprint
onbeforetoggle onbeforeunload onbegin onblur oncancel oncanplay oncanplaythrough onchange
onclick onclose oncontentvisibilityautostatechange oncontextlost oncontextmenu
oncontextrestored oncopy oncuechange oncut ondblclick ondrag ondragend ondragenter
ondragexit ondragleave ondragover ondragstart ondrop ondurationchange onemptied onend
onended onerror onfocus onfocusin onfocusout onformdata onfullscreenchange
onfullscreenerror ongotpointercapture onhashchange oninput oninvalid onkeydown onkeypress
onkeyup onlanguagechange onload onloadeddata onloadedmetadata onloadend onloadstart
onlostpointercapture onmessage onmessageerror onmousedown onmouseenter onmouseleave
onmousemove onmouseout onmouseover onmouseup onmousewheel onoffline ononline onpagehide
onpagereveal onpageshow onpageswap onpaste onpause onplay onplaying onpointercancel
onpointerdown onpointerenter onpointerleave onpointermove onpointerout onpointerover
onpointerrawupdate onpointerup onpopstate onprogress onratechange onrepeat onreset
onresize onscroll onscrollend onscrollsnapchange onscrollsnapchanging onsearch
onsecuritypolicyviolation onseeked onseeking onselect onselectionchange onselectstart
onshow onslotchange onstalled onstorage onsubmit onsuspend ontimeupdate ontoggle
ontouchcancel ontouchend ontouchmove ontouchstart ontransitioncancel ontransitionend
ontransitionrun ontransitionstart onunload onvolumechange onwaiting onwebkitanimationend
onwheel onzoom
""")
OTHER_ATTRIBUTES = ["style", "src", "srcdoc", "formaction", "action", "xlink:href", "id",
                    "class", "background", "poster", "data", "ping", "target", "form"]


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs]


def attributes_of(fragment: str) -> list[tuple[str, str, str]]:
    parser = _Attributes()
    parser.feed(fragment)
    parser.close()
    return parser.found


def test_the_allowlist_has_no_event_handler_and_no_style() -> None:
    for names in ALLOWED_ATTRIBUTES.values():
        assert not [n for n in names if n.lower().startswith("on") or n in ("style", "srcdoc")]
    assert not ALLOWED_TAGS & {"script", "style", "iframe", "object", "embed", "img", "svg",
                               "math", "form", "input", "link", "meta", "base", "template"}


@pytest.mark.parametrize("tag", sorted(ALLOWED_TAGS | {"img", "svg", "span", "div", "iframe"}))
def test_the_sanitiser_drops_every_event_handler_on_every_tag(tag: str) -> None:
    # raw HTML straight into the sanitiser: Markdown (which escapes raw HTML) is not in front;
    # the values include URLs that pass the link rule, so only the allowlist can drop them
    for quote, value in (('"', "alert(1)"), ("'", "https://ok.example/"), ("", "alert(1)")):
        attrs = " ".join(f"{name}={quote}{value}{quote}" for name in EVENT_HANDLERS)
        cleaned = sanitise(f"<{tag} {attrs} href={quote}https://ok.example/{quote}>x</{tag}>")
        found = attributes_of(cleaned)
        assert [a for a in found if a[1].startswith("on")] == []
        assert {(t, n) for t, n, _ in found} <= {("a", "href"), ("a", "rel")}
    others = " ".join(f'{name}="javascript:alert(1)"' for name in OTHER_ATTRIBUTES)
    for t, name, value in attributes_of(sanitise(f"<{tag} {others}>x</{tag}>")):
        assert name in ALLOWED_ATTRIBUTES.get(t, set()) | {"rel"} and "alert" not in value


def test_the_sanitiser_keeps_what_cards_need() -> None:
    assert sanitise('<b>b</b> <a href="https://e.org/x" title="t">l</a>') == (
        '<b>b</b> <a href="https://e.org/x" title="t" rel="noopener noreferrer">l</a>')
    assert sanitise("<script>alert(1)</script><style>x</style>ok") == "ok"


# ============================================================================ links

GOOD_URLS = ["https://example.org", "http://example.org/", "HTTPS://EXAMPLE.ORG/a?b=c#d",
             "https://例え.jp/パス", "https://example.org:8443/x", "https://[::1]/x",
             "https://medium.com/@user/post", "http://a.b/c(d)"]
BAD_URLS = ["/_anki/x", "_anki/x", "//evil.example/x", "relative.html", "#frag", "?q=1",
            "javascript:alert(1)", "jav&#x61;script:alert(1)", "java\tscript:alert(1)",
            "java\nscript:x", "\u00a0javascript:x", " https://example.org", "https://example.org ",
            "https://exa mple.org", "https://example.org/\u200bx", "https:example.org",
            "https:/example.org", "https://", "https:///x", "https://@x", "https://u:p@x",
            "http:\\\\evil.example", "https:/\\evil.example", "ftp://example.org",
            "data:text/html,x", "vbscript:x", "file:///etc/passwd", "https://ex\x00ample.org",
            "https://example.org\u2028", "https:// example.org", "\x01https://example.org"]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_the_url_rule_accepts_absolute_http_urls(url: str) -> None:
    assert is_http_url(url)
    assert sanitise(f'<a href="{escape(url)}">x</a>').count("href=") == 1


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_url_rule_refuses_everything_else(url: str) -> None:
    assert not is_http_url(url)
    raw = url if "&#" in url else escape(url)  # (an entity stays an entity: decoded by the parser)
    assert "href" not in sanitise(f'<a href="{raw}">x</a>')


def browser_target(url: str) -> tuple[str, str]:
    """An independent oracle, after the URL standard's clean-up: leading and trailing C0
    controls and spaces stripped, tab and newlines removed, backslash as slash."""
    url = url.strip("".join(map(chr, range(33)))).replace("\t", "").replace("\n", "")
    url = url.replace("\r", "").replace("\\", "/")
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.hostname or ""


url_text = st.lists(st.sampled_from([
    "http", "https", "HTTP", "javascript", "jav", "ascript", ":", "//", "/", "\\", "_anki",
    "example.org", "@", "#", "?", "\t", "\n", "\u00a0", "\u200b", " ", "&#x61;", "&#58;", "x",
    "%2F", "[::1]", "data", ":80", "\x00", "\x1f",
]), max_size=10).map("".join)


@settings(max_examples=1500, deadline=None)
@given(url=url_text)
def test_every_href_that_survives_is_an_absolute_http_url(url: str) -> None:
    if is_http_url(url):
        scheme, host = browser_target(url)
        assert scheme in ("http", "https") and host
    for fragment in (f'<a href="{url}">x</a>', f"<a href='{escape(url)}'>x</a>",
                     markdown_to_html(f"[x]({url})"), markdown_to_html(f"[x](<{url}>)"),
                     markdown_to_html(f"<{url}>"), markdown_to_html(f"[x][r]\n\n[r]: {url}")):
        for _, name, value in attributes_of(sanitise(fragment)):
            if name == "href":
                assert is_http_url(value), (url, value)
                scheme, host = browser_target(value)
                assert scheme in ("http", "https") and host, (url, value)


# ============================================================================ empty text

BLANK = ["", " ", "\t", "\u00a0", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u3164",
         "\u115f", "\u1160", "\u180e", "\u2800", "\u3000", "\u2028", "\u034f", "\ufe0f",
         "&nbsp;", "&#x200B;", "&#8203;", "&zwj;"]
EMPTY_MARKDOWN = ["***", "---", "___", "#", "# ", "-", "* ", "1.", ">", "[]()", "[](https://e.org)",
                  "![x](https://e.org/a.png)", "[a]: https://e.org", "```\n```", "- ", "+", "2)"]


@pytest.mark.parametrize("text", [*BLANK[1:], *EMPTY_MARKDOWN, "\u00a0\u200b\u3164 &#x200B;",
                                  "\u00a0***"])
def test_texts_that_show_nothing(text: str) -> None:
    assert shows_nothing(markdown_to_html(text)), markdown_to_html(text)


@pytest.mark.parametrize("text", ["x", ".", "0", "\u00e9", "\u4e00", "&lt;!-- --&gt;", "<br>",
                                  "\u200b***", "*** \u200b", "*a*",
                                  "<!-- -->", "`x`", "***a***", "[a](https://e.org)", "\ue000"])
def test_texts_that_show_something(text: str) -> None:
    assert not shows_nothing(markdown_to_html(text))


# any mix of invisible characters; or one Markdown construct that renders to nothing (which
# is only one at the start of a line: "\u200b ***" shows "***")
blank_text = st.lists(st.sampled_from(BLANK), min_size=1, max_size=6).map("".join) | \
    st.sampled_from(EMPTY_MARKDOWN)


@settings(max_examples=300, deadline=None)
@given(blank=blank_text)
def test_blank_classes_are_blank_in_any_mix(blank: str) -> None:
    assert shows_nothing(markdown_to_html(blank))
    assert not shows_nothing(markdown_to_html(blank + "\n\nx"))


markdown_text = st.lists(st.sampled_from(
    BLANK + EMPTY_MARKDOWN + ["x", "1", "1.", "2)", "&amp;", "&x;", "&#", "\n", "\n\n", "    ",
                              "```", "~~~", "`", "*", "_", "~", "#", "-", "+", ">", "=", "|", "!",
                              "\\", "<", "é", "\u0301", "&#120;"]), max_size=8).map("".join)


@settings(max_examples=2000, deadline=None)
@given(text=markdown_text)
def test_the_quick_visibility_test_never_passes_an_empty_text(text: str) -> None:
    if surely_shows(text):
        assert not shows_nothing(markdown_to_html(text)), markdown_to_html(text)
    assert has_visible_text(text) or not surely_shows(text)


def test_empty_texts_are_located_errors(project: Project) -> None:
    project.write("cards/safety.yaml", "cards:\n" + "".join(
        f"  - id: c{i}\n    question: {q(question)}\n    answer: {q(answer)}\n" + PRESSURE_SOURCE
        for i, (question, answer) in enumerate([("\u00a0\u200b", "a"), ("Q?", "***"),
                                                ("[]()", "\u3164")])) +
        "  - id: z\n    cloze: " + q("A {{c1::\u200b}} and {{c2::x}} {{c3::![i](https://e.org/i.png)}}")
        + "\n" + PRESSURE_SOURCE)
    result = project.run("build")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/safety.yaml:3:15: error: question shows nothing once rendered (only white space, "
        "invisible characters or Markdown): Anki would make no card of it",
        "cards/safety.yaml:11:13: error: answer shows nothing once rendered (only white space, "
        "invisible characters or Markdown): the card would have no answer",
        "cards/safety.yaml:17:15: error: question shows nothing once rendered (only white space, "
        "invisible characters or Markdown): Anki would make no card of it",
        "cards/safety.yaml:18:13: error: answer shows nothing once rendered (only white space, "
        "invisible characters or Markdown): the card would have no answer",
        "cards/safety.yaml:24:12: error: 'https://e.org/i.png' is a URL: media must be files of "
        "the media folder (Anki shows nothing remote offline, and a remote file can change or "
        "track learners)",
        "cards/safety.yaml:24:12: error: cloze deletion c1 shows nothing once rendered (only white "
        "space, invisible characters or Markdown): its card would ask for nothing",
        "6 errors",
    ]


@BUILD_SETTINGS
@given(blank=blank_text, visible=st.sampled_from(["x", "é", "1", "`c`", "**b**", "?"]),
       where=st.integers(0, 3))
def test_a_card_that_passes_the_check_always_has_a_card_in_anki(
        tmp_path_factory: pytest.TempPathFactory, blank: str, visible: str, where: int) -> None:
    root = fresh(tmp_path_factory)
    question = blank + "\n\n" + visible if where % 2 else visible + " " + blank
    p = make_project(root / "p", "cards:\n" + f"  - id: c\n    question: {q(question)}\n"
                     f"    answer: {q(blank)}\n" + PRESSURE_SOURCE +
                     f"  - id: d\n    question: {q(blank)}\n    answer: x\n" + PRESSURE_SOURCE)
    result = p.run("build")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    # c's answer and d's question, each located (and a remote image, in c's question too, is
    # an error of its own wherever it stands)
    assert result.stderr.count(": error: ") == (3 if "![" in blank else 2)
    p.write("cards/x.yaml", "cards:\n" + f"  - id: c\n    question: {q(question)}\n"
            "    answer: x\n" + PRESSURE_SOURCE)
    if "![" in blank:  # a remote image does not pass the check (tests/test_media.py)
        assert "is a URL" in p.run("build").stderr
        return
    col = build_into_anki(p, root / "anki")
    assert len(col.find_notes("")) == 1 and assert_anki_reads_no_markup(col) == 1


# ============================================================================ clozes

cloze_fragment = st.sampled_from([
    "{{c1::", "{{c2::", "{{c3::", "{{c1,2::", "{{c2,1,2::", "{{c0::", "{{c70000::", "{{c01::",
    "{{c1,70000::", "{{c,::", "{{c::", "{{c", "c1::", "}}", "}", "{", "::", ":", "a", " b ",
    "image-occlusion:", "{{c499::", "{{c500::", "{{c501::", "{{c65535::", "<b>", "</b>",
])
cloze_text = st.lists(cloze_fragment, max_size=24).map("".join)


@pytest.fixture(scope="module")
def anki_cloze(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    col = open_collection(tmp_path_factory.mktemp("anki-cloze"))
    yield col
    col.close()


@settings(max_examples=700, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=cloze_text)
@example(text="".join(f"{{{{c{i}::" for i in range(1, 13)) + "x" + "}}" * 12)  # 12 deep
@example(text="".join(f"{{{{c{i}::" for i in range(1, 11)) + "x::h" + "}}" * 10)  # 10 deep
@example(text="{{c1::image-occlusion:a::b}}{{c2::x::h}}{{c3::a::b{{c4::c}}d::e}}")
def test_the_cloze_parser_makes_the_cards_anki_makes(anki_cloze: Any, text: str) -> None:
    note = anki_cloze.new_note(anki_cloze.models.by_name("Cloze"))
    note["Text"] = text
    anki_cloze.add_note(note, 1)
    numbers = cloze.parse(text).numbers
    ords = sorted({card.ord for card in note.cards()})  # (c500 and c501: two cards 500)
    # (a note without a deletion gets card 1 when added by hand; deckgen refuses those)
    assert ords == (sorted({min(n, cloze.MAX_NUMBER) - 1 for n in numbers}) or [0])
    assert cloze.card_numbers([text]) == {o + 1 for o in ords} or not numbers
    if "image-occlusion:" not in text:
        for card in note.cards():
            if card.ord + 1 in numbers:
                out = card.render_output(reload=True)
                assert out.question_text == render_cloze(text, card.ord + 1, question=True)


@pytest.mark.parametrize(("text", "problem"), [
    ("{{c1::a {{c2::b}} c}}", None),
    ("{{c1::a::hint}} {{c2::b {{c3::c::h}}::h2}}", None),
    ("{{c1,2::a}}", None),
    ("{{c500::a}}", None),
    ("{{c501::a}}", "cloze number c501 is past c500"),
    ("{{c1,501::a}}", "cloze number c501 is past c500"),
    ("{{c65536::a}}", "cloze number c65536 is past c500"),
    ("{{c" + "9" * 5000 + "::a}}", "cloze number c999999999999... is past c500"),
    ("{{c0::a}}", "{{c0::...}} makes no card"),
    ("{{c1::a", "cloze deletion is not closed"),
    ("{{c1::a {{c2::b}}", "cloze deletion is not closed"),
    ("{{c1::a}} b}}", "unbalanced braces in cloze: '}}' outside any deletion"),
    ("".join(f"{{{{c{i}::" for i in range(1, 12)) + "x" + "}}" * 11, "nested more than 10 deep"),
    ("no deletion {{c::x", "cloze has no deletion"),
    ("{{c1::a::h1{{c2::b}}c::h2}}", "more than one '::' hint"),
    ("{{c1::x}} \ufdd0", "U+FDD0, a Unicode noncharacter"),
    ("[see]({{c1::https://e.org}})", "Markdown would take a deletion's"),
    ("![{{c1::x}}](https://e.org/i.png)", "Markdown would take a deletion's"),
    ('[a](https://e.org "{{c1::t}}")', "Markdown would take a deletion's"),
    ("**{{c1::bold}}** `{{c2::code}}` [{{c3::link}}](https://e.org)", None),
])
def test_cloze_problems(text: str, problem: str | None) -> None:
    found = cloze_problem(text)
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_the_cloze_number_limit_is_where_anki_stops(tmp_path: Path) -> None:
    """c500 is the last card Anki itself makes of a note (cardgen.rs: ``min(ord, 499)``); an
    imported c501 card is one Anki's Empty Cards tool deletes. c65536 and above are not
    deletions to Anki at all. Measured with the real backend: deckgen ships up to c500."""
    base = "cards:\n  - id: c\n    cloze: {}\n" + PRESSURE_SOURCE
    p = make_project(tmp_path / "p", base.format(q("A {{c1::x}} and {{c500::y}}")))
    col = build_into_anki(p, tmp_path / "anki")
    assert sorted(col.get_card(c).ord for c in col.find_cards("")) == [0, 499]
    assert list(col.get_empty_cards().notes) == []
    assert_anki_reads_no_markup(col)
    for number in ("501", "1000", "65535", "65536", "99999999999999999999"):
        p.write("cards/x.yaml", base.format(q(f"A {{{{c1::x}}}} and {{{{c{number}::y}}}}")))
        result = p.run("check")
        assert result.exit_code == 1 and f"cloze number c{number[:12]}" in result.stderr


# ============================================================================ whole builds

CARDS = """\
cards:
  - id: basic
    question: {question}
    answer: {answer}
    extra: {extra}
    caveat: {caveat}
{source}  - id: cloze
    cloze: {cloze}
{source}"""


@BUILD_SETTINGS
@given(text=hostile_text, other=hostile_text)
def test_anki_markup_in_card_and_link_text_is_inert(tmp_path_factory: pytest.TempPathFactory,
                                                      text: str, other: str) -> None:
    cloze_text = f"According to the seed, {{{{c1::{text.strip() or 'x'}}}}} {other}"
    assume(cloze_problem(cloze_text) is None)
    root = fresh(tmp_path_factory)
    p = make_project(root / "p", CARDS.format(
        question=q(f"Which {text} is it?"), answer=q(f"[{other}](https://example.org/) {text}"),
        extra=q(text + " x"), caveat=q(f"[{text}]({other})"), cloze=q(cloze_text),
        source=PRESSURE_SOURCE))
    result = p.run("build")
    if result.exit_code:  # only ever an empty text: a located error
        assert re.fullmatch(r"(cards/x\.yaml:\d+:\d+: error: \w+.* shows nothing.*\n)+\d+ errors?\n",
                            result.stderr), result.stderr
        return
    col = open_collection(root / "anki")
    import_apkg(col, p.output)
    assert assert_anki_reads_no_markup(col) == 2


@BUILD_SETTINGS
@given(passage=hostile_text, title=hostile_text, author=hostile_text, hint=hostile_text)
def test_anki_markup_in_seeds_is_inert_and_reads_the_same(
        tmp_path_factory: pytest.TempPathFactory, passage: str, title: str, author: str,
        hint: str) -> None:
    passage = " ".join(f"Passage {passage} ends.".split())
    title, author = " ".join(f"T {title}".split()), " ".join(f"A {author}".split())
    cloze_text = f"According to the seed, {{{{c1::word::{hint.strip()}}}}}."
    assume(cloze_problem(cloze_text) is None)
    root = fresh(tmp_path_factory)
    seeds_yaml = SEEDS_YAML.replace("title: A Tiny Seed", f"title: {q(title)}").replace(
        "author: A. Author", f"author: {q(author)}")
    p = make_project(root / "p", textwrap.dedent(f"""\
        cards:
          - id: c
            question: What does the seed say?
            answer: It says so.
            source:
              seed: tiny
              quote: {q(passage)}
            evidence: expert-opinion
          - id: z
            cloze: {q(cloze_text)}
            source:
              seed: tiny
              quote: {q(passage)}
            evidence: expert-opinion
        """), seeds_yaml=seeds_yaml, seeds={"tiny.txt": SEED_TEXT + "\n" + passage + "\n"})
    col = build_into_anki(p, root / "anki")
    assert assert_anki_reads_no_markup(col) == 2
    for cid in col.find_cards(""):
        answer = dom_text(col.get_card(cid).render_output(reload=True).answer_text)
        assert passage in answer and title in answer and author in answer


def test_anki_markup_in_file_names_description_and_the_lock_is_inert(tmp_path: Path) -> None:
    hostile = "[sound:x.mp3] \\(\\href{javascript:alert(1)}{x}\\) [$]y[/$] {{c1::z}}"
    name = "[sound:a.mp3] \\(b\\) [$$].txt"
    seeds_yaml = SEEDS_YAML.replace("file: tiny.txt", f"file: {q(name)}")
    project_yaml = PROJECT_YAML.replace(
        "description: A deck for tests. Study material, not medical advice.",
        f"description: {q(hostile)}")
    p = make_project(tmp_path / "p", "cards:\n  - id: c\n    question: Q?\n    answer: "
                     f"{q(hostile)}\n" + PRESSURE_SOURCE, seeds_yaml=seeds_yaml,
                     seeds={name: SEED_TEXT}, project_yaml=project_yaml)
    col = build_into_anki(p, tmp_path / "anki")
    assert assert_anki_reads_no_markup(col) == 1
    answer = dom_text(col.get_card(col.find_cards("")[0]).render_output(reload=True).answer_text)
    assert "[sound:x.mp3]" in answer  # (the seed's file name is no longer on the card)
    description = col.decks.by_name("Test deck")["desc"]
    assert "[sound:" not in description and "{{" not in description
    assert mathjax_openings(description) == [] and "[sound:x.mp3]" in dom_text(description)
    col.close()
    # the card leaves the source: it ships again, retired, with its text read back from the
    # lock, which anyone can edit: that text passes the sanitiser and the finaliser again
    lock = p.root / "deckgen.lock"
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["cards"]["c"]["front"] = ('<img src=x onerror=alert(1)>[sound:x] \\(x\\) {{c1::y}} '
                                   '<a href="/_anki/x">l</a>')
    lock.write_text(json.dumps(data), encoding="utf-8")
    p.write("cards/x.yaml", "cards:\n  - id: d\n    question: Q2?\n    answer: A.\n"
            + PRESSURE_SOURCE)
    col = build_into_anki(p, tmp_path / "anki")  # (a learner who has the card: retired notes
    assert assert_anki_reads_no_markup(col) == 2  # reach only them, and have no card of their own)


# ============================================================================ the corpus

OWN_CASES = sorted(c.name for c in CORPUS.iterdir()
                   if c.name.startswith(("markup-", "cloze-", "empty-"))
                   and (c / "expected").read_text(encoding="utf-8") == "SAFE\n")


@pytest.mark.parametrize("name", OWN_CASES)
def test_safe_corpus_cases_carry_no_anki_markup(project: Project, name: str,
                                                tmp_path: Path) -> None:
    """test_corpus.py checks for executable HTML; here Anki's own markup is checked too."""
    from test_corpus import lay_over

    lay_over(project, CORPUS / name)
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    col = open_collection(tmp_path / "anki")
    import_apkg(col, project.output)
    assert assert_anki_reads_no_markup(col) >= 1


def test_the_deck_description_passes_the_final_step_too() -> None:
    """The release name and the description reach Anki's deck page: no Anki mark in them."""
    from deckgen.deckpage import description_html
    from deckgen.schema import ProjectFile

    config = ProjectFile.model_validate({
        "name": "Deck", "description": "About [sound:a.mp3] and \\(x\\).", "deck_id": 1500000001,
        "note_type_ids": {"basic": 1500000002, "cloze": 1500000003},
        "guid_namespace": "deck", "release": "2nd [latex]x[/latex] \\[y\\]"})
    html = description_html(config)
    assert "[sound:" not in html and "[latex]" not in html
    assert "\\(" not in html and "\\[" not in html
