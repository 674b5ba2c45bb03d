"""Train a variant of the demo preset without editing it: the preset's settings updated with a JSON
object, then the CLI's ``train`` with the remaining arguments (one thread: a shared machine).

    python benchmarks/train_demo_variant.py '{"augment_style": "scans", "augment_clean": 0.5, "ema": 0.995}' \\
        --runs /tmp/demo_cand train --preset demo --name demo --data ../shared/data/MNIST/raw --threads 1
"""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mnist_core import presets  # noqa: E402
from mnist_core.__main__ import main  # noqa: E402

if __name__ == "__main__":
    torch.set_num_threads(1)
    presets.PRESETS["demo"].train.update(json.loads(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
