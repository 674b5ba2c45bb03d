"""The class sweep in a real browser: settings typed, Start pressed, the table fills live and the
curve of accuracy against the learning rate appears with one point per setting."""

import time

from .test_browser import assert_no_exception, browser, open_page, page, server, shoot  # noqa: F401


def curve_points(page) -> int:
    return page.evaluate("""() => {
        const el = document.querySelector('.st-key-sw_chart .js-plotly-plot');
        if (!el || !el.data) return -1;
        return el.data.filter(t => t.name === 'test accuracy').map(t => t.x.length).reduce((a, b) => a + b, 0);
    }""")


def test_a_sweep_runs_and_draws_its_curve(server, page):  # noqa: F811
    open_page(page, server, "sweep", "🧮 Class sweep")
    page.get_by_text("No sweep yet").first.wait_for()
    box = page.get_by_label("Settings (up to 8, separated by commas)", exact=True)
    box.fill("0.001, 0.01, 0.1")
    box.press("Tab")
    steps = page.get_by_label("Steps per setting", exact=True)
    steps.fill("20")
    steps.press("Tab")
    time.sleep(1.0)
    page.get_by_role("button", name="Start the sweep").click()
    page.get_by_text("settings finished").first.wait_for(timeout=60_000)
    deadline = time.time() + 240
    while curve_points(page) < 3 and time.time() < deadline:
        time.sleep(1.0)
    assert curve_points(page) == 3
    page.get_by_text("3 of 3 settings finished").first.wait_for(timeout=60_000)
    assert_no_exception(page)
    shoot(page, "sweep")
