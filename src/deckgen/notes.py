"""Step 4: turn resolved cards into notes: HTML fields, tags, deck, guid."""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .cards import LoadedFile, ResolvedCard, load_file
from .correction import correction_url
from .evidence import BY_ID
from .notetypes import BASIC_FIELDS, CLOZE_FIELDS
from .render import escape, finalise, is_http_url, markdown_to_html
from .seeds import SeedText
from .textfragment import passage_url

if TYPE_CHECKING:
    from .media import Media, MediaFile
    from .schema import Card, ProjectFile


@dataclass(frozen=True)
class NoteSpec:
    """Everything the package writer needs for one note.

    Every field value passes :func:`deckgen.render.finalise` here, whoever made the note
    (a card, or a retired card read back from the lock): nothing reaches Anki around it."""

    card_id: str
    guid: str
    kind: str  # "basic" or "cloze"
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    deck: str
    content_hash: str = field(init=False, compare=False)
    media: tuple[str, ...] = ()  # the names in the package of the checked files it shows

    def __post_init__(self) -> None:
        first, *rest = self.fields  # (a cloze note's first field keeps its deletions)
        fields = (finalise(first, cloze=self.kind == "cloze"), *[finalise(v) for v in rest])
        if self.media:  # Anki's sound tags, only now: finalise neutralises any typed one
            from .media import sound_tags

            fields = tuple(sound_tags(value, self.media) for value in fields)
        object.__setattr__(self, "fields", fields)
        # a hash of everything a learner sees; a new hash means a new ``mod``. (Its input is
        # fixed forever: a different one would give every card a new ``mod`` at once.)
        data = _JSON.encode([self.kind, self.fields, self.tags, self.deck])
        digest = "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()
        object.__setattr__(self, "content_hash", digest)


_JSON = json.JSONEncoder(ensure_ascii=False)  # the same text as json.dumps(..., ensure_ascii=False)


# genanki's (and Anki's) 91 digits, in order
_BASE91 = (string.ascii_lowercase + string.ascii_uppercase + string.digits
           + "!#$%&()*+,-./:;<=>?@[]^_`{|}~")


def note_guid(namespace: str, card_id: str) -> str:
    """A note's identity: the namespace and the card id only, never the content.

    Exactly ``genanki.guid_for("deckgen", namespace, card_id)`` (the first 8 bytes of the
    SHA-256 of ``deckgen__<namespace>__<card id>`` in base 91; a test compares the two on
    many inputs), written out so that making notes needs no genanki: its import (~0.1 s)
    then happens in the main process while the workers make the notes, not before they
    start. (Also a little faster: 5.7 µs a note against genanki's 7.6 µs, measured.)"""
    number = int.from_bytes(
        hashlib.sha256(f"deckgen__{namespace}__{card_id}".encode()).digest()[:8], "big")
    digits = []
    while number:
        number, digit = divmod(number, 91)
        digits.append(_BASE91[digit])
    return "".join(reversed(digits))


def prepare_rendering() -> None:
    """Load and set up what rendering notes needs (before worker processes are forked)."""
    markdown_to_html("*a*")


def deck_name(root: str, subdeck: str | None) -> str:
    return root if not subdeck else f"{root}::{subdeck}"


def source_html(seed: SeedText) -> str:
    meta = seed.seed
    return _source_html(meta.title, meta.author, meta.publisher, meta.url)


@cache  # one per seed
def _source_html(title: str, author: str | None, publisher: str | None, url: str | None) -> str:
    parts = [f'<span class="dg-title">{escape(title)}</span>']
    parts += [escape(value) for value in (author, publisher) if value]
    if url and is_http_url(url):  # (seeds.yaml's url passed the same rule)
        parts[0] = f'<a href="{escape(url)}">{parts[0]}</a>'  # the title links to the page
    return " · ".join(parts)


def quote_html(rc: ResolvedCard) -> str:
    """Each passage; where the seed has an address, a link to the passage itself on the page
    (a text fragment: the browser scrolls to it and highlights it)."""
    url = rc.seed.seed.url
    return "".join(
        f'<blockquote class="dg-passage">{escape(p.text)}</blockquote>'
        + (f'<div class="dg-where"><a href="{escape(passage_url(url, p.text))}">'
           "Read this passage on the page</a></div>" if url and is_http_url(url) else "")
        for p in rc.passages
    )


def report_html(repository: str | None, rc: ResolvedCard) -> str:
    """The "Suggest a correction" link (none without a repository)."""
    if not repository:
        return ""
    return (f'<div class="dg-report"><a href="{escape(correction_url(repository, rc.card))}">'
            "Suggest a correction</a></div>")


@cache
def evidence_html(level_id: str) -> str:
    level = BY_ID[level_id]
    return (f'<span class="dg-badge dg-level-{level.id}" title="{escape(level.meaning)}">'
            f"{escape(level.label)}</span>")


def build_note(rc: ResolvedCard, root_deck: str, namespace: str,
               media: Media | None = None, *, repository: str | None = None) -> NoteSpec:
    card = rc.card
    level = BY_ID[card.evidence]
    shared = {
        "Extra": markdown_to_html(card.extra) if card.extra else "",
        "Source": source_html(rc.seed),
        "Quote": quote_html(rc),
        "Evidence": evidence_html(card.evidence),
        "Caveat": markdown_to_html(card.caveat or level.default_caveat),
        "Notice": "",
        "CardId": escape(card.id),
    }
    names: tuple[str, ...]
    if card.cloze is not None:
        kind, names = "cloze", CLOZE_FIELDS
        shared["Text"] = markdown_to_html(card.cloze, cloze=True)
    else:
        assert card.question is not None and card.answer is not None
        kind, names = "basic", BASIC_FIELDS
        shared["Question"] = markdown_to_html(card.question)
        shared["Answer"] = markdown_to_html(card.answer)
    shown = _with_media(card, shared, media) if media is not None else ()
    shared["Source"] += report_html(repository, rc)  # (after any media credits)
    tags = dict.fromkeys([*rc.file_tags, *card.tags, f"seed::{rc.seed.seed.id}",
                          f"evidence::{card.evidence}"])
    fields = tuple(shared[name] for name in names)  # (finalised by NoteSpec)
    return NoteSpec(
        card_id=card.id,
        guid=note_guid(namespace, card.id),
        kind=kind,
        fields=fields,
        tags=tuple(tags),
        deck=deck_name(root_deck, rc.deck),
        media=tuple(dict.fromkeys(f.name for f in shown)),
    )


@dataclass(frozen=True)
class NoteMaker:
    """How the build makes a project's notes: each card file loaded and checked against the
    project's seeds and media, each card made into its note by :func:`build_note` with the
    project's deck name, guid namespace, media (manifest and bytes) and repository. The build,
    the preview and ``deckgen diff`` (for each revision, with its own inputs) make notes only
    with it, so what they show and compare is what the build writes."""

    seeds: dict[str, SeedText]
    media: Media
    root_deck: str
    namespace: str
    repository: str | None = None

    @classmethod
    def of(cls, config: ProjectFile, seeds: dict[str, SeedText], media: Media) -> NoteMaker:
        return cls(seeds, media, config.name, config.guid_namespace, config.repository)

    def load(self, path: Path) -> LoadedFile:
        """One card file, loaded, validated and resolved as the build does."""
        return load_file(path, self.seeds, self.media)

    def note(self, rc: ResolvedCard) -> NoteSpec:
        return build_note(rc, self.root_deck, self.namespace, self.media,
                          repository=self.repository)


_MEDIA_FIELDS = {"question": "Question", "answer": "Answer", "cloze": "Text", "extra": "Extra",
                 "caveat": "Caveat"}


def _with_media(card: Card, shared: dict[str, str], media: Media) -> tuple[MediaFile, ...]:
    """Render again, with their images and audio, the texts that show media; their credits go
    under the source. The files shown, in order."""
    from .media import credits_html, field_html

    shown: list[MediaFile] = []
    for key, name in _MEDIA_FIELDS.items():
        text = getattr(card, key)
        if text is None or "![" not in text:
            continue
        value, files = field_html(markdown_to_html(text, cloze=key == "cloze", media=True), media)
        shared[name] = value
        shown += files
    if shown:
        shared["Source"] += credits_html(shown)
    return tuple(shown)
