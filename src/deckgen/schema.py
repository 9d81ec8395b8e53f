"""Step 2: the declared schema of every YAML file deckgen reads, and its validation.

The pydantic models below are the one declaration of the file formats: the loader validates
with them and the JSON Schema for editors is generated from them.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import Diagnostic, did_you_mean
from .evidence import LEVEL_IDS
from .yamlsource import YamlDocument

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TAG_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(?:::[a-z0-9][a-z0-9_-]*)*")
CLOZE_RE = re.compile(r"\{\{c(\d+)::")
MAX_QUOTES = 3


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
    return value


def _check_url(value: str) -> str:
    if not re.fullmatch(r"https?://\S+", value):
        raise PydanticCustomError(
            "deckgen_url", "url '{value}' must start with http:// or https://", {"value": value}
        )
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise PydanticCustomError(
            "deckgen_control", "text contains a control character (U+{code}); remove it",
            {"code": f"{ord(found.group()):04X}"},
        )
    return value


def _one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Text = Annotated[str, Field(min_length=1), AfterValidator(_no_control)]
Id = Annotated[str, AfterValidator(_check_id),
               Field(json_schema_extra={"pattern": f"^{ID_RE.pattern}$"})]
Tag = Annotated[str, AfterValidator(_check_tag),
                Field(json_schema_extra={"pattern": f"^{TAG_RE.pattern}$"})]
EvidenceId = Literal[LEVEL_IDS]  # type: ignore[valid-type]
Quotes = Annotated[
    list[Text],
    BeforeValidator(_one_or_more, json_schema_input_type=str | list[str]),
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

    ignore: dict[str, str | None] = Field(
        default_factory=dict, description='Rule code to reason, e.g. {DG104: "why"}.'
    )


class Card(_Strict):
    """One card: ``question`` + ``answer`` (basic) or ``cloze``."""

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

    deck: Text | None = Field(None, description="The subdeck for this file's cards.")
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


class NoteTypeIds(_Strict):
    basic: Annotated[int, Field(gt=1 << 20)]
    cloze: Annotated[int, Field(gt=1 << 20)]


class ProjectFile(_Strict):
    """deckgen.yaml at the project root."""

    name: Text = Field(description="The deck's name in Anki.")
    description: Text = Field(description="Shown in Anki under the deck's name.")
    deck_id: Annotated[int, Field(gt=1 << 20)] = Field(description="Pinned forever.")
    note_type_ids: NoteTypeIds
    guid_namespace: Id = Field(description="Pinned forever; part of every note's guid.")
    cards: Text = "cards"
    seeds: Text = "seeds"
    output: Text = "build/deck.apkg"

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, data: Any) -> Any:
        # every scalar arrives as text (see yamlsource); ids are whole numbers
        def number(value: Any) -> Any:
            return int(value) if isinstance(value, str) and value.isdigit() else value

        if isinstance(data, dict):
            data = dict(data)
            data["deck_id"] = number(data.get("deck_id"))
            ids = data.get("note_type_ids")
            if isinstance(ids, dict):
                data["note_type_ids"] = {k: number(v) for k, v in ids.items()}
        return data


M = TypeVar("M", bound=BaseModel)

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "card-file.schema.json": CardFile,
    "seeds.schema.json": SeedManifest,
    "project.schema.json": ProjectFile,
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


def _diagnostic(doc: YamlDocument, model: type[BaseModel], err: Any) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind = err["type"]
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
    if kind in ("int_type", "int_parsing"):
        return Diagnostic(doc.at(loc), f"{name} must be a whole number, got {value!r}")
    if kind == "greater_than":
        return Diagnostic(doc.at(loc), f"{name} must be a large fixed number (over 2^20)")
    return Diagnostic(doc.at(loc), err["msg"][0].lower() + err["msg"][1:])


def _field_names(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found at ``loc`` (for "did you mean")."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if current is not None else None
        if info is None:
            return []
        current = _inner_model(info.annotation)
    return list(current.model_fields) if current is not None else []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
