"""Images and audio: the media manifest, the checks on every file, and their place in notes.

A project's media live in one folder (``media`` unless ``deckgen.yaml`` says otherwise), each
file declared once in ``media.yaml`` there with its source, author and licence. Cards show an
image with Markdown's image syntax and play audio with the same syntax (the file's type
decides): ``![what it shows](heart.png)``, ``![what is said](hello.ogg)``, the path being the
one declared in the manifest.

Safety rests on three steps, none of which a card's text can take:

- every file is read once, hashed once, and checked: a declared, regular file inside the folder
  (no symbolic link, no ``..``), of an allowed type whose bytes are what its extension says,
  under a size and pixel limit, with nothing a browser would run (:func:`load_media`);
- Markdown renders an image as a placeholder of Unicode noncharacters (see
  :mod:`deckgen.render`): the sanitiser never lets an ``<img>`` through, and raw HTML is off.
  :func:`field_html` turns each placeholder whose file passed the checks into an ``<img>`` with
  the file's hashed name (or, for audio, a sound placeholder), and drops any other;
- Anki's ``[sound:…]`` is written by :class:`deckgen.notes.NoteSpec` after the field has been
  finalised (which neutralises any ``[sound:`` typed in a card), and only for the files the note
  was built with (:func:`sound_tags`).

In the package each file is named by its content's hash with its extension, so two different
files never share a name and a changed file is a new name (and a new ``mod`` for its notes).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import stat
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .errors import DeckgenError, Diagnostic, Location, did_you_mean, printable
from .render import (
    IMAGE_ALT,
    IMAGE_CLOSE,
    IMAGE_OPEN,
    escape,
    has_visible_text,
    is_http_url,
    markdown_to_html,
)
from .schema import MediaManifest, validate
from .yamlsource import load_yaml

if TYPE_CHECKING:
    from .schema import Card

MANIFEST = "media.yaml"

# extension -> (kind, the type its bytes must be)
TYPES = {
    "png": ("image", "PNG"), "jpg": ("image", "JPEG"), "jpeg": ("image", "JPEG"),
    "gif": ("image", "GIF"), "webp": ("image", "WebP"),
    "mp3": ("audio", "MP3"), "ogg": ("audio", "Ogg"), "m4a": ("audio", "M4A"),
}
MAX_BYTES = {"image": 5 * 1024 * 1024, "audio": 10 * 1024 * 1024}
MAX_SIDE = 8192  # pixels, each side
MAX_PIXELS = 40_000_000  # width x height (a decompression bomb is small on disk, huge in memory)
HASH_LENGTH = 32  # hex digits of SHA-256 in a file's name in the package (128 bits)

SOUND_OPEN, SOUND_CLOSE = "\ufdd6", "\ufdd7"  # a sound in a field until NoteSpec writes its tag
_NONCHARACTERS = re.compile("[\ufdd3-\ufdd7]")
_IMAGE = re.compile(f"{IMAGE_OPEN}([01])([^{IMAGE_OPEN}-{SOUND_CLOSE}]*){IMAGE_ALT}"
                    f"([^{IMAGE_OPEN}-{SOUND_CLOSE}]*){IMAGE_CLOSE}")
_SOUND = re.compile(f"{SOUND_OPEN}([0-9a-f]{{{HASH_LENGTH}}}\\.[a-z0-9]+){SOUND_CLOSE}")
# bytes a browser or an interpreter would act on (a tag of HTML, SVG or PHP): none belongs in a
# picture or a sound. Every alternative starts with "<", so the search skips ahead to each "<"
# (0.14 s for 80 MB; random bytes match one by chance about once in 2^40 bytes)
_ACTIVE = re.compile(rb"<\s*(?:script|html|body|iframe|object|embed|svg[\s>/]|\?php|!doctype"
                     rb"|\?xml-stylesheet)", re.I)

TEXT_KEYS = ("question", "answer", "cloze", "extra", "caveat")


@dataclass(frozen=True)
class MediaFile:
    """A declared file that passed every check."""

    file: str  # its path in the media folder, as declared
    name: str  # its name in the package: content hash and extension
    kind: str  # "image" or "audio"
    size: int
    credit: str  # HTML, shown on the back of each card that uses it


@dataclass
class Media:
    """The media of a project, read and checked once per run."""

    folder: Path
    manifest: Path
    files: dict[str, MediaFile] = field(default_factory=dict)  # by declared path
    data: dict[str, bytes] = field(default_factory=dict)  # by name in the package
    errors: list[Diagnostic] = field(default_factory=list)
    declared: dict[str, Location] = field(default_factory=dict)  # every declared path
    credits: dict[str, str] = field(default_factory=dict)  # "author, licence", by path

    def unused(self, used: Iterable[str]) -> list[Diagnostic]:
        """A warning for each declared file no card shows."""
        seen = set(used)
        return [Diagnostic(where, f"media file '{file}' is declared but no card uses it",
                           severity="warning")
                for file, where in self.declared.items() if file not in seen]


# ----------------------------------------------------------------------------- the files


def load_media(folder: Path) -> Media:
    """Read the manifest and every file of ``folder``; each problem becomes a located error
    in :attr:`Media.errors`. A project without the folder has no media."""
    media = Media(folder, folder / MANIFEST)
    if not os.path.lexists(folder):
        return media
    if os.path.islink(folder) or not folder.is_dir():
        media.errors.append(Diagnostic(Location(folder), "the media folder must be a folder "
                                       "of the project, not a symbolic link or a file"))
        return media
    entries: list[tuple[str, Location]] = []
    if media.manifest.is_file() and not media.manifest.is_symlink():
        try:
            doc = load_yaml(media.manifest)
        except DeckgenError as exc:
            media.errors += exc.diagnostics
            doc = None
        if doc is not None:
            manifest, errors = validate(doc, MediaManifest)
            media.errors += errors
            for i, entry in enumerate(manifest.media if manifest else ()):
                where = doc.at(("media", i, "file"))
                if entry.file in media.declared:
                    media.errors.append(Diagnostic(where, f"media file '{entry.file}' is "
                                                   "declared twice"))
                    continue
                media.declared[entry.file] = where
                media.credits[entry.file] = f"{entry.author}, {entry.licence}"
                entries.append((entry.file, where))
                checked = _check_file(folder, entry.file, where, media.errors)
                if checked is not None:
                    kind, data = checked
                    name = hashlib.sha256(data).hexdigest()[:HASH_LENGTH] + "." + _suffix(
                        entry.file)
                    media.data[name] = data
                    media.files[entry.file] = MediaFile(
                        entry.file, name, kind, len(data),
                        _credit(kind, entry.file, entry.author, entry.licence, entry.source))
    elif os.path.lexists(media.manifest):
        media.errors.append(Diagnostic(Location(media.manifest),
                                       "the media manifest must be a regular file"))
    for path in _walk(folder, media.errors):
        relative = path.relative_to(folder).as_posix()
        if relative != MANIFEST and path.is_symlink():
            if relative not in media.declared:  # (a declared one: at its entry)
                media.errors.append(Diagnostic(Location(path), f"'{relative}' is a symbolic "
                                               "link: deckgen does not follow links in the "
                                               "media folder; put the file itself there"))
        elif relative != MANIFEST and relative not in media.declared:
            media.errors.append(Diagnostic(
                Location(path), f"media file '{relative}' is not declared in "
                f"{_shown(folder, media.manifest)}; add it with its source, author and licence"))
    return media


def _shown(folder: Path, path: Path) -> str:
    return f"{folder.name}/{path.name}"


def _walk(folder: Path, errors: list[Diagnostic]) -> list[Path]:
    """Every file below ``folder`` (links reported, never followed)."""
    found, pending = [], [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listed:
                entries = sorted(listed, key=lambda e: e.name)
        except OSError as exc:
            errors.append(Diagnostic(Location(current), f"cannot read folder: {exc.strerror}"))
            continue
        for entry in entries:
            path = current / entry.name
            if entry.is_dir(follow_symlinks=False):  # (a link is never followed: a file here)
                pending.append(path)
            else:
                found.append(path)
    return found


def _suffix(file: str) -> str:
    return file.rsplit(".", 1)[-1].lower() if "." in file.rsplit("/", 1)[-1] else ""


def path_problem(file: str) -> str | None:
    """Why ``file`` (a path as written in a card or the manifest) cannot name a file of the
    media folder, or None."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", file):
        return (f"'{file}' is a URL: media must be files of the media folder (Anki shows "
                "nothing remote offline, and a remote file can change or track learners)")
    if file.startswith("/") or "\\" in file:
        return f"'{file}' must be a relative path inside the media folder, written with '/'"
    if any(part in ("", ".", "..") for part in file.split("/")):
        return f"'{file}' leaves the media folder or has an empty part ('..', '.', '//')"
    return None


def _check_file(folder: Path, file: str, where: Location,
                errors: list[Diagnostic]) -> tuple[str, bytes] | None:
    """The kind and bytes of a declared file, or None with an error added."""
    problem = path_problem(file)
    if problem is None:
        problem = _type_problem(file)
    if problem is not None:
        errors.append(Diagnostic(where, problem))
        return None
    path = folder
    for part in file.split("/"):
        path = path / part
        try:
            info = os.lstat(path)
        except OSError:
            errors.append(Diagnostic(where, f"media file not found: "
                                     f"{folder.name}/{file}"))
            return None
        if stat.S_ISLNK(info.st_mode):
            errors.append(Diagnostic(where, f"'{path.relative_to(folder).as_posix()}' is a "
                                     "symbolic link: deckgen does not follow links in the "
                                     "media folder; put the file itself there"))
            return None
    if not stat.S_ISREG(info.st_mode):
        errors.append(Diagnostic(where, f"'{file}' is not a regular file"))
        return None
    kind = TYPES[_suffix(file)][0]
    if info.st_size > MAX_BYTES[kind]:
        errors.append(Diagnostic(where, f"'{file}' is {info.st_size:,} bytes, over the "
                                 f"{MAX_BYTES[kind]:,}-byte limit for {kind}; make it smaller"))
        return None
    data = path.read_bytes()
    problem = content_problem(file, data)
    if problem is not None:
        errors.append(Diagnostic(where, problem))
        return None
    return kind, data


def _type_problem(file: str) -> str | None:
    suffix = _suffix(file)
    if suffix == "svg":
        return (f"'{file}': SVG is not supported: an SVG is a document that can hold scripts, "
                "event handlers and links to other files, which Anki would run; export it "
                "as PNG or WebP")
    if suffix not in TYPES:
        return (f"'{file}' has an unsupported type ('.{suffix}'); images: PNG, JPEG, GIF, "
                "WebP; audio: MP3, Ogg, M4A")
    return None


def sniff(data: bytes) -> str | None:
    """The type the bytes are, by their first bytes (magic numbers), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:4] == b"OggS":
        return "Ogg"
    if data[4:8] == b"ftyp":
        return "M4A"
    if data[:3] == b"ID3" or (len(data) > 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0
                              and data[1] & 0x06):  # an MPEG audio frame (layer I-III)
        return "MP3"
    if re.match(rb"\s*<(?:\?xml|svg|!doctype svg)", data[:200], re.I):
        return "SVG"
    return None


def content_problem(file: str, data: bytes) -> str | None:
    """Why the bytes of ``file`` cannot ship, or None."""
    kind, expected = TYPES[_suffix(file)]
    found = sniff(data)
    if found != expected:
        what = (f"{'an' if found[0] in 'AEFHILMNOSX' else 'a'} {found} file" if found
                else "not a file of any supported type")
        return f"'{file}' is named as {expected} but its bytes are {what}"
    if _ACTIVE.search(data):
        return (f"'{file}' holds HTML or script besides the {expected} data (a polyglot file); "
                "export it again from an image or audio editor")
    if kind == "image":
        size = dimensions(expected, data)
        if size is None:
            return f"'{file}': cannot read the image's size: the {expected} file is damaged"
        width, height = size
        if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
            return (f"'{file}' is {width} x {height} pixels, over the limit ({MAX_SIDE} per "
                    f"side, {MAX_PIXELS:,} in all): scale it down")
        if expected == "PNG":
            end = _png_end(data)
            if end is None:
                return f"'{file}': the PNG file is damaged (no IEND chunk)"
            if end < len(data):
                return (f"'{file}' has {len(data) - end:,} bytes after the end of its PNG "
                        "image (a polyglot file); export it again")
    return None


def dimensions(kind: str, data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels, read from the image's header."""
    try:
        if kind == "PNG" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if kind == "GIF":
            return struct.unpack("<HH", data[6:10])
        if kind == "WebP":
            chunk = data[12:16]
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":
                return (int.from_bytes(data[24:27], "little") + 1,
                        int.from_bytes(data[27:30], "little") + 1)
            return None
        if kind == "JPEG":
            pos = 2
            while pos + 9 < len(data):
                if data[pos] != 0xFF:
                    return None
                marker = data[pos + 1]
                if marker == 0xFF:
                    pos += 1
                    continue
                length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[pos + 5:pos + 9])
                    return w, h
                pos += 2 + length
    except struct.error:
        return None
    return None


def _png_end(data: bytes) -> int | None:
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return None


def _credit(kind: str, file: str, author: str, licence: str, source: str) -> str:
    where = (f'<a href="{escape(source)}">{escape(source)}</a>' if is_http_url(source)
             else escape(source))
    label = "Image" if kind == "image" else "Audio"
    return (f'<div class="dg-credit">{label}: <span class="dg-title">{escape(file)}</span>'
            f" · {escape(author)} · {escape(licence)} · {where}</div>")


# ----------------------------------------------------------------------------- in cards


@dataclass(frozen=True)
class Placed:
    """An image or audio file as a card's rendered text shows it."""

    src: str
    alt: str  # HTML text
    in_link: bool


def placed(rendered: str) -> list[Placed]:
    """The media placeholders of a field rendered with ``media=True``."""
    if IMAGE_OPEN not in rendered:
        return []
    return [Placed(unquote(html.unescape(m.group(2))), m.group(3), m.group(1) == "1")
            for m in _IMAGE.finditer(rendered)]


def card_problems(texts: Sequence[tuple[str, str, str]], media: Media,
                  ) -> tuple[list[tuple[str, str]], list[str]]:
    """``(key, message)`` for each problem with the media of a card's texts (``(key, text,
    rendered)``), and the declared files they use."""
    problems: list[tuple[str, str]] = []
    used: list[str] = []
    for key, text, rendered in texts:
        typed = _NONCHARACTERS.search(text)
        if typed:
            problems.append((key, f"text contains U+{ord(typed.group()):04X}, a Unicode "
                                  "noncharacter (deckgen uses it to place media): remove it"))
            continue
        for item in placed(rendered):
            problem = path_problem(item.src)
            if problem is not None:
                problems.append((key, problem))
                continue
            declared = media.declared.get(item.src)
            if declared is None:
                problems.append((key, f"media file '{item.src}' is not declared in "
                                      f"{_shown(media.folder, media.manifest)}"
                                      f"{did_you_mean(item.src, media.declared)}"))
                continue
            used.append(item.src)
            noun = TYPES.get(_suffix(item.src), ("image", ""))[0]
            if not has_visible_text(html.unescape(item.alt)):
                problems.append((key, f"{noun} '{item.src}' has no alt text: say what it "
                                      f"{'says' if noun == 'audio' else 'shows'} in the "
                                      f"brackets, ![...]({item.src}) (for learners who use a "
                                      "screen reader)"))
            if item.in_link:
                problems.append((key, f"{noun} '{item.src}' is inside a link: tapping it "
                                      "would open the link; put the link beside it"))
    return problems, used


def field_html(rendered: str, media: Media) -> tuple[str, tuple[MediaFile, ...]]:
    """A field rendered with ``media=True``, its placeholders replaced: an ``<img>`` with the
    hashed name for an image, a sound placeholder for audio (see :func:`sound_tags`); a
    placeholder whose file did not pass the checks is dropped. The files shown, in order."""
    if IMAGE_OPEN not in rendered:
        return rendered, ()
    shown: list[MediaFile] = []

    def replace(match: re.Match[str]) -> str:
        file = media.files.get(unquote(html.unescape(match.group(2))))
        if file is None:
            return ""
        shown.append(file)
        if file.kind == "audio":
            return SOUND_OPEN + file.name + SOUND_CLOSE
        alt = escape(html.unescape(match.group(3)))
        return f'<img class="dg-media" src="{file.name}" alt="{alt}">'

    return _IMAGE.sub(replace, rendered), tuple(shown)


def sound_tags(value: str, names: Iterable[str]) -> str:
    """A finalised field with Anki's ``[sound:…]`` tag for each sound placeholder of a file in
    ``names`` (the note's own, checked files); any other placeholder is dropped."""
    if SOUND_OPEN not in value:
        return value
    allowed = set(names)
    return _SOUND.sub(lambda m: f"[sound:{m.group(1)}]" if m.group(1) in allowed else "",
                      value).replace(SOUND_OPEN, "").replace(SOUND_CLOSE, "")


def credits_html(files: Iterable[MediaFile]) -> str:
    """One credit line per file, each once, in the order shown."""
    return "".join(dict.fromkeys(f.credit for f in files))


def check_card(card: Card, media: Media) -> tuple[list[tuple[str, str]], list[str]]:
    """``(key, message)`` for each problem with the media of a card, and the declared files
    it uses."""
    texts = []
    for key in TEXT_KEYS:
        text = getattr(card, key)
        if text is not None and ("![" in text or _NONCHARACTERS.search(text)):
            texts.append((key, text, markdown_to_html(text, cloze=key == "cloze", media=True)))
    if not texts:
        return [], []
    return card_problems(texts, media)


_PREVIEW_SOUND = re.compile(r"\[sound:([0-9a-f]{" + str(HASH_LENGTH) + r"}\.[a-z0-9]+)\]")
_PREVIEW_IMAGE = '<img class="dg-media" src="'


def preview_html(card_html: str) -> str:
    """A rendered card side for the preview site, whose copies of the files are in ``media/``:
    each image's name prefixed, each sound tag an ``<audio>`` player. (A sound tag typed in
    a card was neutralised by finalise, so only deckgen's own tags match.)"""
    if _PREVIEW_IMAGE in card_html:
        card_html = card_html.replace(_PREVIEW_IMAGE, _PREVIEW_IMAGE + "media/")
    if "[sound:" in card_html:
        card_html = _PREVIEW_SOUND.sub(
            r'<audio class="dg-media" controls preload="none" src="media/\1"></audio>', card_html)
    return card_html


# ----------------------------------------------------------------------------- stats and diff


def stats_text(media: Media, cards: Iterable[tuple[str, Iterable[str]]]) -> str:
    """``deckgen stats``' lines about media: the files shown, on how many cards, and who is
    credited under which licence; empty for a project without media. ``cards``: each card's
    id and the declared files it shows (as :func:`check_card` finds them)."""
    if not media.declared:
        return ""
    shown: dict[str, set[str]] = {}  # declared path -> ids of the cards that show it
    for card_id, files in cards:
        for file in files:
            shown.setdefault(file, set()).add(card_id)
    kinds = [media.files[f].kind for f in shown if f in media.files]
    images, audio = kinds.count("image"), kinds.count("audio")
    on = len(set().union(*shown.values())) if shown else 0
    lines = [f"media: {images} image{'s' * (images != 1)} and {audio} audio "
             f"file{'s' * (audio != 1)} on {on} card{'s' * (on != 1)} "
             f"({len(set(media.declared) - set(shown))} declared but unused)"]
    credits: dict[str, int] = {}
    for file in sorted(shown):
        if file in media.files:
            entry = media.credits[file]
            credits[entry] = credits.get(entry, 0) + 1
    lines += [f"  credit: {printable(who)} ({n} file{'s' * (n != 1)})"
              for who, n in credits.items()]
    return "\n".join(lines) + "\n"


def _blobs(root: Path, folder: str, rev: str | None) -> dict[str, str]:
    """Each media file's git blob id at ``rev`` (None: the working tree), by its path."""
    if rev is None:
        base = root / folder
        out = {}
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.is_file() and not path.is_symlink() and path.name != MANIFEST:
                data = path.read_bytes()
                out[path.relative_to(base).as_posix()] = hashlib.sha1(
                    b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
        return out
    import subprocess

    run = subprocess.run(["git", "ls-tree", "-r", "-z", rev, "--", folder + "/"], cwd=root,
                         capture_output=True, check=False)
    if run.returncode != 0:
        raise DeckgenError([Diagnostic(Location(None), "git ls-tree: " + run.stderr.decode(
            errors="replace").strip().splitlines()[0] if run.stderr.strip() else "failed")])
    out = {}
    for record in run.stdout.split(b"\0"):
        if b"\t" not in record:
            continue
        meta, name = record.split(b"\t", 1)
        relative = name.decode(errors="surrogateescape")[len(folder) + 1:]
        if relative != MANIFEST:
            out[relative] = meta.split()[2].decode()
    return out


def diff_text(root: Path, folder: str, base: str, head: str | None, markdown: bool) -> str:
    """``deckgen diff``'s lines about the media folder: files added, changed and removed."""
    from .difftext import markdown_code

    before, after = _blobs(root, folder, base), _blobs(root, folder, head)
    groups = (("Added", "+", sorted(set(after) - set(before))),
              ("Changed", "~", sorted(f for f in after if f in before and after[f] != before[f])),
              ("Removed", "-", sorted(set(before) - set(after))))
    if not any(files for _, _, files in groups):
        return ""
    counts = ", ".join(f"{len(files)} {title.lower()}" for title, _, files in groups)
    lines = ["", f"**Media**: {counts}"] if markdown else [f"Media: {counts}"]
    for _, mark, files in groups:
        lines += [f"- {mark} {markdown_code(printable(f))}" if markdown
                  else f"  {mark} {printable(f)}" for f in files]
    return "\n".join(lines) + "\n"
