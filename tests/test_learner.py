"""The learner's side: what a card's back shows and how it reads, the link to the passage on the
live page, the link to suggest a correction, retired cards, and the deck's own page; each with
the real Anki backend where the deck is concerned."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ankihelp import open_collection
from conftest import PROJECT_YAML, REPO, Project, copy_of_repository_deck
from deckgen.correction import correction_url
from deckgen.deckpage import description_html
from deckgen.lock import DEFAULT_RETIRED_REASON
from deckgen.notetypes import BASIC_TEMPLATES, CLOZE_TEMPLATES, CSS
from deckgen.render import finalise, is_http_url
from deckgen.schema import Card, ProjectFile
from deckgen.textfragment import passage_url, text_directive

ARTIFACTS = Path(__file__).with_name("artifacts")
REPOSITORY = "https://github.com/example/deck"
# the last release before the learner's side changed (main's HEAD then): its deck is the "old"
# one learners have
OLD_RELEASE = "a3f7908"


def _import(col: Any, apkg: Path, *, scheduling: bool = False) -> Any:
    """Import with the desktop defaults (update notes and note types "if newer", no merge),
    with or without "import scheduling"."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as UC

    log = col.import_anki_package(ImportAnkiPackageRequest(
        package_path=str(apkg), options=ImportAnkiPackageOptions(
            update_notes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            update_notetypes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            merge_notetypes=False, with_scheduling=scheduling))).log
    col._clear_caches()
    return log


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# ============================================================================ 1. contrast

NIGHT = re.compile(r"\.(?:nightMode|night_mode)\b\s*")


def _css_rules(css: str) -> dict[str, dict[str, dict[str, str]]]:
    """``{mode: {element: {property: value}}}`` of card.css, the night-mode classes taken out
    of the selectors (``.card.nightMode`` is ``.card`` at night; ``.card a`` is ``a``)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, dict[str, dict[str, str]]] = {"day": {}, "night": {}}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict((k.strip(), v.strip()) for k, v in
                            (d.split(":", 1) for d in body.split(";") if ":" in d))
        for selector in selectors.split(","):
            selector = " ".join(selector.split())
            mode = "night" if NIGHT.search(selector) else "day"
            element = NIGHT.sub("", selector).strip().removeprefix(".card ") or ".card"
            for key in ("color", "background"):
                if key in declarations:
                    rules[mode].setdefault(element, {})[key] = declarations[key]
    return rules


def _luminance(colour: str) -> float:
    assert re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", colour), f"not a hex colour: {colour}"
    value = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:])
    channels = []
    for i in (0, 2, 4):
        c = int(value[i:i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.2's contrast ratio of two colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _pairs(css: str) -> list[tuple[str, str, str, str]]:
    """(mode, element, text colour, background) for every element card.css colours, in day mode
    and in night mode (where the day rules apply unless a night rule overrides them)."""
    rules = _css_rules(css)
    elements = sorted(rules["day"].keys() | rules["night"].keys())
    out = []
    for mode in ("day", "night"):
        def get(element: str, key: str, mode: str = mode) -> str | None:
            own = rules[mode].get(element, {}).get(key)
            return own if own is not None else rules["day"].get(element, {}).get(key)

        card_bg, card_fg = get(".card", "background"), get(".card", "color")
        assert card_bg is not None and card_fg is not None
        for element in elements:
            fg, bg = get(element, "color"), get(element, "background")
            if fg is None and bg is None:
                continue
            if fg is None:  # a badge level: the badge's text on the level's colour
                fg = get(".dg-badge", "color") if element.startswith(".dg-level-") else card_fg
            out.append((mode, element, fg or card_fg, bg or card_bg))
    return out


def test_every_text_colour_meets_wcag_aa_in_day_and_night_mode() -> None:
    pairs = _pairs(CSS)
    assert {m for m, *_ in pairs} == {"day", "night"} and len(pairs) > 20
    elements = {e for _, e, _, _ in pairs}
    for needed in (".card", ".dg-notice", ".dg-id", ".dg-citation", ".dg-evidence", "a",
                   ".cloze", ".dg-badge", ".dg-level-testimonial"):
        assert needed in elements, needed
    low = [f"{mode} {element}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"
           for mode, element, fg, bg in pairs if contrast(fg, bg) < 4.5]
    assert low == []


def test_the_contrast_check_reads_what_it_should() -> None:
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#8e8e93", "#fff"), 2) == 3.26  # the card id's grey before
    old = ".card { color: #111; background: #fff; }\n.x { color: #8e8e93; }\n" \
          ".nightMode .card { background: #1c1c1e; color: #eee; }\n.dg-notice { color: #b3261e; }"
    low = {(m, e) for m, e, fg, bg in _pairs(old) if contrast(fg, bg) < 4.5}
    assert low == {("day", ".x"), ("night", ".dg-notice")}


def test_the_back_puts_the_answer_first_then_the_badge_then_the_citation() -> None:
    for templates in (BASIC_TEMPLATES, CLOZE_TEMPLATES):
        back = templates[0]["afmt"]
        order = [back.index(mark) for mark in ('id="answer"', "{{Evidence}}", "{{Quote}}",
                                                "{{Source}}", "{{CardId}}")]
        assert order == sorted(order)
        assert "{{#Notice}}" in templates[0]["qfmt"]  # a retired card says so on its front
    assert "font-size: 1.2em" in re.search(r"\.dg-answer \{[^}]*\}", CSS).group()  # type: ignore[union-attr]


# ============================================================================ 2. text fragments

SEEDS = sorted((REPO / "seeds").glob("*.txt"))


@st.composite
def passages(draw: st.DrawFn) -> str:
    """A run of whole words of a seed, as the seed has it."""
    text = SEEDS[draw(st.integers(0, len(SEEDS) - 1))].read_text(encoding="utf-8")
    words = list(re.finditer(r"\S+", text))
    start = draw(st.integers(0, len(words) - 1))
    end = draw(st.integers(start, min(len(words) - 1, start + 60)))
    return text[words[start].start():words[end].end()]


@settings(max_examples=300, deadline=None)
@given(passages())
def test_a_text_fragment_decoded_is_the_passages_start_and_end_words(passage: str) -> None:
    directive = text_directive(passage)
    assert directive.startswith("text=")
    terms = directive.removeprefix("text=").split(",")
    assert 1 <= len(terms) <= 2
    # the spec's own syntax characters never appear unencoded inside a term
    assert all(not re.search(r"[-&,\s#]", term) for term in terms)
    decoded = [unquote(term).split() for term in terms]
    words = passage.split()
    marker = re.compile(r"\d{1,3}[.)]|[-*\u2022\u00b7\u2013\u2014]")
    lead = next((i for i, w in enumerate(words) if not marker.fullmatch(w)), len(words) - 1)
    trail = next((i for i, w in enumerate(words[::-1]) if not marker.fullmatch(w)), 0)
    inner = words[lead:len(words) - trail] or words[-1:]
    assert all(not marker.fullmatch(w) for term in decoded for w in term) or inner == decoded[0]
    if len(terms) == 1:  # a short passage, whole (but for list markers at its ends)
        assert decoded[0] == inner and len(inner) <= 8
    else:  # the passage's first and last words (list markers left out)
        start, end = decoded
        assert start == inner[:len(start)] and end == inner[-len(end):]
        assert len(start) + len(end) <= len(inner)  # the end is found after the start
    url = passage_url("https://example.org/page#top", passage)
    assert url.startswith("https://example.org/page#:~:text=")
    assert is_http_url(url) and finalise(url) == url


def test_a_text_fragment_for_a_known_passage() -> None:
    passage = "In all healthcare fields, there is a foundational principle: “First, do no harm.”"
    assert passage_url("https://example.org/tiny", passage) == (
        "https://example.org/tiny#:~:text=In%20all%20healthcare%20fields%2C,"
        "%E2%80%9CFirst%2C%20do%20no%20harm.%E2%80%9D")
    assert text_directive("a well-known, short & sweet line") == (
        "text=a%20well%2Dknown%2C%20short%20%26%20sweet%20line")
    # list numbers are often drawn by the page's list, not its text: never in a term
    assert text_directive("In what situations can massage cause harm? 1. When contraindications "
                          "are ignored 2. When excessive pressure is applied 3. When "
                          "overstimulation occurs") == (
        "text=In%20what%20situations%20can,When%20overstimulation%20occurs")
    assert text_directive("1. When contraindications are ignored") == (
        "text=When%20contraindications%20are%20ignored")


def test_the_four_known_seed_addresses_are_filled_in_and_no_other() -> None:
    import yaml

    urls = {s["id"]: s["url"] for s in yaml.safe_load(
        (REPO / "seeds" / "seeds.yaml").read_text(encoding="utf-8"))["seeds"]}
    assert urls == {
        "harm-by-massage-als-1": "https://www.medicalmassage-edu.com/blog/harm-by-massage-in-"
                                 "cases-of-amyotrophic-lateral-sclerosis-als-part-1.htm",
        "do-no-harm-disc-case": None,
        "harm-by-massage-als-2": "https://www.medicalmassage-edu.com/blog/harm-by-massage-in-"
                                 "cases-of-amyotrophic-lateral-sclerosis-als-part-2.htm",
        "caregiver-column-als": "https://alsnewstoday.com/columns/discovering-benefits-massage/",
        "massage-cancer-2": "https://www.medicalmassage-edu.com/blog/massage-in-the-treatment-of-"
                            "cancer-part-2.htm",
    }


# ============================================================================ 3. corrections

EXPECTED_CORRECTION = (
    "https://github.com/example/deck/issues/new?template=card-correction.md"
    "&title=Card%20correction%3A%20do-no-harm"
    "&body=Card%20id%3A%20%60do-no-harm%60%0A%0A%23%23%23%20The%20card%20says%0A%0A"
    "Question%3A%20According%20to%20the%20tiny%20seed%2C%20what%20is%20the%20foundational%20"
    "principle%20of%20all%20healthcare%20fields%3F%0A%0AAnswer%3A%20First%2C%20do%20no%20harm."
    "%0A%0A%23%23%23%20What%20is%20wrong%0A%0A%0A%0A%23%23%23%20What%20it%20should%20say%20"
    "%28and%20the%20passage%20of%20the%20source%20that%20supports%20it%29%0A%0A")


def _with_repository(project: Project, extra: str = "") -> None:
    project.write("deckgen.yaml", PROJECT_YAML + f"repository: {REPOSITORY}/\n" + extra)


def test_the_correction_link_of_a_known_card(project: Project, tmp_path: Path) -> None:
    card = Card.model_validate({
        "id": "do-no-harm", "evidence": "expert-opinion", "source": {"seed": "tiny", "quote": "x"},
        "question": "According to the tiny seed, what is the foundational principle of all "
                    "healthcare fields?", "answer": "First, do no harm."})
    assert correction_url(REPOSITORY, card) == EXPECTED_CORRECTION
    assert is_http_url(EXPECTED_CORRECTION) and finalise(EXPECTED_CORRECTION) == EXPECTED_CORRECTION
    # the same link on the card's back as Anki renders it; never the file or its line
    _with_repository(project)
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "anki")
    _import(col, project.output)
    backs = {col.get_card(c).note()["CardId"]: col.get_card(c).render_output(reload=True)
             .answer_text for c in col.find_cards("")}
    link = re.search(r'<a href="([^"]+)"[^>]*>Suggest a correction</a>', backs["do-no-harm"])
    assert link is not None and link.group(1).replace("&amp;", "&") == EXPECTED_CORRECTION
    assert "safety.yaml" not in link.group(1) and "line" not in unquote(link.group(1))
    assert "Suggest a correction" in backs["overstimulation-cloze"]
    col.close()


def test_no_repository_no_correction_link(project: Project, tmp_path: Path) -> None:
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "anki")
    _import(col, project.output)
    for cid in col.find_cards(""):
        assert "correction" not in col.get_card(cid).render_output(reload=True).answer_text
    col.close()


def test_the_repository_must_be_an_http_address(project: Project) -> None:
    for bad, message in (("ftp://example.org/x", "must start with http:// or https://"),
                         ("https://github.com/a/b?x=1", "without '?' or '#'")):
        project.write("deckgen.yaml", PROJECT_YAML + f"repository: {bad}\n")
        result = project.run("build")
        assert result.exit_code == 1
        assert re.search(r"deckgen\.yaml:9:\d+: error: .*" + re.escape(message), result.output)


def test_the_issue_template_asks_what_a_reviewer_needs() -> None:
    text = (REPO / ".github" / "ISSUE_TEMPLATE" / "card-correction.md").read_text(encoding="utf-8")
    for needed in ("Card id", "The card says", "What is wrong", "What it should say"):
        assert needed in text


# ============================================================================ 4. retired cards

def _retire_do_no_harm(project: Project, reason: str | None) -> None:
    project.write("cards/safety.yaml", project.root.joinpath("cards/safety.yaml").read_text(
        encoding="utf-8").split("  - id: do-no-harm")[0] + "  - id: overstimulation-cloze"
        + project.root.joinpath("cards/safety.yaml").read_text(encoding="utf-8")
        .split("  - id: overstimulation-cloze")[1])
    if reason is not None:
        project.write("deckgen.yaml", PROJECT_YAML + f"retired:\n  do-no-harm: {reason}\n")


@pytest.mark.parametrize("scheduling", [False, True])
def test_a_newcomer_gets_no_retired_card(project: Project, tmp_path: Path,
                                         scheduling: bool) -> None:
    assert project.run("build").exit_code == 0
    _retire_do_no_harm(project, "The passage was misread.")
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "newcomer")
    log = _import(col, project.output, scheduling=scheduling)
    assert len(log.new) == 2 and len(log.conflicting) == 0
    assert col.find_cards("tag:deckgen::retired") == []
    assert len(col.find_cards("is:new")) == len(col.find_cards("")) == 1  # the cloze only
    col.decks.select(col.decks.id_for_name("Test deck"))
    assert sum(col.sched.counts()) == 1
    names = sorted(d.name for d in col.decks.all_names_and_ids())
    assert names == ["Default", "Test deck", "Test deck::Safety"]  # no empty Retired subdeck
    (nid,) = col.find_notes("tag:deckgen::retired")  # the note is there, without cards
    assert col.get_note(nid).card_ids() == []
    col.close()


def test_check_database_gives_a_newcomer_the_retired_cards_marked_withdrawn(
        project: Project, tmp_path: Path) -> None:
    """Measured: Anki's Check Database makes the cards of a note without cards, new, in the
    Default deck. Their front then says the card was withdrawn, and why."""
    assert project.run("build").exit_code == 0
    _retire_do_no_harm(project, "The passage was misread.")
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "newcomer")
    _import(col, project.output)
    col.fix_integrity()
    (cid,) = col.find_cards("tag:deckgen::retired")
    card = col.get_card(cid)
    assert col.decks.name(card.did) == "Default" and card.queue == 0
    front = _text(card.render_output(reload=True).question_text)
    assert front.startswith("Withdrawn from the deck. The passage was misread.")
    col.close()


def test_an_existing_learner_is_told_on_front_and_back(project: Project, tmp_path: Path) -> None:
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "learner")
    _import(col, project.output)
    (cid,) = col.find_cards('"CardId:do-no-harm"')
    card = col.get_card(cid)
    card.start_timer()
    col.sched.answerCard(card, 3)
    _retire_do_no_harm(project, "The passage was misread.")
    assert project.run("build").exit_code == 0
    lock = (project.root / "deckgen.lock").read_text(encoding="utf-8")
    assert '"reason": "The passage was misread."' in lock
    log = _import(col, project.output)
    assert len(log.updated) == 1 and len(log.conflicting) == 0
    card = col.get_card(cid)
    out = card.render_output(reload=True)
    for side in (out.question_text, out.answer_text):
        assert "Withdrawn from the deck. The passage was misread." in _text(side)
    assert card.reps == 1 and "deckgen::retired" in card.note().tags
    col.close()
    # the reason taken out of deckgen.yaml stays (kept in the lock): nothing changes
    project.write("deckgen.yaml", PROJECT_YAML)
    assert project.run("build").exit_code == 0
    assert (project.root / "deckgen.lock").read_text(encoding="utf-8") == lock


def test_a_default_reason_and_a_changed_reason(project: Project, tmp_path: Path) -> None:
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "learner")
    _import(col, project.output)
    _retire_do_no_harm(project, None)
    assert project.run("build").exit_code == 0
    _import(col, project.output)
    (cid,) = col.find_cards('"CardId:do-no-harm"')
    assert DEFAULT_RETIRED_REASON in _text(col.get_card(cid).render_output(reload=True)
                                           .question_text)
    project.write("deckgen.yaml", PROJECT_YAML + "retired:\n  do-no-harm: A better card replaced it.\n")
    assert project.run("build").exit_code == 0
    log = _import(col, project.output)  # the new reason reaches the learner: a newer mod
    assert len(log.updated) == 1
    assert "A better card replaced it." in _text(col.get_card(cid).render_output(reload=True)
                                                 .question_text)
    col.close()


def test_retired_reasons_name_retired_cards_only(project: Project) -> None:
    assert project.run("build").exit_code == 0
    project.write("deckgen.yaml", PROJECT_YAML + "retired:\n  do-no-harm: Gone.\n  never-was: X.\n")
    for command in ("build", "check"):
        result = project.run(command)
        assert result.exit_code == 1
        assert ("deckgen.yaml:10:15: error: card 'do-no-harm' is listed in 'retired' but is still "
                "in the card files: remove it from its file, or from 'retired'") in result.output
        assert ("deckgen.yaml:11:14: error: card 'never-was' is listed in 'retired' but the "
                "deck never shipped it (it is not in deckgen.lock)") in result.output


def test_a_newcomer_still_has_no_retired_card_after_a_note_type_update(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert project.run("build").exit_code == 0
    _retire_do_no_harm(project, "Gone.")
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "newcomer")
    _import(col, project.output)
    import deckgen.notetypes

    monkeypatch.setattr(deckgen.notetypes, "CSS", CSS + "\n.dg-x { color: #000; }\n")
    assert project.run("build").exit_code == 0
    log = _import(col, project.output)
    assert len(log.conflicting) == 0
    assert col.find_cards("tag:deckgen::retired") == []
    col.close()


# ============================================================================ 5. the deck's page

def test_the_deck_description_reads_in_a_few_lines(project: Project, tmp_path: Path) -> None:
    project.write("deckgen.yaml", PROJECT_YAML.replace(
        "description: A deck for tests. Study material, not medical advice.",
        "description: |\n  A deck for tests.\n  Study material, *not* medical advice.\n\n"
        "  A second paragraph.") + "release: 2nd edition (2026-12)\n"
        f"repository: {REPOSITORY}\n")
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "anki")
    _import(col, project.output)
    desc = col.decks.by_name("Test deck")["desc"]
    col.close()
    assert "\n" not in desc  # Anki's overview shows the source's line breaks as they are
    lines = desc.split("<br>")
    assert lines == [
        "A deck for tests. Study material, <em>not</em> medical advice.",
        "A second paragraph.",
        "<b>Release:</b> 2nd edition (2026-12).",
        "The coloured badge on each card's back says how strong the evidence behind its claim "
        "is, from systematic review (strongest) to testimonial (weakest); the caveat beside it "
        "says what is missing.",
        f'Found a mistake? Use "Suggest a correction" on the card\'s back, or report it at '
        f'<a href="{REPOSITORY}">{REPOSITORY}</a>.']


def test_without_release_or_repository_the_description_says_neither() -> None:
    config = ProjectFile.model_validate({
        "name": "D", "description": "What it is.", "deck_id": 1500000001,
        "note_type_ids": {"basic": 1500000002, "cloze": 1500000003}, "guid_namespace": "d"})
    text = description_html(config)
    assert "Release" not in text and "mistake" not in text and text.startswith("What it is.<br>")


# ============================================================================ upgrade + screens

@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A learner who had the last release before this change (built by its own deckgen from
    its own sources) and imports the release built now, from the lock the old one wrote."""
    tmp = tmp_path_factory.mktemp("upgrade")
    try:
        archive = subprocess.run(["git", "archive", OLD_RELEASE, "src", "seeds", "cards",
                                  "deckgen.yaml", "deckgen.lock"], cwd=REPO, check=True,
                                 capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout with the old release")
    old = tmp / "old"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+ (Debian 12 has 3.11.2)
            tar.extractall(old, filter="data")
        else:  # pragma: no cover - our own repository's archive
            tar.extractall(old)
    env = {**os.environ, "PYTHONPATH": str(old / "src")}
    subprocess.run([sys.executable, "-m", "deckgen", "build"], cwd=old, env=env, check=True,
                   capture_output=True)
    old_apkg = next((old / "build").glob("*.apkg"))
    new = copy_of_repository_deck(tmp / "new")
    shutil.copy2(old / "deckgen.lock", new / "deckgen.lock")
    with (new / "deckgen.yaml").open("a", encoding="utf-8") as f:
        f.write(f"repository: {REPOSITORY}\n")
    import deckgen

    project = deckgen.load_project(new)
    deckgen.build(project)
    col = open_collection(tmp / "learner")
    first = _import(col, old_apkg)
    second = _import(col, project.output)
    col.close()
    col = open_collection(tmp / "learner")  # (reopened: note types read afresh)
    yield {"col": col, "first": first, "second": second, "project": project, "tmp": tmp}
    col.close()


def test_an_existing_learner_gets_the_new_templates_without_a_fork(upgraded: dict[str, Any]) -> None:
    col, second = upgraded["col"], upgraded["second"]
    assert len(upgraded["first"].new) > 100
    assert len(second.conflicting) == 0 and len(second.new) == 0
    names = sorted(n.name for n in col.models.all_names_and_ids() if n.name.startswith("deckgen"))
    assert names == ["deckgen basic", "deckgen cloze"]  # no "deckgen basic-xxxxx"
    for name, templates in (("deckgen basic", BASIC_TEMPLATES), ("deckgen cloze", CLOZE_TEMPLATES)):
        model = col.models.by_name(name)
        assert model["css"] == CSS
        assert [t["qfmt"] for t in model["tmpls"]] == [t["qfmt"] for t in templates]
        assert [t["afmt"] for t in model["tmpls"]] == [t["afmt"] for t in templates]
    retired = col.find_cards("tag:deckgen::retired")
    assert retired  # the old release's retired cards, which this learner has
    for cid in retired:
        out = col.get_card(cid).render_output(reload=True)
        assert _text(out.question_text).startswith("Withdrawn from the deck.")


PHONE, DESKTOP = (390, 844), (1100, 900)


def test_screenshots_of_cards_as_anki_renders_them(upgraded: dict[str, Any]) -> None:
    """A basic card, a cloze and a retired card, front and back, at phone and desktop width,
    in day and night mode: the real backend's HTML with the note type's CSS, in Chromium."""
    from test_preview import Browser, _chromium

    col = upgraded["col"]
    chosen = {"basic": col.find_cards('"CardId:three-ways-massage-harms"')[0],
              "cloze": col.find_cards('"CardId:overstimulation-definition-cloze"')[0],
              "retired": col.find_cards("tag:deckgen::retired")[0]}
    (upgraded["tmp"] / "profile").mkdir(exist_ok=True)
    browser = Browser(_chromium(), upgraded["tmp"] / "profile")
    try:
        for name, cid in chosen.items():
            card = col.get_card(cid)
            out = card.render_output(reload=True)
            for side, html in (("front", out.question_text), ("back", out.answer_text)):
                for mode, classes in (("day", ""), ("night", " nightMode night_mode")):
                    page = upgraded["tmp"] / f"{name}-{side}-{mode}.html"
                    page.write_text(
                        '<!DOCTYPE html><html><head><meta charset="utf-8">'
                        '<meta name="viewport" content="width=device-width, initial-scale=1">'
                        f"<style>{out.css}</style></head>"
                        f'<body class="card card{card.ord + 1}{classes}"><div id="qa">{html}'
                        "</div></body></html>", encoding="utf-8")
                    for width, (w, h) in (("phone", PHONE), ("desktop", DESKTOP)):
                        browser.send("Emulation.setDeviceMetricsOverride", {
                            "width": w, "height": h, "deviceScaleFactor": 1,
                            "mobile": width == "phone"})
                        browser.open(page.as_uri())
                        assert browser.js("document.documentElement.scrollWidth") <= w
                        if side == "back" and name != "retired":
                            sizes = browser.js("""[...['.dg-answer', '.dg-cloze', '.dg-citation']
                                .map(s => document.querySelector(s)).filter(Boolean)
                                .map(e => parseFloat(getComputedStyle(e).fontSize))]""")
                            assert sizes[0] > sizes[-1]  # the answer reads larger than the citation
                        shot = ARTIFACTS / f"learner-{name}-{side}-{width}-{mode}.png"
                        assert browser.screenshot(shot)[0] == w
        assert browser.problems() == []
    finally:
        browser.close()


def test_the_preview_shows_the_cards_passage_link_next_to_its_own(project: Project) -> None:
    assert project.run("preview").exit_code == 0
    index = (project.root / "build" / "preview" / "index.html").read_text(encoding="utf-8")
    link = passage_url("https://example.org/tiny", "Overstimulation is not objectively provable "
                       "— the author says so himself.")
    assert (f'line 10</a> (<a class="pv-live" href="{link}">on the page</a>)') in index


@pytest.mark.parametrize("text", ["a" * 5000, "é" * 5000, "\U0001f600" * 3000, "日本語" * 2000])
def test_the_correction_link_stays_within_githubs_address_limit(text: str) -> None:
    """Long cards, and cards in scripts that percent-encode to many bytes, still give a link
    GitHub accepts (its limit is about 8,000 characters)."""
    from deckgen.correction import correction_url
    from deckgen.schema import Card

    card = Card.model_validate({"id": "long-card", "question": text, "answer": text,
                                "source": {"seed": "tiny", "quote": "do no harm"},
                                "evidence": "expert-opinion"})
    url = correction_url("https://github.com/owner/deck", card)
    assert len(url) <= 8000
    assert "%E2%80%A6" in url  # the cut is shown with an ellipsis
