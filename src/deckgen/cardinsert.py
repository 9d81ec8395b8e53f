"""``deckgen new``: add a card skeleton at the end of a card file's ``cards`` sequence.

The card goes where the YAML says the sequence ends, in the sequence's own style: an item of a
block sequence indented like the others (wherever ``cards`` stands in the file), a mapping
before the ``]`` of a flow sequence, a first item under ``cards:`` or in place of ``[]``.
Everything else in the file (comments, the schema line, other keys, quoting) is kept as it was.
The new text is read back with deckgen's own YAML loader before it replaces the file (through a
temporary file, renamed over it): unless it holds exactly the old data with one more card, the
file is left alone and the command says why.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .errors import DeckgenError, Diagnostic, Location
from .yamlsource import load_yaml, read_text

SCHEMA_COMMENT = "# yaml-language-server: $schema={}\n"


def skeleton(card_id: str, cloze: bool) -> dict[str, Any]:
    """The new card's data, as the loader reads it back (every value is text)."""
    card: dict[str, Any] = {"id": card_id}
    if cloze:
        card["cloze"] = "TODO According to <source>, {{c1::TODO the words to recall}}."
    else:
        card["question"] = "TODO According to <source>, ...?"
        card["answer"] = "TODO"
    card["source"] = {"seed": "TODO", "quote": "TODO"}
    card["evidence"] = "TODO"
    card["caveat"] = "TODO what the evidence lacks, in one sentence"
    return card


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain(text: str) -> str:
    """``text`` as a block value: plain when YAML reads it back as the same text, else quoted."""
    try:
        same = yaml.safe_load(f"k: {text}") == {"k": text} and " #" not in text
    except yaml.YAMLError:
        same = False
    return text if same else _quoted(text)


def _block(card: dict[str, Any], dash: int, keys: int, nested: int) -> str:
    """The card as an item of a block sequence: ``-`` at column ``dash``, its keys at column
    ``keys``, the keys of ``source`` ``nested`` further in (with the hints as comments)."""
    lines = []
    hints = {"seed": '  # deckgen quote SEED "words" finds a passage',
             "evidence": "  # see README, Evidence levels"}
    for i, (key, value) in enumerate(card.items()):
        lead = " " * dash + "-" + " " * (keys - dash - 1) if i == 0 else " " * keys
        if isinstance(value, dict):
            lines.append(f"{lead}{key}:")
            lines += [f"{' ' * (keys + nested)}{k}: {_plain(v)}{hints.get(k, '')}"
                      for k, v in value.items()]
        else:
            lines.append(f"{lead}{key}: {_plain(value)}{hints.get(key, '')}")
    return "\n".join(lines) + "\n"


def _flow(card: dict[str, Any]) -> str:
    def one(value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {one(v)}" for k, v in value.items()) + "}"
        return _quoted(value)

    return one(card)


def _line_end(text: str, index: int) -> int:
    """The index just past the end of the line holding ``index`` (its newline included)."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _last_content(node: yaml.Node) -> int:
    """Where the last scalar or flow collection inside ``node`` ends (block collections' own end
    marks stand at the next token, past any comments that follow them)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    return max((_last_content(c) for c in children), default=int(node.start_mark.index))


def _nested_indent(items: list[yaml.Node]) -> int:
    """How far an item's nested keys are indented from its own (2 unless the file says)."""
    for item in items:
        if isinstance(item, yaml.MappingNode) and not item.flow_style:
            for key, value in item.value:
                if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
                    return int(value.start_mark.column - key.start_mark.column)
    return 2


class _Refused(Exception):
    pass


_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree with each node's position (libyaml's, which counts characters as
    PyYAML's own parser does; that parser decides when libyaml gives up)."""
    try:
        return yaml.compose(text, Loader=_FAST)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=yaml.SafeLoader)


def with_card(text: str, card: dict[str, Any], root: yaml.Node | None = None) -> str:
    """``text`` with ``card`` added at the end of its ``cards`` sequence (raise :class:`_Refused`
    with the reason when the layout does not allow it). ``root``: ``text`` composed, if it is
    already."""
    if root is None:
        root = _compose(text)
    if text and not text.endswith("\n"):
        text += "\n"
    if root is None:  # empty, or comments only
        return text + "cards:\n" + _block(card, 2, 4, 2)
    if not isinstance(root, yaml.MappingNode):
        raise _Refused("the file's top level is not a mapping of keys (deck, tags, cards)")
    pairs = [(k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "cards"]
    if not pairs:
        if root.flow_style or root.start_mark.column != 0:
            raise _Refused("the file has no 'cards' key, and its keys are not in block style "
                           "at the start of the line")
        return text + "cards:\n" + _block(card, 2, 4, 2)
    key, value = pairs[0]
    under = int(key.start_mark.column) + 2  # the first item of a new block sequence
    if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null":
        start, end = int(value.start_mark.index), int(value.end_mark.index)
        text = text[:start] + text[end:]  # '~' or 'null' (nothing, for an empty value)
        at = _line_end(text, int(key.start_mark.index))
        return text[:at] + ("" if text[at - 1:at] == "\n" else "\n") + _block(
            card, under, under + 2, 2) + text[at:]
    if not isinstance(value, yaml.SequenceNode):
        raise _Refused("'cards' is not a list")
    items = list(value.value)
    if value.flow_style:
        start, end = int(value.start_mark.index), int(value.end_mark.index)
        if not items:
            if "\n" in text[start:end]:
                return text[:end - 1] + _flow(card) + text[end - 1:]
            at = _line_end(text, end)
            if not text[end:at].strip():  # (nothing after "[]": no white space left behind)
                start = len(text[:start].rstrip(" \t"))
                end += len(text[end:at]) - len(text[end:at].lstrip(" \t"))
            text = text[:start] + text[end:]
            at = _line_end(text, start)
            return text[:at] + ("" if text[at - 1:at] == "\n" else "\n") + _block(
                card, under, under + 2, 2) + text[at:]
        last = items[-1]
        at = _last_content(last)
        if last.start_mark.line != value.start_mark.line:  # one item a line: the same again
            return (text[:at] + ",\n" + " " * int(last.start_mark.column) + _flow(card)
                    + text[at:])
        return text[:at] + ", " + _flow(card) + text[at:]
    first = items[0]
    dash = int(value.start_mark.column)
    keys = int(first.start_mark.column) if isinstance(first, yaml.MappingNode) else dash + 2
    if keys <= dash:
        keys = dash + 2
    end = _last_content(items[-1])  # (a block scalar ends at the start of the next line)
    at = end if end > 0 and text[end - 1] == "\n" else _line_end(text, end)
    if text[at - 1:at] != "\n":
        text, at = text + "\n", at + 1
    return text[:at] + _block(card, dash, keys, _nested_indent(items)) + text[at:]


def add_card(path: Path, card: dict[str, Any], schema_path: str) -> None:
    """Add ``card`` to the card file at ``path`` (made, naming ``schema_path``, if missing);
    never leave the file other than as it was or with exactly that card more."""
    root: yaml.Node | None = None
    crlf = False
    bom = False
    if path.exists():
        text = read_text(path, "YAML file")  # (without a byte-order mark: put back on writing)
        with contextlib.suppress(OSError), open(path, "rb") as file:
            bom = file.read(3) == b"\xef\xbb\xbf"
        crlf = "\r\n" in text  # (the card is inserted in LF, then written with the file's ending)
        text = text.replace("\r\n", "\n") if crlf else text
        try:
            root = _compose(text)
            blank = root is None  # empty, or comments only
        except yaml.YAMLError:
            blank = False  # (the loader says what is wrong, located)
        if blank:
            old: dict[str, Any] | None = {}
        else:
            doc = load_yaml(path)  # the real loader's errors, located, when it cannot be read
            old = doc.data if isinstance(doc.data, dict) else None
    else:
        text, old = SCHEMA_COMMENT.format(schema_path), {}
    try:
        new_text = with_card(text, card, root)
        if crlf:
            new_text = new_text.replace("\n", "\r\n")
    except (_Refused, yaml.YAMLError) as exc:
        reason = str(exc) if isinstance(exc, _Refused) else "the file is not plain YAML"
        raise DeckgenError([Diagnostic(Location(path), f"cannot add a card to this file: "
                                       f"{reason}; add the card by hand")]) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            f.write(new_text)
            f.flush()
            os.fsync(f.fileno())
        expected = dict(old or {})
        cards = expected.get("cards")
        expected["cards"] = [*(cards if isinstance(cards, list) else []), card]
        try:
            written = load_yaml(tmp).data
        except DeckgenError:
            written = None
        if old is None or written != expected:
            raise DeckgenError([Diagnostic(Location(path), "cannot add a card to this file's "
                                           "layout without changing what it holds; add the "
                                           "card by hand")])
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
