"""Every figure on the main pages carries a one-sentence text alternative (``ui.common.describe``): the element
just before each Plotly chart in its block is the visually hidden ``<p class="mnist-alt">`` that says what it shows,
in the session's language; a picture (``st.image``) carries its sentence as its ``alt``."""

import re

import pytest

from .conftest import no_exception
from .test_draw_page import digit_rgba, patched_canvas  # noqa: F401

MAIN = ["dataset", "inside", "draw", "training", "evaluation", "why", "timetravel", "gradient"]


def is_alt(node) -> bool:
    return getattr(node, "type", None) == "html" and 'class="mnist-alt"' in node.value


def figures(block):
    """(figures, figures without a text alternative just before them) under ``block``."""
    seen, bare = 0, []
    children = [block.children[k] for k in sorted(block.children)] if hasattr(block, "children") else []
    for before, node in zip([None, *children], children):
        if getattr(node, "type", None) == "plotly_chart":
            seen += 1
            if before is None or not is_alt(before):
                bare.append(getattr(node, "key", None) or node.proto.id)
        elif getattr(node, "type", None) == "image":  # a picture says it itself: its alt
            seen += 1
            bare += [img.caption or "an image" for img in node.proto.imgs if not img.alt.strip()]
        else:
            s, b = figures(node)
            seen, bare = seen + s, bare + b
    return seen, bare


@pytest.mark.parametrize("name", MAIN)
def test_every_figure_has_a_text_alternative(app, patched_canvas, name):  # noqa: F811
    patched_canvas["image"] = digit_rgba("1")
    at = no_exception(app(name, timeout=120).run())
    seen, bare = figures(at.main)
    assert not bare, f"{name}: figures without a text alternative: {bare}"
    if name != "training":  # Training draws charts once runs exist (its own tests train them)
        assert seen > 0, f"{name}: no figure found"
    alts = [e.value for e in at.get("html") if is_alt(e)]
    assert all(a.count("Figure: ") == 1 and a.rstrip("</p>").endswith(".") for a in alts), alts
    if name == "draw":  # the canvas, too
        assert any("canvas" in a for a in alts), alts


def test_text_alternatives_speak_chinese(app, patched_canvas):  # noqa: F811
    at = app("dataset")
    at.query_params["lang"] = "zh_CN"
    at = no_exception(at.run())
    said = [img.alt for el in at.get("image") for img in el.proto.imgs]  # the digits: a picture, its alt
    assert said and all(re.search(r"[\u4e00-\u9fff]", a) for a in said), said
    at = app("dataset")
    at.query_params["lang"] = "zh_CN"
    at.session_state["ds_tab"] = "统计"  # the statistics: figures, each with its sentence before it
    at = no_exception(at.run())
    alts = [e.value for e in at.get("html") if is_alt(e)]
    assert alts and all("图：" in a for a in alts), alts
