"""The one loop against the two loops it replaced, in one run: same accuracies, no slower.

Checks out the code before the loop's rewrite (commit 39cbc7d, wave 2) into a temporary worktree and
trains the same presets with the same settings through each tree's ``fit``, alternating old and new
in fresh subprocesses (so neither warms the other's caches), and prints each pair's test accuracy and
the ratio of their training times (new / old: below 1.0 is faster).

    MNIST_DATA_DIR=../shared/data/MNIST/raw python benchmarks/loop_before_after.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "39cbc7d"

# (preset, settings): a few hundred steps each, torch and NumPy
CASES = [("seed001", {"epochs": 1, "max_batches": 150}),
         ("fast", {"epochs": 1, "max_batches": 150}),
         ("seed004", {"epochs": 1, "max_steps": None, "max_batches": 400})]

RUN = """
import json, sys, torch
sys.path.insert(0, {root!r})
torch.set_num_threads(2)
from mnist_core import presets
from mnist_core.data import load_idx_dir
try:
    from mnist_core.training.loop import fit
    from mnist_core.training.config import TrainConfig
except ImportError:  # the tree before the rewrite
    from mnist_core.engine import fit
    from mnist_core.config import TrainConfig
p = presets.get({preset!r})
data = load_idx_dir({data!r})
res = fit(p.spec(), TrainConfig(**{{**p.train, **{settings!r}}}), data)
print(json.dumps({{"acc": res.test_accuracy, "seconds": res.train_seconds, "steps": res.steps}}))
"""


def run(tree: Path, preset: str, settings: dict, data: str) -> dict:
    code = RUN.format(root=str(tree), preset=preset, settings=settings, data=data)
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise SystemExit(f"{tree.name}: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    data = os.environ.get("MNIST_DATA_DIR") or str(ROOT.parent / "shared" / "data" / "MNIST" / "raw")
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old), BEFORE], check=True)
        try:
            print("| preset | steps | accuracy before | accuracy after | seconds before | seconds after | ratio |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            for preset, settings in CASES:
                a, b = [], []
                for _ in range(args.repeats):
                    a.append(run(old, preset, settings, data))
                    b.append(run(ROOT, preset, settings, data))
                sa = statistics.median(r["seconds"] for r in a)
                sb = statistics.median(r["seconds"] for r in b)
                print(f"| {preset} | {b[0]['steps']} | {a[0]['acc']:.4f} | {b[0]['acc']:.4f} | {sa:.2f} | {sb:.2f} "
                      f"| {sb / sa:.2f} |")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)


if __name__ == "__main__":
    main()
