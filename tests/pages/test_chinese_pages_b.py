"""The pages of the second half of the translation (Draw, Inside, Why, Experiments, Lesson,
Evaluation) run in Chinese with ``?lang=zh``: no exception, and their own Chinese texts shown
(the headline, a section, a chart's title), not the English ones."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from .conftest import no_exception, texts


def zh(app, page: str, timeout: float = 120):
    at = app(page, timeout=timeout)
    at.query_params["lang"] = "zh"
    return no_exception(at.run())


def shown(at) -> str:
    """Every text a person reads on the page, charts' titles and axes included."""
    parts = [texts(at)] + [t.value for t in at.title] + [s.value for s in at.subheader]
    for kind in ("radio", "selectbox", "multiselect", "slider", "number_input", "text_input", "checkbox", "button"):
        parts += [str(getattr(w, "label", "")) for w in getattr(at, kind)]
    for el in at.get("plotly_chart"):
        parts.append(json.dumps(json.loads(el.proto.spec), ensure_ascii=False))
    return "\n".join(parts)


@pytest.fixture
def canvas(monkeypatch):
    import ui.canvas
    box = {"image": None}
    monkeypatch.setattr(ui.canvas, "draw_canvas", lambda key, stroke_width=18, size=280: box["image"])
    return box


def one(width: int = 20) -> np.ndarray:
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(im).line([(140, 40), (140, 240)], fill=(255, 255, 255, 255), width=width)
    return np.asarray(im)


def test_draw_in_chinese(app, canvas):
    at = zh(app, "draw")
    text = shown(at)
    assert "写一个数字" in text and "在黑色方框里写一个数字" in text and "Draw a digit" not in text
    canvas["image"] = one()
    at.run()
    no_exception(at)
    text = shown(at)
    assert "预测:1" in text, text[:2000]
    assert "网络的判断" in text and "概率" in text  # the probabilities chart's title and axis
    assert "裁剪到笔迹" in text  # the preprocessing steps' titles
    assert "What the network thinks" not in text and "Margin over" not in text


def test_draw_unsure_and_upload_errors_in_chinese(app, canvas):
    at = zh(app, "draw")
    canvas["image"] = np.zeros((280, 280, 4), np.uint8)
    at.run()
    assert any("还没有写任何东西" in i.value for i in at.info)
    at.radio(key="draw_mode").set_value("Upload").run()
    no_exception(at)
    assert "上传" in shown(at)
