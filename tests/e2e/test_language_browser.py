"""The language in a real browser: a Chinese browser gets Chinese, ?lang=zh opens Chinese at once and stays in the
address through a view's own link and a page switch, the sidebar switches back; screenshots of the Chinese pages
(docs/zh/ with MNIST_LAB_UPDATE_DOCS=1, else .cache/screenshots/zh/)."""

import os
import time

from .harness import ROOT, streamlit_server, wait_idle
from .test_browser import browser  # noqa: F401  (the browser fixture)

ZH = ROOT / "docs" / "zh" if os.environ.get("MNIST_LAB_UPDATE_DOCS") else ROOT / ".cache" / "screenshots" / "zh"
TITLES = {"dataset": "🗂️ 数据集", "architecture": "🧱 网络结构", "training": "📈 训练", "timetravel": "⏪ 时光回溯",
          "sweep": "🧮 全班扫参", "glossary": "📖 术语对照"}


def shoot(page, name: str):
    page.set_viewport_size({"width": 1400, "height": 2000})
    time.sleep(0.8)
    ZH.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ZH / f"{name}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_the_language_in_a_real_browser(browser, tmp_path):  # noqa: F811
    with streamlit_server(tmp_path / "runs") as url:
        chinese = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        try:
            page = chinese.new_page()
            page.set_default_timeout(90_000)
            page.goto(url)
            page.get_by_role("heading", name=TITLES["dataset"]).first.wait_for()  # the browser's language
            assert "lang=" not in page.url
        finally:
            chinese.close()

        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        try:
            page = ctx.new_page()
            page.set_default_timeout(90_000)
            page.goto(f"{url}/timetravel?lang=zh&moment=0")
            page.get_by_role("heading", name=TITLES["timetravel"]).first.wait_for()  # before any click
            wait_idle(page)
            assert "lang=zh" in page.url and "moment=0" in page.url  # the view's own link kept the language
            nav = page.locator('[data-testid="stSidebarNav"]')
            assert nav.get_by_text("数据集").count() and nav.get_by_text("时光回溯").count()
            nav.get_by_text("术语对照").first.click()
            page.get_by_role("heading", name=TITLES["glossary"]).first.wait_for()
            wait_idle(page)
            assert "lang=zh" in page.url  # a page switch drops the query; the session's choice puts it back
            page.locator(".st-key-sidebar_lang").get_by_role("button", name="Open").click()
            page.get_by_role("option", name="English").click()
            page.get_by_role("heading", name="📖 Glossary").first.wait_for()
            wait_idle(page)
            assert "lang=en" in page.url
            for name, heading in TITLES.items():
                page.goto(f"{url}/{name}?lang=zh")
                page.get_by_role("heading", name=heading).first.wait_for()
                wait_idle(page, 120)
                shoot(page, name)
        finally:
            ctx.close()
