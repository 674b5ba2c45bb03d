"""How long each explain/experiment view takes to appear on this CPU, for the fast and best presets.

Drives the real pages with Streamlit's AppTest (the same script runs a browser would trigger,
without the browser's own drawing time), first visit (caches cold) and second (warm), with a
run of each preset trained briefly here (with snapshots) as the active model. The baseline in
the same process is the Dataset page's first render (no model work).

    MNIST_DATA_DIR=../shared/data/MNIST/raw python benchmarks/view_times.py
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ["MNIST_LAB_RUNS"] = tempfile.mkdtemp()

from streamlit.testing.v1 import AppTest  # noqa: E402

from mnist_core import presets  # noqa: E402
from mnist_core.data import load_dataset  # noqa: E402
from mnist_core.jobs.local import SlotQueue, TrainingJob
from mnist_core.runs import RunStore  # noqa: E402
from mnist_core.training.config import TrainConfig  # noqa: E402

PAGES = ["inside", "why", "experiments", "timetravel", "evaluation"]


def visit(page: str, run_id: str) -> float:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page(f"app_pages/{page}.py")
    at.session_state["active_model"] = run_id
    t = time.perf_counter()
    at.run()
    took = time.perf_counter() - t
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].value}")
    return took


def main():
    data = load_dataset()
    store = RunStore(os.environ["MNIST_LAB_RUNS"])
    base = visit("dataset", "demo")
    print(f"data: {data.describe()}\nbaseline: the Dataset page's first render {base:.2f} s")
    for name in ("fast", "best"):
        p = presets.get(name)
        job = TrainingJob(p.spec(), TrainConfig.from_dict({**p.train, "epochs": 1, "max_batches": 40}), data,
                          store=store, name=name, slots=SlotQueue(1)).start()
        job.join()
        run_id = job.snapshot().run_id
        for page in PAGES:
            cold, warm = visit(page, run_id), visit(page, run_id)
            print(f"{name:5s} {page:12s} first {cold:5.2f} s ({cold / base:4.1f}x baseline) · again {warm:5.2f} s")


if __name__ == "__main__":
    main()
