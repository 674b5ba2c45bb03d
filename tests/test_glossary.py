"""The glossary (术语对照): the seed tutorials' terms, each with its English, a meaning in both languages and a page."""

import re
from pathlib import Path

from mnist_core import glossary
from mnist_core.glossary import PAGES, TERMS, search

ROOT = Path(__file__).resolve().parents[1]
SEED_TERMS = ["卷积", "卷积核", "特征图", "池化", "全连接层", "激活函数", "学习率", "批大小", "过拟合", "交叉熵",
              "梯度", "反向传播", "优化器", "softmax"]


def test_every_term_of_the_seed_tutorials_is_there():
    zh = [t.zh for t in TERMS]
    for term in SEED_TERMS:
        assert term in zh, term
    assert any("epoch" in t.en and "轮" in t.zh for t in TERMS)
    assert len(set(zh)) == len(zh) and len({t.en for t in TERMS}) == len(TERMS)


def test_the_seed_tutorials_use_these_words():
    seeds = Path("/work/shared/seeds")
    if not seeds.is_dir():  # the tutorials sit beside the clone on the team's machines only
        return
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in seeds.glob("*.txt"))
    for term in ("卷积", "卷积核", "池化", "全连接层", "激活函数", "学习率", "交叉熵", "反向传播"):
        assert term in text, term


def test_each_meaning_is_one_line_in_both_languages():
    for t in TERMS:
        en, zh = t.meaning_in("en"), t.meaning_in("zh")
        assert en == t.meaning and "\n" not in en and len(en) < 200
        assert zh != en and re.search(r"[\u4e00-\u9fff]", zh), t.zh  # the catalog has its Chinese
        assert "\n" not in zh


def test_each_term_names_a_page_of_the_app():
    app = (ROOT / "app.py").read_text()
    for t in TERMS:
        assert t.page in PAGES, t
        assert (ROOT / "app_pages" / f"{t.page}.py").is_file()
        assert f'"{t.page}.py"' in app  # registered in the navigation
    assert '"glossary.py"' in app


def test_search_finds_a_term_by_either_language_or_its_meaning():
    found = [t.zh for t in search("卷积核")]
    assert found[0] == "卷积核" and "特征图" in found  # the term itself, then the terms that mention it
    assert "步长" in [t.zh for t in search("STRIDE")]
    assert "过拟合" in [t.zh for t in search("背", "zh")]  # a word only the Chinese meaning has
    assert search("  ") == list(TERMS) and search("no such word here") == []
    assert glossary.Term("x", "y", "z", "dataset").meaning_in("zh") == "z"  # an untranslated meaning stays English
