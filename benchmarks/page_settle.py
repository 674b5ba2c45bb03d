"""How long each page takes to settle in a real browser, as a ratio to a bare Streamlit page.

Starts ``streamlit run app.py`` and, beside it, a bare Streamlit app (``st.title`` + ``st.write``),
both on loopback, and drives Debian's Chromium (Playwright) through every page of each. The bare app is
served as Streamlit serves it out of the box: from a folder of its own, with Streamlit's default
settings (``--bare-config project`` serves it with the app's ``.streamlit/config.toml``). A page
has *settled* when Streamlit's running indicator is gone and the main block's DOM has not changed
for 1.2 s; its settle time is from the click on its link in the navigation (the app is loaded
once per browser, as a class uses it) to the last change. The bare app has two such pages, and
going from one to the other is the baseline. Each page is opened
``--repeats`` times, interleaved with the bare page, so the ratio is measured in the same minutes
on the same machine (a busy machine slows both). ``--visitors N`` opens each page in N browser
contexts at once (a class on one server) and reports the slowest of them.

Then each common interaction (another digit on Inside, another layer to trace, a click on a cell to
trace, a time-travel step, another perturbation and strength, another confusion cell) is timed from
the click or key press to the page's last change, beside a click on a bare page's number input (one
rerun of a script that does nothing).

    python benchmarks/page_settle.py [--repeats 3] [--visitors 1] [--pages inside,dataset]
                                     [--interactions inside_digit,eval_cell | --no-interactions] [--json out.json]
                                     [--bare-config default|project]

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
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_process  # noqa: E402

PAGES = ["dataset", "architecture", "training", "timetravel", "sweep", "draw", "inside", "why", "experiments",
         "lesson", "evaluation", "glossary", "gradient", "dream", "report", "classroom", "board"]  # every page
# The teacher's Board: a visitor without the key has no link to it, so it is timed in browsers of their own that
# opened the app with the teacher's key (the server is started with it), as the teacher opens the printed link.
TEACHER_KEY = "page-settle-teacher-key"
TEACHER_PAGES = {"board"}
QUIET_MS = 1200
# The app and the bare page are tabs side by side: Chromium slows a tab in the background (its timers
# fire at most once a second), which would add up to a second to whichever tab is not in front.
UNTHROTTLED = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding",
               "--disable-backgrounding-occluded-windows"]
BARE = """import streamlit as st

def one():
    st.title("Bare page")
    n = st.number_input("A number", 0, 1000, 0, key="bare_n")  # the baseline for a click: one rerun
    st.write(f"Nothing else than {n}.")

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
    await page.locator('[data-testid="stSidebarNav"] a').first.wait_for(timeout=120_000)  # the app has drawn
    await page.evaluate(WATCH)  # before settling: without the watcher every moment looks like a change
    await settle(page, time.perf_counter(), timeout=120)
    return page


async def click_to(page, path: str) -> dict:
    """Click the navigation link to ``path`` and wait until the page has settled."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = [await links.nth(i).get_attribute("href") for i in range(await links.count())]
    # the default page's link is the app's root: "/dataset" is "/" there, "/one" is "/" in the bare app
    paths = [urlparse(h).path.rstrip("/") for h in hrefs]
    if "/" + path not in paths and path not in ("dataset", "one"):  # never time another page by mistake
        raise SystemExit(f"no link to /{path} in the navigation: {paths}")
    index = paths.index("/" + path) if "/" + path in paths else paths.index("")
    await page.bring_to_front()
    await page.evaluate("() => { window.__settle.last = performance.now(); }")
    started = time.perf_counter()
    await links.nth(index).click()
    return await settle(page, started)


async def step_up(page, key: str):
    await page.locator(f'.st-key-{key} [data-testid="stNumberInputStepUp"]').first.click()


async def cell(page, key: str, i: int):
    """Click a point of a heatmap's drawing area, another one each time."""
    area = page.locator(f'[class*="st-key-{key}"] .nsewdrag').first  # a key or the start of one
    await area.scroll_into_view_if_needed()
    box = await area.bounding_box()
    fx, fy = [(0.3, 0.4), (0.6, 0.5), (0.45, 0.7), (0.7, 0.25), (0.2, 0.6)][i % 5]
    await page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


async def slider_key(page, key: str, press: str):
    thumb = page.locator(f'.st-key-{key} input[type="range"]').first  # the thumb's keyboard input (react-aria)
    await thumb.focus()
    await thumb.press(press)


async def choose(page, key: str, i: int):
    """Open a selectbox and take another of its options than the one shown."""
    await page.locator(f".st-key-{key} [role='combobox']").first.click()
    options = page.get_by_role("option")
    await options.first.wait_for()
    await options.nth(1 + i % max(1, await options.count() - 1)).click()


def bare_click(page, i: int):
    """The baseline of an interaction: one click on the bare page's number input (one rerun)."""
    return step_up(page, "bare_n")


# name: (page, what is done: page, repeat -> awaitable). The page is opened once before the repeats.
INTERACTIONS = {
    "inside_digit": ("inside", lambda p, i: step_up(p, "inside_k")),
    # another layer to click and trace, picked above the maps: layers 2 and 3 in turn
    "inside_trace_layer": ("inside", lambda p, i: trace_layer(p, 2 + i % 2)),
    "inside_cell": ("inside", lambda p, i: cell(p, "inside_one1_", i)),  # the traced map shown large (SETUP)
    "timetravel_step": ("timetravel", lambda p, i: slider_key(p, "tt_index", "ArrowLeft")),
    "experiments_strength": ("experiments", lambda p, i: slider_key(p, "ex_strength", "ArrowRight")),
    "experiments_kind": ("experiments", lambda p, i: choose(p, "ex_kind", i)),
    "evaluation_cell": ("evaluation", lambda p, i: cell(p, "eval_cm", i)),
    # a tab, there and back: a hidden tab runs nothing, so opening one is a rerun that draws its section
    "inside_tab": ("inside", lambda p, i: p.get_by_role("tab", name=("Kernels", "Feature maps and trace")[i % 2])
                   .click()),
    "evaluation_tab": ("evaluation", lambda p, i: p.get_by_role("tab", name=("Confusion matrix", "How good")[i % 2])
                       .click()),
}


def trace_layer(page, layer: int):
    """Pick Inside's layer to click and trace (its radio above the maps; options 1, 2, ...)."""
    return page.locator(".st-key-trace_cell_layer [role='radiogroup'] label").nth(layer - 1).click()


async def large_map(page):
    """Inside's traced map is shown large on request: layer 1 traced again (another interaction may have moved
    it), then its map large."""
    first = page.locator(".st-key-trace_cell_layer input[type='radio']").first
    if await first.count() and not await first.is_checked():
        await trace_layer(page, 1)
        await settle(page, time.perf_counter())
    ask = page.locator(".st-key-inside_large button").first
    if await ask.count():
        await ask.click()


# what an interaction needs first, untimed: a tab opened, a map shown large
SETUP = {"evaluation_cell": lambda p: p.get_by_role("tab", name="Confusion matrix").click(),
         "inside_cell": large_map}


async def act(page, do, i: int) -> dict:
    """Do one interaction and wait until the page has settled after it."""
    await page.bring_to_front()
    await page.evaluate("() => { window.__settle.last = performance.now(); }")
    started = time.perf_counter()
    try:
        await do(page, i)
    except Exception as exc:  # noqa: BLE001 - a control that is not there: counted, the other interactions go on
        print(f"  could not do it: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}", flush=True)
        return {"seconds": None, "exceptions": 0, "timed_out": True}
    got = await settle(page, started)
    if got["seconds"] is not None and got["seconds"] < 0.02:  # nothing changed: the click missed
        got["seconds"], got["timed_out"] = None, True
    return got


async def measure_act(tabs, do, i: int) -> dict:
    got = await asyncio.gather(*(act(t, do, i) for t in tabs))
    secs = [g["seconds"] for g in got if g["seconds"] is not None]
    return {"slowest": max(secs) if secs else None, "exceptions": sum(g["exceptions"] for g in got),
            "timed_out": sum(g["timed_out"] for g in got)}


def row_of(app_runs: list[dict], bare_runs: list[dict]) -> dict:
    a = [r["slowest"] for r in app_runs if r["slowest"] is not None]
    b = [r["slowest"] for r in bare_runs if r["slowest"] is not None]
    row = {"settle_s": round(statistics.median(a), 2) if a else None,
           "bare_s": round(statistics.median(b), 2) if b else None,
           "exceptions": sum(r["exceptions"] for r in app_runs),
           "timed_out": sum(r["timed_out"] for r in app_runs)}
    row["ratio"] = round(row["settle_s"] / row["bare_s"], 1) if a and b else None
    return row


def show(name: str, row: dict) -> None:
    print(f"{name:20s} {row['settle_s']!s:>6} s  bare {row['bare_s']!s:>5} s  ratio {row['ratio']}x"
          + (f"  ({row['exceptions']} exceptions)" if row["exceptions"] else "")
          + (f"  ({row['timed_out']} timed out)" if row["timed_out"] else ""), flush=True)


async def measure(tabs, path: str) -> dict:
    got = await asyncio.gather(*(click_to(t, path) for t in tabs))
    secs = [g["seconds"] for g in got if g["seconds"] is not None]
    return {"slowest": max(secs) if secs else None, "exceptions": sum(g["exceptions"] for g in got),
            "timed_out": sum(g["timed_out"] for g in got)}


async def main_async(args) -> dict:
    from playwright.async_api import async_playwright
    pages = args.pages.split(",") if args.pages else PAGES
    pages = [] if args.no_pages else pages
    interactions = [] if args.no_interactions else (args.interactions.split(",") if args.interactions
                                                     else list(INTERACTIONS))
    bare_file = Path(tempfile.mkdtemp()) / "bare.py"
    bare_file.write_text(BARE)
    runs_dir = Path(tempfile.mkdtemp()) / "runs"
    bare_cwd = bare_file.parent if args.bare_config == "default" else ROOT  # Streamlit reads the config in its cwd
    with streamlit_process(runs_dir, env={"MNIST_LAB_TEACHER_KEY": TEACHER_KEY}) as (app_url, _), \
            streamlit_process(runs_dir, script=str(bare_file), cwd=bare_cwd) as (bare, _):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + UNTHROTTLED)
            contexts = [await browser.new_context(viewport={"width": 1280, "height": 900})
                        for _ in range(args.visitors)]
            app_tabs = [await start(c, app_url + "/") for c in contexts]  # loads torch and the data once
            bare_tabs = [await start(c, bare + "/") for c in contexts]
            teacher_tabs = []
            if TEACHER_PAGES & set(pages):
                teachers = [await browser.new_context(viewport={"width": 1280, "height": 900})
                            for _ in range(args.visitors)]
                teacher_tabs = [await start(c, f"{app_url}/?teacher={TEACHER_KEY}") for c in teachers]
            table, bare_at = {}, "one"
            for name in pages:
                app_runs, bare_runs = [], []
                tabs = teacher_tabs if name in TEACHER_PAGES else app_tabs
                for _ in range(args.repeats):  # interleaved: the bare page sees the same machine state
                    bare_at = "one" if bare_at == "two" else "two"  # always to the other bare page
                    bare_runs.append(await measure(bare_tabs, bare_at))
                    app_runs.append(await measure(tabs, name))
                    if name == "dataset":  # the default page: come back to it from another each time
                        await measure(tabs, "draw")
                    else:
                        await measure(tabs, "dataset")
                table[name] = row_of(app_runs, bare_runs)
                show(name, table[name])
            acts = {}
            if bare_at != "one":
                await measure(bare_tabs, "one")
            for name in interactions:
                where, do = INTERACTIONS[name]
                await measure(app_tabs, "dataset" if where != "dataset" else "draw")
                await measure(app_tabs, where)
                if name in SETUP:
                    for t in app_tabs:
                        await SETUP[name](t)
                        await settle(t, time.perf_counter())
                app_runs, bare_runs = [], []
                for i in range(args.repeats):
                    bare_runs.append(await measure_act(bare_tabs, bare_click, i))
                    app_runs.append(await measure_act(app_tabs, do, i))
                acts[name] = row_of(app_runs, bare_runs)
                show(name, acts[name])
            await browser.close()
    return {"visitors": args.visitors, "repeats": args.repeats, "bare_config": args.bare_config, "pages": table,
            "interactions": acts}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--visitors", type=int, default=1)
    ap.add_argument("--pages", help="comma-separated url paths (default: every page)")
    ap.add_argument("--interactions", help="comma-separated names of INTERACTIONS (default: all)")
    ap.add_argument("--no-interactions", action="store_true", help="pages only")
    ap.add_argument("--no-pages", action="store_true", help="interactions only")
    ap.add_argument("--json", help="write the table here too")
    ap.add_argument("--bare-config", choices=["default", "project"], default="default",
                    help="the bare app with Streamlit's defaults, or with the app's .streamlit/config.toml")
    args = ap.parse_args(argv)
    out = asyncio.run(main_async(args))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
