"""Card text to HTML: the shortcut taken for one-line Markdown gives exactly what the full
Markdown renderer gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen.render import _MARKDOWN_SYNTAX, _markdown, finalise, markdown_to_html, sanitise

fragments = st.sampled_from([
    "word", "two words", " ", "  ", "*", "**", "_", "__", "`", "``", "[", "]", "(", ")", "<", ">",
    "&", "&amp;", "&#60;", "\\", "~", "~~", "!", "|", "#", "-", "+", "1.", "2)", "10.", "=",
    "http://x.example", "[a]: /url", "[a]", "***", "---", "```", "<b>", "</b>", "é", "—", "“", '"', "'", "{{", "}}", "\t", ":", ".",
])


def full_render(text: str) -> str:
    """The reference: the whole CommonMark pipeline, a lone paragraph unwrapped, sanitised."""
    rendered = _markdown().render(text).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return sanitise(rendered)


@settings(max_examples=1500, deadline=None)
@given(parts=st.lists(fragments, min_size=1, max_size=10))
def test_one_line_markdown_renders_like_the_full_renderer(parts: list[str]) -> None:
    text = "".join(parts).strip()
    if _MARKDOWN_SYNTAX.search(text):  # (text without any is escaped as it is)
        assert markdown_to_html(text) == finalise(full_render(text))


def test_markdown_in_card_text() -> None:
    assert markdown_to_html("*Do no harm*, `first`.") == "<em>Do no harm</em>, <code>first</code>."
    assert markdown_to_html("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    assert markdown_to_html("a < b & c") == "a &lt; b &amp; c"
