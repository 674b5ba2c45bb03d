import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from .conftest import no_exception, texts


def digit_rgba(kind: str) -> np.ndarray:
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    d = ImageDraw.Draw(im)
    if kind == "1":
        d.line([(140, 40), (140, 240)], fill=(255, 255, 255, 255), width=20)
    elif kind == "0":
        d.ellipse([70, 40, 210, 240], outline=(255, 255, 255, 255), width=20)
    return np.asarray(im)


@pytest.fixture
def patched_canvas(monkeypatch):
    import ui.canvas
    box = {"image": None}
    monkeypatch.setattr(ui.canvas, "draw_canvas", lambda key, stroke_width=18, size=280: box["image"])
    return box


def test_empty_canvas_says_so(app, patched_canvas):
    at = no_exception(app("draw").run())
    assert any("Draw a digit" in i.value for i in at.info)
    patched_canvas["image"] = digit_rgba("empty")
    at.run()
    no_exception(at)
    assert any("Nothing drawn" in i.value for i in at.info)


@pytest.mark.parametrize("digit", ["1", "0"])
def test_patched_canvas_is_predicted(app, patched_canvas, digit):
    patched_canvas["image"] = digit_rgba(digit)
    at = no_exception(app("draw").run())
    assert f"prediction: {digit}" in texts(at)
    assert at.get_by_key("draw_probs") is not None and at.get_by_key("draw_steps") is not None
    assert at.session_state["last_drawing"].shape == (28, 28)


def test_upload_png_and_garbage(app):
    at = no_exception(app("draw").run())
    at.radio(key="draw_mode").set_value("Upload").run()
    im = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(im).line([(100, 20), (100, 180)], fill=0, width=16)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    at.file_uploader(key="draw_upload").upload("one.png", buf.getvalue(), "image/png")
    at.run()
    no_exception(at)
    assert "prediction: 1" in texts(at)
    at.file_uploader(key="draw_upload").upload("fake.png", b"not an image at all", "image/png")
    at.run()
    no_exception(at)
    assert any("not a PNG or JPEG" in e.value for e in at.error)


def test_a_scribble_is_not_named_as_a_digit(app, patched_canvas):
    from mnist_core.synthetic import non_digits
    star = next(s for s in non_digits() if s.style == "grid")
    patched_canvas["image"] = np.stack([star.image] * 3 + [np.full_like(star.image, 255)], -1)
    at = no_exception(app("draw").run())
    assert "prediction: unsure" in texts(at)
    assert any("Not sure this is a digit" in m.value for m in at.markdown)


def test_a_clear_digit_reads_sure_with_its_uncertainty_in_words(app, patched_canvas):
    patched_canvas["image"] = digit_rgba("1")
    at = no_exception(app("draw").run())
    assert "prediction: 1" in texts(at) and "bits" in texts(at) and "The network is sure" in texts(at)


def test_preprocessing_switches_show_the_prediction_without_a_step(app, patched_canvas):
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(im).line([(20, 10), (60, 10), (35, 70)], fill=(255, 255, 255, 255), width=8)  # a small 7, top-left
    patched_canvas["image"] = np.asarray(im)
    at = no_exception(app("draw").run())
    assert "prediction: 7" in texts(at) and not at.warning
    at.checkbox(key="draw_sw_scale").uncheck()
    at.checkbox(key="draw_sw_center").uncheck().run()
    no_exception(at)
    warn = " ".join(w.value for w in at.warning)
    assert "Without" in warn and "with every step on it reads **7**" in warn
