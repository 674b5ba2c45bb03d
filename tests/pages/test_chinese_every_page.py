"""Every page app.py's navigation lists, opened with ``?lang=zh`` in AppTest: no exception, a Chinese title, and
no English word in its charts' own text (titles, axes, legends, annotations, tick labels, hover templates and
hover texts), which a browser only shows on hover. The page list is read from app.py, so a new page is
covered the day it is added; the teacher's board is opened as the teacher, with a class started."""

import json
import re

import pytest

from tests.e2e.test_chinese_browser import english_words

from .conftest import ROOT, no_exception

KEY = "zh-every-page-key"
PAGES = re.findall(r'PAGES / "(\w+)\.py"', (ROOT / "app.py").read_text(encoding="utf-8"))
HAN = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\{[^}]*\}|<[^>]*>")  # Plotly's %{y:.2f} and its <br>, <extra></extra>


@pytest.fixture(autouse=True)
def test_thread_reads_chinese():
    """AppTest calls a select's ``format_func`` in the test's own thread: it reads Chinese too."""
    from mnist_core import i18n
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def chart_texts(spec: dict) -> list[str]:
    """What a person reads in a Plotly figure, from its JSON: every text field, hover ones included."""
    out = []

    def strings(v):
        if isinstance(v, str):
            out.append(PLACEHOLDER.sub(" ", v))
        elif isinstance(v, list):
            for x in v:
                strings(x)

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("text", "hovertemplate", "hovertext", "name", "ticktext", "texttemplate") or \
                        k == "title" and isinstance(v, str):  # a title dict is walked: its "text"
                    strings(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)
    walk({"data": spec.get("data", []), "layout": {k: v for k, v in spec.get("layout", {}).items()
                                                    if k != "template"}})  # the theme names no words
    return out


def test_the_page_list_is_every_page_of_the_app():
    assert len(PAGES) == len(list((ROOT / "app_pages").glob("*.py"))) >= 17
    assert {"board", "classroom", "report", "dream", "gradient", "glossary"} <= set(PAGES)


def test_chart_texts_find_hover_words():
    spec = {"data": [{"hovertemplate": "row %{y}, col %{x}<extra></extra>", "name": "损失"}],
            "layout": {"title": {"text": "概率"}, "xaxis": {"title": {"text": "step"}}}}
    assert [w.split()[0] for w in english_words("\n".join(chart_texts(spec)))] == ["'row'", "'col'", "'step'"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_chinese_with_its_charts(app, monkeypatch, page):
    at = app(page, timeout=180)
    at.query_params["lang"] = "zh"
    if page == "board":  # the teacher's page: as the teacher, with a class to show
        from mnist_core.classroom import classes, identity
        monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", KEY)
        at.query_params["teacher"] = KEY
        no_exception(at.run())
        classes.start_class(identity.teacher_actor(at.session_state["actor"].visitor_id), "初二（3）班")
    no_exception(at.run())
    assert at.title and HAN.search(at.title[0].value), [t.value for t in at.title]
    texts = [t for el in at.get("plotly_chart") for t in chart_texts(json.loads(el.proto.spec))]
    left = english_words("\n".join(texts))
    assert not left, f"{page}: English in its charts:\n" + "\n".join(left[:30])
