"""Images and audio on cards, from the user's side: a project with media builds, the real Anki
backend imports the files under their hashed names and shows their credits, a changed image
reaches the learner, and every mistake with a media file is a located error."""

from __future__ import annotations

import hashlib
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from ankihelp import import_apkg, open_collection, render_all
from conftest import REPO, Project

OGG = (REPO / "examples" / "media-deck" / "media" / "a440.ogg").read_bytes()

MANIFEST = """\
media:
  - file: heart.png
    source: https://example.org/heart
    author: A. Painter
    licence: CC BY 4.0
  - file: sounds/bell.ogg
    source: Recorded for the tests
    author: B. Bell
    licence: CC0
"""

CARDS = """\
cards:
  - id: with-image
    question: |
      ![A red heart on white](heart.png)

      According to the tiny seed, what is the second way massage harms?
    answer: When excessive pressure is applied.
    source:
      seed: tiny
      quote: When excessive pressure is applied
    evidence: expert-opinion
  - id: with-sound
    question: According to the tiny seed, when does massage harm? ![A bell rings once](sounds/bell.ogg)
    answer: When overstimulation occurs.
    source:
      seed: tiny
      quote: In what situations can massage cause harm?
    evidence: expert-opinion
"""


def png(width: int = 2, height: int = 2, colour: bytes = b"\xff\x00\x00\xff",
        extra: bytes = b"") -> bytes:
    """A valid RGBA PNG of one colour, with ``extra`` bytes after its end."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = (b"\x00" + colour * width) * height if width * height < 10_000 else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0,
                                                             0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"") + extra)


def hashed(data: bytes, ext: str) -> str:
    return hashlib.sha256(data).hexdigest()[:32] + "." + ext


def media_project(project: Project, image: bytes | None = None) -> Project:
    (project.root / "media" / "sounds").mkdir(parents=True, exist_ok=True)
    (project.root / "media" / "heart.png").write_bytes(png() if image is None else image)
    (project.root / "media" / "sounds" / "bell.ogg").write_bytes(OGG)
    project.write("media/media.yaml", MANIFEST)
    project.write("cards/media.yaml", CARDS)
    return project


def by_id(rendered: list, card_id: str):  # type: ignore[no-untyped-def,type-arg]
    return next(r for r in rendered if r.fields["CardId"] == card_id)


def test_a_project_with_an_image_and_a_sound_reaches_anki(project: Project,
                                                          tmp_path: Path) -> None:
    media_project(project)
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    image, sound = hashed(png(), "png"), hashed(OGG, "ogg")
    col = open_collection(tmp_path / "anki")
    import_apkg(col, project.output)
    assert sorted(p.name for p in Path(col.media.dir()).iterdir()) == sorted([image, sound])
    assert Path(col.media.dir(), image).read_bytes() == png()
    check = col.media.check()
    assert list(check.missing) == [] and list(check.unused) == []
    rendered = render_all(col)
    card = by_id(rendered, "with-image")
    assert f'<img class="dg-media" src="{image}" alt="A red heart on white">' in card.question
    assert ('Image: <span class="dg-title">heart.png</span> · A. Painter · CC BY 4.0 · '
            '<a href="https://example.org/heart">https://example.org/heart</a>') in card.answer
    assert "Audio:" not in card.answer
    card = by_id(rendered, "with-sound")
    assert card.fields["Question"].endswith(f"[sound:{sound}]")
    anki_card = col.get_card(card.card_id)
    assert [tag.filename for tag in anki_card.question_av_tags()] == [sound]
    assert ("Audio: <span class=\"dg-title\">sounds/bell.ogg</span> · B. Bell · CC0 · "
            "Recorded for the tests") in card.answer
    # the cards without media have no credit and no media
    plain = by_id(rendered, "do-no-harm")
    assert "dg-credit" not in plain.answer and "<img" not in plain.answer


def test_the_build_is_reproducible_and_the_media_map_sorted(project: Project) -> None:
    import zipfile

    media_project(project)
    assert project.run("build").exit_code == 0
    first = project.output.read_bytes()
    project.output.unlink()
    assert project.run("build").exit_code == 0
    assert project.output.read_bytes() == first
    with zipfile.ZipFile(project.output) as zf:
        assert zf.namelist() == ["collection.anki2", "media", "0", "1"]
        names = sorted([hashed(png(), "png"), hashed(OGG, "ogg")])
        assert zf.read("media") == f'{{"0": "{names[0]}", "1": "{names[1]}"}}'.encode()


def test_a_changed_image_reaches_the_learner(project: Project, tmp_path: Path) -> None:
    media_project(project)
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "anki")
    import_apkg(col, project.output)
    old, new = hashed(png(), "png"), hashed(png(colour=b"\x00\x00\xff\xff"), "png")
    lock = (project.root / "deckgen.lock").read_text()
    (project.root / "media" / "heart.png").write_bytes(png(colour=b"\x00\x00\xff\xff"))
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    assert (project.root / "deckgen.lock").read_text() != lock  # the card's mod moved
    log = import_apkg(col, project.output)
    assert len(log.updated) == 1
    card = by_id(render_all(col), "with-image")
    assert f'src="{new}"' in card.question and old not in card.question
    assert Path(col.media.dir(), new).exists()
    check = col.media.check()
    assert list(check.missing) == [] and list(check.unused) == [old]  # no card shows it


def test_typed_markup_cannot_make_media(project: Project, tmp_path: Path) -> None:
    media_project(project)
    project.write("cards/media.yaml", CARDS + """\
  - id: typed
    question: |
      ![[sound:x.ogg] {{c1::a}} \\(x\\)](heart.png) <img src="heart.png" onerror="alert(1)">
      [sound:sounds/bell.ogg] [![A heart](heart.png)](https://example.org)?
    answer: When overstimulation occurs.
    source:
      seed: tiny
      quote: In what situations can massage cause harm?
    evidence: expert-opinion
""")
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stderr == (
        "cards/media.yaml:20:15: error: image 'heart.png' is inside a link: tapping it would "
        "open the link; put the link beside it\n1 error\n")
    project.write("cards/media.yaml", project.root.joinpath("cards/media.yaml").read_text()
                  .replace("[![A heart](heart.png)](https://example.org)", "ok"))
    assert project.run("build").exit_code == 0
    col = open_collection(tmp_path / "anki")
    import_apkg(col, project.output)
    card = by_id(render_all(col), "typed")
    assert col.get_card(card.card_id).question_av_tags() == []
    question = card.fields["Question"]
    assert question.count("<img") == 1  # the Markdown image; the typed one is text
    assert "&lt;img src=\"heart.png\" onerror=\"alert(1)\"&gt;" in question
    assert 'alt="&#91;sound:x.ogg&#93; &#123;&#123;c1::a&#125;&#125;' in question.replace(
        "]", "&#93;")
    assert "&#91;sound:sounds/bell.ogg]" in question


# (card text, the message at the question)
CARD_ERRORS = [
    ("![A heart](https://example.org/heart.png)",
     "'https://example.org/heart.png' is a URL: media must be files of the media folder (Anki "
     "shows nothing remote offline, and a remote file can change or track learners)"),
    ("![A heart](../seeds/tiny.txt)",
     "'../seeds/tiny.txt' leaves the media folder or has an empty part ('..', '.', '//')"),
    ("![A heart](/etc/passwd.png)",
     "'/etc/passwd.png' must be a relative path inside the media folder, written with '/'"),
    ("![A heart](hart.png)",
     "media file 'hart.png' is not declared in media/media.yaml; did you mean 'heart.png'?"),
    ("![](heart.png)",
     "image 'heart.png' has no alt text: say what it shows in the brackets, ![...](heart.png) "
     "(for learners who use a screen reader)"),
    ("![ ](sounds/bell.ogg)",
     "audio 'sounds/bell.ogg' has no alt text: say what it says in the brackets, "
     "![...](sounds/bell.ogg) (for learners who use a screen reader)"),
    ("Why \ufdd6?", "text contains U+FDD6, a Unicode noncharacter (deckgen uses it to place "
     "media): remove it"),
]


@pytest.mark.parametrize(("text", "message"), CARD_ERRORS)
def test_card_media_errors_are_located(project: Project, text: str, message: str) -> None:
    media_project(project)
    project.write("cards/media.yaml", CARDS.replace("when does massage harm? "
                                                    "![A bell rings once](sounds/bell.ogg)",
                                                    text.replace("\\", "\\\\")))
    project.write("cards/media.yaml", project.root.joinpath("cards/media.yaml").read_text()
                  .replace("question: According to the tiny seed, " + text,
                           'question: "According to the tiny seed, ' + text + '"'))
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stderr == f"cards/media.yaml:13:15: error: {message}\n1 error\n"


def test_an_image_in_a_card_without_a_media_folder_is_an_error(project: Project) -> None:
    # (it used to pass 'deckgen check' and ship with the image silently removed)
    project.write("cards/media.yaml", CARDS.replace("](sounds/bell.ogg)", "](heart.png)"))
    result = project.run("build")
    assert result.exit_code == 1
    assert result.stderr == (
        "cards/media.yaml:3:15: error: media file 'heart.png' is not declared in "
        "media/media.yaml\n"
        "cards/media.yaml:13:15: error: media file 'heart.png' is not declared in "
        "media/media.yaml\n2 errors\n")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" \
       b"\xff\xc0\x00\x11\x08\x00\x10\x00\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9"

# (file name in the manifest, bytes, the message at the manifest's 'file')
FILE_ERRORS = [
    ("heart.mp3", png(), "'heart.mp3' is named as MP3 but its bytes are a PNG file"),
    ("heart.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
     "'heart.png' is named as PNG but its bytes are a GIF file"),
    ("heart.png", b"hello", "'heart.png' is named as PNG but its bytes are not a file of any "
     "supported type"),
    ("heart.bmp", b"BM", "'heart.bmp' has an unsupported type ('.bmp'); images: PNG, JPEG, "
     "GIF, WebP; audio: MP3, Ogg, M4A"),
    ("heart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "'heart.svg': SVG is not supported: an SVG is a document that can hold scripts, event "
     "handlers and links to other files, which Anki would run; export it as PNG or WebP"),
    ("heart.png", png(extra=b"<script>alert(1)</script>"),
     "'heart.png' holds HTML or script besides the PNG data (a polyglot file); export it "
     "again from an image or audio editor"),
    ("heart.png", png(extra=b"PK\x03\x04zip"),
     "'heart.png' has 7 bytes after the end of its PNG image (a polyglot file); export it "
     "again"),
    ("heart.jpg", JPEG + b"<html><body onload=alert(1)>",
     "'heart.jpg' holds HTML or script besides the JPEG data (a polyglot file); export it "
     "again from an image or audio editor"),
    ("heart.png", png(100_000, 100_000),
     "'heart.png' is 100000 x 100000 pixels, over the limit (8192 per side, 40,000,000 in "
     "all): scale it down"),
    ("heart.jpg", JPEG.replace(b"\x00\x10\x00\x20", b"\x1f\x40\x1f\x40"),
     "'heart.jpg' is 8000 x 8000 pixels, over the limit (8192 per side, 40,000,000 in all): "
     "scale it down"),
    ("heart.png", png() + b"\x00" * (5 * 1024 * 1024),
     "'heart.png' is 5,242,954 bytes, over the 5,242,880-byte limit for image; make it "
     "smaller"),
    ("https://example.org/heart.png", None,
     "'https://example.org/heart.png' is a URL: media must be files of the media folder (Anki "
     "shows nothing remote offline, and a remote file can change or track learners)"),
    ("../seeds/tiny.txt", None,
     "'../seeds/tiny.txt' leaves the media folder or has an empty part ('..', '.', '//')"),
    ("gone.png", None, "media file not found: media/gone.png"),
]


@pytest.mark.parametrize(("file", "data", "message"), FILE_ERRORS)
def test_media_file_errors_are_located(project: Project, file: str, data: bytes | None,
                                       message: str) -> None:
    media_project(project)
    (project.root / "media" / "heart.png").unlink()
    if data is not None:
        (project.root / "media" / file).write_bytes(data)
    project.write("media/media.yaml", MANIFEST.replace("file: heart.png", f"file: {file}"))
    project.write("cards/media.yaml", CARDS.replace("](heart.png)", f"]({file})"))
    result = project.run("check")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("media/")]
    assert errors == [f"media/media.yaml:2:11: error: {message}"], result.stderr
    assert "Traceback" not in result.stderr


def test_valid_jpeg_gif_webp_mp3_and_m4a_pass(project: Project, tmp_path: Path) -> None:
    files = {
        "a.jpg": JPEG, "b.gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00;",
        "c.webp": b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x00",
        "d.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 100,
        "e.m4a": b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00isomM4A ",
    }
    media_project(project)
    manifest = MANIFEST
    for name, data in files.items():
        (project.root / "media" / name).write_bytes(data)
        manifest += f"  - file: {name}\n    source: made\n    author: us\n    licence: CC0\n"
    project.write("media/media.yaml", manifest)
    shown = " ".join(f"![file {name}]({name})" for name in files)
    project.write("cards/media.yaml", CARDS.replace("![A bell rings once](sounds/bell.ogg)",
                                                    shown))
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    col = open_collection(tmp_path / "anki")
    import_apkg(col, project.output)
    assert list(col.media.check().missing) == []
    card = by_id(render_all(col), "with-sound")
    assert [t.filename for t in col.get_card(card.card_id).question_av_tags()] == [
        hashed(files["d.mp3"], "mp3"), hashed(files["e.m4a"], "m4a")]
    assert card.question.count("<img") == 3


def test_undeclared_unused_and_linked_files(project: Project) -> None:
    media_project(project)
    (project.root / "media" / "stray.png").write_bytes(png())
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stderr == ("media/stray.png:1:1: error: media file 'stray.png' is not "
                             "declared in media/media.yaml; add it with its source, author "
                             "and licence\n1 error\n")
    (project.root / "media" / "stray.png").unlink()
    project.write("cards/media.yaml", CARDS.replace(" ![A bell rings once](sounds/bell.ogg)",
                                                    ""))
    result = project.run("check")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("media/media.yaml:6:11: warning: media file 'sounds/bell.ogg' is "
                             "declared but no card uses it\n")
    assert project.run("check", "--strict").exit_code == 1
    (project.root / "media" / "heart.png").unlink()
    outside = project.root / "heart-outside.png"
    outside.write_bytes(png())
    (project.root / "media" / "heart.png").symlink_to(outside)
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "media/media.yaml:2:11: error: 'heart.png' is a symbolic link: deckgen does not "
        "follow links in the media folder; put the file itself there\n")
    # a linked folder is refused the same way
    (project.root / "media" / "heart.png").unlink()
    shutil.move(project.root / "media" / "sounds", project.root / "sounds-outside")
    (project.root / "media" / "sounds").symlink_to(project.root / "sounds-outside")
    (project.root / "media" / "heart.png").write_bytes(png())
    result = project.run("check")
    assert result.stderr == (
        "media/media.yaml:6:11: error: 'sounds' is a symbolic link: deckgen does not follow "
        "links in the media folder; put the file itself there\n"
        "media/sounds:1:1: error: 'sounds' is a symbolic link: deckgen does not follow "
        "links in the media folder; put the file itself there\n2 errors\n")
    # an undeclared link is an error too, never skipped
    (project.root / "media" / "sounds").unlink()
    shutil.move(project.root / "sounds-outside", project.root / "media" / "sounds")
    (project.root / "media" / "extra.png").symlink_to(outside)
    assert project.run("check").stderr == (
        "media/extra.png:1:1: error: 'extra.png' is a symbolic link: deckgen does not follow "
        "links in the media folder; put the file itself there\n1 error\n")


def test_the_example_project_builds(tmp_path: Path) -> None:
    example = tmp_path / "media-deck"
    shutil.copytree(REPO / "examples" / "media-deck", example,
                    ignore=shutil.ignore_patterns("build"))
    lock = (example / "deckgen.lock").read_text()
    result = Project(example).run("build", "--locked")
    assert result.exit_code == 0, result.stderr
    assert (example / "deckgen.lock").read_text() == lock
    col = open_collection(tmp_path / "anki")
    import_apkg(col, example / "build" / "pitch.apkg")
    assert len(list(Path(col.media.dir()).iterdir())) == 2
    assert list(col.media.check().missing) == []
    assert Project(example).run("check").stderr == ""


def test_the_preview_shows_the_images_and_plays_the_audio(tmp_path: Path) -> None:
    from test_preview import Browser, _chromium

    example = tmp_path / "media-deck"
    shutil.copytree(REPO / "examples" / "media-deck", example,
                    ignore=shutil.ignore_patterns("build"))
    result = Project(example).run("preview", "-o", "site")
    assert result.exit_code == 0, result.stderr
    site = example / "site"
    image, sound = (hashed((example / "media" / name).read_bytes(), name.rsplit(".", 1)[1])
                    for name in ("sine-wave.png", "a440.ogg"))
    assert sorted(p.name for p in (site / "media").iterdir()) == sorted([image, sound])
    (tmp_path / "profile").mkdir()
    browser = Browser(_chromium(), tmp_path / "profile")
    try:
        browser.open((site / "index.html").as_uri())
        shown = browser.js("""new Promise(done => setTimeout(() => done(
            [...document.querySelectorAll('img.dg-media')].map(i => [i.getAttribute('src'),
             i.naturalWidth, i.alt])), 300))""")
        assert shown == [[f"media/{image}", 128, "A smooth curve rising and falling once over "
                          "a grey axis"]] * 2  # (front and back)
        # night mode (Anki's class on the body): a transparent image gets a white background
        background = "getComputedStyle(document.querySelector('img.dg-media')).backgroundColor"
        assert browser.js(background) == "rgba(0, 0, 0, 0)"
        assert browser.js("document.body.classList.add('nightMode'), " + background) == (
            "rgb(255, 255, 255)")
        audio = browser.js("[...document.querySelectorAll('audio')].map(a => a.getAttribute('src'))")
        assert audio == [f"media/{sound}"] * 2
        # (the audio player's own icons are data: URLs of Chromium's; nothing else is loaded,
        # and no load was blocked by the page's Content-Security-Policy)
        assert [p for p in browser.problems() if not p.startswith("request: data:")] == []
        assert all(url.startswith(("file://", "data:")) for url in browser.requests())
    finally:
        browser.close()


def test_stats_count_the_media_and_their_credits(project: Project) -> None:
    media_project(project)
    result = project.run("stats")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(
        "media: 1 image and 1 audio file on 2 cards (0 declared but unused)\n"
        "  credit: A. Painter, CC BY 4.0 (1 file)\n"
        "  credit: B. Bell, CC0 (1 file)\n")
    project.write("cards/media.yaml", CARDS.replace("![A red heart on white](heart.png)", ""))
    assert project.run("stats").stdout.endswith(
        "media: 0 images and 1 audio file on 1 card (1 declared but unused)\n"
        "  credit: B. Bell, CC0 (1 file)\n")


def test_diff_reports_media_added_changed_and_removed(project: Project) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
                       cwd=project.root, check=True, capture_output=True)

    media_project(project)
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "one")
    (project.root / "media" / "heart.png").write_bytes(png(colour=b"\x00\x00\xff\xff"))
    (project.root / "media" / "sounds" / "bell.ogg").unlink()
    (project.root / "media" / "lungs.png").write_bytes(png(3, 3))
    # (the project still builds: the manifest and the cards follow the files)
    project.write("media/media.yaml", MANIFEST.split("  - file: sounds/bell.ogg")[0] + (
        "  - file: lungs.png\n    source: Drawn for the tests\n    author: C. Painter\n"
        "    licence: CC0\n"))
    project.write("cards/media.yaml", CARDS.replace(" ![A bell rings once](sounds/bell.ogg)", ""))
    result = project.run("diff", "HEAD")
    assert result.exit_code == 0, result.stderr
    # the card with the heart shows another picture: a changed card, as for the build
    assert result.stdout.startswith("0 added, 2 changed, 0 retired\nChanged:\n"
                                    "  ~ with-image\n      media: heart.png [-[")
    assert "  ~ with-sound\n      question: " in result.stdout
    assert result.stdout.endswith("Media: 1 added, 1 changed, 1 removed\n"
                                  "  + lungs.png\n  ~ heart.png\n  - sounds/bell.ogg\n")
    git("add", "-A")
    git("commit", "-qm", "two")
    result = project.run("diff", "HEAD~1", "HEAD", "--format", "markdown")
    assert result.stdout.endswith("\n**Media**: 1 added, 1 changed, 1 removed\n"
                                  "- + `lungs.png`\n- ~ `heart.png`\n- - `sounds/bell.ogg`\n")
    assert project.run("diff", "HEAD").stdout == "No card changes.\n"


def test_an_image_inside_a_cloze_deletion(project: Project, tmp_path: Path) -> None:
    media_project(project)
    project.write("cards/media.yaml", CARDS + """\
  - id: cloze-image
    cloze: "According to the tiny seed, harm comes {{c1::![A red heart on white](heart.png)::a picture}}."
    source:
      seed: tiny
      quote: In what situations can massage cause harm?
    evidence: expert-opinion
""")
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    col = open_collection(tmp_path / "anki")
    import_apkg(col, project.output)
    card = by_id(render_all(col), "cloze-image")
    image = hashed(png(), "png")
    assert f'src="{image}"' not in card.question and "[a picture]" in card.question
    assert f'<img class="dg-media" src="{image}" alt="A red heart on white">' in card.answer
    assert card.answer.count("Image: <span") == 1  # one credit, however often it is shown


def test_without_media_the_package_is_as_before(project: Project) -> None:
    import zipfile

    assert project.run("build").exit_code == 0
    with zipfile.ZipFile(project.output) as zf:
        assert zf.namelist() == ["collection.anki2", "media"]
        assert zf.read("media") == b"{}"


def test_the_media_folder_is_configurable_and_inside_the_project(project: Project) -> None:
    media_project(project)
    (project.root / "media").rename(project.root / "assets")
    project.write("deckgen.yaml", project.root.joinpath("deckgen.yaml").read_text()
                  + "media: assets\n")
    result = project.run("build")
    assert result.exit_code == 0, result.stderr
    project.write("deckgen.yaml", project.root.joinpath("deckgen.yaml").read_text()
                  .replace("media: assets", "media: ../assets"))
    result = project.run("check")
    assert result.stderr == ("deckgen.yaml:9:8: error: 'media' must be a path inside the "
                             "project\n1 error\n")


def test_a_retired_card_shows_its_image_alt_text_and_no_sound_tag(tmp_path: Path) -> None:
    """A retired card's files are no longer shipped: an existing learner's card shows the
    image's alt text (not an empty paragraph) and no '[sound:…]' as text."""
    example = tmp_path / "media-deck"
    shutil.copytree(REPO / "examples" / "media-deck", example,
                    ignore=shutil.ignore_patterns("build"))
    deck = Project(example)
    assert deck.run("build").exit_code == 0
    learner = open_collection(tmp_path / "learner")
    import_apkg(learner, example / "build" / "pitch.apkg")
    cards = example / "cards"
    (card_file,) = cards.glob("*.yaml")
    card_file.write_text(
        "deck: Pitch\ncards:\n  - id: text-only\n"
        "    question: According to the deckgen authors' notes, what do most orchestras tune to?\n"
        "    answer: The A above middle C, at 440 hertz.\n"
        "    source:\n      seed: pitch-notes\n"
        "      quote: Most orchestras tune to the A above middle C, set at 440 hertz\n"
        "    evidence: expert-opinion\n", encoding="utf-8")
    assert deck.run("build").exit_code == 0, deck.run("build").stderr
    import_apkg(learner, example / "build" / "pitch.apkg")
    shown = {r.note_guid: r for r in render_all(learner)}
    fronts = {r.fields.get("Question", ""): r for r in shown.values() if "deckgen::retired" in r.tags}
    assert len(fronts) == 2
    texts = " ".join(r.question for r in fronts.values())
    assert "A smooth curve rising and falling once over a grey axis" in texts
    assert "[sound:" not in texts and "&#91;sound:" not in texts
    assert "<img" not in texts


def test_the_coverage_page_counts_the_media_and_their_credits(tmp_path: Path) -> None:
    example = tmp_path / "media-deck"
    shutil.copytree(REPO / "examples" / "media-deck", example,
                    ignore=shutil.ignore_patterns("build"))
    result = Project(example).run("preview", "-o", "site")
    assert result.exit_code == 0, result.stderr
    page = (example / "site" / "coverage.html").read_text(encoding="utf-8")
    section = page.split("<h2>Images and audio</h2>")[1].split("</table>")[0]
    assert "<p>2 files shown on 2 cards (0 declared but unused).</p>" in section
    rows = section.split("<tbody>")[1]
    assert rows.count("<tr>") == 2
    assert "<code>a440.ogg</code></th><td>audio</td>" in rows
    assert "<code>sine-wave.png</code></th><td>image</td>" in rows
    assert all(credit in rows for credit in ("deckgen authors",)), rows
