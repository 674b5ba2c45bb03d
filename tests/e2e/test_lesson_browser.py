"""A shipped lesson walked end to end in a real browser: the library, a start, a guess committed before the
answer shows, the next step, the step's view opened from its link, and the step's link in Chinese."""

from .harness import wait_idle
from .test_browser import assert_no_exception, browser, open_page, page, server  # noqa: F401

TITLE = "🎓 Lesson"


def commit(page, step: int, choice: str):
    page.locator(f".st-key-ls_pick_what-a-kernel-detects_{step}").get_by_text(choice, exact=True).click()
    wait_idle(page)
    page.locator(f".st-key-ls_commit_{step}").get_by_role("button").click()
    page.get_by_text("Your guess: " + choice).first.wait_for()
    wait_idle(page)


def test_walk_a_shipped_lesson(server, page):  # noqa: F811
    open_page(page, server, "lesson", TITLE)
    page.get_by_text("What a kernel detects").first.wait_for()
    assert page.get_by_text("Backprop by hand (seed004)").count() > 0  # the library lists the others
    page.locator(".st-key-ls_start_what-a-kernel-detects").get_by_role("button").click()
    page.get_by_text("Step 1 of 2.").first.wait_for()
    wait_idle(page)
    assert "lesson=what-a-kernel-detects" in page.url and "step=1" in page.url and "lang=en" in page.url
    assert page.get_by_text("Answer: vertical edges").count() == 0  # hidden until a guess is committed
    assert page.locator(".st-key-ls_commit_0 button").is_disabled()
    commit(page, 0, "vertical edges")
    assert page.get_by_text("Answer: vertical edges").count() == 1 and page.get_by_text("✅ Right.").count() == 1
    page.locator(".st-key-ls_next").get_by_role("button").click()
    page.get_by_text("Step 2 of 2.").first.wait_for()
    wait_idle(page)
    assert "step=2" in page.url and page.get_by_text("Answer: it still says 1").count() == 0
    commit(page, 1, "it says 7")
    assert page.get_by_text("❌ Not this time.").count() == 1
    assert page.get_by_text("Answer: it still says 1").count() == 1
    assert_no_exception(page)
    here = page.url
    href = page.get_by_role("link", name="Open this view").first.get_attribute("href")  # opens in a new tab
    assert href.startswith("inside?"), href
    page.goto(f"{server}/{href}")  # the step's own view: Inside on that 1
    page.get_by_role("heading", name="🔬 Inside the CNN").first.wait_for()
    wait_idle(page)
    assert "cls=1" in page.url and "layer=1" in page.url
    assert_no_exception(page)
    page.goto(here.replace("lang=en", "lang=zh"))  # the same step's link, passed round in a Chinese class
    page.get_by_text("第 2 步，共 2 步").first.wait_for()
    wait_idle(page)
    assert page.get_by_text("它仍然说是 1").count() > 0
    assert_no_exception(page)
