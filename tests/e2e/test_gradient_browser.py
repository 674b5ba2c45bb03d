"""The gradient trace in a real browser: a click on a kernel cell picks the weight whose gradient is traced, and
the page shows the hand arithmetic agreeing with autograd (its screenshot is docs/gradient-trace.png)."""

import time

from .harness import wait_idle
from .test_browser import assert_no_exception, browser, open_page, page, server, shoot  # noqa: F401

TITLE = "📉 Trace a gradient"


def gradient_line(page) -> str:
    return page.get_by_text("gradient: layer").first.inner_text()


def test_click_a_kernel_weight_and_trace_its_gradient(server, page):  # noqa: F811
    open_page(page, server, "gradient", TITLE)
    page.get_by_text("gradient: layer").first.wait_for()
    before = gradient_line(page)
    assert before.startswith("gradient: layer 1 weight (0, 0, 2, 2)"), before
    plot = page.locator(".st-key-grad_kernel .js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    point = page.locator(".st-key-grad_kernel .scatterlayer .point").first  # one clickable marker per weight
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the kernel's top-left weight
    deadline = time.time() + 30
    while gradient_line(page) == before and time.time() < deadline:
        time.sleep(0.3)
    wait_idle(page)
    after = gradient_line(page)
    assert after.startswith("gradient: layer 1 weight (0, 0, 0, 0)"), (before, after)
    assert page.get_by_text("✅ By hand").count() > 0
    # ask for another class than the label: the demo is sure of this 7, so its own label's gradient is tiny
    page.locator(".st-key-grad_target_7 input[role='combobox']").first.click()
    page.get_by_role("option", name="3", exact=True).click()
    page.get_by_text("The loss asks for 3").first.wait_for()
    wait_idle(page)
    assert page.get_by_text("✅ By hand").count() > 0
    assert_no_exception(page)
    page.get_by_text("1. The loss").first.scroll_into_view_if_needed()
    shoot(page, "gradient-trace")
