"""How long each attribution map takes on this CPU, for every preset.

The baseline, run in the same process, is one forward and backward pass of the same
model for the same digit (the least any gradient method can cost); the ratio says how many
such passes each method is worth. The target is under a second per map.

    python benchmarks/attribution_speed.py
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from predict_latency import timed  # noqa: E402  (benchmarks/ is on the path when run as a script)

from mnist_core import presets  # noqa: E402
from mnist_core.data import load_sample  # noqa: E402
from mnist_core.explain.attributions import METHODS, attribute  # noqa: E402
from mnist_core.inference import to_input  # noqa: E402


def median_ms(fn, n=5):
    return timed(fn, n, warmup=1)


def main():
    torch.set_num_threads(2)
    x = to_input(load_sample().test_images[:1])
    worst = 0.0
    for name in presets.PRESETS:
        spec = presets.get(name).spec()
        model = spec.build().eval()

        def one_pass(model=model):
            xi = x.clone().requires_grad_(True)
            model(xi)[0, 0].backward()
        base = median_ms(one_pass)
        row = []
        for m in METHODS:
            if m == "grad-cam" and not any(l.kind == "Conv2d" for l in spec.layers):
                continue
            ms = median_ms(lambda spec=spec, model=model, m=m: attribute(spec, model, x, m))
            worst = max(worst, ms)
            row.append(f"{m} {ms:.0f} ms ({ms / base:.0f}x)")
        print(f"{name:8s} one pass {base:.1f} ms | " + " | ".join(row))
    print(f"slowest map: {worst:.0f} ms; target < 1000 ms -> {'met' if worst < 1000 else 'MISSED'}")


if __name__ == "__main__":
    main()
