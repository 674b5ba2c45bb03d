"""Bytes per run of each preset (weights, per-epoch copies, first-epoch snapshots, metrics):
``python benchmarks/run_bytes.py`` prints the estimate for the preset's own settings on the full
MNIST, and checks the estimate against a real short run of the smallest preset."""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_core import bounds, presets  # noqa: E402
from mnist_core.data import load_sample  # noqa: E402
from mnist_core.jobs.local import SlotQueue, TrainingJob  # noqa: E402
from mnist_core.runs import RunStore  # noqa: E402
from mnist_core.training.config import TrainConfig  # noqa: E402


def main():
    print("| preset | parameters | epochs | estimated MB per run |")
    print("|---|---:|---:|---:|")
    for name, p in presets.PRESETS.items():
        spec, cfg = p.spec(), TrainConfig(**p.train)
        est = bounds.estimate_run_bytes(spec, cfg)
        print(f"| {name} | {spec.analyze().total_params:,} | {cfg.epochs} | {est / bounds.MB:.2f} |")
    data = load_sample()
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=1, max_batches=40, device="cpu")
    with tempfile.TemporaryDirectory() as root:
        job = TrainingJob(spec, cfg, data, store=RunStore(root), slots=SlotQueue(1)).start()
        job.join()
        real = bounds.folder_bytes(Path(root) / job.snapshot().run_id)
    print(f"seed001, 1 epoch of 40 batches: real {real:,} bytes, estimated "
          f"{bounds.estimate_run_bytes(spec, cfg, len(data.train_images)):,}")


if __name__ == "__main__":
    main()
