import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_core.preprocess import ImageError, decode_upload, preprocess, preprocess_upload


def canvas_rgba(draw_fn, size=280, stroke=(255, 255, 255, 255)):
    """What streamlit-drawable-canvas returns: transparent background, strokes opaque."""
    im = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw_fn(ImageDraw.Draw(im), stroke)
    return np.asarray(im)


def one(d, c):
    d.line([(150, 40), (140, 240)], fill=c, width=22)


def png_bytes(arr, mode=None, fmt="PNG"):
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format=fmt)
    return buf.getvalue()


def test_canvas_stroke_becomes_centred_20px_digit():
    s = preprocess(canvas_rgba(one))
    assert not s.empty
    assert s.centered.shape == (28, 28) and s.centered.min() >= 0 and s.centered.max() <= 1
    assert max(s.resized.shape) == 20
    ys, xs = np.nonzero(s.centered > 0.05)
    m = s.centered
    cy = (m.sum(1) * np.arange(28)).sum() / m.sum()
    cx = (m.sum(0) * np.arange(28)).sum() / m.sum()
    assert abs(cy - 13.5) < 1.0 and abs(cx - 13.5) < 1.0
    assert s.tensor().shape == (1, 1, 28, 28)


def test_black_on_white_upload_is_flipped():
    im = Image.new("L", (200, 300), 255)
    ImageDraw.Draw(im).ellipse([40, 60, 160, 240], outline=0, width=18)
    s = preprocess_upload(png_bytes(np.asarray(im)))
    assert s.inverted and not s.empty
    assert s.centered[13, 13] < 0.3 and s.centered.max() > 0.9  # a ring: dark hole, bright ink


def test_any_stroke_colour_on_transparent_canvas():
    s = preprocess(canvas_rgba(one, stroke=(0, 0, 0, 255)))
    assert not s.empty and s.centered.max() > 0.9


def test_empty_and_nearly_empty():
    assert preprocess(canvas_rgba(lambda d, c: None)).empty
    assert preprocess(canvas_rgba(lambda d, c: d.point((5, 5), fill=c))).empty
    s = preprocess(np.zeros((280, 280, 4), dtype=np.uint8))
    assert s.empty and "nothing drawn" in s.message
    with pytest.raises(ImageError, match="nothing drawn"):
        s.tensor()


def test_jpeg_and_wide_aspect():
    im = Image.new("RGB", (400, 100), "white")
    ImageDraw.Draw(im).line([(20, 50), (380, 50)], fill="black", width=12)
    s = preprocess_upload(png_bytes(np.asarray(im), fmt="JPEG"))
    assert s.resized.shape[1] == 20 and s.resized.shape[0] < 6


@pytest.mark.parametrize("raw,msg", [
    (b"", "empty"),
    (b"GIF89a" + b"\0" * 100, "not a PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "corrupt or truncated PNG"),
    (b"\xff\xd8\xff" + b"\1" * 50, "corrupt or truncated JPEG"),
    (b"\x89PNG" + b"\0" * (6 * 1024 * 1024), "over the"),
])
def test_bad_uploads_get_one_line(raw, msg):
    with pytest.raises(ImageError, match=msg) as e:
        decode_upload(raw, "x.png")
    assert "\n" not in str(e.value)


def test_truncated_real_png():
    raw = png_bytes(np.zeros((64, 64), dtype=np.uint8) + 7)
    with pytest.raises(ImageError, match="corrupt or truncated"):
        decode_upload(raw[: len(raw) // 2])


def test_decompression_bomb_refused_before_decoding(monkeypatch):
    import mnist_core.preprocess as P
    monkeypatch.setattr(P, "MAX_PIXELS", 100)
    with pytest.raises(ImageError, match="too large"):
        decode_upload(png_bytes(np.zeros((50, 50), dtype=np.uint8)))


def test_bad_array_shape():
    with pytest.raises(ImageError, match="shape"):
        preprocess(np.zeros((5, 5, 7)))


def test_matches_mnist_statistics(sample):
    """Real MNIST digits, upscaled like a canvas, come back close to themselves."""
    corr = []
    for digit in sample.test_images[:50].numpy():
        big = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR))
        s = preprocess(big)
        corr.append(np.corrcoef(s.centered.ravel(), digit.ravel() / 255.0)[0, 1])
    assert np.mean(corr) > 0.9 and np.median(corr) > 0.95


def _corner_digit(size=280, box=(10, 10, 60, 90), dark_on_light=False):
    from PIL import Image as I
    from PIL import ImageDraw as D
    im = I.new("L", (size, size), 255 if dark_on_light else 0)
    D.Draw(im).line([(box[0] + 20, box[1]), (box[0] + 20, box[3])], fill=0 if dark_on_light else 255, width=8)
    return np.asarray(im)


def test_switches_off_show_what_each_step_does():
    from mnist_core.preprocess import preprocess as pp
    img = _corner_digit()
    on = pp(img)
    assert on.centered.sum() > 0
    np.testing.assert_array_equal(pp(img, True, True, True, True).centered, on.centered)
    no_center = pp(img, center=False)  # the stroke stays near the top-left corner
    ys, xs = np.nonzero(no_center.centered > 0.3)
    assert ys.min() <= 2 and xs.mean() < 8  # scaled to 20 px, but from where it was drawn
    ys, xs = np.nonzero(on.centered > 0.3)
    assert abs(ys.mean() - 14) < 2 and abs(xs.mean() - 14) < 2
    tiny = pp(img, scale=False)  # 80 px of a 280 px canvas -> about 8 of 28 px tall
    rows = np.nonzero((tiny.centered > 0.3).any(1))[0]
    assert 5 <= len(rows) <= 11
    whole = pp(img, crop=False)
    assert (whole.centered > 0.3).sum() < (on.centered > 0.3).sum()
    paper = _corner_digit(dark_on_light=True)
    kept = pp(paper, invert=False)  # dark on light stays: the background is bright
    assert kept.centered.mean() > 0.5 and pp(paper).centered.mean() < 0.2
