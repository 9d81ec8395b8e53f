"""The real Anki backend (the ``anki`` package), as the tests use it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as UC

TEMPLATE_ERROR_MARK = "template-errors"


def open_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_apkg(col: Collection, apkg: Path) -> Any:
    """Import with Anki's default options (update notes and note types "if newer")."""
    resp = col.import_anki_package(ImportAnkiPackageRequest(
        package_path=str(apkg),
        options=ImportAnkiPackageOptions(
            update_notes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            update_notetypes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            merge_notetypes=False,
            with_scheduling=False,
        ),
    ))
    col._clear_caches()
    return resp.log


@dataclass
class Rendered:
    card_id: int
    note_guid: str
    deck: str
    question: str
    answer: str
    fields: dict[str, str]
    tags: list[str]


def render_all(col: Collection) -> list[Rendered]:
    out = []
    for cid in sorted(col.find_cards("")):
        card = col.get_card(cid)
        note = card.note()
        rendered = card.render_output(reload=True)
        out.append(Rendered(
            card_id=cid,
            note_guid=note.guid,
            deck=col.decks.name(card.did),
            question=rendered.question_text,
            answer=rendered.answer_text,
            fields=dict(note.items()),
            tags=list(note.tags),
        ))
    return out


def unsafe_markup(html: str) -> list[str]:
    """Everything in rendered card HTML that a browser would execute or load."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Scan(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img" and _is_checked_media(attrs):
                return
            if tag in {"script", "iframe", "object", "embed", "style", "img", "svg", "math",
                       "form", "input", "link", "meta", "base", "video", "audio"}:
                found.append(f"<{tag}>")
            for name, value in attrs:
                value = (value or "").strip().lower()
                if name.startswith("on"):
                    found.append(f"{tag} {name}=")
                if name in {"href", "src", "action", "formaction", "xlink:href"} and not (
                    value.startswith(("http://", "https://", "#"))
                ):
                    found.append(f"{tag} {name}={value}")

    Scan().feed(html)
    return found


def _is_checked_media(attrs: list[tuple[str, str | None]]) -> bool:
    """An image as deckgen writes one for a checked file of the media folder: a class, the
    file's hashed name, alt text, and nothing else."""
    import re

    names = [name for name, _ in attrs]
    src = dict(attrs).get("src") or ""
    return names == ["class", "src", "alt"] and re.fullmatch(
        r"[0-9a-f]{32}\.(?:png|jpg|jpeg|gif|webp)", src) is not None
