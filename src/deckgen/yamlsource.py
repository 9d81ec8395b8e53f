"""Step 1: read a YAML file into plain data, and say where any key or value stands.

Every scalar is kept as the text the author typed (``no`` stays ``"no"``, ``1e3`` stays
``"1e3"``); only an empty value or ``null``/``~`` becomes ``None``. The schema decides which
texts are valid. Duplicate keys, aliases, merge keys and non-text keys are errors.

The data is built straight from libyaml's events without positions (:func:`_plain`); the
positions are found only when a message needs one, by reading the text again with
:class:`_Builder`, which records them (and is also what reports the errors, located).

Whatever libyaml fails on is read again with PyYAML's own (pure-Python) parser, and that is
what decides: its messages do not change with the libyaml bundled, and it has no nesting
limit of its own, so deckgen's limits and messages are the same with every PyYAML release.
Positions are counted as editors count them: lines end at LF, CR LF or CR alone (the line
breaks that only YAML 1.1 knows, U+0085, U+2028 and U+2029, are refused, see
:func:`_line_separator`).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

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
    # found while reading: where the ``id`` of each item of a top-level list stands (every
    # card's and seed's location, which the preview shows for every card)
    id_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict, repr=False, compare=False)
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

            def positions(events: Iterator[yaml.Event]) -> _Builder:
                builder = _Builder(self.path)
                builder.build(events)
                return builder

            builder = _parsed(self.text, positions)
            self._marks = builder.value_marks, builder.key_marks
        return self._marks

    def at(self, loc: Path_) -> Location:
        """Where the value at ``loc`` stands, or its nearest enclosing value."""
        mark = self.id_marks.get(loc)
        if mark is not None:
            return Location(self.path, *mark)
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


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of ``text[index]``, lines ending at LF, CR LF or CR alone (as
    editors count them)."""
    line = (text.count("\n", 0, index) + text.count("\r", 0, index)
            - text.count("\r\n", 0, index) + 1)
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return line, index - start + 1


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, for messages about what is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (symbolic links followed), or None if it can.

    Only looks at the file (never opens it), so a named pipe cannot block a run. An error
    other than a missing file or a bad link is left for the reader to report."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if os.path.islink(path):
            return ("a symbolic link loop" if exc.errno == errno.ELOOP
                    else "a broken symbolic link (its target does not exist)")
        # anything else (no permission, say) is for the reader to report
        return "not found" if isinstance(exc, FileNotFoundError) else None
    return None if stat.S_ISREG(mode) else file_kind(mode)


def read_text(path: Path, what: str = "file", limit: int = MAX_FILE_BYTES) -> str:
    """Read a UTF-8 text file (a leading byte-order mark is dropped) or raise a located error.
    A file over ``limit`` bytes is refused.

    Only a regular file (or a link to one) is read: a named pipe, a device or a folder is
    refused, saying what it is, and opening never blocks."""
    kind = not_a_file(path)
    if kind is not None and kind != "not found":
        raise _fail(Location(path), f"{what} is {kind}, not a regular file")
    try:
        # O_NONBLOCK: should the file become a named pipe after the check, opening it does not
        # wait for a writer (and fstat below refuses it)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as file:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise _fail(Location(path),
                            f"{what} is {file_kind(info.st_mode)}, not a regular file")
            size = info.st_size
            if size > limit:
                raise _fail(
                    Location(path),
                    f"{what} is too large ({size} bytes; the limit is {limit} bytes)",
                )
            raw = file.read(limit + 1)
    except OSError as exc:
        raise _fail(Location(path), f"cannot read {what}: {exc.strerror or exc}") from None
    if len(raw) > limit:  # it grew while being read
        raise _fail(Location(path), f"{what} is too large (the limit is {limit} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        valid = raw[:exc.start].decode("utf-8").removeprefix("\ufeff")
        raise _fail(
            Location(path, *line_col(valid, len(valid))),
            f"{what} is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise _fail(Location(path, *line_col(text, text.index("\x00"))),
                    f"{what} contains a NUL byte")
    return text


def load_yaml(path: Path) -> YamlDocument:
    """Parse one YAML file; raise :class:`DeckgenError` with a located message on any problem."""
    text = read_text(path, "YAML file")
    separator = _line_separator(path, text)
    if separator is not None:
        raise DeckgenError([separator])

    ids: dict[Path_, tuple[int, int]] = {}

    def plain(loader: type[Any]) -> tuple[bool, Any]:
        ids.clear()
        try:
            return _plain(text, loader, ids)
        except _Irregular:  # build it again, recording positions, to say what and where
            builder = _Builder(path)
            found = builder.build(yaml.parse(text, Loader=loader))
            if builder.errors:
                raise DeckgenError(builder.errors) from None
            return found, builder.data  # pragma: no cover - _plain refuses what _Builder does

    try:
        try:
            found, data = plain(_Loader)
        except yaml.YAMLError:  # decided by the pure-Python parser (see the module's doc)
            found, data = plain(yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise DeckgenError([_syntax_error(path, text, exc)]) from None
    except yaml.reader.ReaderError as exc:
        raise DeckgenError([_character_error(path, text, exc)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - the parser raises only the two above
        raise _fail(Location(path), f"YAML syntax error: {exc}") from None
    if not found:
        raise _fail(Location(path), "file is empty")
    return YamlDocument(path, data, text, ids)


T = TypeVar("T")


def _parsed(text: str, consume: Callable[[Iterator[yaml.Event]], T]) -> T:
    """``consume`` the events of ``text``: libyaml's, or the pure-Python parser's where libyaml
    fails (as in :func:`load_yaml`)."""
    try:
        return consume(yaml.parse(text, Loader=_Loader))
    except yaml.YAMLError:
        return consume(yaml.parse(text, Loader=yaml.SafeLoader))


_SEPARATORS = {"\x85": "a next-line character (U+0085)",
               "\u2028": "a line separator (U+2028)",
               "\u2029": "a paragraph separator (U+2029)"}


def _line_separator(path: Path, text: str) -> Diagnostic | None:
    """YAML 1.1 (PyYAML and libyaml) ends a line at U+0085, U+2028 and U+2029, where editors
    (and YAML 1.2) do not: the rest of a comment would be read as YAML, a value would be cut
    and every position after it would drift. So they are refused wherever they stand."""
    index = min((i for i in map(text.find, _SEPARATORS) if i >= 0), default=-1)
    if index < 0:
        return None
    char = text[index]
    escape = f"\\u{ord(char):04x}"
    return Diagnostic(Location(path, *line_col(text, index)),
                      f"YAML file contains {_SEPARATORS[char]}, which YAML reads as a line break "
                      f"but editors do not show; remove it, or write it as \"{escape}\" in a "
                      "double-quoted value")


_BRACKETS = {"while parsing a flow sequence": "[]", "while parsing a flow mapping": "{}"}


def _syntax_error(path: Path, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """The parser's complaint, where the author can act on it: an unclosed quote or bracket
    where it opens (not at the end of the file, or wherever the parser noticed), and nothing
    past the end of the file."""
    problem, context = exc.problem or "", exc.context or ""
    problem = problem.replace("found '<stream end>'", "the file ends").replace(
        "got '<stream end>'", "the file ends")
    mark = exc.problem_mark or exc.context_mark
    end = len(text.rstrip())  # the end of the content
    at_end = mark is not None and mark.index >= end
    opened = (at_end and exc.context_mark is not None and exc.problem_mark is not None
              and exc.context_mark.index < end)
    runaway = None if at_end or mark is None else _runaway_quote(text, mark.index)
    if opened:
        mark = exc.context_mark
    if opened and "quoted scalar" in context:
        message = "quoted value is never closed (the file ends before its closing quote)"
    elif opened and context in _BRACKETS:
        message = "'{}' is never closed (the file ends before its '{}')".format(*_BRACKETS[context])
    elif problem.startswith("found character '\\t'"):
        message = "a tab cannot indent YAML; indent with spaces"
    elif opened:
        message = f"{problem} ({context}, which starts here)"
    elif runaway is not None and mark is not None:
        line, column = line_col(text, mark.index)
        message = (f"is this quoted value missing its closing quote? It runs on to line {line}, "
                   f"column {column}, where the YAML is then invalid: {problem or context}")
        mark = runaway
    else:
        message = f"{problem} ({context})" if problem and context else (
            problem or context or "invalid YAML")
        if (exc.context_mark is not None and mark is not None
                and exc.context_mark.line < mark.line):  # where the unfinished part starts
            line, column = line_col(text, exc.context_mark.index)
            message = f"{problem} ({context} that starts at line {line}, column {column})"
    if mark is None:  # pragma: no cover - PyYAML's parser marks every error
        return Diagnostic(Location(path), f"YAML syntax error: {message}")
    index = min(mark.index, end)
    return Diagnostic(Location(path, *line_col(text, index)), f"YAML syntax error: {message}")


def _runaway_quote(text: str, index: int) -> Any:
    """The start mark of a quoted value that spans lines and ends on the line of ``index``
    (where the parser failed), or None: the usual sign of a closing quote left out, which
    the parser only notices at the next quote."""
    last: Any = None
    line_end = min((i for i in (text.find("\n", index), text.find("\r", index)) if i >= 0),
                   default=len(text))
    try:  # (the tokens up to the failing line are all it needs)
        for token in yaml.scan(text[:line_end], Loader=yaml.SafeLoader):
            if token.start_mark.index >= index:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
                last = token
    except yaml.YAMLError:
        pass
    if (last is None or last.start_mark.line == last.end_mark.line
            or last.end_mark.line != line_col(text, index)[0] - 1):
        return None
    return last.start_mark


def _character_error(path: Path, text: str, exc: yaml.reader.ReaderError) -> Diagnostic:
    """A character YAML does not allow, located (the parser gives an offset into the text)."""
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
    index = exc.position if 0 <= exc.position < len(text) else 0
    if unicodedata.category(chr(code)) == "Cc":
        message = f"YAML file contains a control character (U+{code:04X}); remove it"
    else:
        message = f"YAML file contains U+{code:04X}, which YAML does not allow; remove it"
    return Diagnostic(Location(path, *line_col(text, index)), message)


class _Irregular(Exception):
    """Something :func:`_plain` does not build (an error to report with its position)."""


_EXPECT_KEY = object()


def _plain(text: str, loader: type[Any] = _Loader,
           ids: dict[Path_, tuple[int, int]] | None = None) -> tuple[bool, Any]:
    """The fast path: (whether there was a document, its data), straight from the parser's
    events without positions, except for ``ids``: where the ``id`` of each item of a
    top-level list stands (:attr:`YamlDocument.id_marks`). Raises :class:`_Irregular` on
    anything :class:`_Builder` reports."""
    stack: list[tuple[Any, Any]] = []
    top: Any = None
    pending: Any = None
    root: Any = None
    documents = 0
    event: Any
    for event in yaml.parse(text, Loader=loader):
        cls = event.__class__
        if cls is yaml.ScalarEvent:
            value = event.value
            if event.style == '"' and _SURROGATE.search(value):  # (only escapes make them)
                raise _Irregular
            if pending is _EXPECT_KEY:
                if value in top or (value == "<<" and not event.style):
                    raise _Irregular
                pending = value
                continue
            if not event.style and value in _NULLS:
                value = None
            elif pending == "id" and len(stack) == 3 and ids is not None:
                _note_id(root, stack[2][0], event, ids)
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


def _note_id(root: Any, items: Any, event: Any, ids: dict[Path_, tuple[int, int]]) -> None:
    """Record where an ``id`` of an item of a top-level list stands, as :class:`_Builder`
    would (the item is the last of ``items`` so far)."""
    if isinstance(root, dict) and isinstance(items, list):
        key = next((k for k, v in root.items() if v is items), None)
        if key is not None:
            ids[(key, len(items) - 1, "id")] = _pos(event.start_mark)


def top_level_text(text: str, key: str) -> tuple[bool, str | None]:
    """The value of ``key`` in a file's top-level mapping, as :func:`load_yaml` would give it
    (text as typed; None for null or when the key is absent), read from the parser's events
    only as far as the key's value: ``(True, value)``, or ``(False, None)`` when only
    :func:`load_yaml` can say (the value is not text, an alias or a merge key before it, an
    escape that makes a surrogate, YAML the parser refuses). What comes after the value is
    not read: should the file be one :func:`load_yaml` refuses (a second ``key``, say), the
    value given is moot, as the file's cards are not read either."""
    depth, expecting_key, found = 0, False, None
    event: Any
    try:
        for event in yaml.parse(text, Loader=_Loader):
            cls = event.__class__
            if cls is yaml.AliasEvent:
                return False, None
            if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                if depth == 1 and (expecting_key or found is _PENDING):
                    return False, None  # a key that is not text, or the value is not
                depth += 1
                expecting_key = depth == 1 and cls is yaml.MappingStartEvent
                continue
            if cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                depth -= 1
                expecting_key = depth == 1
                continue
            if cls is not yaml.ScalarEvent or depth != 1:
                continue
            if expecting_key:
                if event.value == "<<" and not event.style:
                    return False, None
                if event.value == key:
                    found = _PENDING
                expecting_key = False
                continue
            if found is _PENDING:
                if event.style == '"' and _SURROGATE.search(event.value):
                    return False, None
                return True, None if not event.style and event.value in _NULLS else event.value
            expecting_key = True
    except yaml.YAMLError:
        return False, None
    return True, None


_PENDING: Any = object()
_NULLS = {"", "~", "null", "Null", "NULL"}
_SURROGATE = re.compile("[\ud800-\udfff]")  # from a \ud800 escape: no text can hold one


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
                if event.style == '"' and _SURROGATE.search(event.value):
                    code = ord(_SURROGATE.findall(event.value)[0])
                    self.error(event.start_mark, f"the escape \\u{code:04x} is half of a UTF-16 "
                               "pair, not a character; write the character itself (or "
                               "\\U and its eight hex digits)")
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
