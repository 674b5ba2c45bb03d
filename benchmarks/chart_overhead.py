"""What the Training page's live charts cost: the same run headless and in the app.

(a) headless: the job the Training page starts (a thread, the run store), nobody watching;
(b) the app's server side: the Training page run in this process through AppTest,
    its live fragment rerun once a second (snapshot, four Plotly figures, Streamlit's
    marshalling) while the job trains on its thread: the cost the server pays;
(c) the whole thing on one machine: a real server and Chromium on the Training page,
    the browser rendering the charts on the same cores as the training;
(a) and (b) alternate a few times and their medians are compared.

    MNIST_DATA_DIR=../shared/data/MNIST/raw python benchmarks/chart_overhead.py [--epochs 1] [--repeats 3]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnist_core import presets  # noqa: E402
from mnist_core.data import load_dataset  # noqa: E402
from mnist_core.training.config import TrainConfig  # noqa: E402
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle  # noqa: E402

PRESET = "seed000"  # the Training page's first preset: a tiny net, so per-step overhead shows most


def headless(data, epochs: int) -> float:
    """The same job the page starts (thread, run store and all), with nobody watching."""
    secs, _ = job_run(data, epochs, watch=False)
    return secs


def in_app(epochs: int) -> tuple[float, int]:
    from playwright.sync_api import sync_playwright
    runs = Path(tempfile.mkdtemp()) / "runs"
    with streamlit_server(runs) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(120_000)
        page.goto(url + "/training")
        wait_idle(page)
        page.get_by_label("Epochs").fill(str(epochs))
        page.get_by_role("button", name="Start training").click()
        page.locator(".js-plotly-plot").first.wait_for()
        redraws, last = 0, None
        while not list(runs.glob("*/weights.safetensors")):
            n = page.evaluate("() => { const e = document.querySelector('.js-plotly-plot');"
                              " return e && e.data ? e.data[0].x.length : 0 }")
            redraws += n != last
            last = n
            time.sleep(0.5)
        browser.close()
    summary = json.loads(next(runs.glob("*/summary.json")).read_text())
    return summary["train_seconds"], redraws


def _fragment():
    from ui.live import live_view
    live_view()


def job_run(data, epochs: int, watch: bool) -> tuple[float, int]:
    """A TrainingJob as the Training page starts it; with ``watch``, the page's live
    fragment is rerun through AppTest once a second, in this process, while it trains."""
    from streamlit.testing.v1 import AppTest

    from mnist_core.jobs.local import SlotQueue, TrainingJob
    from mnist_core.runs import RunStore
    p = presets.get(PRESET)
    cfg = TrainConfig(**{**p.train, "epochs": epochs})
    job = TrainingJob(p.spec(), cfg, data, store=RunStore(Path(tempfile.mkdtemp()) / "runs"), slots=SlotQueue(1))
    at = AppTest.from_function(_fragment, default_timeout=60)
    at.session_state["job"] = job
    job.start()
    reruns = 0
    while job.snapshot().active:
        t = time.perf_counter()
        if watch:
            at.run()
            reruns += 1
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - t)) if watch else 0.05)
    assert not at.exception, at.exception
    return job.snapshot().result["train_seconds"], reruns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved (a), (b) pairs; medians are compared")
    ap.add_argument("--no-browser", action="store_true", help="skip (c)")
    args = ap.parse_args()
    data = load_dataset()
    print(f"{PRESET}, {args.epochs} epoch(s) on {data.describe()}; this machine is noisy, so (a) and (b) "
          f"alternate {args.repeats} times and their medians are compared")
    a, b = [], []
    for i in range(args.repeats):
        a.append(headless(data, args.epochs))
        secs, reruns = job_run(data, args.epochs, watch=True)
        b.append(secs)
        print(f"  round {i + 1}: (a) headless {a[-1]:.2f} s · (b) app server side {b[-1]:.2f} s "
              f"({reruns} reruns of the live fragment)")
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"ratio median(b) / median(a): {mb / ma:.3f}  -> the live charts cost the training "
          f"{100 * (mb / ma - 1):+.1f}% (target <= +5%)")
    if not args.no_browser:
        c, redraws = in_app(args.epochs)
        print(f"(c) app + Chromium on the same 2 cores: {c:.2f} s ({redraws} chart updates seen) -> "
              f"ratio {c / ma:.3f} against median(a)")


if __name__ == "__main__":
    main()
