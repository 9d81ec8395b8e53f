"""How ``deckgen diff`` shows a card's words: characters that show nothing made visible, and
(for a pull-request comment) escaped so that GitHub shows them as the words they are."""

from __future__ import annotations

import re
import unicodedata

# Characters that show nothing, beyond the format characters (Cf: zero-width space, soft
# hyphen, joiners, bidirectional controls, word joiner, byte-order mark...): the rest of
# Unicode's default-ignorable characters (the combining grapheme joiner, Hangul fillers, Khmer
# inherent vowels, Mongolian variation selectors, U+FFF0-U+FFF8) less the variation selectors
# U+FE00-U+FE0F and U+E0100-U+E01EF, which choose how the character before them is drawn (an
# emoji's ❤️ has one).
_ZERO_WIDTH = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\uffa0\ufff0-\ufff8]")


def _escape(char: str) -> str:
    """A character as a double-quoted YAML value (and deckgen's messages) write it."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with each character that shows nothing written as its escape (``\\u200b``,
    ``\\xad``), as :func:`deckgen.errors.printable` writes the characters a terminal would act
    on: a word that gained or lost one is seen to change."""
    if text.isprintable() and not _ZERO_WIDTH.search(text):  # (no format character is)
        return text
    return "".join(_escape(c) if unicodedata.category(c) == "Cf" or _ZERO_WIDTH.match(c) else c
                   for c in text)


# What starts Markdown's inline syntax in GitHub-flavoured Markdown, escaped with a backslash
# (any ASCII punctuation may be): emphasis (* _), code (`), links, images and footnotes (the
# [ they need), strikethrough (~), table cells (|), math ($), the backslash itself, and the
# autolinks GitHub makes of bare text (the . of "www.", the : of "https://", the @ of an
# address). HTML's own characters are written as entities, as they show in any renderer. (The
# rest of the punctuation only means something at the start of a line, where no card text is.)
_SYNTAX = re.compile(r"[\\`*_\[\]~|$&<>@]|(?<=www)\.|:(?=/)", re.IGNORECASE)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What GitHub links after the Markdown is rendered, in the text it shows, whatever the escapes
# (a backslash or an entity is gone by then: github/cmark-gfm#181, github/markup#1168): a
# mention (@name, @org/team, which notifies them), an issue or pull request (#1, GH-1, which
# links back to it) and an emoji (:name:). An empty HTML comment after the @, # or : (the - of
# GH-) splits the text there and shows nothing, so the text reads the same.
_LINKED = re.compile(r"@(?=[\w-])|#(?=\d)|:(?=[\w+-]+:)|(?<=gh)-(?=\d)", re.IGNORECASE)

_EITHER = re.compile(f"{_SYNTAX.pattern}|{_LINKED.pattern}", re.IGNORECASE)


def markdown_text(text: str) -> str:
    """``text`` escaped for GitHub-flavoured Markdown, on one line (white space collapsed, as
    the word diff does), so that a pull-request comment shows it as text: no HTML, link,
    image, emphasis, mention or reference of the card's comes alive."""
    text = " ".join(text.split())

    def escaped(match: re.Match[str]) -> str:  # (one character)
        char, at = match.group(), match.start()
        shown = _ENTITIES.get(char) or ("\\" + char if _SYNTAX.match(text, at) else char)
        return shown + "<!-- -->" if _LINKED.match(text, at) else shown

    return _EITHER.sub(escaped, text)


def markdown_code(text: str) -> str:
    """``text`` as a Markdown code span (an id, a file name), whatever backticks it holds:
    fenced by more backticks than its longest run, so nothing in it is read as Markdown or
    HTML (and GitHub links nothing in code)."""
    text = " ".join(text.split())
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (
        text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"
