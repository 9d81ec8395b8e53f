"""Step 1: read a YAML file into plain data, remembering where every key and value stands.

Every scalar is kept as the text the author typed (``no`` stays ``"no"``, ``1e3`` stays
``"1e3"``); only an empty value or ``null``/``~`` becomes ``None``. The schema decides which
texts are valid. Duplicate keys, anchors/aliases and non-text keys are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import DeckgenError, Diagnostic, Location

try:  # libyaml's composer is several times faster and keeps the same marks
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass
class YamlDocument:
    """The data of one YAML file and the position of every key and value in it."""

    path: Path
    data: Any
    value_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def at(self, loc: Path_) -> Location:
        """Where the value at ``loc`` stands, or its nearest enclosing value."""
        for n in range(len(loc), -1, -1):
            mark = self.value_marks.get(loc[:n])
            if mark is not None:
                return Location(self.path, *mark)
        return Location(self.path)

    def key_at(self, loc: Path_) -> Location:
        """Where the key of ``loc`` stands (for mapping entries), else its value."""
        mark = self.key_marks.get(loc)
        return Location(self.path, *mark) if mark else self.at(loc)


def _pos(mark: yaml.Mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def read_text(path: Path, what: str = "file") -> str:
    """Read a UTF-8 text file (a leading byte-order mark is dropped) or raise a located error."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(
                Location(path),
                f"{what} is too large ({size} bytes; the limit is {MAX_FILE_BYTES} bytes)",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(Location(path), f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(
            Location(path, line, col),
            f"{what} is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
        ) from None
    if "\x00" in text:
        index = text.index("\x00")
        line = text.count("\n", 0, index) + 1
        col = index - (text.rfind("\n", 0, index) + 1) + 1
        raise _fail(Location(path, line, col), f"{what} contains a NUL byte")
    return text.removeprefix("\ufeff")


def load_yaml(path: Path) -> YamlDocument:
    """Parse one YAML file; raise :class:`DeckgenError` with a located message on any problem."""
    text = read_text(path, "YAML file")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, *_pos(mark)) if mark else Location(path)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        raise _fail(where, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise _fail(Location(path), f"YAML syntax error: {exc}") from None
    doc = YamlDocument(path, None)
    if root is None:
        raise _fail(Location(path), "file is empty")
    errors: list[Diagnostic] = []
    doc.data = _Converter(doc, errors).convert(root)
    if errors:
        raise DeckgenError(errors)
    return doc


class _Converter:
    def __init__(self, doc: YamlDocument, errors: list[Diagnostic]) -> None:
        self.doc = doc
        self.errors = errors
        self.seen: set[int] = set()

    def error(self, node: yaml.Node, message: str) -> None:
        self.errors.append(Diagnostic(Location(self.doc.path, *_pos(node.start_mark)), message))

    def convert(self, root: yaml.Node) -> Any:
        # Iterative, so that deep nesting cannot exhaust Python's stack.
        result: list[Any] = [None]
        stack: list[tuple[yaml.Node, Path_, Any, str | int]] = [(root, (), result, 0)]
        while stack:
            node, loc, parent, slot = stack.pop()
            if id(node) in self.seen:
                self.error(node, "anchors and aliases (& and *) are not supported; write the value out")
                continue
            self.seen.add(id(node))
            self.doc.value_marks[loc] = _pos(node.start_mark)
            if len(loc) > MAX_DEPTH:
                self.error(node, f"nesting is deeper than {MAX_DEPTH} levels")
                continue
            if isinstance(node, yaml.ScalarNode):
                plain_null = node.tag == _NULL_TAG and not node.style
                parent[slot] = None if plain_null else node.value
            elif isinstance(node, yaml.SequenceNode):
                items: list[Any] = [None] * len(node.value)
                parent[slot] = items
                for i in reversed(range(len(node.value))):
                    stack.append((node.value[i], (*loc, i), items, i))
            elif isinstance(node, yaml.MappingNode):
                mapping: dict[str, Any] = {}
                parent[slot] = mapping
                pending = []
                for key_node, value_node in node.value:
                    if not isinstance(key_node, yaml.ScalarNode):
                        self.error(key_node, "a key must be plain text")
                        continue
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        self.error(key_node, "merge keys (<<) are not supported; write the keys out")
                        continue
                    key = key_node.value
                    if key in mapping:
                        first = self.doc.key_marks[(*loc, key)]
                        self.error(
                            key_node,
                            f"duplicate key '{key}' (first given at line {first[0]}, "
                            f"column {first[1]})",
                        )
                        continue
                    mapping[key] = None
                    self.doc.key_marks[(*loc, key)] = _pos(key_node.start_mark)
                    pending.append((value_node, (*loc, key), mapping, key))
                stack.extend(reversed(pending))
        return result[0]


def _fail(location: Location, message: str) -> DeckgenError:
    return DeckgenError([Diagnostic(location, message)])
