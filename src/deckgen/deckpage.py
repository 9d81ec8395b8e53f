"""The deck's own page: the description Anki shows in the deck's overview.

A few short lines: what the deck is (the project's ``description``), which release this is
(``release``), how to read the badge on each card's back, and where to report a mistake (when
``repository`` is set). Anki's overview keeps the description's line breaks as they are (its
source's line breaks showed as ragged lines and blank lines), so the HTML has none: paragraphs
are separated by ``<br>``.
"""

from __future__ import annotations

import re

from .evidence import LEVELS
from .render import escape, finalise, markdown_to_html
from .schema import ProjectFile

_BLOCK_BREAK = re.compile(r"\s*</p>\s*<p>\s*")


def description_html(config: ProjectFile) -> str:
    """The deck's description (HTML on one line)."""
    own = markdown_to_html(config.description)
    own = _BLOCK_BREAK.sub("<br>", own).removeprefix("<p>").removesuffix("</p>")
    lines = [re.sub(r"\s*\n\s*", " ", own).strip()]
    if config.release:
        lines.append(f"<b>Release:</b> {escape(config.release)}.")
    lines.append(
        "The coloured badge on each card's back says how strong the evidence behind its claim "
        f"is, from {escape(LEVELS[0].label.lower())} (strongest) to "
        f"{escape(LEVELS[-1].label.lower())} (weakest); the caveat beside it says what is "
        "missing.")
    if config.repository:
        url = escape(config.repository)
        lines.append(f'Found a mistake? Use "Suggest a correction" on the card\'s back, or '
                     f'report it at <a href="{url}">{url}</a>.')
    return finalise("<br>".join(lines))  # (the release and the rest: Anki's markup too)
