"""Issue 22 items 5 and 11: hostile uploads, as a corpus, through ``decode_upload`` and the Draw page.

The files are made here byte by byte (a PNG's header can claim any size in a few hundred bytes),
so the corpus costs nothing to keep: a 1 x 24,999,999 RGBA PNG of 121 KB cost ~840 MB per decode on
wave 2's main, on every rerun; a 30000 x 30000 one was refused with Pillow's "decompression bomb"
text; an 8-byte PNG showed ``<_io.BytesIO object at 0x...>``.
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

import mnist_core.preprocess as P
from mnist_core.preprocess import ImageError, decode_upload
from tests.pages.conftest import app, no_exception, texts  # noqa: F401  (the app fixture)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int, colour_type: int = 6, idat: bytes = b"") -> bytes:
    """A PNG whose header says ``width`` x ``height`` (RGBA by default), with whatever pixels follow."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat or zlib.compress(b"\0" * 64)) + \
        _chunk(b"IEND", b"")


def thin_tall_rgba() -> bytes:
    """The real attack: 1 x 24,999,999 RGBA, under the area cap, its rows compressed to ~121 KB."""
    rows = zlib.compressobj(9)
    row = b"\0" + b"\xff\xff\xff\xff"  # filter byte + one RGBA pixel
    body = b"".join(rows.compress(row * 1_000_000) for _ in range(25)) + rows.flush()
    return png_claiming(1, 24_999_999, 6, body)


def a_drawn_one() -> bytes:
    """An honest upload: a dark 1 on white, 200 x 200."""
    im = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(im).line([(100, 20), (100, 180)], fill=0, width=16)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


HOSTILE = [
    ("thin-tall-rgba", thin_tall_rgba, "too large"),
    ("thirty-thousand-square", lambda: png_claiming(30_000, 30_000), "too large"),
    ("wide-strip", lambda: png_claiming(24_999_999, 1), "too large"),
    ("zero-size", lambda: png_claiming(0, 0), "corrupt or truncated PNG"),
    ("eight-bytes", lambda: b"\x89PNG\r\n\x1a\n", "corrupt or truncated PNG"),
    ("header-only", lambda: png_claiming(28, 28)[:33], "corrupt or truncated PNG"),
    ("empty", lambda: b"", "the file is empty"),
    ("gif-named-png", lambda: b"GIF89a" + b"\0" * 64, "not a PNG or JPEG"),
    ("html-named-png", lambda: b"<script>alert(1)</script>", "not a PNG or JPEG"),
    ("jpeg-garbage", lambda: b"\xff\xd8\xff" + b"\x01" * 64, "corrupt or truncated JPEG"),
]


@pytest.mark.parametrize("case,make,words", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_upload_is_one_plain_line(case, make, words):
    raw = make()
    started = time.monotonic()
    with pytest.raises(ImageError) as exc:
        decode_upload(raw, "digit.png")
    assert time.monotonic() - started < 5, "refused before any large decode"
    msg = str(exc.value)
    assert words in msg and msg.startswith("digit.png: ")
    assert "\n" not in msg and "BytesIO" not in msg and "0x" not in msg
    assert "decompression bomb" not in msg and "DOS attack" not in msg  # Pillow's words are not ours
    assert "canvas" not in msg  # an upload is not the canvas


def test_the_thin_png_is_small_and_every_side_is_capped():
    raw = thin_tall_rgba()
    assert len(raw) < 200_000 and P.MAX_PIXELS >= 24_999_999, "the attack passes the area cap by itself"
    assert P.MAX_SIDE < 24_999_999


def test_a_large_honest_photo_is_shrunk_once_and_still_read():
    im = Image.new("L", (4000, 3000), 255)
    ImageDraw.Draw(im).line([(2000, 300), (2000, 2700)], fill=0, width=300)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    img = decode_upload(buf.getvalue(), "photo.png")
    assert max(img.shape[:2]) <= 1024, "downscaled early, not kept at 12 megapixels"


def test_the_draw_page_decodes_an_upload_once_not_on_every_rerun(app, monkeypatch):  # noqa: F811
    calls = []
    real = P.decode_upload

    def counting(raw, name="upload"):
        calls.append(name)
        return real(raw, name)

    monkeypatch.setattr(P, "decode_upload", counting)
    at = no_exception(app("draw").run())
    at.radio(key="draw_mode").set_value("Upload").run()
    at.file_uploader(key="draw_upload").upload("one.png", a_drawn_one(), "image/png")
    at.run()
    for _ in range(3):
        at.run()
    no_exception(at)
    assert "prediction: 1" in texts(at)
    assert calls == ["one.png"], calls


@pytest.mark.parametrize("case,make,words", [c for c in HOSTILE if c[0] != "empty"],
                         ids=[c[0] for c in HOSTILE if c[0] != "empty"])
def test_the_draw_page_shows_a_hostile_upload_as_one_line_and_keeps_working(app, case, make, words):  # noqa: F811
    at = no_exception(app("draw").run())
    at.radio(key="draw_mode").set_value("Upload").run()
    at.file_uploader(key="draw_upload").upload("digit.png", make(), "image/png")
    at.run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and words.split()[0] in errors[0], errors
    assert "Traceback" not in errors[0] and "BytesIO" not in errors[0]
    at.file_uploader(key="draw_upload").upload("one.png", a_drawn_one(), "image/png")
    at.run()
    no_exception(at)
    assert not at.error and "prediction: 1" in texts(at)


def test_a_grey_array_of_the_wrong_shape_is_refused_in_one_line():
    with pytest.raises(ImageError, match="shape"):
        P.preprocess(np.zeros((3, 3, 9), dtype=np.uint8))
