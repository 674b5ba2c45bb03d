"""What only a browser shows of the "why" views: a click on a feature-map cell traces its
arithmetic, and a drawn digit is placed on the map among the training digits."""

import re
import time

from .harness import wait_idle
from .test_browser import (  # noqa: F401
    DIGITS,
    TITLES,
    assert_no_exception,
    browser,
    open_page,
    page,
    server,
    shoot,
    stroke,
)


def trace_line(page) -> str:
    return page.get_by_text("trace: layer").first.inner_text()


def wait_for_new_trace(page, before: str) -> str:
    deadline = time.time() + 30
    while trace_line(page) == before and time.time() < deadline:
        time.sleep(0.3)
    wait_idle(page)
    return trace_line(page)


def click_at(page, key: str, fx: float, fy: float):
    """A click at a share of a chart's drawing area (its heatmap)."""
    page.locator(f'[class*="st-key-{key}"] .js-plotly-plot').first.scroll_into_view_if_needed()
    box = page.locator(f'[class*="st-key-{key}"] .nsewdrag').first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


def test_click_a_feature_map_cell_and_see_its_arithmetic(server, page):  # noqa: F811
    open_page(page, server, "inside", TITLES["inside"])
    page.get_by_text("trace: layer").first.wait_for()
    before = trace_line(page)
    # a click on a map of the traced layer: that map, large, and its middle cell traced
    click_at(page, "inside_f1", 0.3, 0.4)  # the third map of its row
    after = wait_for_new_trace(page, before)
    got = re.match(r"trace: layer 1 cell \((\d+), (\d+), (\d+)\)", after)
    assert got and int(got[1]) % 8 == 2 and got[2] == got[3], (before, after)  # that map's middle cell
    ch, middle = int(got[1]), int(got[2])
    page.locator(f".st-key-inside_one1_{ch}").wait_for()
    # a click on a cell of the large map: that cell traced
    click_at(page, f"inside_one1_{ch}", 0.1, 0.1)
    cell = wait_for_new_trace(page, after)
    got = re.match(rf"trace: layer 1 cell \({ch}, (\d+), (\d+)\)", cell)
    assert got and int(got[1]) < middle and int(got[2]) < middle, (after, cell)  # the top left of the map
    assert page.get_by_text("the network computed").count() > 0 and page.get_by_text("(the same)").count() > 0
    assert_no_exception(page)
    page.get_by_text("Trace one value").first.scroll_into_view_if_needed()
    shoot(page, "trace")
    # another layer, picked above the maps: only the maps and the trace rerun, and the address follows
    page.locator(".st-key-trace_cell_layer [role='radiogroup'] label").nth(1).click()
    assert wait_for_new_trace(page, cell).startswith("trace: layer 2 cell")
    page.wait_for_function("() => location.search.includes('layer=2')")
    assert_no_exception(page)


def test_a_drawn_digit_is_placed_among_the_training_digits(server, page):  # noqa: F811
    open_page(page, server, "draw", TITLES["draw"])
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    for path in DIGITS["7"]:
        stroke(page, canvas.bounding_box(), path)
    page.get_by_text("prediction: 7").first.wait_for()
    wait_idle(page)
    page.get_by_role("link", name="Why it decides").click()  # the same session keeps the drawing
    page.get_by_role("heading", name=TITLES["why"]).first.wait_for()
    wait_idle(page)
    page.get_by_role("tab", name="You are here").click()
    wait_idle(page)
    page.get_by_text("My last drawing").first.click()
    page.locator(".st-key-why_map_features text", has_text="your drawing").first.wait_for(timeout=90_000)
    wait_idle(page)
    assert page.get_by_text("features: the 8 nearest are mostly 7s").count() > 0
    assert_no_exception(page)
    shoot(page, "why")
