"""Tablets and phones: every page at 390 px (a phone, touch, mobile) and 768 px (a tablet, touch) wide.

No page makes its body scroll sideways: ``document.scrollingElement.scrollWidth`` and Streamlit's
main container (which scrolls the page itself) are no wider than the viewport (+1 px for rounding),
and nothing in the main block reaches past its right edge unless a box that scrolls sideways
holds it (a dataframe's grid, a code block: they scroll inside their own box; a probe with a 900 px
div in the main block fails it).
On the phone a digit is drawn on the Draw page's canvas with touch events (Chromium's
``Input.dispatchTouchEvent``, as a finger does) and the prediction is read.
Screenshots at 390 px go to docs/ with ``MNIST_LAB_UPDATE_DOCS=1`` (else .cache/screenshots/).
"""

from __future__ import annotations

import os

import pytest

from .harness import ROOT, wait_idle
from .test_browser import DIGITS, assert_no_exception, browser, server  # noqa: F401
from .test_chinese_browser import settle

PAGES = sorted(p.stem for p in (ROOT / "app_pages").glob("*.py"))
DOCS = ROOT / "docs" if os.environ.get("MNIST_LAB_UPDATE_DOCS") else ROOT / ".cache" / "screenshots"
DEVICES = {"phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
           "tablet": {"viewport": {"width": 768, "height": 1024}, "has_touch": True}}
WIDTHS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  // anything of ours poking past the right edge, unless a box that scrolls sideways holds it
  const clipped = e => { for (let a = e.parentElement; a && a !== main; a = a.parentElement) {
    const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  const wide = main ? [...main.querySelectorAll('*')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > window.innerWidth + 1 && !clipped(e); })
    .slice(0, 3).map(e => (e.getAttribute('data-testid') || e.tagName) + ':'
                          + Math.round(e.getBoundingClientRect().right)) : [];
  return {doc: document.scrollingElement.scrollWidth, main: main ? main.scrollWidth : 0, view: window.innerWidth, wide};
}"""


@pytest.fixture(params=sorted(DEVICES))
def device(request, browser):  # noqa: F811
    ctx = browser.new_context(**DEVICES[request.param])
    pg = ctx.new_page()
    pg.set_default_timeout(120_000)
    yield request.param, pg
    ctx.close()


# Found by this test, not yet fixed (strict: a fix turns it red until the mark goes). Time travel was here: its
# slider's hidden keyboard input (ui/common.ACCESSIBLE_CSS) and its one-line embedding title (now two lines).
KNOWN_WIDE: set[str] = set()


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(
    strict=True, reason="an input reaches past the right edge (see KNOWN_WIDE)")) if n in KNOWN_WIDE else n
    for n in PAGES])
def test_no_page_scrolls_sideways(server, device, name):  # noqa: F811
    kind, page = device
    page.goto(f"{server}/{'' if name == 'dataset' else name}")
    settle(page)
    assert_no_exception(page)
    w = page.evaluate(WIDTHS)
    assert w["doc"] <= w["view"] + 1 and w["main"] <= w["view"] + 1 and not w["wide"], f"{name} on a {kind}: {w}"


def touch_stroke(page, box, points):
    """One finger stroke on the canvas, in the canvas's own 280 x 280 coordinates."""
    cdp = page.context.new_cdp_session(page)
    at = [{"x": box["x"] + x * box["width"] / 280, "y": box["y"] + y * box["height"] / 280} for x, y in points]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at[0]]})
    for a, b in zip(at, at[1:]):
        for t in (1 / 3, 2 / 3, 1.0):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                {"x": a["x"] + (b["x"] - a["x"]) * t, "y": a["y"] + (b["y"] - a["y"]) * t}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_draw_a_digit_with_a_finger_on_a_phone(server, browser):  # noqa: F811
    ctx = browser.new_context(**DEVICES["phone"])
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{server}/draw")
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for()
        wait_idle(page)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 391, box  # the whole canvas on the screen
        for path in DIGITS["7"]:
            touch_stroke(page, box, path)
        page.get_by_text("prediction:").first.wait_for()
        wait_idle(page)
        assert_no_exception(page)
        shown = page.get_by_text("prediction:").first.inner_text()
        assert shown.strip() == "prediction: 7", shown
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "phone-draw.png"))
        page.goto(f"{server}/inside")
        settle(page)
        page.screenshot(path=str(DOCS / "phone-inside.png"))
    finally:
        ctx.close()
