"""The "Suggest a correction" link on each card's back (when deckgen.yaml names the deck's
repository): the repository's new-issue page, with the card's id and its current text filled in.

The link carries the card id, never the file or the line: the id is what ties a report to the
YAML, and a line moves with every edit above the card (and would change the card's content, and
so its ``mod``, for nothing).
"""

from __future__ import annotations

from urllib.parse import quote

from .schema import Card

ISSUE_TEMPLATE = "card-correction.md"
# GitHub refuses very long addresses: the card's text is cut to this many characters
MAX_TEXT = 1500


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def issue_body(card: Card) -> str:
    """The new issue's body: the card's id and current text (its source), then the questions
    the template asks."""
    if card.cloze is not None:
        current = f"Cloze: {_cut(card.cloze)}"
    else:
        current = f"Question: {_cut(card.question or '')}\n\nAnswer: {_cut(card.answer or '')}"
    return (f"Card id: `{card.id}`\n\n"
            f"### The card says\n\n{current}\n\n"
            "### What is wrong\n\n\n\n"
            "### What it should say (and the passage of the source that supports it)\n\n")


def correction_url(repository: str, card: Card) -> str:
    """The new-issue page of ``repository`` with ``card`` filled in (a GitHub address)."""
    query = {"template": ISSUE_TEMPLATE,
             "title": f"Card correction: {card.id}",
             "body": issue_body(card)}
    encoded = "&".join(f"{key}={quote(value, safe='')}" for key, value in query.items())
    return f"{repository.rstrip('/')}/issues/new?{encoded}"
