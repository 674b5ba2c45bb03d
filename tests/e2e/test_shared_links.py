"""A link to a page, opened as the very first request on a fresh server, lands inside the app.

(Streamlit runs a ``pages/`` folder's scripts on their own until the main script has run
once; the app keeps its pages in ``app_pages/`` so that every URL goes through ``app.py``.)
"""

import pytest

from .harness import streamlit_server, wait_idle
from .test_browser import TITLES, browser  # noqa: F401  (the browser fixture)


@pytest.mark.parametrize("name", ["draw", "training"])
def test_page_url_opened_first_shows_the_apps_navigation_and_sidebar(browser, tmp_path, name):  # noqa: F811
    with streamlit_server(tmp_path / "runs") as url:  # a fresh server: this is its first visitor
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{url}/{name}")
            page.get_by_role("heading", name=TITLES[name]).first.wait_for()
            wait_idle(page)
            side = page.locator('[data-testid="stSidebar"]')
            side.get_by_text("Active model").first.wait_for()
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            for title in ("Dataset", "Architecture", "Training", "Draw", "Inside the CNN", "Evaluation"):
                assert title in nav, nav
            assert "app" not in nav.split(), nav  # the raw file list would show app, architecture, ...
        finally:
            ctx.close()
