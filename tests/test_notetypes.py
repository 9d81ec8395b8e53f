"""The note types are a contract with every learner's collection.

Anki matches note types by id. If a field's or a template's name changes, or their number, while
the id stays the same, Anki forks the note type on import and stops updating notes. So the field
and template names of each pinned id are recorded in ``notetype_contract.json``: to change them,
give the note type a new id in deckgen.yaml, record the new id here, and write a migration note
in CHANGELOG.md. Template HTML and CSS may change under the same id (tests/test_learner.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from deckgen.notetypes import basic_model, cloze_model

CONTRACT = Path(__file__).with_name("notetype_contract.json")


def shape(model) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "name": model.name,
        "type": model.model_type,
        "fields": [f["name"] for f in model.fields],
        "templates": [t["name"] for t in model.templates],
    }


@pytest.mark.parametrize(("kind", "factory"), [("basic", basic_model), ("cloze", cloze_model)])
def test_fields_and_templates_match_the_contract_of_their_id(kind: str, factory) -> None:  # type: ignore[no-untyped-def]
    config = yaml.safe_load((REPO / "deckgen.yaml").read_text(encoding="utf-8"))
    model_id = config["note_type_ids"][kind]
    contract = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert str(model_id) in contract, f"note type id {model_id} has no recorded contract"
    assert shape(factory(model_id)) == contract[str(model_id)], (
        f"the {kind} note type changed under the same id {model_id}: give it a new id"
    )
