"""A hostile shared link in a real browser: its values are shown as text, never as a link,
an image the browser fetches, bold or coloured text."""

from urllib.parse import urlencode

from .harness import streamlit_server, wait_idle
from .test_browser import TITLES, browser  # noqa: F401  (the browser fixture)

HEADINGS = {**TITLES, "timetravel": "⏪ Time travel"}

SESSION = "**Session expired** [sign in again](https:evil.example) ![](https:127.0.0.1:9)"
SHORT = "[x](//evil.example) ![](//127.0.0.1:9)"  # whole, within the 40-character cut
LOCKED = ":red[**Your account is locked**]"


def test_hostile_link_values_are_plain_text(browser, tmp_path):  # noqa: F811
    with streamlit_server(tmp_path / "runs") as url:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        fetched = []
        page.on("request", lambda r: fetched.append(r.url))
        try:
            for path, query, words in (("inside", {"model": SESSION}, "is not on this server"),
                                       ("inside", {"layer": SHORT}, "is not a layer number"),
                                       ("timetravel", {"k": LOCKED}, "is not a whole number")):
                page.goto(f"{url}/{path}?{urlencode(query)}")
                page.get_by_role("heading", name=HEADINGS[path]).first.wait_for()
                wait_idle(page)
                note = page.locator('[data-testid="stAlert"]', has_text=words).first
                note.wait_for()
                text = note.inner_text()
                assert "[" in text and ("**" in text) == ("**" in str(query)), text  # the marks show, as typed
                main = page.locator('[data-testid="stMain"]')
                assert main.locator('a[href*="evil.example"]').count() == 0
                # pictures the app draws itself are served from its own /media/ (the trace's box) or inlined:
                # its SVG charts by st.image, Inside's layers as PNGs in its own figures; no other, and none
                # where a link's text is shown
                foreign = main.evaluate(
                    "m => [...m.querySelectorAll('img')].filter(i => !(i.src.startsWith(location.origin + '/media/')"
                    " || (i.src.startsWith('data:image/svg+xml;base64,')"
                    " && i.closest('[data-testid=\"stImageContainer\"]'))"
                    " || (i.src.startsWith('data:image/png;base64,') && i.closest('.mnist-figures')))).map(i => i.src)")
                assert foreign == [], foreign
                assert main.locator('[data-testid="stAlert"] img, [data-testid="stMarkdown"] img').count() == 0
                assert note.locator("strong, em, a, code, [style*='color']").count() == 0, note.inner_html()
            assert not [u for u in fetched if "127.0.0.1:9" in u], fetched
        finally:
            ctx.close()
