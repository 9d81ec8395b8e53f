"""Hostile input beyond the corpus: size limits, interrupted builds, and property-based fuzzing."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankihelp import import_apkg, open_collection, render_all, unsafe_markup
from conftest import CARDS_YAML, Project
from deckgen import package
from deckgen.yamlsource import MAX_FILE_BYTES


def test_a_very_large_file_is_refused_with_its_size(project: Project) -> None:
    big = project.root / "cards" / "big.yaml"
    with big.open("wb") as f:
        f.write(b"cards: []\n# ")
        f.truncate(MAX_FILE_BYTES + 1)
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stderr == (
        f"cards/big.yaml:1:1: error: YAML file is too large ({MAX_FILE_BYTES + 1} bytes; "
        f"the limit is {MAX_FILE_BYTES} bytes)\n1 error\n"
    )


def test_an_interrupted_build_keeps_the_previous_deck(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.run("build").exit_code == 0
    previous = project.output.read_bytes()

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(package, "_add", interrupted)
    result = project.run("build")  # Ctrl-C while the zip is written
    assert (result.exit_code, result.stderr) == (130, "deckgen: interrupted\n")
    assert "Traceback" not in result.stderr
    assert project.output.read_bytes() == previous
    assert sorted(p.name for p in project.output.parent.iterdir()) == ["test.apkg"]


def test_an_internal_error_is_short_and_says_how_to_report(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(package.PackageWriter, "commit", bug)
    result = project.run("build")
    assert result.exit_code == 3
    assert result.stderr.startswith("deckgen: internal error: ZeroDivisionError: division by zero\n"
                                    "This is a bug in deckgen, not in your cards.")
    assert "Traceback" not in result.stderr
    debug = project.run("--debug", "build")
    assert "Traceback (most recent call last)" in debug.stderr


# ---- property-based: random YAML never gives a traceback, every failure is located

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(alphabet=string.printable + "é—“”{}<>&\u00ad\u200b", max_size=40),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["cards", "id", "question", "answer", "cloze", "source",
                                         "seed", "quote", "evidence", "tags", "deck", "extra",
                                         "caveat", "lint", "x"]), children, max_size=6),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents)
def test_random_yaml_never_crashes(project: Project, doc: object) -> None:
    project.write("cards/safety.yaml", yaml.safe_dump(doc, allow_unicode=True))
    result = project.run("check")
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        first = result.stderr.splitlines()[0]
        assert first.startswith("cards/safety.yaml:"), first
        _, line, col, *_ = first.split(":")
        assert int(line) >= 1 and int(col) >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_random_bytes_never_crash(project: Project, raw: bytes) -> None:
    (project.root / "cards" / "safety.yaml").write_bytes(raw)
    result = project.run("check")
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.stderr


hostile_fragments = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)", "<iframe src=//e.example>", "<svg onload=x()>",
    "&lt;script&gt;", "&#60;b onclick=x()&#62;", "{{FrontSide}}", "}}", "{{", "*em*", "`code`",
    "<a href='https://ok.example' onclick='x()'>a</a>", "<style>*{}</style>", "\n\n- item\n",
    "<object data=x>", "<<>>", "[a](  javascript:x)", "<math><mi xlink:href=javascript:x>",
])
card_text = st.lists(st.one_of(hostile_fragments, st.text(max_size=12)), min_size=1, max_size=5).map(
    lambda parts: "".join(parts))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=card_text, extra=card_text)
def test_random_card_text_builds_safe_or_fails_located(project: Project, tmp_path_factory: pytest.TempPathFactory,
                                                        answer: str, extra: str) -> None:
    data = yaml.safe_load(CARDS_YAML)
    data["cards"][0]["answer"] = answer
    data["cards"][0]["extra"] = extra
    project.write("cards/safety.yaml", yaml.safe_dump(data, allow_unicode=True))
    result = project.run("build")
    if result.exit_code != 0:
        assert result.exit_code == 1
        assert result.stderr.startswith("cards/safety.yaml:")
        return
    col = open_collection(Path(tmp_path_factory.mktemp("anki")))
    import_apkg(col, project.output)
    for card in render_all(col):
        assert unsafe_markup(card.question + card.answer) == []


# ---- the fast YAML path and the position-recording builder agree on every input

yaml_lines = st.sampled_from([
    "a: 1", "a: 2", "b: [x, {c: d}]", "- item", "- {k: v, k: w}", "  - nested", "  c: &anchor x",
    "d: *anchor", "<<: {e: f}", "'<<': quoted merge key", "? [complex]\n: key", "---", "...",
    "e: ''", "f: ~", "g: null", "h:", "  i: j", "- - - deep", "[[[[", "]]", "k: 'x", "l: |\n  block",
    "m: !!str 1", "n: \"esc\\u0041\"", "{a: 1, a: 2}", "o: [1, 2", "# comment", "",
    "cards:", "- id: x", "  - id: 'y'", "  id: z", "- {id: w, v: 1}", "id: top", "- id:", "- [id]",
])


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(yaml_lines, max_size=8))
def test_fast_yaml_path_agrees_with_the_recording_builder(lines: list[str]) -> None:
    from deckgen.yamlsource import _Builder, _Irregular, _Loader, _plain

    text = "\n".join(lines) + "\n"
    builder = _Builder(Path("x.yaml"))
    try:
        found = builder.build(yaml.parse(text, Loader=_Loader))
    except yaml.YAMLError:  # the fast path fails too (or gives up first and falls back)
        with pytest.raises((yaml.YAMLError, _Irregular)):
            _plain(text)
        return
    ids: dict[tuple[str | int, ...], tuple[int, int]] = {}
    try:
        fast_found, data = _plain(text, _Loader, ids)
    except _Irregular:
        assert builder.errors  # the fast path gives up only on what the builder reports
        return
    assert not builder.errors
    assert (fast_found, data) == (found, builder.data)
    # the ids' positions it records on the way are the builder's (cards[3].id, seeds[0].id)
    assert ids == {loc: mark for loc, mark in builder.value_marks.items()
                   if len(loc) == 3 and isinstance(loc[1], int) and loc[2] == "id"
                   and loc in ids}
    assert {loc for loc in builder.value_marks if len(loc) == 3 and loc[2] == "id"
            and isinstance(loc[1], int) and isinstance(data, dict) and isinstance(
                data.get(loc[0]), list) and isinstance(data[loc[0]][loc[1]], dict)
            and isinstance(data[loc[0]][loc[1]]["id"], str)} == set(ids)
