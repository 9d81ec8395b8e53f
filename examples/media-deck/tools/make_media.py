"""Make the example's two media files (ours, so their licence is ours): a PNG drawn with zlib
and struct, and an Ogg tone encoded by ``oggenc`` (vorbis-tools) from a WAV made here.

    python tools/make_media.py      (from examples/media-deck)
"""

from __future__ import annotations

import math
import struct
import subprocess
import tempfile
import wave
import zlib
from pathlib import Path

MEDIA = Path(__file__).resolve().parent.parent / "media"


def png(width: int, height: int, pixel: object) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width))  # type: ignore[operator]
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def sine_wave(x: int, y: int) -> tuple[int, int, int, int]:
    """One period of a sine wave, dark blue on a transparent background."""
    curve = 32 - 24 * math.sin(2 * math.pi * x / 128)
    if abs(y - curve) < 2.2:
        return (20, 60, 160, 255)
    if y == 32:
        return (150, 150, 150, 255)  # the axis
    return (0, 0, 0, 0)


def tone(path: Path, hertz: float = 440.0, seconds: float = 0.6, rate: int = 22050) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "tone.wav"
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            frames = int(seconds * rate)
            fade = rate // 50
            out.writeframes(b"".join(
                struct.pack("<h", int(12000 * min(1, i / fade, (frames - i) / fade)
                                      * math.sin(2 * math.pi * hertz * i / rate)))
                for i in range(frames)))
        subprocess.run(["oggenc", "--quiet", "-q", "0", "--discard-comments", "-s", "13",
                        "-o", str(path), str(wav)], check=True)


if __name__ == "__main__":
    (MEDIA / "sine-wave.png").write_bytes(png(128, 64, sine_wave))
    tone(MEDIA / "a440.ogg")
