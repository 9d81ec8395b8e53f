"""Step 1: read a YAML file into plain data, and say where any key or value stands.

Every scalar is kept as the text the author typed (``no`` stays ``"no"``, ``1e3`` stays
``"1e3"``); only an empty value or ``null``/``~`` becomes ``None``. The schema decides which
texts are valid. Duplicate keys, aliases, merge keys and non-text keys are errors.

The data is built straight from libyaml's events without positions (:func:`_plain`); the
positions are found only when a message needs one, by reading the text again with
:class:`_Builder`, which records them (and is also what reports the errors, located).
"""

from __future__ import annotations

from collections.abc import Iterator
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


@dataclass
class YamlDocument:
    """The data of one YAML file, and the position of every key and value in it.

    Positions are only needed for messages, so they are found when first asked for, by
    reading the text again with a builder that records them (most files never need them).
    """

    path: Path
    data: Any
    text: str = ""
    _marks: tuple[dict[Path_, tuple[int, int]], dict[Path_, tuple[int, int]]] | None = field(
        default=None, repr=False, compare=False)

    @property
    def value_marks(self) -> dict[Path_, tuple[int, int]]:
        return self._positions()[0]

    @property
    def key_marks(self) -> dict[Path_, tuple[int, int]]:
        return self._positions()[1]

    def _positions(self) -> tuple[dict[Path_, tuple[int, int]], dict[Path_, tuple[int, int]]]:
        if self._marks is None:
            builder = _Builder(self.path)
            builder.build(yaml.parse(self.text, Loader=_Loader))
            self._marks = builder.value_marks, builder.key_marks
        return self._marks

    def at(self, loc: Path_) -> Location:
        """Where the value at ``loc`` stands, or its nearest enclosing value."""
        marks = self.value_marks
        for n in range(len(loc), -1, -1):
            mark = marks.get(loc[:n])
            if mark is not None:
                return Location(self.path, *mark)
        return Location(self.path)

    def key_at(self, loc: Path_) -> Location:
        """Where the key of ``loc`` stands (for mapping entries), else its value."""
        mark = self.key_marks.get(loc)
        return Location(self.path, *mark) if mark else self.at(loc)


def _pos(mark: Any) -> tuple[int, int]:
    """1-based (line, column) of a PyYAML or libyaml mark."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


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
        try:
            found, data = _plain(text)
        except _Irregular:  # build it again, recording positions, to say what and where
            builder = _Builder(path)
            found = builder.build(yaml.parse(text, Loader=_Loader))
            if builder.errors:
                raise DeckgenError(builder.errors) from None
            data = builder.data  # pragma: no cover - _plain refuses only what _Builder refuses
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, *_pos(mark)) if mark else Location(path)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        raise _fail(where, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise _fail(Location(path), f"YAML syntax error: {exc}") from None
    if not found:
        raise _fail(Location(path), "file is empty")
    return YamlDocument(path, data, text)


class _Irregular(Exception):
    """Something :func:`_plain` does not build (an error to report with its position)."""


_EXPECT_KEY = object()


def _plain(text: str) -> tuple[bool, Any]:
    """The fast path: (whether there was a document, its data), straight from the parser's
    events without positions. Raises :class:`_Irregular` on anything :class:`_Builder` reports."""
    stack: list[tuple[Any, Any]] = []
    top: Any = None
    pending: Any = None
    root: Any = None
    documents = 0
    event: Any
    for event in yaml.parse(text, Loader=_Loader):
        cls = event.__class__
        if cls is yaml.ScalarEvent:
            value = event.value
            if pending is _EXPECT_KEY:
                if value in top or (value == "<<" and not event.style):
                    raise _Irregular
                pending = value
                continue
            if not event.style and value in _NULLS:
                value = None
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            if pending is _EXPECT_KEY or len(stack) >= MAX_DEPTH:
                raise _Irregular
            value = {} if cls is yaml.MappingStartEvent else []
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            top, pending = stack.pop()
            continue
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Irregular
            continue
        elif cls is yaml.AliasEvent:
            raise _Irregular
        else:
            continue
        if top is None:
            root = value
        elif pending is None:
            top.append(value)
        else:
            top[pending] = value
            pending = _EXPECT_KEY
        if cls is not yaml.ScalarEvent:
            stack.append((top, pending))
            top, pending = value, (_EXPECT_KEY if cls is yaml.MappingStartEvent else None)
    return documents > 0, root


_NULLS = {"", "~", "null", "Null", "NULL"}


class _Builder:
    """Builds plain data straight from the parser's events: one pass, no recursion (so deep
    nesting cannot crash the C composer), positions recorded, aliases and duplicates refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: Any = None
        self.errors: list[Diagnostic] = []
        self.value_marks: dict[Path_, tuple[int, int]] = {}
        self.key_marks: dict[Path_, tuple[int, int]] = {}

    def error(self, mark: Any, message: str) -> None:
        self.errors.append(Diagnostic(Location(self.path, *_pos(mark)), message))

    def build(self, events: Iterator[yaml.Event]) -> bool:
        # a frame: [container, loc, pending key (mappings), skip-this-value flag]
        stack: list[list[Any]] = []
        documents = aliases = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self.error(event.start_mark, "only one YAML document per file (remove '---')")
                    return True
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frame = stack.pop()
                self._attach(stack, frame[0])
                continue
            if isinstance(event, yaml.AliasEvent):
                if not aliases:
                    self.error(event.start_mark, "anchors and aliases (& and *) are not "
                               "supported; write the value out")
                aliases += 1
                self._attach(stack, None)
                continue
            if isinstance(event, yaml.ScalarEvent):
                plain = not event.style
                if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is None:
                    self._key(stack[-1], event, plain)
                    continue
                loc = self._child_loc(stack)
                self.value_marks[loc] = _pos(event.start_mark)
                self._attach(stack, None if plain and event.value in _NULLS else event.value)
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is None:
                    self.error(event.start_mark, "a key must be plain text")
                    stack[-1][2] = _SKIP
                loc = self._child_loc(stack)
                if len(stack) >= MAX_DEPTH:
                    self.error(event.start_mark, f"nesting is deeper than {MAX_DEPTH} levels")
                    return True
                self.value_marks[loc] = _pos(event.start_mark)
                container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
                stack.append([container, loc, None])
        return documents > 0

    def _key(self, frame: list[Any], event: yaml.ScalarEvent, plain: bool) -> None:
        mapping, loc = frame[0], frame[1]
        key = event.value
        path = (*loc, key)  # (not inline: a star in a subscript is Python 3.11 syntax to mypy)
        if plain and key == "<<":
            self.error(event.start_mark, "merge keys (<<) are not supported; write the keys out")
            frame[2] = _SKIP
        elif key in mapping or path in self.key_marks:
            first = self.key_marks[path]
            self.error(event.start_mark,
                       f"duplicate key '{key}' (first given at line {first[0]}, column {first[1]})")
            frame[2] = _SKIP
        else:
            self.key_marks[path] = _pos(event.start_mark)
            frame[2] = key

    @staticmethod
    def _child_loc(stack: list[list[Any]]) -> Path_:
        if not stack:
            return ()
        container, loc, key = stack[-1]
        if isinstance(container, dict):
            return (*loc, key) if isinstance(key, str) else (*loc, "<skipped>")
        return (*loc, len(container))

    def _attach(self, stack: list[list[Any]], value: Any) -> None:
        if not stack:
            self.data = value
            return
        frame = stack[-1]
        if isinstance(frame[0], list):
            frame[0].append(value)
            return
        key, frame[2] = frame[2], None
        if isinstance(key, str):
            frame[0][key] = value


_SKIP = object()


def _fail(location: Location, message: str) -> DeckgenError:
    return DeckgenError([Diagnostic(location, message)])
