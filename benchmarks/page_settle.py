"""How long each page takes to settle in a real browser, as a ratio to a bare Streamlit page.

Starts ``streamlit run app.py`` and, beside it, a bare Streamlit app (``st.title`` + ``st.write``),
both on loopback, and drives Debian's Chromium (Playwright) through every page of each. A page
has *settled* when Streamlit's running indicator is gone and the main block's DOM has not changed
for 1.2 s; its settle time is from the click on its link in the navigation (the app is loaded
once per browser, as a class uses it) to the last change. The bare app has two such pages, and
going from one to the other is the baseline. Each page is opened
``--repeats`` times, interleaved with the bare page, so the ratio is measured in the same minutes
on the same machine (a busy machine slows both). ``--visitors N`` opens each page in N browser
contexts at once (a class on one server) and reports the slowest of them.

    python benchmarks/page_settle.py [--repeats 3] [--visitors 1] [--pages inside,dataset] [--json out.json]

No timed test uses this: it prints numbers for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402

PAGES = ["dataset", "architecture", "training", "timetravel", "sweep", "draw", "inside", "why", "experiments",
         "lesson", "evaluation"]
QUIET_MS = 1200
BARE = """import streamlit as st

def one():
    st.title("Bare page")
    st.write("Nothing else.")

def two():
    st.title("Another bare page")
    st.write("Nothing else either.")

st.navigation([st.Page(one, title="One", url_path="one", default=True),
               st.Page(two, title="Two", url_path="two")]).run()
"""

# Measured in the page: the time of the last change to the main block, and whether a script runs.
WATCH = """() => {
  window.__settle = {last: performance.now()};
  const target = document.querySelector('[data-testid="stMain"]') || document.body;
  new MutationObserver(() => { window.__settle.last = performance.now(); })
    .observe(target, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
STATE = """() => ({now: performance.now(), last: window.__settle ? window.__settle.last : performance.now(),
  running: !!document.querySelector('[data-testid="stStatusWidget"]'),
  exception: document.querySelectorAll('[data-testid="stException"]').length})"""


async def settle(page, started: float, timeout: float = 60.0) -> dict:
    """Wait until the page has settled; (seconds from ``started`` to its last change, exceptions)."""
    deadline = time.perf_counter() + timeout
    while True:
        await asyncio.sleep(0.1)
        try:
            s = await page.evaluate(STATE)
        except Exception:  # the page is navigating: the observer is being installed again
            continue
        if s["running"] or s["now"] - s["last"] < QUIET_MS:
            if time.perf_counter() > deadline:
                return {"seconds": None, "exceptions": s["exception"], "timed_out": True}
            continue
        settled_at = time.perf_counter() - (s["now"] - s["last"]) / 1000
        return {"seconds": round(settled_at - started, 3), "exceptions": s["exception"], "timed_out": False}


async def start(context, url: str):
    """A browser tab with the app loaded and settled, watching its main block."""
    page = await context.new_page()
    await page.goto(url, wait_until="domcontentloaded")
    await settle(page, time.perf_counter(), timeout=120)
    await page.evaluate(WATCH)
    return page


async def click_to(page, path: str) -> dict:
    """Click the navigation link to ``path`` and wait until the page has settled."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = [await links.nth(i).get_attribute("href") for i in range(await links.count())]
    # the default page's link is the app's root: "/dataset" is "/" there, "/one" is "/" in the bare app
    paths = [urlparse(h).path.rstrip("/") for h in hrefs]
    index = paths.index("/" + path) if "/" + path in paths else paths.index("")
    await page.evaluate("() => { window.__settle.last = performance.now(); }")
    started = time.perf_counter()
    await links.nth(index).click()
    return await settle(page, started)


async def measure(tabs, path: str) -> dict:
    got = await asyncio.gather(*(click_to(t, path) for t in tabs))
    secs = [g["seconds"] for g in got if g["seconds"] is not None]
    return {"slowest": max(secs) if secs else None, "exceptions": sum(g["exceptions"] for g in got),
            "timed_out": sum(g["timed_out"] for g in got)}


async def main_async(args) -> dict:
    from playwright.async_api import async_playwright
    pages = args.pages.split(",") if args.pages else PAGES
    bare_file = Path(tempfile.mkdtemp()) / "bare.py"
    bare_file.write_text(BARE)
    runs_dir = Path(tempfile.mkdtemp()) / "runs"
    with streamlit_process(runs_dir) as (app_url, _), streamlit_process(runs_dir, script=str(bare_file)) as (bare, _):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            contexts = [await browser.new_context(viewport={"width": 1280, "height": 900})
                        for _ in range(args.visitors)]
            app_tabs = [await start(c, app_url + "/") for c in contexts]  # loads torch and the data once
            bare_tabs = [await start(c, bare + "/") for c in contexts]
            table, bare_at = {}, "one"
            for name in pages:
                app_runs, bare_runs = [], []
                for _ in range(args.repeats):  # interleaved: the bare page sees the same machine state
                    bare_at = "one" if bare_at == "two" else "two"  # always to the other bare page
                    bare_runs.append(await measure(bare_tabs, bare_at))
                    app_runs.append(await measure(app_tabs, name))
                    if name == "dataset":  # the default page: come back to it from another each time
                        await measure(app_tabs, "draw")
                    else:
                        await measure(app_tabs, "dataset")
                a = [r["slowest"] for r in app_runs if r["slowest"] is not None]
                b = [r["slowest"] for r in bare_runs if r["slowest"] is not None]
                row = {"settle_s": round(statistics.median(a), 2) if a else None,
                       "bare_s": round(statistics.median(b), 2) if b else None,
                       "exceptions": sum(r["exceptions"] for r in app_runs),
                       "timed_out": sum(r["timed_out"] for r in app_runs)}
                row["ratio"] = round(row["settle_s"] / row["bare_s"], 1) if a and b else None
                table[name] = row
                print(f"{name:12s} {row['settle_s']!s:>6} s  bare {row['bare_s']!s:>5} s  ratio {row['ratio']}x"
                      + (f"  ({row['exceptions']} exceptions)" if row["exceptions"] else ""), flush=True)
            await browser.close()
    return {"visitors": args.visitors, "repeats": args.repeats, "pages": table}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--visitors", type=int, default=1)
    ap.add_argument("--pages", help="comma-separated url paths (default: every page)")
    ap.add_argument("--json", help="write the table here too")
    args = ap.parse_args(argv)
    out = asyncio.run(main_async(args))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
