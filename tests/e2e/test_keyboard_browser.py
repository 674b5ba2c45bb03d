"""Keyboard only: the main flows work with Tab, typing, Enter, Space and the arrow keys.

Every action is a key press. A control is found by its role and accessible name (as a screen reader
would announce it), and reached by pressing Tab until it has the focus (``tab_to`` fails when it never
does). The pages are changed through the sidebar's links, by keyboard, so the whole test is one
session. The only thing that is not a key is the file handed to the file chooser that Enter on the
upload button opens: it stands for the operating system's file dialog.

Pick a digit on the Dataset page, upload a digit on Draw and read the prediction, train the smallest
preset for five batches on Training and read its test accuracy, then read the same accuracy on
Evaluation. Each figure's text alternative is in the page and takes no room on the screen.
"""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw

from .harness import wait_idle
from .test_browser import TITLES, assert_no_exception, browser, open_page, page, server  # noqa: F401

HAS_FOCUS = "e => e === document.activeElement"
FOCUSED = """() => { const e = document.activeElement;  // what the focus is on, for a failure's message
  if (!e || e === document.body) return 'body';
  const name = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText) || e.innerText || '';
  return `${e.tagName.toLowerCase()} ${name.trim().replace(/\\s+/g, ' ').slice(0, 30)}`; }"""


def tab_to(page, target, most: int = 150, back: bool = False) -> None:
    """Press Tab (Shift+Tab with ``back``) until ``target``, a locator, holds the focus."""
    target = target.first
    target.wait_for(state="attached")
    seen = []
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if target.evaluate(HAS_FOCUS):
            return
        seen.append(page.evaluate(FOCUSED))
    raise AssertionError(f"Tab never reached {target}; it went through {seen}")


RING = """() => { const e = document.activeElement, shown = e.closest('[data-testid=stRadioOption]') || e;
  return getComputedStyle(shown).outlineStyle === 'solid'; }"""  # a focus ring (ui.common.ACCESSIBLE_CSS)


def go_to(page, link: str, title: str) -> None:
    """Change page as a keyboard user does: Tab back to the sidebar's link, Enter."""
    tab_to(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name=link), back=True)
    assert page.evaluate(RING), f"no focus ring on the link to {link}"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)


def type_into(page, target, value: str, enter: bool = True) -> None:
    """Select what the field holds and type over it; Enter applies it (in a form, Tab away instead:
    Enter there would submit the form)."""
    tab_to(page, target)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(value)
    if enter:
        page.keyboard.press("Enter")
        wait_idle(page)


def open_tab(page, wanted: str) -> None:
    """Tabs are one Tab stop (the open one); the arrow keys move along them, Enter opens the one focused.
    A tab list drawn again under the keys (the page's run ending) drops the focus to the page: the user
    tabs back to the tab that is open now (an arrow key may have opened the next one) and goes on, as
    here (at most three times)."""
    target = page.get_by_role("tab", name=wanted).first
    tabs = page.get_by_role("tablist").filter(has=target).first
    for _attempt in range(3):
        tab_to(page, tabs.get_by_role("tab", selected=True))
        for _ in range(10):
            if target.evaluate(HAS_FOCUS) or page.evaluate("() => document.activeElement === document.body"):
                break
            page.keyboard.press("ArrowRight")
        if target.evaluate(HAS_FOCUS):
            break
        wait_idle(page)
    assert target.evaluate(HAS_FOCUS), page.evaluate(FOCUSED)
    page.keyboard.press("Enter")
    wait_idle(page)
    assert target.get_attribute("aria-selected") == "true"


def choose(page, combobox, words: str, picked: str) -> None:
    """A select box: focus it, type to filter its options, Enter takes the highlighted one."""
    tab_to(page, combobox)
    page.keyboard.type(words)
    page.get_by_role("option", name=re.compile(re.escape(words), re.I)).first.wait_for()
    page.keyboard.press("Enter")
    wait_idle(page)
    shown = combobox.first.input_value()  # the select box shows its choice as the input's value
    assert picked in shown, shown


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
    open_tab(page, "One digit")  # the page draws one section at a time
    type_into(page, page.get_by_role("spinbutton", name="Index in this split"), "7")
    said = "Figure: digit #7, a"
    try:
        page.wait_for_function(f"() => [...document.querySelectorAll('.mnist-alt')]"
                               f".some(e => e.textContent.includes({said!r}))", timeout=30_000)
    except Exception:
        raise AssertionError(f"not picked: {page.locator('.mnist-alt').all_text_contents()}") from None
    assert_no_exception(page)
    alts = page.locator(".mnist-alt")
    assert alts.count() >= 1  # one per chart of the open tab: tests/pages/test_text_alternatives.py checks each
    box = page.locator('[data-testid="stElementContainer"]:has(.mnist-alt)').first.bounding_box()
    assert box is None or box["height"] <= 1, box  # read aloud, clipped (absolute: it takes no room)

    # Draw: the input radio takes the focus on its checked option; ArrowRight moves to Upload and selects it
    go_to(page, "Draw", TITLES["draw"])
    tab_to(page, page.get_by_role("radio", name="Draw", exact=True))
    assert page.evaluate(RING), "no focus ring on the radio option"
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    assert page.get_by_role("radio", name="Upload", exact=True).is_checked()
    # the button, not the uploader's hidden input (its name, "file upload", holds "Upload" too)
    upload = page.get_by_test_id("stFileUploader").get_by_role("button", name="Upload", exact=True)
    # listen long before the key: Playwright turns its file chooser interception on without waiting for the
    # browser, and an expect_file_chooser around Enter lost that race in 6 of 30 tries
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    tab_to(page, upload)
    page.keyboard.press("Enter")  # on the focused button: opens the file dialog
    for _ in range(150):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, f"Enter on the Upload button opened no file chooser (the focus is on {page.evaluate(FOCUSED)})"
    choosers[0].set_files(files=[{"name": "seven.png", "mimeType": "image/png", "buffer": seven_png()}])
    page.get_by_text("prediction:").first.wait_for()
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("prediction:").first.inner_text().strip() == "prediction: 7"

    # Training: the tiny preset, one epoch of five batches, a name to find it by; Start by keyboard
    go_to(page, "Training", TITLES["training"])
    choose(page, page.get_by_role("combobox", name="Preset"), "tiny", "tiny (seed000)")
    type_into(page, page.get_by_role("spinbutton", name="Epochs"), "1", enter=False)
    tab_to(page, page.get_by_test_id("stExpander").filter(has_text="More settings").locator("summary"))
    page.keyboard.press("Enter")  # opens the expander
    type_into(page, page.get_by_role("spinbutton", name="Batches per epoch"), "5", enter=False)
    type_into(page, page.get_by_role("textbox", name="Run name"), "keyboard run", enter=False)
    tab_to(page, page.get_by_role("button", name="Start training"))
    page.keyboard.press("Enter")
    page.get_by_text("Finished").first.wait_for(timeout=180_000)
    wait_idle(page)
    assert_no_exception(page)
    result = page.get_by_text(re.compile(r"Test accuracy \d+\.\d\d% after")).first.inner_text()
    accuracy = re.search(r"\d+\.\d\d%", result).group()
    assert 0 <= float(accuracy[:-1]) <= 100, result  # five batches of the tiny net: about chance, and that's fine
    steps = page.get_by_test_id("stMetric").filter(has_text="Step").first.inner_text()
    assert steps.split()[-1] == "5", steps  # the typed settings reached the run: one epoch of five batches

    # Evaluation: the new run, picked by its name, has the same test accuracy
    go_to(page, "Evaluation", TITLES["evaluation"])
    choose(page, page.get_by_role("combobox", name="Model"), "keyboard run", "keyboard run")
    # the new model's figure: the page keeps the last model's metric on screen while it classifies 10,000 digits
    metric = page.get_by_test_id("stMetric").filter(has_text="Test accuracy").filter(has_text=accuracy)
    try:
        metric.first.wait_for(timeout=120_000)
    except Exception:
        shown = page.get_by_test_id("stMetric").filter(has_text="Test accuracy").first.inner_text()
        raise AssertionError(f"Evaluation shows {shown!r}, not the run's {accuracy}") from None
    assert_no_exception(page)
