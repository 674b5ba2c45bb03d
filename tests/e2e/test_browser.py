"""The app in a real browser: Debian's Chromium driven by Playwright.

Starts ``streamlit run app.py`` on a free port, visits every page, draws digits on the
canvas with real mouse strokes, watches a live training chart grow, and saves a
screenshot of every page: into a temporary folder, or into docs/ for the README when
``MNIST_LAB_UPDATE_DOCS=1`` (on purpose, not on every run).
"""

import math
import os
import time
from pathlib import Path

import pytest

from tests.conftest import need

from .harness import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server, wait_idle

DOCS = ROOT / "docs" if os.environ.get("MNIST_LAB_UPDATE_DOCS") else ROOT / ".cache" / "screenshots"
PAGES = ["dataset", "architecture", "training", "draw", "inside", "why", "evaluation"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("runs")) as url:  # stopped even when a test fails
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        need("Chromium is missing: apt-get install -y chromium (CI's .ci/run does this)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


def open_page(page, url, name, title):
    page.goto(f"{url}/{'' if name == 'dataset' else name}")
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)


def shoot(page, name):
    """A tall screenshot: Streamlit scrolls inside its own container, so grow the viewport."""
    page.set_viewport_size({"width": 1400, "height": 2000})
    time.sleep(0.8)
    page.screenshot(path=str(DOCS / f"{name}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


def assert_no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


TITLES = {"dataset": "🗂️ Dataset", "architecture": "🧱 Architecture", "training": "📈 Training",
          "draw": "✏️ Draw a digit", "inside": "🔬 Inside the CNN", "why": "🧭 Why it decides",
          "evaluation": "🎯 Evaluation"}


def test_every_page_renders_without_exception(server, page):
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in PAGES:
        open_page(page, server, name, TITLES[name])
        if name in ("inside", "why", "evaluation"):
            page.locator(".js-plotly-plot").first.wait_for()
        if name == "dataset":  # its digits: one picture
            page.locator('.st-key-ds_grid img').first.wait_for()
        assert_no_exception(page)
        if name != "draw":  # the draw page is shot with a digit on it, below
            shoot(page, name)


def stroke(page, box, points):
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=3)
    page.mouse.up()


DIGITS = {
    "1": [[(140, 40), (138, 140), (136, 240)]],
    "0": [[(140 + 60 * math.sin(t / 24 * 2 * math.pi), 140 - 95 * math.cos(t / 24 * 2 * math.pi))
           for t in range(25)]],
    "7": [[(70, 50), (210, 50), (180, 110), (150, 175), (125, 245)]],
}


@pytest.mark.parametrize("digit", ["1", "0", "7"])
def test_draw_digits_on_the_canvas(server, page, digit):
    open_page(page, server, "draw", TITLES["draw"])
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    for path in DIGITS[digit]:
        stroke(page, box, path)
    page.get_by_text("prediction:").first.wait_for()
    wait_idle(page)
    assert_no_exception(page)
    shown = page.get_by_text("prediction:").first.inner_text()
    assert shown.strip() == f"prediction: {digit}", shown
    if digit == "7":
        shoot(page, "draw")


def loss_points(page) -> int:
    return page.evaluate("""() => {
        const el = document.querySelector('.js-plotly-plot');
        return el && el.data && el.data.length ? el.data[0].x.length : 0;
    }""")


def test_live_training_chart_grows_then_stops(server, page):
    open_page(page, server, "training", TITLES["training"])
    page.get_by_role("button", name="Start training").click()
    page.locator(".js-plotly-plot").first.wait_for()
    counts = [loss_points(page)]
    deadline = time.time() + 60
    while len(set(counts)) < 3 and time.time() < deadline:  # at least two updates after the first draw
        time.sleep(1.0)
        counts.append(loss_points(page))
    assert len(set(counts)) >= 3 and counts[-1] > counts[0], counts
    assert page.get_by_text("Training…").count() > 0
    shoot(page, "training")
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Stopped").first.wait_for()
    wait_idle(page)
    assert_no_exception(page)
    after = settled_points(page)  # the words can arrive a moment before the chart of the same run is redrawn
    time.sleep(2.5)
    assert loss_points(page) == after  # a stopped run draws no more


def settled_points(page, timeout: float = 15) -> int:
    """The loss chart's point count once two readings a second apart agree."""
    deadline = time.time() + timeout
    last = loss_points(page)
    while time.time() < deadline:
        time.sleep(1.0)
        now = loss_points(page)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the loss chart kept changing after the run stopped (last {last} points)")
