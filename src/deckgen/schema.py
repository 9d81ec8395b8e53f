"""Step 2: the declared schema of every YAML file deckgen reads, and its validation.

The pydantic models below are the one declaration of the file formats: the loader validates
with them and the JSON Schema for editors is generated from them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Annotated, Any, Literal, TypeVar, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import Diagnostic, did_you_mean
from .evidence import LEVEL_IDS
from .render import CONTROL_CHARACTERS, is_http_url
from .yamlsource import YamlDocument

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Where an id can stand in a card file's (or the lock's) text, deckgen's loader keeping every
# scalar as typed: as a whole run of these characters, or spelled by a double-quoted escape
# that makes one of them (\x, \u, \U) or joins two lines (a backslash before the line break);
# no other escape makes a character an id holds. (``deckgen new`` and ``deckgen diff`` read
# only the files where an id may stand.)
ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
ID_ESCAPE = re.compile(r"\\[xuU\r\n]")
TAG_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(?:::[a-z0-9][a-z0-9_-]*)*")
CLOZE_RE = re.compile(r"\{\{c(\d+)::")
MAX_QUOTES = 3

# Ids of the deck and note types (measured with the real Anki backend, anki 26.9.3: id 0 makes
# Anki refuse the whole package, 1 is the learner's Default deck, past 2^63 - 1 SQLite cannot
# store it). Above 2^20 keeps them clear of Anki's own small ids; up to 2^53 - 1 keeps them exact
# in every JSON reader (JavaScript's, the editors' schema check, jq), since the lock is JSON.
MIN_ANKI_ID = 1 << 20  # exclusive
MAX_ANKI_ID = (1 << 53) - 1
# A ``mod`` is a time in seconds (0 makes Anki refuse the package); note and card ids are made
# of it (``mod * 1000 + n``), so up to 2^43 (year 280,000) they stay below 2^53 as well.
MAX_MOD = 1 << 43
RESERVED_TAGS = {
    "deckgen": "tags under 'deckgen::' are deckgen's own (deckgen::retired marks retired cards)",
    "evidence": "deckgen tags every card with 'evidence::<its level>' itself: set 'evidence:'",
    "seed": "deckgen tags every card with 'seed::<its seed id>' itself: set 'source: seed:'",
}
RETIRED_SUBDECK = "Retired"


def _check_id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise PydanticCustomError(
            "deckgen_id",
            "id '{value}' must be lowercase letters, digits and single '-' between them",
            {"value": value},
        )
    return value


def _check_tag(value: str) -> str:
    if not TAG_RE.fullmatch(value):
        raise PydanticCustomError(
            "deckgen_tag",
            "tag '{value}' must be lowercase letters, digits, '-' or '_', with '::' between "
            "levels and no spaces",
            {"value": value},
        )
    top, _, below = value.partition("::")
    if top in RESERVED_TAGS and (below or top == "deckgen"):
        raise PydanticCustomError("deckgen_reserved_tag", "tag '{value}' is reserved: {why}",
                                  {"value": value, "why": RESERVED_TAGS[top]})
    return value


# Rust's char::is_whitespace (Unicode White_Space), which Anki trims from deck names
_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def anki_deck_name(name: str) -> str:
    """``name`` as Anki stores it: each part between ``::`` in Unicode NFC, without ASCII
    control characters, trimmed of white space and ':' at both ends, and ``blank`` if nothing
    is left (ankitects/anki rslib/src/decks/name.rs, ``normalized_deck_name_component``)."""
    parts = []
    for part in name.split("::"):
        part = _ASCII_CONTROL.sub("", unicodedata.normalize("NFC", part))
        parts.append(part.strip(_WHITE_SPACE + ":") or "blank")
    return "::".join(parts)


def _deck_name_problem(name: str) -> str | None:
    """Why Anki would store ``name`` under another name, or None."""
    for part in name.split("::"):
        if not part:
            return "an empty part between '::' (Anki names it 'blank')"
        if not part.strip(_WHITE_SPACE):
            return "a part between '::' that is only white space (Anki names it 'blank')"
        if _ASCII_CONTROL.search(part):
            return "a control character (Anki removes it)"
        if part[0] in _WHITE_SPACE or part[-1] in _WHITE_SPACE:
            return "white space at the start or end of a part (Anki trims it)"
        if ":" in (part[0], part[-1]):
            return "a ':' at the start or end of a part (Anki trims it)"
        if unicodedata.normalize("NFC", part) != part:
            return "characters not in Unicode NFC form (Anki composes them)"
    return None


def _check_deck_name(value: str) -> str:
    problem = _deck_name_problem(value)
    if problem is not None:
        raise PydanticCustomError(
            "deckgen_deck_name",
            "deck name '{value}' would be renamed by Anki to '{renamed}': {problem}",
            {"value": value, "renamed": anki_deck_name(value), "problem": problem},
        )
    return value


def _check_root_deck(value: str) -> str:
    value = _check_deck_name(value)
    if value.casefold() == "default":
        raise PydanticCustomError(
            "deckgen_default_deck",
            "deck name '{value}' is Anki's own Default deck (Anki does not tell case apart in "
            "deck names): the cards would mix with each learner's own; choose another name",
            {"value": value})
    return value


def _check_subdeck(value: str) -> str:
    value = _check_deck_name(value)
    if value.split("::")[0].casefold() == RETIRED_SUBDECK.casefold():
        raise PydanticCustomError(
            "deckgen_retired_deck",
            "deck '{value}' is reserved: deckgen puts retired cards in the subdeck '{retired}' "
            "(Anki does not tell case apart in deck names); choose another name",
            {"value": value, "retired": RETIRED_SUBDECK},
        )
    return value


def _check_url(value: str) -> str:
    """The rule every link in the deck follows (:func:`deckgen.render.is_http_url`)."""
    if not re.match(r"https?://", value, re.IGNORECASE):
        raise PydanticCustomError(
            "deckgen_url", "url '{value}' must start with http:// or https://", {"value": value}
        )
    if not is_http_url(value):
        raise PydanticCustomError(
            "deckgen_url", "url '{value}' must be an absolute http(s) URL with a host, and no "
            "white space or invisible characters", {"value": value})
    return value


def _check_repository(value: str) -> str:
    """A repository's address: a link (see :func:`_check_url`) without a query or fragment,
    since the cards' links add '/issues/new?...' to it."""
    value = _check_url(value)
    if "?" in value or "#" in value:
        raise PydanticCustomError(
            "deckgen_url", "repository '{value}' must be the repository's address, without "
            "'?' or '#' (e.g. https://github.com/owner/deck)", {"value": value})
    return value




def _no_control(value: str) -> str:
    found = CONTROL_CHARACTERS.search(value)
    if found:
        raise PydanticCustomError(
            "deckgen_control", "text contains a control character (U+{code}); remove it",
            {"code": f"{ord(found.group()):04X}"},
        )
    return value


def _one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# The JSON Schema says what the loader accepts. Every YAML scalar is text to the loader (see
# yamlsource), but an editor reads `answer: 3` as a number and `answer: true` as a boolean: so
# wherever the loader takes text, the schema takes a number or a boolean as well when every
# text of that kind is valid (any text; an id or a tag: the whole numbers). What the schema
# cannot see (the digits a number was written with, Unicode normal forms) only deckgen checks.
_JSON_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_SCALAR = {"type": ["number", "boolean"]}
_TEXT_JSON = {"anyOf": [{"type": "string", "minLength": 1, "pattern": _JSON_NO_CONTROL},
                        _SCALAR]}
_ANY_TEXT_JSON = {"anyOf": [{"type": "string"}, _SCALAR]}
_WHOLE = {"type": "integer", "minimum": 0}
_ID_JSON = {"anyOf": [{"type": "string", "pattern": f"^{ID_RE.pattern}$"}, _WHOLE]}
_TAG_JSON = {"anyOf": [{"type": "string", "pattern": f"^{TAG_RE.pattern}$",
                        "not": {"pattern": "^(deckgen(::|$)|evidence::|seed::)"}}, _WHOLE]}
# a deck name's parts: not empty, no white space (as Anki trims it, _WHITE_SPACE) or ':' at
# either end, no control character; a subdeck not under 'Retired' (any case). The white space
# is spelled out: a pattern's \s differs between Python and the ECMAScript regexes of editors
# (U+FEFF is white space to ECMAScript, U+0085 is not), and between both and Anki.
_WS_CLASS = "".join(f"\\u{ord(c):04x}" for c in _WHITE_SPACE) + ":"
_DECK_PATTERN = (f"^(?!.*(^|::)(::|$))(?!.*(^|::)[{_WS_CLASS}])(?!.*[{_WS_CLASS}](::|$))"
                 r"[^\x00-\x1f\x7f]+$")
_RETIRED_PATTERN = "^[Rr][Ee][Tt][Ii][Rr][Ee][Dd](::|$)"

Text = Annotated[str, Field(min_length=1), AfterValidator(_no_control),
                 WithJsonSchema(_TEXT_JSON)]
AnyText = Annotated[str, WithJsonSchema(_ANY_TEXT_JSON)]
Id = Annotated[str, AfterValidator(_check_id), WithJsonSchema(_ID_JSON)]
Tag = Annotated[str, AfterValidator(_check_tag), WithJsonSchema(_TAG_JSON)]
DeckName = Annotated[str, Field(min_length=1), AfterValidator(_no_control),
                     AfterValidator(_check_root_deck)]
Subdeck = Annotated[str, Field(min_length=1), AfterValidator(_no_control),
                    AfterValidator(_check_subdeck),
                    WithJsonSchema({"anyOf": [
                        {"type": "string", "pattern": _DECK_PATTERN,
                         "not": {"pattern": _RETIRED_PATTERN}}, _SCALAR]})]
AnkiId = Annotated[int, Field(gt=MIN_ANKI_ID, le=MAX_ANKI_ID)]
Mod = Annotated[int, Field(ge=1, le=MAX_MOD, description="A time in seconds.")]
Hash = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
NoteKind = Literal["basic", "cloze"]
# the lock's many texts and ids are checked by pattern (in pydantic's core: a lock has a line per
# card, read on every build), to the same rules as Text and Id
LockText = Annotated[str, Field(min_length=1, pattern=_JSON_NO_CONTROL)]
LockId = Annotated[str, Field(pattern=f"^{ID_RE.pattern}$")]
EvidenceId = Literal[LEVEL_IDS]  # type: ignore[valid-type]
Quotes = Annotated[
    list[Text],
    BeforeValidator(_one_or_more, json_schema_input_type=Text | list[Text]),
    Field(min_length=1, max_length=MAX_QUOTES),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Source(_Strict):
    """Where a card's claim comes from: a seed and one to three verbatim passages of it."""

    seed: Id = Field(description="The id of a seed in seeds/seeds.yaml.")
    quote: Quotes = Field(description="A verbatim passage of the seed, or a list of up to three.")


class LintSettings(_Strict):
    """Per-card lint settings: silence a rule for this card, with a reason."""

    ignore: dict[str, AnyText | None] = Field(
        default_factory=dict, description='Rule code to reason, e.g. {DG104: "why"}.'
    )


def _not_null(*keys: str) -> dict[str, Any]:
    return {key: {"not": {"type": "null"}} for key in keys}


class Card(_Strict):
    """One card: ``question`` + ``answer`` (basic) or ``cloze``."""

    # (the loader's _one_kind, for editors: exactly one of the two kinds)
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["question", "answer"], "properties": {
            **_not_null("question", "answer"), "cloze": {"type": "null"}}},
        {"required": ["cloze"], "properties": {
            **_not_null("cloze"), "question": {"type": "null"}, "answer": {"type": "null"}}},
    ]})

    id: Id = Field(description="Stable forever; lowercase letters, digits and '-'.")
    question: Text | None = None
    answer: Text | None = None
    cloze: Text | None = Field(None, description="Text with {{c1::deletions}}.")
    source: Source
    evidence: EvidenceId = Field(description="An evidence level id.")
    caveat: Text | None = Field(None, description="What is missing, in one sentence.")
    tags: list[Tag] = Field(default_factory=list)
    extra: Text | None = Field(None, description="Shown on the back, under the answer.")
    lint: LintSettings | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Card:
        basic = self.question is not None or self.answer is not None
        if basic and self.cloze is not None:
            raise PydanticCustomError(
                "deckgen_kind", "a card has either 'question' and 'answer', or 'cloze', not both"
            )
        if self.cloze is None and (self.question is None or self.answer is None):
            missing = "answer" if self.question is not None else "question"
            if self.answer is None and self.question is None:
                raise PydanticCustomError(
                    "deckgen_kind", "a card needs 'question' and 'answer', or 'cloze'"
                )
            raise PydanticCustomError(
                "deckgen_kind", "card has no '{missing}'", {"missing": missing}
            )
        return self


class CardFile(_Strict):
    """A file under cards/: an optional subdeck and tags, and a list of cards."""

    deck: Subdeck | None = Field(None, description="The subdeck for this file's cards.")
    tags: list[Tag] = Field(default_factory=list)
    cards: list[Card]


class Seed(_Strict):
    """One source document."""

    id: Id
    file: Text = Field(description="The seed's text file, relative to the manifest.")
    title: Text
    author: Text | None = None
    publisher: Text | None = None
    url: Annotated[str, AfterValidator(_check_url)] | None = None
    genre: Text
    max_evidence: EvidenceId = Field(description="The strongest level a card citing it may claim.")


class SeedManifest(_Strict):
    """seeds/seeds.yaml."""

    seeds: list[Seed]


class MediaEntry(_Strict):
    """One image or audio file of the media folder, with its credit."""

    file: Text = Field(description="The file's path in the media folder, as cards name it.")
    source: Text = Field(description="Where it comes from: a URL, or a sentence.")
    author: Text = Field(description="Who made it.")
    licence: Text = Field(description="Its licence, e.g. CC BY 4.0.")


class MediaManifest(_Strict):
    """media/media.yaml."""

    media: list[MediaEntry]


class NoteTypeIds(_Strict):
    basic: AnkiId
    cloze: AnkiId = Field(description="Not the basic note type's id.")

    @field_validator("cloze")
    @classmethod
    def _not_basic(cls, value: int, info: ValidationInfo) -> int:
        if value == info.data.get("basic"):  # Anki refuses the whole package (measured)
            raise PydanticCustomError(
                "deckgen_same_ids", "the basic and cloze note types need different ids "
                "(with one id for both, Anki refuses the whole package)")
        return value


class ProjectFile(_Strict):
    """deckgen.yaml at the project root."""

    name: DeckName = Field(description="The deck's name in Anki. Recorded in deckgen.lock.")
    description: Text = Field(description="Shown in Anki under the deck's name.")
    deck_id: AnkiId = Field(description="Pinned forever.")
    note_type_ids: NoteTypeIds
    guid_namespace: Id = Field(description="Pinned forever; part of every note's guid.")
    cards: Text = "cards"
    seeds: Text = "seeds"
    output: Text = "build/deck.apkg"
    media: Text = Field("media", description="The folder of images and audio, with media.yaml.")
    release: Text | None = Field(None, description="This release's name, e.g. '2nd edition "
                                 "(2026-12)': shown in the deck's description in Anki.")
    repository: Annotated[str, AfterValidator(_check_repository)] | None = Field(
        None, description="The deck repository's address (http(s)), e.g. "
        "https://github.com/owner/deck: each card's back links to its new-issue page to "
        "suggest a correction.")
    retired: dict[Id, Text] = Field(
        default_factory=dict, description="Card id to the reason it was withdrawn, shown to "
        "learners on the retired card (a card removed from its file is retired either way).")

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, data: Any) -> Any:
        # every scalar arrives as text (see yamlsource); ids are whole numbers, written with
        # the digits 0-9 only (str.isdigit alone would take '²' or '١٢٣'); text too long for
        # int() stays text, and the message says it is too large
        def number(value: Any) -> Any:
            if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 100:
                return int(value)
            return value

        if isinstance(data, dict):
            data = dict(data)
            data["deck_id"] = number(data.get("deck_id"))
            ids = data.get("note_type_ids")
            if isinstance(ids, dict):
                data["note_type_ids"] = {k: number(v) for k, v in ids.items()}
        return data


class LockNoteType(_Strict):
    """deckgen.lock: a note type as last shipped."""

    hash: Hash
    mod: Mod


class LockCard(_Strict):
    """deckgen.lock: a card as last shipped (``front``: its first field, in HTML)."""

    hash: Hash
    mod: Mod
    kind: NoteKind
    deck: LockText
    front: LockText


class LockRetired(_Strict):
    """deckgen.lock: a retired card, shipped again as a note without cards, with its last first
    field, the reason shown on it and the hash of the note as shipped (locks written before
    those two have neither)."""

    hash: Hash | None = None
    mod: Mod
    kind: NoteKind
    deck: LockText
    front: LockText
    reason: LockText | None = None


class LockIdentity(_Strict):
    """deckgen.lock: what learners' Anki knows the deck by (from deckgen.yaml)."""

    name: DeckName
    deck_id: AnkiId
    note_type_ids: NoteTypeIds
    guid_namespace: Id


class LockFile(_Strict):
    """deckgen.lock, written by ``deckgen build`` (JSON). Locks written before the identity
    was recorded have no ``identity``."""

    version: Literal[1]
    identity: LockIdentity | None = None
    note_types: dict[NoteKind, LockNoteType] = Field(default_factory=dict)
    cards: dict[LockId, LockCard] = Field(default_factory=dict)
    retired: dict[LockId, LockRetired] = Field(default_factory=dict)


M = TypeVar("M", bound=BaseModel)

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "card-file.schema.json": CardFile,
    "seeds.schema.json": SeedManifest,
    "project.schema.json": ProjectFile,
    "media.schema.json": MediaManifest,
}


def json_schemas() -> dict[str, str]:
    """The JSON Schema of each file format, as committed under ``schema/`` for editors."""
    out = {}
    for name, model in SCHEMA_FILES.items():
        schema = model.model_json_schema(mode="validation")
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://deckgen.invalid/schema/{name}", **schema}
        out[name] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def validate(doc: YamlDocument, model: type[M]) -> tuple[M | None, list[Diagnostic]]:
    """Validate a YAML document against a model; every problem becomes a located diagnostic."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [_diagnostic(doc, model, err) for err in exc.errors()]


_KIND = {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}


def _kind(value: Any) -> str:
    return _KIND.get(type(value), type(value).__name__)


_RANGES = {
    "'mod'": "from 1 to 2^43 (a time in seconds)",
    **dict.fromkeys(("'deck_id'", "'basic'", "'cloze'"),
                    "a large fixed number, over 2^20 and below 2^53"),
}


def _diagnostic(doc: YamlDocument, model: type[BaseModel], err: Any) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind = err["type"]
    if loc and loc[-1] == "[key]":  # a key of a mapping of any keys (the lock's card ids)
        return _key_diagnostic(doc, loc[:-1], err)
    name = next((part for part in reversed(loc) if isinstance(part, str)), "value")
    # an item of a list is named by its position
    name = f"item {loc[-1] + 1} of '{name}'" if loc and isinstance(loc[-1], int) else f"'{name}'"
    value = err.get("input")
    if kind == "missing":
        return Diagnostic(doc.at(loc[:-1]), f"missing key {name}")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _field_names(model, loc[:-1])
        return Diagnostic(doc.key_at(loc), f"unknown key '{key}'{did_you_mean(key, allowed)}")
    if kind == "literal_error" and name in ("'evidence'", "'max_evidence'"):
        hint = did_you_mean(str(value), LEVEL_IDS)
        if not hint:
            hint = "; expected one of: " + ", ".join(LEVEL_IDS)
        text = f"unknown evidence level '{value}'{hint}" if isinstance(value, str) else (
            f"{name} must be text, got {_kind(value)}")
        return Diagnostic(doc.at(loc), text)
    if kind in ("string_type", "str_type"):
        return Diagnostic(doc.at(loc), f"{name} must be text, got {_kind(value)}")
    if kind in ("list_type",):
        return Diagnostic(doc.at(loc), f"{name} must be a list, got {_kind(value)}")
    if kind == "dict_type" and name == "'ignore'":
        return Diagnostic(doc.at(loc), 'lint: ignore must map each rule code to a reason, '
                          'e.g. {DG104: "the list is the point"}')
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        what = name if loc else "the file"
        return Diagnostic(doc.at(loc), f"{what} must be a mapping, got {_kind(value)}")
    if kind == "string_too_short":
        return Diagnostic(doc.at(loc), f"{name} must not be empty")
    if kind == "too_long" and name == "'quote'":
        return Diagnostic(doc.at(loc), f"'quote' may list at most {MAX_QUOTES} passages")
    if kind == "too_short" and name == "'quote'":
        return Diagnostic(doc.at(loc), "'quote' must list at least one passage")
    if kind in ("int_type", "string_type") and model is LockFile:  # JSON: its values typed
        shown = json.dumps(value, ensure_ascii=False)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return Diagnostic(doc.at(loc), f"{name} must be "
                          f"{'a whole number' if kind == 'int_type' else 'text'}, got {shown}")
    if kind in ("int_type", "int_parsing"):
        if (model is ProjectFile and isinstance(value, str) and value.isascii()
                and value.isdigit()):  # see _numbers
            return Diagnostic(doc.at(loc), f"{name} is too large ({len(value)} digits)")
        digits = isinstance(value, str) and any(c.isdigit() for c in value)
        return Diagnostic(doc.at(loc), f"{name} must be a whole number"
                          + (" written with the digits 0-9" if digits else "")
                          + f", got {_shown(value)}")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bounds = _RANGES.get(name, err["msg"].removeprefix("Input should be "))
        return Diagnostic(doc.at(loc), f"{name} must be {bounds}, got {value!r}")
    if kind == "literal_error" and name == "'version'":
        return Diagnostic(doc.at(loc), f"unsupported lock file version {value!r}: this deckgen "
                          "reads version 1; use the deckgen that wrote it")
    if kind == "literal_error":
        return Diagnostic(doc.at(loc), f"{name} must be {err['ctx']['expected']}, got {value!r}")
    if kind == "string_pattern_mismatch" and isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        return Diagnostic(doc.at(loc), f"text contains a control character "
                          f"(U+{ord(CONTROL_CHARACTERS.findall(value)[0]):04X}); remove it")
    if kind == "string_pattern_mismatch" and name == "'hash'":
        return Diagnostic(doc.at(loc), f"'hash' must be 'sha256:' and 64 lowercase hexadecimal "
                          f"digits, got {value!r}")
    if kind == "deckgen_id" and name == "'seed'":  # (a seed is named by its id: say which)
        return Diagnostic(doc.at(loc), "seed " + err["msg"])
    return Diagnostic(doc.at(loc), err["msg"][0].lower() + err["msg"][1:])


def _key_diagnostic(doc: YamlDocument, loc: tuple[str | int, ...], err: Any) -> Diagnostic:
    """A key refused in a mapping whose keys are data (card ids, note type kinds)."""
    key, section = str(loc[-1]), str(loc[-2]) if len(loc) > 1 else "the file"
    if err["type"] == "literal_error":
        allowed = re.findall(r"'([^']*)'", err["ctx"]["expected"])
        return Diagnostic(doc.key_at(loc), f"unknown key '{key}' in '{section}': expected "
                          f"{err['ctx']['expected']}{did_you_mean(key, allowed)}")
    if err["type"] in ("string_type", "str_type"):
        return Diagnostic(doc.key_at(loc), f"a key in '{section}' must be text")
    if err["type"] == "string_pattern_mismatch":
        return Diagnostic(doc.key_at(loc), f"card id '{key}' in '{section}' must be lowercase "
                          "letters, digits and single '-' between them")
    return Diagnostic(doc.key_at(loc), err["msg"][0].lower() + err["msg"][1:])


def _shown(value: Any, limit: int = 40) -> str:
    """A value as a message quotes it: its repr, cut short when long."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _field_names(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found at ``loc`` (for "did you mean")."""
    current: type[BaseModel] | None = model
    keyed = False  # the next part is a key of a mapping of any keys (dict[Id, LockCard])
    for part in loc:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        info = current.model_fields.get(part) if current is not None else None
        if info is None:
            return []
        current = _inner_model(info.annotation)
        keyed = _is_mapping(info.annotation)
    return list(current.model_fields) if current is not None else []


def _is_mapping(annotation: Any) -> bool:
    if get_origin(annotation) is dict:
        return True
    return any(_is_mapping(arg) for arg in getattr(annotation, "__args__", ())
               if get_origin(annotation) is not list)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
