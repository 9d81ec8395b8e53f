"""The two note types. Their fields and templates are a public contract.

Anki matches note types by id. If a field or template changes while the id stays the same,
learners' Anki forks the note type and stops updating notes, so any change here needs new
note-type ids in the project file (tests/test_notetypes.py pins the current contract).
Template HTML and CSS may change under the same ids (with a newer ``mod``, which the lock gives
them): learners' Anki then takes the new ones on the next import (tests/test_learner.py).
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import genanki

CSS = files("deckgen").joinpath("card.css").read_text(encoding="utf-8")

BASIC_FIELDS = ("Question", "Answer", "Extra", "Source", "Quote", "Evidence", "Caveat",
                "Notice", "CardId")
CLOZE_FIELDS = ("Text", "Extra", "Source", "Quote", "Evidence", "Caveat", "Notice", "CardId")

# The back, most prominent first: the answer; the evidence badge and caveat; the citation
# (the passage, linked to where it stands on the page, and the source); quieter, the card id
# and the link to suggest a correction. A retired card's notice heads the front (and so the back).
_NOTICE = '{{#Notice}}<div class="dg-notice" role="note">{{Notice}}</div>{{/Notice}}\n'
_CITATION = """\
{{#Extra}}<div class="dg-extra">{{Extra}}</div>{{/Extra}}
<div class="dg-evidence">{{Evidence}}{{#Caveat}} <span class="dg-caveat">{{Caveat}}</span>{{/Caveat}}</div>
<div class="dg-citation">
<div class="dg-quote">{{Quote}}</div>
<div class="dg-source">{{Source}}</div>
<div class="dg-id">card id: {{CardId}}</div>
</div>"""

BASIC_TEMPLATES = (
    {
        "name": "Card 1",
        "qfmt": _NOTICE + '<div class="dg-question">{{Question}}</div>',
        "afmt": '{{FrontSide}}\n<hr id="answer">\n<div class="dg-answer">{{Answer}}</div>\n'
        + _CITATION,
    },
)
CLOZE_TEMPLATES = (
    {
        "name": "Cloze",
        "qfmt": _NOTICE + '<div class="dg-cloze">{{cloze:Text}}</div>',
        "afmt": _NOTICE + '<div class="dg-cloze">{{cloze:Text}}</div>\n<hr id="answer">\n'
        + _CITATION,
    },
)


def basic_model(model_id: int) -> genanki.Model:
    import genanki  # only needed to write a deck: kept out of ``deckgen check``'s start-up

    return genanki.Model(
        model_id,
        "deckgen basic",
        fields=[{"name": name} for name in BASIC_FIELDS],
        templates=[dict(t) for t in BASIC_TEMPLATES],
        css=CSS,
    )


def cloze_model(model_id: int) -> genanki.Model:
    import genanki

    return genanki.Model(
        model_id,
        "deckgen cloze",
        fields=[{"name": name} for name in CLOZE_FIELDS],
        templates=[dict(t) for t in CLOZE_TEMPLATES],
        css=CSS,
        model_type=genanki.Model.CLOZE,
    )


def note_type_hashes() -> dict[str, str]:
    """A hash of each note type as shipped (name, fields, templates, CSS)."""
    hashes = {}
    for kind, model in (("basic", basic_model(0)), ("cloze", cloze_model(0))):
        data = json.dumps([model.name, model.fields, model.templates, model.css, model.model_type])
        hashes[kind] = "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()
    return hashes
