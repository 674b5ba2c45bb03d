"""Keyboard only: the main flows work with Tab, typing, Enter, Space and the arrow keys.

Focus moves by Tab alone (``tab_to`` presses Tab until the focused element is the one named, and fails
when it never comes); the only other call is ``set_input_files`` on the focused upload button, which
stands for the operating system's file dialog. Pick a digit on the Dataset page, upload a digit on
Draw, train a preset briefly on Training and read its result. Each figure's text alternative is in the
page and takes no room on the screen.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from .harness import wait_idle
from .test_browser import TITLES, assert_no_exception, browser, open_page, page, server  # noqa: F401

FOCUSED = """css => { const e = document.activeElement;  // a control's name, '' for anything else (a scroller)
  if (!e || !e.matches(css) || !e.matches('input, button, a, summary, select, textarea, [role]')) return '';
  const label = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText) || '';
  return (label || e.innerText || '').trim(); }"""


def tab_to(page, name: str, css: str = "*", most: int = 120) -> None:
    """Tab until the focused control (matching ``css``) has an accessible name that holds ``name``."""
    seen = []
    for _ in range(most):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED, css)
        if name in now:
            return
        seen.append(now[:30])
    raise AssertionError(f"Tab never reached {name!r}; it went through {seen}")


def type_number(page, name: str, value: str) -> None:
    tab_to(page, name, "input")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")
    wait_idle(page)


def seven_png() -> bytes:
    im = Image.new("L", (140, 140), 255)  # dark ink on light paper, as a photo of a page would be
    ImageDraw.Draw(im).line([(30, 30), (110, 30), (60, 120)], fill=0, width=12)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def test_main_flows_by_keyboard_alone(server, page):  # noqa: F811
    page.set_default_timeout(120_000)  # the first page loads the digits
    # Dataset: pick digit 7 of the split by its number
    open_page(page, server, "dataset", TITLES["dataset"])
    type_number(page, "Index in this split", "7")
    said = "Figure: digit #7, a"
    try:
        page.wait_for_function(f"() => [...document.querySelectorAll('.mnist-alt')]"
                               f".some(e => e.textContent.includes({said!r}))", timeout=30_000)
    except Exception:
        raise AssertionError(f"not picked: {page.locator('.mnist-alt').all_text_contents()}") from None
    assert_no_exception(page)
    alts = page.locator(".mnist-alt")
    assert alts.count() >= 5  # one per chart: tests/pages/test_text_alternatives.py checks each one
    box = page.locator('[data-testid="stElementContainer"]:has(.mnist-alt)').first.bounding_box()
    assert box is None or box["height"] <= 1, box  # read aloud, clipped (absolute: it takes no room)

    # Draw: switch the input to Upload with the arrow keys, then hand a file to the focused upload button
    open_page(page, server, "draw", TITLES["draw"])
    tab_to(page, "Draw", "input[type=radio]")  # the radio group: its checked option takes the focus
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    tab_to(page, "Browse files", "button")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "seven.png", "mimeType": "image/png", "buffer": seven_png()}])
    page.get_by_text("prediction:").first.wait_for()
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("prediction:").first.inner_text().strip() == "prediction: 7"

    # Training: one epoch of five batches of the default preset, started with Enter
    open_page(page, server, "training", TITLES["training"])
    type_number(page, "Epochs", "1")
    tab_to(page, "More settings", "summary")
    page.keyboard.press("Enter")
    type_number(page, "Batches per epoch", "5")
    tab_to(page, "Start training", "button")
    page.keyboard.press("Enter")
    page.get_by_text("Finished").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("test accuracy", exact=False).count() > 0
