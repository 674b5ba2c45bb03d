"""Every page opened with ?lang=zh runs without an exception; the pages translated so far show their Chinese
title and Chinese in the sidebar (the rest is the catalog test's and the browser test's to check)."""

import re

import pytest

from .conftest import no_exception

# page -> its Chinese title (as app.py's navigation names it): the pages whose every text is marked
TITLES = {"dataset": "数据集", "glossary": "术语对照", "architecture": "网络结构", "training": "训练",
          "timetravel": "时光回溯", "sweep": "全班扫参"}
OTHERS = ["draw", "inside", "why", "experiments", "lesson", "evaluation"]
HAN = re.compile(r"[\u4e00-\u9fff]")
THEIRS = {"tt_source", "tt_class", "tt_k"}  # ui/explain.pick_input's widgets: translated with ui/explain.py


@pytest.mark.parametrize("page", [*TITLES, *OTHERS])
def test_every_page_runs_in_chinese(app, page):
    at = app(page)
    at.query_params["lang"] = "zh"
    no_exception(at.run(timeout=180))
    assert at.selectbox(key="sidebar_lang").value == "zh"
    assert "当前模型" in [c.value for c in at.sidebar.caption]
    if page in TITLES:
        assert at.title[0].value.endswith(TITLES[page]), at.title[0].value
        labels = [w.label for kind in ("selectbox", "radio", "number_input", "slider", "button", "text_input",
                                       "checkbox", "multiselect") for w in getattr(at, kind) if w.key not in THEIRS]
        english = [label for label in labels if re.search(r"[A-Za-z]{4,}", label) and not HAN.search(label)]
        assert not english, english  # every widget of these pages is labelled in Chinese


def test_the_chinese_dataset_page_reads_its_counts_in_chinese(app):
    at = app("dataset")
    at.query_params["lang"] = "zh"
    no_exception(at.run(timeout=120))
    captions = [c.value for c in at.caption]
    assert any(re.search(r"符合条件的数字共 [\d,]+ 张 · 第 1 页，共 \d+ 页", c) for c in captions), captions
