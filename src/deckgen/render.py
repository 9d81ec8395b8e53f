"""Step 4: card text (Markdown) to safe HTML for Anki, and the one step every field passes.

Three layers, each tested on its own:

- Markdown is rendered with raw HTML switched off (so ``<script>`` typed in a card shows as
  text); in a cloze, the deletion marks are kept out of Markdown's reach.
- :func:`sanitise` keeps an allowlist of tags and attributes; every attribute but ``title`` and
  ``rel`` is a URL and must pass :func:`is_http_url` (absolute http(s), with a host), checked on
  the decoded value. Anki runs scripts in card HTML, so both layers stay.
- :func:`finalise` is the last step of every field value (see :class:`deckgen.notes.NoteSpec`):
  it neutralises the text that Anki itself gives a meaning to, which is not HTML and so passes
  any HTML sanitiser. What the learner reads is unchanged:

  ==================================  ============================================  ==========
  Anki reads                          where (source)                                neutral
  ==================================  ============================================  ==========
  ``[sound:…]``, ``[anki:…]``         the rendered card, as a string               ``&#91;``
  (av tags: card_rendering/parser.rs)                                                 for ``[``
  ``[latex]``, ``[$]``, ``[$$]``      the rendered card, as a string (latex.rs)    ``&#91;``
  ``{{c1::…}}``, ``{{…}}``            every field's string (cloze.rs, cardgen)     ``&#123;``
  ``\\(`` ``\\)`` ``\\[`` ``\\]``     MathJax: the DOM's text, entities decoded,   ``\\<span>
  (``\\href`` makes links)            joined across ``<br>``, ``<wbr>``, comments  </span>(``
  ==================================  ============================================  ==========

  Anki's parsers read the raw string, so a character reference (``&#91;``) is enough; MathJax
  reads decoded text (``&#92;(`` is ``\\(`` to it) but every element other than ``br``,
  ``wbr`` and a comment ends the string it searches (HTMLDomStrings.ts), so an empty
  ``<span></span>`` goes between a backslash and the bracket. In attributes (which MathJax does
  not read) a backslash becomes ``&#92;``. A cloze hint is shown by Anki as ``[hint]``, so a hint
  that would start such a mark has its first character written as a reference, and one that
  ends in a backslash is closed with ``<span></span>``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache, lru_cache
from html.entities import html5
from typing import TYPE_CHECKING

from . import cloze as clozes

if TYPE_CHECKING:
    import nh3
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@cache
def _markdown(media: bool = False) -> MarkdownIt:
    """The Markdown renderer (imported on first use: plain text never needs it); with
    ``media``, images become placeholders for :mod:`deckgen.media` (see :func:`_image`)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("strikethrough")
    if media:
        md.add_render_rule("image", _image)
    return md


# an image, as Markdown renders it with ``media=True``: in a link (1) or not (0), its src and
# its alt text, both escaped, between noncharacters (text to the sanitiser, which never lets an
# ``<img>`` through; deckgen.media puts in the <img> of a checked file)
IMAGE_OPEN, IMAGE_ALT, IMAGE_CLOSE = "\ufdd3", "\ufdd4", "\ufdd5"


def _image(renderer: object, tokens: list[Token], idx: int, options: object,
           env: object) -> str:
    token = tokens[idx]
    depth = 0
    for t in tokens[:idx]:
        depth += (t.type == "link_open") - (t.type == "link_close")
    alt = renderer.renderInlineAsText(token.children or [], options, env)  # type: ignore[attr-defined]
    src = str(token.attrGet("src") or "")
    return (IMAGE_OPEN + ("1" if depth > 0 else "0") + escape(src) + IMAGE_ALT + escape(alt)
            + IMAGE_CLOSE)

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "i", "li", "ol", "p", "pre", "s",
    "strong", "sub", "sup", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https"}
# attributes that are not URLs; any other attribute must hold an absolute http(s) URL
_TEXT_ATTRIBUTES = frozenset({"title", "rel"})

# ----------------------------------------------------------------------------- links

_HTTP_URL = re.compile(
    r"https?://(?:[^\s/?#@\\\[\]:]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?:[/?#][^\s\\]*)?",
    re.IGNORECASE)


def is_http_url(url: str) -> bool:
    """The one rule for every link deckgen ships: an absolute ``http://`` or ``https://`` URL
    with a host, and no white space, control, format or other invisible character anywhere
    (browsers drop some of those, so ``java\\tscript:`` would be ``javascript:``). The text is
    the URL as the browser sees it: HTML references already decoded."""
    return url.isprintable() and _HTTP_URL.fullmatch(url) is not None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in _TEXT_ATTRIBUTES:
        return value
    return value if is_http_url(value) else None


# ----------------------------------------------------------------------------- sanitiser


@cache
def _cleaner() -> nh3.Cleaner:
    import nh3

    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitise(fragment: str) -> str:
    """Keep only allowlisted tags and attributes, and links that pass :func:`is_http_url`."""
    return str(_cleaner().clean(fragment))


# ----------------------------------------------------------------------------- Markdown

# Anything Markdown would treat specially; text without these renders as escaped text.
_MARKDOWN_SYNTAX = re.compile(
    r"[*_`\[\]<>&\\~!|#]|^\s*(?:[-+>]|\d+[.)])(?:\s|$)|^\s*(?:-[ \t]*){3,}$|\n|^ {4}")


class ClozeMarkupError(ValueError):
    """Markdown took a cloze deletion's mark out of the card's text (see :func:`cloze_html`)."""


@lru_cache(maxsize=4096)  # (checked, then rendered into the note: the same text twice)
def markdown_to_html(text: str, *, cloze: bool = False, media: bool = False) -> str:
    """One field's Markdown as sanitised, finalised HTML; a lone paragraph loses its ``<p>``.

    With ``cloze=True`` the deletions written in ``text`` stay deletions (and nothing else
    becomes one); raises :class:`ClozeMarkupError` when Markdown would move a mark (check
    first with :func:`cloze_markup_problem`). With ``media=True`` images become placeholders
    for :func:`deckgen.media.field_html` (without, they are dropped)."""
    if cloze:
        return finalise(cloze_html(text.strip(), media), cloze=True)
    return finalise(_render(text.strip(), media))


@lru_cache(maxsize=4096)  # the same caveat or extra text often recurs across a deck
def _render(text: str, media: bool = False) -> str:
    if not _MARKDOWN_SYNTAX.search(text):
        return html.escape(text, quote=False).replace('"', "&quot;")
    if not _BLOCK_SYNTAX.match(text):  # one line that can only be a paragraph
        return sanitise(_markdown(media).renderInline(text))
    rendered = _markdown(media).render(text).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return sanitise(rendered)


# What makes one line more than a paragraph: a heading, quote, list item, rule, fence, link
# definition or HTML block at its start (anything with a second line is not one line).
_BLOCK_SYNTAX = re.compile(
    r"#{1,6}(?:[ \t]|$)|>|[*+-](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|(?:[*_-][ \t]*){3,}$"
    r"|`{3}|~{3}|<|\[|.*\n", re.S)


# ----------------------------------------------------------------------------- clozes

# stand-ins for a deletion's marks while Markdown renders (noncharacters: see cards.py)
OPEN_MARK, HINT_MARK, CLOSE_MARK = "\ufdd0", "\ufdd1", "\ufdd2"
PLACEHOLDERS = re.compile("[\ufdd0-\ufdd2]")
_CLOZE_LOST = ("Markdown would take a deletion's '{{c…::', '::' or '}}' out of the card's text "
               "(into a link's target or title, an image or a link definition): keep the "
               "marks in plain text")


def cloze_markup_problem(text: str) -> str | None:
    """Why Markdown would not keep the deletions of ``text`` where they are, or None."""
    try:
        cloze_html(text.strip())
    except ClozeMarkupError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=1024)
def cloze_html(text: str, media: bool = False) -> str:
    """A cloze text rendered and sanitised with exactly its own deletions' marks (not yet
    finalised). The marks are replaced by placeholders while Markdown renders, then put back;
    braces and ``::`` that Markdown produces (``&#123;``, ``\\{``) become references."""
    parsed = clozes.parse(text)
    marks: list[tuple[int, int, str, str]] = []  # (start, end, placeholder, mark)
    for d in parsed.deletions:
        assert d.close is not None
        marks.append((d.start, d.open_end, OPEN_MARK, text[d.start:d.open_end]))
        if d.hint_at is not None and not d.image_occlusion:
            marks.append((d.hint_at, d.hint_at + 2, HINT_MARK, "::"))
        marks.append((d.close, d.close + 2, CLOSE_MARK, "}}"))
    marks.sort()
    parts, pos = [], 0
    for start, end, placeholder, _ in marks:
        parts += [PLACEHOLDERS.sub("", text[pos:start]), placeholder]
        pos = end
    parts.append(PLACEHOLDERS.sub("", text[pos:]))
    rendered = _render("".join(parts), media)
    wanted = "".join(placeholder for _, _, placeholder, _ in marks)
    in_tag = "<" in rendered and any(  # in an attribute
        t.group(1) is None and PLACEHOLDERS.search(t.group()) for t in _HTML_TOKEN.finditer(rendered))
    if in_tag or "".join(PLACEHOLDERS.findall(rendered)) != wanted:
        raise ClozeMarkupError(_CLOZE_LOST)
    rendered = rendered.translate(_BRACES).replace("::", ":&#58;")
    rendered = rendered.replace(":" + HINT_MARK, "&#58;" + HINT_MARK)
    literal = iter([mark for _, _, _, mark in marks])
    return PLACEHOLDERS.sub(lambda _: next(literal), rendered)


# ----------------------------------------------------------------------------- finalising

# control characters but tab and line breaks (Anki separates fields with U+001F)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# an Anki mark that starts with "[": sound and av tags, LaTeX (case-insensitive in latex.rs)
_ANKI_MARK = re.compile(r"\[(?=sound:|/?anki:|/?latex\]|/?\$\$?\])", re.I)
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
# text (group 1) or a tag, comment or declaration, quoted attribute values kept whole
_HTML_TOKEN = re.compile(
    r"([^<]+|<(?![A-Za-z/!?]))|<!--.*?(?:-->|$)|<[A-Za-z/!?](?:\"[^\"]*\"|'[^']*'|[^\"'>])*>?",
    re.S)
_INVISIBLE_MARKUP = re.compile(r"<!--.*?(?:-->|$)|<wbr\b[^>]*>", re.S | re.I)


def _reference(chars: str) -> str:
    """A pattern for any of ``chars`` as itself or as an HTML character reference (decimal,
    hexadecimal with leading zeros and an optional ``;``, or a named one)."""
    alternatives = [re.escape(c) for c in chars]
    for c in chars:
        code = ord(c)
        hex_digits = "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d
                             for d in f"{code:x}")
        alternatives += [f"&#0*{code}(?:;|(?![0-9]))",
                         f"&#[xX]0*{hex_digits}(?:;|(?![0-9a-fA-F]))"]
    alternatives += ["&" + re.escape(name) for name, value in sorted(html5.items())
                     if value in chars]
    return "(?:" + "|".join(alternatives) + ")"


_BACKSLASH = _reference("\\")
_BACKSLASH_REFERENCE = re.compile(_BACKSLASH.replace(r"\\|", "", 1))  # (a reference only)
# a backslash before a MathJax delimiter's bracket (``\(``, ``\)``, ``\[``, ``\]``)
_MATHJAX_DELIMITER = re.compile(_BACKSLASH + "(?=" + _reference("()[]") + ")")
_ENDS_IN_BACKSLASH = re.compile(_BACKSLASH + r"\Z")
_SPLIT = "<span></span>"  # an element: MathJax's search never reads across it


def finalise(fragment: str, *, cloze: bool = False) -> str:
    """The last step of every field value: neutralise Anki's own markup (see the module's
    docstring), keep a cloze field's deletions (``cloze=True``) and drop control characters.
    ``fragment`` is HTML from :func:`sanitise` or :func:`escape`; the result is idempotent.
    A field without any of ``[ \\ { }``, ``&#`` or control characters is returned as it is."""
    backslash = "\\" in fragment or (("&#" in fragment or "&bsol" in fragment)
                                     and _BACKSLASH_REFERENCE.search(fragment) is not None)
    if not (backslash or "[" in fragment or "{" in fragment or "}" in fragment) and (
            fragment.isprintable() or not CONTROL_CHARACTERS.search(fragment)):
        return fragment  # (a few "in" tests: a tenth of the time of one regular expression)
    fragment = CONTROL_CHARACTERS.sub("", fragment)
    if "[" in fragment:
        fragment = _ANKI_MARK.sub("&#91;", fragment)
    if backslash:
        if "<!--" in fragment or "<wbr" in fragment.lower():  # MathJax reads through them
            fragment = _strip_invisible_markup(fragment)
        fragment = _split_mathjax(fragment)
    if cloze:
        return _keep_deletions(fragment)
    return fragment.translate(_BRACES)


def _strip_invisible_markup(fragment: str) -> str:
    return "".join(m.group() if m.group(1) is not None or not _INVISIBLE_MARKUP.fullmatch(
        m.group()) else "" for m in _HTML_TOKEN.finditer(fragment))


def _split_mathjax(fragment: str) -> str:
    out = []
    for token in _HTML_TOKEN.finditer(fragment):
        text = token.group()
        if token.group(1) is not None:
            out.append(_MATHJAX_DELIMITER.sub(lambda m: m.group() + _SPLIT, text))
        else:  # an attribute: not read by MathJax; a reference keeps Anki's regexes off it
            out.append(text.replace("\\", "&#92;"))
    return "".join(out)


def _keep_deletions(fragment: str) -> str:
    """Braces become references except the marks of the deletions Anki reads in the text;
    hints that Anki's ``[hint]`` would turn into a mark are neutralised."""
    if "<" in fragment:  # a mark inside a tag is never a deletion
        fragment = "".join(
            t.group() if t.group(1) is not None
            else t.group().translate(_BRACES).replace("::", ":&#58;")
            for t in _HTML_TOKEN.finditer(fragment))
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), raw
    for d in clozes.parse(fragment).deletions:
        assert d.close is not None
        edits += [(d.start, d.open_end, fragment[d.start:d.open_end]), (d.close, d.close + 2, "}}")]
        if d.image_occlusion:  # an image occlusion shape to Anki: keep it text
            run = d.nodes[0]
            assert isinstance(run, str)
            edits.append((d.open_end, d.open_end + len(run),
                          "&#105;" + run[1:].translate(_BRACES).replace("::", ":&#58;")))
        elif d.hint is not None and d.hint_at is not None:
            start, end = d.hint_at + 2, d.hint_at + 2 + len(d.hint)
            for mark in _ANKI_MARK.finditer(f"[{d.hint}]"):  # as Anki shows it
                at = start + mark.start() - 1  # (the "[" Anki adds: the hint's first character)
                edits.append((start, start + 1, f"&#{ord(d.hint[0])};") if at < start
                             else (at, at + 1, "&#91;"))
            if _ENDS_IN_BACKSLASH.search(d.hint):
                edits.append((end, end, _SPLIT))
    edits.sort()
    out, pos = [], 0
    for start, end, replacement in edits:
        out += [fragment[pos:start].translate(_BRACES), replacement]
        pos = end
    out.append(fragment[pos:].translate(_BRACES))
    return "".join(out)


# ----------------------------------------------------------------------------- empty text

# letters (Lo) that show nothing: Hangul fillers, and the blank braille pattern (So)
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# white space, controls, format characters (zero-width space and joiners, U+2060, U+FEFF,
# U+180E...), surrogates, unassigned code points and lone combining marks
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Cn", "Mn", "Me"})


def has_visible_text(text: str) -> bool:
    """Whether plain ``text`` has a character that shows (see the categories above)."""
    for ch in text:
        if ch in _BLANK_LETTERS:
            continue
        if ch.isalnum() or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES:
            return True
    return False


# what Markdown may hide of a text with no brackets or fences: references ("&nbsp;"), block
# markers ("1." alone is an empty list), syntax characters
_HIDDEN_BY_MARKDOWN = re.compile(
    r"&[#\w]*;?|^(?:[ \t>]*(?:[#*+-]+|\d{1,9}[.)])(?=[ \t]|$))+"
    r"|[*_~`#=+>|\\!-]", re.M)


def surely_shows(text: str) -> bool:
    """A quick sufficient test that Markdown ``text`` shows something (``False``: render it
    and ask :func:`shows_nothing`). Texts with brackets (links, images, definitions) or code
    fences (info strings) always need rendering."""
    text = text.strip()  # (as markdown_to_html does)
    if text[:1].isalpha() and text[0] not in _BLANK_LETTERS:
        return True  # a letter first is a paragraph's, a heading's or a list item's: it shows
    if "[" in text or "]" in text or "```" in text or "~~~" in text:
        return False
    if _MARKDOWN_SYNTAX.search(text) or "&" in text:
        text = _HIDDEN_BY_MARKDOWN.sub(" ", text)
    return has_visible_text(text)


def shows_nothing(fragment: str) -> bool:
    """Whether HTML ``fragment`` shows no visible character (its tags left out, references
    decoded)."""
    if "<" in fragment:
        fragment = "".join(t.group() for t in _HTML_TOKEN.finditer(fragment)
                           if t.group(1) is not None)
    if "&" in fragment:
        fragment = html.unescape(fragment)
    return not has_visible_text(fragment)


def escape(text: str) -> str:
    """Plain text (titles, passages, ids) for HTML."""
    return html.escape(text, quote=True)
