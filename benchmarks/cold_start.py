"""Cold start: from ``streamlit run app.py`` to the first page rendered.

The clock starts when the server process is spawned and stops when a real browser (Debian's
Chromium, launched beforehand) shows the page's title with Streamlit's "running" indicator gone.
Two first pages, each on a fresh server: the default page (Dataset, what a visitor of the app's
address sees; it shows without torch, which loads after it) and the Draw page opened directly
(it loads torch and the shipped demo model first). The baseline, in the same process: a one-line
Streamlit app started and opened the same way, so each ratio is what MNIST Lab adds to Streamlit's
own start.

    python benchmarks/cold_start.py [--repeats 3] [--full]

By default the server gets the embedded sample (no MNIST_DATA_DIR, an empty data cache), as on a
fresh Community Cloud app; ``--full`` keeps MNIST_DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402

BARE = 'import streamlit as st\nst.title("Hello")\n'


def once(browser, script: str, path: str, heading: str, env: dict) -> float:
    t0 = time.perf_counter()
    with streamlit_process(tempfile.mkdtemp(), env=env, script=script) as (url, _):
        ctx = browser.new_context()
        page = ctx.new_page()
        page.set_default_timeout(120_000)
        page.goto(url + path)
        page.get_by_role("heading", name=heading).first.wait_for()
        while page.locator('[data-testid="stStatusWidget"]').count():
            time.sleep(0.02)
        took = time.perf_counter() - t0
        if page.locator('[data-testid="stException"]').count():
            raise SystemExit(f"{script}: the page shows an exception")
        ctx.close()
    return took


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="serve the full MNIST from MNIST_DATA_DIR")
    a = ap.parse_args(argv)
    env = {} if a.full else {"MNIST_DATA_DIR": None, "MNIST_LAB_CACHE": tempfile.mkdtemp()}
    bare = Path(tempfile.mkdtemp()) / "bare.py"
    bare.write_text(BARE)
    from playwright.sync_api import sync_playwright
    first_t, draw_t, bare_t = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for _ in range(a.repeats):  # interleaved, so that a slow moment of the machine hits all three
            bare_t.append(once(browser, str(bare), "/", "Hello", env))
            first_t.append(once(browser, "app.py", "/", "🗂️ Dataset", env))
            draw_t.append(once(browser, "app.py", "/draw", "✏️ Draw a digit", env))
        browser.close()
    bare_m = statistics.median(bare_t)
    report = {"data": "full MNIST" if a.full else "embedded sample",
              "bare_streamlit_s": [round(t, 2) for t in bare_t], "bare_median_s": round(bare_m, 2),
              "default_page_s": [round(t, 2) for t in first_t],
              "default_page_median_s": round(statistics.median(first_t), 2),
              "default_page_ratio": round(statistics.median(first_t) / bare_m, 2),
              "draw_with_demo_model_s": [round(t, 2) for t in draw_t],
              "draw_median_s": round(statistics.median(draw_t), 2),
              "draw_ratio": round(statistics.median(draw_t) / bare_m, 2)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
