"""Why training runs in a worker process: a job's speed while the server's threads are busy.

A Streamlit server runs each session's reruns as threads of one process. This script plays a
busy class with a few threads that build the Training page's Plotly charts over and over (the
pure-Python work a rerun does), and times the same short run (a) as a thread of this process, the
old way, and (b) in a worker process, alternately, with nobody busy as the baseline.

    python benchmarks/worker_vs_thread.py [--busy 4] [--batches 60] [--repeats 3]

Prints images/s for each and the ratio worker / thread under load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnist_core import charts, presets  # noqa: E402
from mnist_core.data import load_dataset  # noqa: E402
from mnist_core.jobs.local import SlotQueue, TrainingJob  # noqa: E402
from mnist_core.jobs.workers import ProcessTrainingJob  # noqa: E402
from mnist_core.training.config import TrainConfig  # noqa: E402
from mnist_core.training.events import Step  # noqa: E402

STEPS = [Step(step=i, loss=2.3 / (1 + i / 50), acc=min(0.99, i / 300), lr=1e-3, ips=5000.0)
         for i in range(0, 600, 5)]


def busy_class(n: int, stop: threading.Event) -> list[threading.Thread]:
    def rerun_forever():
        while not stop.is_set():
            charts.loss_curve(STEPS, []).to_plotly_json()  # what a live view's rerun builds and marshals
            charts.lr_curve(STEPS).to_plotly_json()
    threads = [threading.Thread(target=rerun_forever, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def one(kind: str, busy: int, data, batches: int) -> float:
    spec = presets.get("seed000").spec()
    cfg = TrainConfig(**{**presets.get("seed000").train, "epochs": 1, "max_batches": batches, "threads": 1,
                         "device": "cpu"})
    stop = threading.Event()
    threads = busy_class(busy, stop)
    try:
        job_class = ProcessTrainingJob if kind == "process" else TrainingJob
        job = job_class(spec, cfg, data, slots=SlotQueue(1)).start()
        job.join(600)
        snap = job.snapshot()
    finally:
        stop.set()
        for t in threads:
            t.join()
    if snap.state != "finished":
        raise SystemExit(f"{kind}: the run ended {snap.state}: {snap.error}")
    return snap.result["images_per_second"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--busy", type=int, default=4, help="threads playing sessions that rerun")
    ap.add_argument("--batches", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", help="MNIST folder (default: MNIST_DATA_DIR, else the sample)")
    a = ap.parse_args(argv)
    data = load_dataset("mnist", data_dir=a.data)
    rows = {"thread, idle server": [], "thread, busy server": [], "worker process, busy server": []}
    for _ in range(a.repeats):  # interleaved: a slow moment of the machine hits all three
        rows["thread, idle server"].append(one("thread", 0, data, a.batches))
        rows["thread, busy server"].append(one("thread", a.busy, data, a.batches))
        rows["worker process, busy server"].append(one("process", a.busy, data, a.batches))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(json.dumps({"busy_threads": a.busy, "batches": a.batches, "data": data.describe(),
                      "images_per_second": {k: [round(x) for x in v] for k, v in rows.items()},
                      "median": {k: round(v) for k, v in med.items()},
                      "ratio_worker_vs_thread_when_busy": round(med["worker process, busy server"]
                                                                / med["thread, busy server"], 2),
                      "thread_busy_vs_idle": round(med["thread, busy server"] / med["thread, idle server"], 3)},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
