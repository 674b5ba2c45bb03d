"""A student's report opens in Chromium with no network: every figure drawn, nothing fetched."""

import os
from pathlib import Path

import pytest

from mnist_core import presets, reports
from mnist_core.runs import RunStore
from mnist_core.training.config import TrainConfig
from mnist_core.training.loop import fit
from tests.conftest import need

from .harness import CHROMIUM, CHROMIUM_ARGS, ROOT

DOCS = ROOT / "docs" if os.environ.get("MNIST_LAB_UPDATE_DOCS") else ROOT / ".cache" / "screenshots"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, sample):
    root = tmp_path_factory.mktemp("runs")
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=2, max_batches=15)
    store = RunStore(root)
    logged = []
    res = fit(spec, cfg, sample, callback=logged.append)
    run_id = store.save_result("my first CNN (seed001)", spec, cfg, res, logged=logged).path.name
    built = reports.run_report(store, run_id, sample)
    answers = [reports.Answer("What will the loss do when the learning rate is 10?", "go down", "It jumps to "
                              "about 2.3 and stays: the network collapses.")]
    drawings = [reports.Drawing(sample.test_images[i].numpy(), int(sample.test_labels[i]), int(sample.test_labels[i]),
                                0.97, "sure") for i in range(4)]
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(reports.student_report("Ann", [built], answers, drawings), encoding="utf-8")
    return path


def test_the_report_opens_offline_with_every_figure(report_file):
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        need("Chromium is missing: apt-get install -y chromium (CI's .ci/run does this)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1000, "height": 1300})
        page = context.new_page()
        fetched = []
        page.on("request", lambda r: fetched.append(r.url))
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        assert [u for u in fetched if not u.startswith(("file:", "data:"))] == []
        assert problems == [], problems  # no CSP refusal: nothing tried to load
        assert page.locator("h1").inner_text() == "MNIST Lab report: Ann"
        svgs = page.locator("svg")
        assert svgs.count() == 3
        for i in range(3):
            box = svgs.nth(i).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 150
        digits = page.locator(".digit img")
        assert digits.count() == 4
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "report.png"), full_page=False)
        browser.close()
