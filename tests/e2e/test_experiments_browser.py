"""What only a browser shows of the experiments: scrubbing the time-travel slider redraws the
kernels, and a shared link to a perturbation view opens the same perturbed digit for everyone."""

import time

from .harness import wait_idle
from .test_browser import assert_no_exception, browser, open_page, page, server, shoot  # noqa: F401


def kernels_z(page) -> str:
    """The kernels' picture as the browser has it (its address names its contents): another moment's
    kernels are another picture."""
    return page.evaluate("""() => {
        const el = document.querySelector('.st-key-tt_kernels img');
        return el && el.complete && el.naturalWidth ? el.src : '';
    }""")


def test_scrub_time_travel_and_see_the_kernels_change(server, page):  # noqa: F811
    open_page(page, server, "timetravel", "⏪ Time travel")
    page.get_by_text("time travel: end of epoch").first.wait_for(timeout=90_000)
    page.locator(".st-key-tt_kernels img").first.wait_for(timeout=90_000)
    wait_idle(page)
    trained = kernels_z(page)
    assert trained
    page.locator('.st-key-tt_index input[type="range"]').first.focus()  # react-aria's hidden range input
    page.keyboard.press("Home")  # back to the random start
    page.get_by_text("time travel: the random start").first.wait_for(timeout=60_000)
    deadline = time.time() + 30
    while kernels_z(page) in ("", trained) and time.time() < deadline:  # "": the new picture still loading
        time.sleep(0.3)
    assert kernels_z(page) not in ("", trained)
    assert_no_exception(page)
    shoot(page, "timetravel")


def test_a_shared_perturbation_link_opens_the_same_digit(server, browser):  # noqa: F811
    url = f"{server}/experiments?kind=shift&strength=5&cls=3&k=2&model=demo&source=test"
    seen = []
    for _ in range(2):  # two students, two fresh browsers
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.set_default_timeout(90_000)
        try:
            pg.goto(url)
            pg.get_by_text("perturbed: shift 5").first.wait_for()
            wait_idle(pg)
            seen.append(pg.get_by_text("perturbed: shift 5").first.inner_text())
            shown = pg.locator('[data-testid="stCode"]').first.inner_text()
            assert shown.startswith(f"{server}/experiments?model=demo"), shown  # a link to paste as is
            assert_no_exception(pg)
            if len(seen) == 2:
                shoot(pg, "experiments")
        finally:
            ctx.close()
    assert seen[0] == seen[1] and "sum of pixels" in seen[0]
