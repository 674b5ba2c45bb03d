"""A classroom on one server: N real browser sessions against one ``streamlit run app.py``.

Every session (a Playwright context in Debian's Chromium, all on loopback) opens a shared link
(Inside the CNN, as a teacher would hand it out), draws a 7 on the canvas and times the prediction,
visits Evaluation, and looks at the Training page; ``--trainers`` of them start a short training run
at about the same time (they wait for each other at the form) and watch it to the end.

It reports time to prediction (p50, max; and the ratio against one session alone on the same
server, measured first in this process), errors seen (exceptions on a page, a step that timed out),
the server's RSS before and after, and checks that every session saw only its own live run, that
every run finished and was listed by the run store, and that nothing was left running.
Bounded: every wait has a timeout, the whole thing a deadline, and the server is always stopped.

    python benchmarks/classroom_load.py --sessions 8 --trainers 8 [--sample] [--linger 150]

``--sample`` serves the embedded 5,000-digit sample (a fresh install, Community Cloud), otherwise
the full MNIST from MNIST_DATA_DIR. ``--linger S`` stays S seconds after the class leaves and
reads the RSS again (Streamlit drops a disconnected session's state after 2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnist_core.experiments.views import link  # noqa: E402
from mnist_core.runs import RunStore  # noqa: E402
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402

SEVEN = [(70, 50), (210, 50), (180, 110), (150, 175), (125, 245)]
BATCHES = 30   # a short run: the point is many sessions at once, not a good model


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def idle(page, timeout: float):
    """Until Streamlit's 'running' indicator is gone."""
    deadline = time.time() + timeout
    await asyncio.sleep(0.4)
    while time.time() < deadline:
        if await page.locator('[data-testid="stStatusWidget"]').count() == 0:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("the page kept running")


async def visit(page, url: str, heading: str, timeout: float, errors: list, who: str):
    await page.goto(url)
    await page.get_by_role("heading", name=heading).first.wait_for()
    await idle(page, timeout)
    n = await page.locator('[data-testid="stException"]').count()
    if n:
        errors.append(f"{who}: exception on {url.rsplit('/', 1)[-1]}")


async def draw_seven(page, base: str, timeout: float, errors: list, who: str) -> tuple[float, str]:
    await visit(page, base + "/draw", "✏️ Draw a digit", timeout, errors, who)
    canvas = page.locator("canvas.upper-canvas").first
    await canvas.wait_for()
    box = await canvas.bounding_box()
    await page.mouse.move(box["x"] + SEVEN[0][0], box["y"] + SEVEN[0][1])
    await page.mouse.down()
    for x, y in SEVEN[1:]:
        await page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
    await page.mouse.up()
    t0 = time.perf_counter()
    shown = page.get_by_text("prediction:").first
    await shown.wait_for()
    took = time.perf_counter() - t0
    return took, (await shown.inner_text()).strip()


async def train(page, base: str, name: str, ready: asyncio.Barrier, timeout: float, errors: list) -> dict:
    await visit(page, base + "/training", "📈 Training", timeout, errors, name)
    await page.get_by_label("Epochs", exact=True).fill("1")
    await page.get_by_text("More settings").click()
    await page.get_by_label("Batches per epoch (0 = all; a dry run)").fill(str(BATCHES))
    await page.get_by_label("Run name", exact=True).fill(name)
    await page.get_by_label("Run name", exact=True).press("Tab")  # Enter would submit the form
    await ready.wait()                                   # the trainers press Start together
    await page.get_by_role("button", name="Start training").click()
    await page.get_by_text("✅ Finished").first.wait_for(timeout=timeout * 1000)
    await idle(page, timeout)
    heads = await page.get_by_role("heading", name="Run:").all_inner_texts()
    return {"name": name, "headings": [h.strip() for h in heads]}


async def student(browser, base: str, i: int, trains: bool, ready, timeout: float, out: dict):
    who = f"class-{i}"
    errors: list[str] = []
    ctx = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await ctx.new_page()
    page.set_default_timeout(timeout * 1000)
    rec = {"session": who, "trains": trains, "errors": errors}
    try:
        await visit(page, base + link("inside", {"cls": i % 10}), "🔬 Inside the CNN", timeout, errors, who)
        rec["prediction_s"], rec["shown"] = await draw_seven(page, base, timeout, errors, who)
        await visit(page, base + "/evaluation", "🎯 Evaluation", timeout, errors, who)
        await page.locator(".js-plotly-plot").first.wait_for()
        if trains:
            rec["run"] = await train(page, base, who, ready, timeout, errors)
        else:
            await visit(page, base + "/training", "📈 Training", timeout, errors, who)
            rec["run"] = {"name": None, "headings": [h.strip() for h in
                                                     await page.get_by_role("heading", name="Run:").all_inner_texts()]}
    except Exception as exc:  # a step that timed out or broke: counted, the others go on
        errors.append(f"{who}: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:160]}")
        if os.environ.get("LOAD_SHOTS"):  # a folder: what the failing page showed
            await page.set_viewport_size({"width": 1300, "height": 2400})
            await page.screenshot(path=str(Path(os.environ["LOAD_SHOTS"]) / f"{who}.png"))
        if trains:
            await ready.abort()  # the others must not wait for a trainer that is gone
    finally:
        await ctx.close()
    out[who] = rec


async def classroom(base: str, sessions: int, trainers: int, timeout: float, first: int = 0) -> list[dict]:
    from playwright.async_api import async_playwright
    out: dict[str, dict] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ready = asyncio.Barrier(max(1, trainers))
            await asyncio.gather(*(student(browser, base, first + i, i < trainers, ready, timeout, out)
                                   for i in range(sessions)))
        finally:
            await browser.close()
    return [out[k] for k in sorted(out)]


def run(sessions: int = 4, trainers: int = 2, sample: bool = False, timeout: float = 240,
        linger: float = 0, deadline: float = 1200) -> dict:
    env = {"MNIST_DATA_DIR": None, "MNIST_LAB_CACHE": tempfile.mkdtemp()} if sample else {}
    runs_dir = Path(tempfile.mkdtemp()) / "runs"
    t_start = time.time()
    with streamlit_process(runs_dir, env=env) as (base, proc):
        rss_start = rss_mb(proc.pid)
        # the baseline: one session alone, after a first one has warmed the server (imports, data, demo model)
        warm = asyncio.run(asyncio.wait_for(classroom(base, 1, 0, timeout, first=100), deadline))
        alone = warm + asyncio.run(asyncio.wait_for(classroom(base, 1, 0, timeout, first=101), deadline))
        rss_warm = rss_mb(proc.pid)
        t0 = time.time()
        recs = asyncio.run(asyncio.wait_for(classroom(base, sessions, trainers, timeout), deadline))
        wall = time.time() - t0
        rss_after = rss_mb(proc.pid)
        rss_linger = None
        if linger:
            time.sleep(linger)
            rss_linger = rss_mb(proc.pid)
        listed = {r.display_name: r.summary.get("status") for r in RunStore(runs_dir).list()}
        server_alive = proc.poll() is None

    errors = [e for r in alone + recs for e in r["errors"]]
    times = [r["prediction_s"] for r in recs if "prediction_s" in r]
    solo = alone[-1].get("prediction_s")
    own_only = all(r.get("run", {}).get("headings") == ([f"Run: {r['session']}"] if r["trains"] else [])
                   for r in recs)
    trainer_names = [r["session"] for r in recs if r["trains"]]
    return {
        "sessions": sessions, "trainers": trainers, "data": "sample" if sample else "full MNIST",
        "wall_s": round(wall, 1),
        "prediction_s": {"p50": round(statistics.median(times), 3) if times else None,
                         "max": round(max(times), 3) if times else None,
                         "alone": round(solo, 3) if solo else None,
                         "first_visitor": round(alone[0]["prediction_s"], 3) if "prediction_s" in alone[0] else None,
                         "ratio_p50_vs_alone": round(statistics.median(times) / solo, 2) if times and solo else None},
        "predictions": sorted({r.get("shown", "-") for r in recs}),
        "errors": errors,
        "rss_mb": {"start": round(rss_start), "after_two_alone": round(rss_warm), "after_class": round(rss_after),
                   **({"after_linger": round(rss_linger), "linger_s": linger} if linger else {})},
        "own_run_only": own_only,
        "runs_listed": {n: listed.get(n) for n in trainer_names},
        "all_runs_finished_and_listed": all(listed.get(n) == "finished" for n in trainer_names),
        "left_running": sum(s in ("running", "queued") for s in listed.values()),
        "server_alive": server_alive,
        "total_s": round(time.time() - t_start, 1),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--trainers", type=int, default=3)
    ap.add_argument("--sample", action="store_true", help="serve the embedded sample, not the full MNIST")
    ap.add_argument("--timeout", type=float, default=240, help="seconds any one step may take")
    ap.add_argument("--linger", type=float, default=0, help="seconds to wait after the class, then read RSS again")
    a = ap.parse_args(argv)
    if not 1 <= a.sessions <= 64 or not 0 <= a.trainers <= a.sessions:
        ap.error("sessions must be 1-64 and trainers between 0 and sessions")
    report = run(a.sessions, a.trainers, a.sample, a.timeout, a.linger)
    print(json.dumps(report, indent=2))
    return 0 if not report["errors"] and report["all_runs_finished_and_listed"] else 1


if __name__ == "__main__":
    sys.exit(main())
