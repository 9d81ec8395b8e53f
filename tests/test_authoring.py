"""Authoring helpers and editor support from the user's side: schema, quote, new, diff."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import yaml

from conftest import CARDS_YAML, REPO, Project, pressure_card
from deckgen.cli import cli
from deckgen.schema import json_schemas


def test_committed_json_schemas_are_current() -> None:
    for name, text in json_schemas().items():
        committed = REPO / "schema" / name
        assert committed.read_text(encoding="utf-8") == text, f"run 'deckgen schema' ({name})"


def test_card_files_name_their_schema_and_validate_against_it() -> None:
    schema = json.loads((REPO / "schema" / "card-file.schema.json").read_text(encoding="utf-8"))
    for path in sorted((REPO / "cards").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=../schema/card-file.schema.json\n")
        jsonschema.validate(yaml.safe_load(text), schema)
    bad = yaml.safe_load(CARDS_YAML.replace("evidence: expert-opinion", "evidence: rtc", 1))
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError as exc:
        assert "'rtc' is not one of" in exc.message
    else:
        raise AssertionError("the schema accepted an unknown evidence level")


def test_schema_command_writes_the_schemas(project: Project) -> None:
    result = project.run("schema", "-o", "s")
    assert result.stdout == ("s/card-file.schema.json\ns/seeds.schema.json\ns/project.schema.json\n"
                             "s/media.schema.json\n")
    assert (project.root / "s" / "seeds.schema.json").read_text() == json_schemas()["seeds.schema.json"]


def test_quote_prints_verbatim_candidates_with_lines(project: Project) -> None:
    result = project.run("quote", "tiny", "overstimulation provable", "-n", "3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (  # the sentence holding both words, then the one holding one
        "line 10 (80%):\n"  # (a sentence holding neither is not shown, however alike its letters)
        '      quote: "Overstimulation is not objectively provable — the author says so himself."\n'
        "line 8 (74%; 3 words; a quote has 5 to 60):\n"
        '      quote: "When overstimulation occurs"\n'
    )
    unknown = project.run("quote", "tinny", "x")
    assert (unknown.exit_code, unknown.stderr) == (
        1, "seeds/seeds.yaml:1:1: error: unknown seed 'tinny'; did you mean 'tiny'?\n1 error\n")


def test_new_appends_a_skeleton_with_a_never_used_id(project: Project) -> None:
    project.write("cards/safety.yaml", CARDS_YAML + pressure_card("safety-1"))
    assert project.run("build").exit_code == 0
    project.write("cards/safety.yaml", CARDS_YAML)  # safety-1 is now retired: never reused
    assert project.run("build").exit_code == 0
    before = (project.root / "cards/safety.yaml").read_text()
    result = project.run("new", "cards/safety.yaml")
    assert result.stdout == "added card 'safety-2' to cards/safety.yaml: fill in the TODOs\n"
    after = (project.root / "cards/safety.yaml").read_text()
    assert after.startswith(before)
    assert after[len(before):].startswith("  - id: safety-2\n    question: TODO")
    check = project.run("check")  # the skeleton must be filled in before it passes
    assert check.exit_code == 1
    assert "cards/safety.yaml:22:13: error: seed id 'TODO' must be lowercase" in check.stderr
    assert "cards/safety.yaml:24:15: error: unknown evidence level 'TODO'" in check.stderr

    created = project.run("new", "cards/sub/fresh.yaml")
    assert created.stdout == "added card 'fresh-1' to cards/sub/fresh.yaml: fill in the TODOs\n"
    text = (project.root / "cards/sub/fresh.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schema/card-file.schema.json\ncards:\n  - id: fresh-1\n")
    outside = project.run("new", "elsewhere.yaml")
    assert outside.exit_code == 1
    assert outside.stderr == "elsewhere.yaml:1:1: error: a card file is a .yaml file inside cards/\n1 error\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(root), "PATH": "/usr/bin:/bin"})


NEW_CARD = pressure_card("pressure-harm")


def test_diff_reports_a_pull_request_exactly(project: Project) -> None:
    git(project.root, "init", "-q", "-b", "main")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "base")
    project.write("cards/safety.yaml", CARDS_YAML.replace(
        "answer: First, do no harm.", "answer: First, do *no* harm at all.") + NEW_CARD)
    git(project.root, "commit", "-q", "-am", "add one card, edit another")

    text = project.run("diff", "HEAD~1", "HEAD")
    assert (text.exit_code, text.stdout) == (0, (
        "1 added, 1 changed, 0 retired\n"
        "Added:\n"
        "  + pressure-harm\n"
        "      question: According to the tiny seed, what is the second way massage harms?\n"
        "      answer: When excessive pressure is applied.\n"
        "      evidence: expert-opinion\n"
        "      caveat: One expert's judgement, stated without data.\n"
        "      source: tiny: A Tiny Seed · A. Author · Test Press · https://example.org/tiny\n"
        "      quote: When excessive pressure is applied (line 7)\n"
        "      tags: safety, seed::tiny, evidence::expert-opinion\n"
        "      deck: Test deck::Safety\n"
        "Changed:\n"
        "  ~ do-no-harm\n"
        "      answer: First, do [-no harm.-] {+*no* harm at all.+}\n"
    ))
    markdown = project.run("diff", "HEAD~1", "HEAD", "--format", "markdown")
    assert markdown.stdout == (
        "### Deck changes\n\n1 added, 1 changed, 0 retired\n\n"
        "**Added**\n- `pressure-harm`\n"
        "  - question: According to the tiny seed, what is the second way massage harms?\n"
        "  - answer: When excessive pressure is applied.\n"
        "  - evidence: expert-opinion\n"
        "  - caveat: One expert's judgement, stated without data.\n"
        "  - source: tiny: A Tiny Seed · A. Author · Test Press · https\\://example.org/tiny\n"
        "  - quote: When excessive pressure is applied (line 7)\n"
        "  - tags: safety, seed::tiny, evidence::expert-opinion\n"
        "  - deck: Test deck::Safety\n\n"
        "**Changed**\n- `do-no-harm`\n"  # (the author's Markdown shown, not rendered)
        "  - answer: First, do ~~no harm.~~ **\\*no\\* harm at all.**\n"
    )
    # against the working tree, with a card removed
    project.write("cards/safety.yaml", CARDS_YAML.split("  - id: overstimulation-cloze")[0] + NEW_CARD)
    work = project.run("diff", "HEAD")
    assert work.stdout == (
        "0 added, 1 changed, 1 retired\n"
        "Retired:\n"
        "  - overstimulation-cloze\n"
        "Changed:\n"
        "  ~ do-no-harm\n"
        "      answer: First, do [-*no* harm at all.-] {+no harm.+}\n"
    )
    bad = project.run("diff", "no-such-rev")
    assert bad.exit_code == 1
    assert bad.stderr == ("deckgen: error: BASE 'no-such-rev' is not a commit in this "
                          "repository\n")


def test_every_command_has_help() -> None:
    for name, command in cli.commands.items():
        assert command.help and len(command.help) > 20, name
        assert f"deckgen {name}" in (REPO / "README.md").read_text(encoding="utf-8"), name
