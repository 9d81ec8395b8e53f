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
# GitHub refuses addresses much over 8,000 characters: each text is cut so that it takes at
# most this many once percent-encoded (a character outside ASCII takes 6 to 12)
MAX_ENCODED = 2000


def _encoded_length(text: str) -> int:
    return len(quote(text, safe=""))


def _cut(text: str) -> str:
    text = text.strip()
    if _encoded_length(text) <= MAX_ENCODED:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with its ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if _encoded_length(text[:middle] + "…") <= MAX_ENCODED:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


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
