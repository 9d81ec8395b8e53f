"""The JSON Schema editors use and deckgen's loader judge one corpus of card files alike.

An editor (the YAML language server) reads YAML 1.2's core schema: ``3`` is a number, ``true``
a boolean, ``no`` text. deckgen reads every scalar as text. Each file of the corpus is judged by
both: the loader (deckgen's YAML reader and schema validation) and jsonschema, on the data a
YAML 1.2 reader makes of the same text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from conftest import REPO
from deckgen.errors import DeckgenError
from deckgen.schema import CardFile, json_schemas, validate
from deckgen.yamlsource import load_yaml


class Core12Loader(yaml.SafeLoader):
    """PyYAML typing scalars as YAML 1.2's core schema does (as editors do)."""


Core12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    Core12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))


def _scalar(kind: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
        if kind == "bool":
            return value.lower() == "true"
        if kind == "int":
            return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
        return float(value.lower().replace(".inf", "inf").replace(".nan", "nan"))
    return construct


for kind in ("bool", "int", "float"):
    Core12Loader.add_constructor(f"tag:yaml.org,2002:{kind}", _scalar(kind))

BASIC = """\
deck: Safety
tags: [safety]
cards:
  - id: do-no-harm
    question: What is the principle?
    answer: First, do no harm.
    source:
      seed: tiny
      quote: First, do no harm.
    evidence: expert-opinion
"""
CLOZE = BASIC.replace("    question: What is the principle?\n    answer: First, do no harm.\n",
                      "    cloze: '{{c1::First}}, do no harm.'\n")


def variant(old: str, new: str, base: str = BASIC) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


VALID = {
    "basic": BASIC,
    "cloze": CLOZE,
    "a number as the answer": variant("answer: First, do no harm.", "answer: 3"),
    "a boolean as the answer": variant("answer: First, do no harm.", "answer: true"),
    "YAML 1.1's no": variant("answer: First, do no harm.", "answer: no"),
    "a float as extra": variant("    evidence:", "    extra: 1.5\n    evidence:"),
    "an unquoted numeric id": variant("id: do-no-harm", "id: 404"),
    "a numeric tag": variant("tags: [safety]", "tags: [2024]"),
    "a numeric deck": variant("deck: Safety", "deck: 2024"),
    "a number as the quote": variant("quote: First, do no harm.", "quote: 42"),
    "a list of quotes": variant("quote: First, do no harm.", "quote: [First, do no harm]"),
    "an empty cloze beside a basic card": variant("    source:", "    cloze: ~\n    source:"),
    "no caveat": variant("    evidence:", "    caveat:\n    evidence:"),
    "a lint reason as a number": variant("    evidence:", "    lint: {ignore: {DG104: 3}}\n"
                                                          "    evidence:"),
    "a nested subdeck": variant("deck: Safety", "deck: Safety::Pressure"),
    "no deck": variant("deck: Safety\n", ""),
    # (white space as Anki trims it, not as ECMAScript's or Python's \s: U+FEFF is none)
    "a byte-order mark starting a deck": variant("deck: Safety", 'deck: "\\uFEFFSafety"'),
}
INVALID = {
    "an empty quote": variant("quote: First, do no harm.", 'quote: ""'),
    "an empty quote in a list": variant("quote: First, do no harm.", 'quote: [a, ""]'),
    "four quotes": variant("quote: First, do no harm.", "quote: [a, b, c, d]"),
    "no quote": variant("quote: First, do no harm.", "quote: []"),
    "an empty answer": variant("answer: First, do no harm.", "answer: ''"),
    "a null answer": variant("answer: First, do no harm.", "answer: ~"),
    "no answer": variant("    answer: First, do no harm.\n", ""),
    "both kinds": variant("    source:", "    cloze: '{{c1::a}}'\n    source:"),
    "no kind": variant("    question: What is the principle?\n    answer: First, do no harm.\n",
                       ""),
    "a null cloze alone": variant("cloze: '{{c1::First}}, do no harm.'", "cloze: null", CLOZE),
    "an uppercase id": variant("id: do-no-harm", "id: Do-no-harm"),
    "a negative numeric id": variant("id: do-no-harm", "id: -3"),
    "an unknown evidence level": variant("evidence: expert-opinion", "evidence: rtc"),
    "a numeric evidence level": variant("evidence: expert-opinion", "evidence: 3"),
    "an unknown key": variant("    evidence:", "    colour: red\n    evidence:"),
    "a reserved tag": variant("tags: [safety]", "tags: ['seed::tiny']"),
    "a deckgen tag": variant("tags: [safety]", "tags: [deckgen]"),
    "a negative numeric tag": variant("tags: [safety]", "tags: [-3]"),
    "null tags": variant("tags: [safety]", "tags: ~"),
    "the Retired subdeck": variant("deck: Safety", "deck: retired::Old"),
    "an empty deck part": variant("deck: Safety", "deck: 'Safety::'"),
    "white space around a deck part": variant("deck: Safety", "deck: 'Safety:: Pressure'"),
    "a next-line character ending a deck": variant("deck: Safety", 'deck: "Safety\\x85"'),
    "an ideographic space ending a deck": variant("deck: Safety", 'deck: "Safety\\u3000"'),
    "a control character": variant("answer: First, do no harm.", 'answer: "First\\x01"'),
    "no source": variant("    source:\n      seed: tiny\n      quote: First, do no harm.\n", ""),
    "null cards": "cards: ~\n",
    "cards as a mapping": "cards: {a: b}\n",
    "a number as the seed's id with a dot": variant("seed: tiny", "seed: tiny.txt"),
}


def loader_accepts(tmp_path: Path, text: str) -> bool:
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        doc = load_yaml(path)
    except DeckgenError:
        return False
    card_file, _ = validate(doc, CardFile)
    return card_file is not None


SCHEMA = json.loads(json_schemas()["card-file.schema.json"])
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.mark.parametrize(("name", "text", "valid"),
                         [(n, t, True) for n, t in VALID.items()]
                         + [(n, t, False) for n, t in INVALID.items()])
def test_schema_and_loader_agree(tmp_path: Path, name: str, text: str, valid: bool) -> None:
    data = yaml.load(text, Loader=Core12Loader)  # (a SafeLoader)
    by_schema = VALIDATOR.is_valid(data)
    by_loader = loader_accepts(tmp_path, text)
    assert (by_loader, by_schema) == (valid, valid), name


def test_the_committed_schema_is_the_one_judged() -> None:
    committed = json.loads((REPO / "schema" / "card-file.schema.json").read_text("utf-8"))
    assert committed == SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["pattern"]] if isinstance(node.get("pattern"), str) else []) + [
            p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


def test_every_pattern_means_the_same_to_python_and_to_editors() -> None:
    """Editors run the schemas' patterns as ECMAScript regular expressions, this test and
    jsonschema as Python's: their shorthand classes differ (\\s takes U+FEFF in ECMAScript and
    U+0085 in Python; \\w and \\d take more than ASCII in Python), so no pattern uses them."""
    found = [p for text in json_schemas().values() for p in _patterns(json.loads(text))]
    assert len(found) >= 5
    for pattern in found:
        assert not re.search(r"(?<!\\)(?:\\\\)*\\[sSwWdDbB]", pattern), pattern
