"""Every page in Chinese in a real browser: opened with ``?lang=zh``, nothing untranslated shows.

Each page (one test each) is opened with ``?lang=zh`` and left to settle; then the text a person
reads in the page's main block (widgets, captions, tables, the charts' titles, axes, ticks,
legends and annotations, which Plotly draws as SVG text, and their hover text, read from each chart's
traces) is split into Latin words, and any word
that is not a kept term (MNIST, ReLU, Adam, ...), code, a number, a file name or a unit fails the
test, named with the line it sits on. The sidebar and the navigation, the same on every page, are
one more test. Screenshots of each page go to docs/zh/ with ``MNIST_LAB_UPDATE_DOCS=1`` (else to
.cache/screenshots/zh/).
"""

from __future__ import annotations

import contextlib
import os
import re
import time

import pytest

from .harness import ROOT, wait_idle
from .test_browser import DIGITS, assert_no_exception, browser, server, stroke  # noqa: F401

DOCS = (ROOT / "docs" if os.environ.get("MNIST_LAB_UPDATE_DOCS") else ROOT / ".cache" / "screenshots") / "zh"
PAGES = sorted(p.stem for p in (ROOT / "app_pages").glob("*.py"))  # every page the app has (a new one too)
DEFAULT_PAGE = "dataset"  # the navigation's default: its address is the root

# Words a Chinese class reads in English (as the seed tutorials and Chinese courses keep them), the
# names of PyTorch's layers and of the datasets, formats and units. Compared case-sensitively.
KEPT = {
    "MNIST", "KMNIST", "Fashion", "CNN", "ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "tanh", "Softmax",
    "softmax", "Adam", "AdamW", "SGD", "PyTorch", "Keras", "NumPy", "Captum", "Streamlit", "GPU", "CPU", "CUDA",
    "MPS", "PCA", "SNE", "Grad", "CAM", "FGSM", "PGD", "Sobel", "LeNet", "AlexNet", "VGG", "ResNet",
    "Conv2d", "MaxPool2d", "AvgPool2d", "Linear", "Flatten", "BatchNorm2d", "BatchNorm1d", "Dropout",
    "epsilon", "gamma", "beta", "max", "log", "sqrt", "id", "demo", "lr",  # the arithmetic writes sqrt as code does
    # names the seed programs print or call, quoted as they appear there (the lessons on seed000-002)
    "nn", "CrossEntropyLoss", "fit", "validation_data", "test_images", "test_labels", "Time", "cost",
    "localhost",  # the host name the teacher's board warns about, typed as it is
    "fast",  # a preset's name as it is typed in a command (What it wants to see)
    "Nguyen", "Yosinski", "Clune",  # the authors the fooling pictures cite (What it wants to see)
    "PNG", "JPEG", "JPG", "JSON", "HTML", "png", "jpg", "jpeg", "json", "px", "ms", "KB", "MB", "GB", "bits",
}
# Streamlit's own words in its widgets, which it cannot translate (streamlit#1353): not ours to fix.
STREAMLIT_OWN = ["Press Enter to apply", "Choose an option", "No results"]
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
# A term glossed in the other language, as a Chinese course writes it the first time: stride（步长）,
# 轮（epoch）. The English beside its Chinese is kept; alone it is not.
GLOSSED = re.compile(r"[A-Za-z][A-Za-z' -]*(?=[（(][\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])[（(][A-Za-z][A-Za-z' -]*[）)]")
# a link or its query, code (snake_case), a file's name, a word with digits in it (Conv2d, 28x28)
CODE_LIKE = re.compile(r"\S*(?:[=?&_]|://)\S*|(?<!\S)/\S+|\S+\.(?:json|png|jpe?g|py|safetensors)\b|"
                       r"\b[A-Za-z]*\d[A-Za-z\d]*\b")


def address(server_url: str, name: str) -> str:
    return f"{server_url}/{'' if name == DEFAULT_PAGE else name}?lang=zh"


def settle(page, timeout: float = 180):
    """Until the script run is over: no spinner, no running indicator, and the page's text and charts
    the same two looks in a row, a second apart (a long computation shows a spinner meanwhile)."""
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=timeout * 1000)
    deadline = time.time() + timeout
    seen = None
    while time.time() < deadline:
        wait_idle(page, timeout)
        busy = page.locator('[data-testid="stSpinner"], [data-testid="stStatusWidget"]').count()
        now = (page.locator(".js-plotly-plot").count(), len(page.locator('[data-testid="stMain"]').inner_text()))
        if not busy and now == seen:
            return
        seen = None if busy else now
        time.sleep(1.0)
    raise AssertionError(f"the page did not settle in {timeout:.0f} s")


# The visible text of a region: its HTML text without code blocks, plus every SVG text of its charts.
READ = """(sel) => {
  const root = document.querySelector(sel);
  if (!root) return "";
  const copy = root.cloneNode(true);
  // code, Streamlit's own upload box and icon names (it translates neither: streamlit#1353), the charts (below),
  // and the Glossary's table, which shows each term and its meaning in both languages on purpose
  copy.querySelectorAll('[data-testid="stCode"], code, pre, [data-testid="stFileUploaderDropzone"], '
                        + '[data-testid="stIconMaterial"], svg, .modebar, .st-key-gl_table').forEach(e => e.remove());
  document.body.appendChild(copy);  // innerText needs the copy laid out
  copy.style.position = "absolute"; copy.style.left = "-99999px";
  const html = copy.innerText;
  copy.remove();
  const svg = [...root.querySelectorAll('.js-plotly-plot svg text')].map(t => t.textContent).join("\\n");
  // the hover text, which Plotly draws only under the pointer: each trace's template, texts and name
  const hover = new Set();
  for (const gd of root.querySelectorAll('.js-plotly-plot')) {
    for (const t of gd.data || []) {
      for (const v of [t.hovertemplate, t.hovertext, t.text, t.name].flat(2)) {
        if (typeof v === "string") hover.add(v.replace(/%\\{[^}]*\\}|<[^>]*>/g, " "));
      }
    }
  }
  return html + "\\n" + svg + "\\n" + [...hover].join("\\n");
}"""


def english_words(text: str) -> list[str]:
    """Each untranslated English word, with the line it is on."""
    found = []
    for line in text.splitlines():
        rest = line
        for own in STREAMLIT_OWN:
            rest = rest.replace(own, " ")
        rest = CODE_LIKE.sub(" ", GLOSSED.sub(" ", rest))
        for w in WORD.findall(rest):
            if w not in KEPT:
                found.append(f"{w!r} in {line.strip()[:120]!r}")
    return found


# every picture loaded and every chart drawn (an element not drawn yet shows as a grey block)
DRAWN = """() => [...document.querySelectorAll('[data-testid="stMain"] img')].every(i => i.complete && i.naturalWidth)
  && [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')].every(p => p.querySelector('.main-svg'))
  && !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')"""


def shoot(page, name: str):
    DOCS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 2000})
    time.sleep(0.8)
    settle(page)  # a new window size can rerun the script (its elements grey until it is over)
    with contextlib.suppress(Exception):  # the taller window redraws charts and images: a picture
        page.wait_for_function(DRAWN, timeout=30_000)  # still loading after 30 s is no failure of the page
    time.sleep(2.5)  # tables draw on a canvas, which the check above cannot see
    page.screenshot(path=str(DOCS / f"{name}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


def draw_a_seven(page):
    """The Draw page with a digit on it: its verdict, its preprocessing steps, its chart."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    for path in DIGITS["7"]:
        stroke(page, canvas.bounding_box(), path)
    page.get_by_text("预测\uff1a").first.wait_for()
    settle(page)


def make_the_pictures(page):
    """What it wants to see with its pictures made (the page opens with the button only)."""
    page.locator(".st-key-dream_run button").first.click()
    page.get_by_text("十张骗人的图").first.wait_for(timeout=300_000)
    settle(page, 300)


ACTIONS = {"draw": draw_a_seven, "dream": make_the_pictures}  # what a page needs done before it shows what it is for
TEACHERS_ONLY = {"board"}  # pages the navigation shows to the teacher alone


@pytest.fixture
def zh_page(browser):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(120_000)
    yield pg
    ctx.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_shows_no_english_in_chinese(server, zh_page, name):  # noqa: F811
    zh_page.goto(address(server, name))
    settle(zh_page)
    assert_no_exception(zh_page)
    text = zh_page.evaluate(READ, '[data-testid="stMain"]')
    assert re.search(r"[\u4e00-\u9fff]", text), f"{name}: no Chinese at all"
    if name in ACTIONS:
        ACTIONS[name](zh_page)
        assert_no_exception(zh_page)
        text += "\n" + zh_page.evaluate(READ, '[data-testid="stMain"]')
    if name not in TEACHERS_ONLY:  # a visitor has no such page: the teacher's test below shoots it
        shoot(zh_page, name)
    left = english_words(text)
    assert not left, f"{name}: {len(left)} English words in Chinese:\n" + "\n".join(left[:40])


def test_sidebar_and_navigation_in_chinese(server, zh_page):  # noqa: F811
    zh_page.goto(address(server, "draw"))
    settle(zh_page)
    text = zh_page.evaluate(READ, '[data-testid="stSidebar"]')
    left = english_words(text)
    assert not left, f"the sidebar: {len(left)} English words in Chinese:\n" + "\n".join(left[:40])


def test_teacher_board_in_chinese(browser, tmp_path):  # noqa: F811
    """The board as the teacher sees it (the page test above sees a visitor's note): a class started,
    its code and QR code shown, nothing in English; its screenshot is board.png."""
    from .harness import streamlit_process
    key = "e2e-zh-teacher-key"
    with streamlit_process(tmp_path / "runs", env={"MNIST_LAB_TEACHER_KEY": key, "MNIST_LAB_DATABASE_URL": None}) \
            as (url, _):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        try:
            page = ctx.new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{url}/board?teacher={key}&lang=zh", wait_until="commit")
            page.get_by_role("heading", name="📋 教师看板").first.wait_for()
            wait_idle(page)
            page.get_by_label("标题（可选）", exact=True).fill("初二（3）班")
            page.get_by_role("button", name="开始一堂课").first.click()
            page.locator('[data-testid="bd-code"]').wait_for()
            page.locator('[data-testid="stImage"] img').first.wait_for()  # the QR code
            settle(page)
            assert_no_exception(page)
            code = page.locator('[data-testid="bd-code"]').inner_text().strip()
            # the class's code is letters drawn at random (no digit in it at times): a code, not a word
            text = page.evaluate(READ, '[data-testid="stMain"]').replace(code, " ")
            shoot(page, "board")
        finally:
            ctx.close()
    left = english_words(text)
    assert not left, f"the teacher's board: {len(left)} English words in Chinese:\n" + "\n".join(left[:40])
