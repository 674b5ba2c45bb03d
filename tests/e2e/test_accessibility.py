"""axe-core (WCAG 2.1 A and AA) on every page, in Chromium: no serious or critical violation in
what the app writes.

Two pieces of Streamlit's own markup are left out of the scan: its navigation list renders ``<ul>``
with ``<div>`` children around its ``<li>`` items (axe's ``list`` and ``listitem`` rules), and
``st.dataframe``'s grid scroller (Glide Data Grid, ``.dc-scroll``) is a scrollable region with no
focusable content of its own (``scrollable-region-focusable``); the grid itself takes focus and
arrow keys; code blocks (``pre``)
scroll the same way, so that rule is off. See docs/accessibility.md for the note and the upstream-style report.
axe-core comes pinned from npm (package.json; ``npm ci`` in .ci/run).
"""

import time
from pathlib import Path

import pytest

from tests.conftest import need

from .harness import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server, wait_idle

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["dataset", "architecture", "training", "timetravel", "sweep", "draw", "inside", "why", "experiments",
         "lesson", "evaluation", "gradient", "dream", "report", "glossary", "classroom"]
RUN_AXE = """async () => {
  const r = await axe.run({exclude: [['[data-testid="stSidebarNav"]'], ['.dc-scroll']]},
                          {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                           rules: {'scrollable-region-focusable': {enabled: false}}});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                why: v.nodes[0].failureSummary.split('\\n').slice(0, 2).join(' ')}));
}"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        need("Chromium is missing: apt-get install -y chromium (CI's .ci/run does this)")
    if not AXE.exists():
        need("axe-core is missing: npm ci (CI's .ci/run does this)")
    with streamlit_server(tmp_path_factory.mktemp("runs")) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.base = url
        yield tab
        browser.close()


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_violation_on_the_page(page, name):
    page.goto(f"{page.base}/{name}")
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=90_000)
    page.wait_for_selector("h1", timeout=90_000)
    time.sleep(1.5)
    wait_idle(page, 90)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    assert violations == [], violations
