"""Latency of one drawing's prediction: preprocessing + forward pass, model loaded.

Prints the median over many runs, and the ratio against a baseline measured in the
same process: the same model called through the seeds' way of doing it (PIL resize
of the whole canvas to 28x28, ToTensor, a forward pass with autograd on).

    python benchmarks/predict_latency.py
    python benchmarks/predict_latency.py --compare demo /tmp/runs/<candidate>  # interleaved, one process

``--compare`` times the same drawing through each model named ("demo" or run folders) in turn,
round after round (5 x 200 calls each), so that a busy machine slows them all alike.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mnist_core.inference import predict  # noqa: E402
from mnist_core.preprocess import preprocess  # noqa: E402
from mnist_core.runs import RunStore, load_demo  # noqa: E402


def canvas() -> np.ndarray:
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(im).line([(70, 50), (210, 50), (125, 245)], fill=(255, 255, 255, 255), width=18)
    return np.asarray(im)


def timed(fn, n=300, warmup=20):
    """Median milliseconds of ``fn`` over ``n`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000


def compare(names, rounds=5, n=200):
    """Median ms per model, its calls interleaved with the others' round after round."""
    models = {name: load_demo() if name == "demo" else RunStore(Path(name).parent).load(Path(name)) for name in names}
    img = canvas()
    times = {name: [] for name in names}
    for _ in range(rounds):
        for name, (spec, model) in models.items():
            times[name].append(timed(lambda spec=spec, model=model: predict(spec, model, preprocess(img).tensor()),
                                     n=n))
    return {name: statistics.median(ts) for name, ts in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compare", nargs="+", metavar="MODEL", help="'demo' or run folders, timed interleaved")
    args = ap.parse_args()
    torch.set_num_threads(1)  # one small image: threads cost more to wake than they save
    if args.compare:
        med = compare(args.compare)
        first = med[args.compare[0]]
        for name, ms in med.items():
            print(f"{name}: {ms:.3f} ms median of 5 rounds x 200 (ratio to the first {ms / first:.2f}x)")
        return
    spec, model = load_demo()
    img = canvas()
    ours = timed(lambda: predict(spec, model, preprocess(img).tensor()))
    import torchvision.transforms.functional as TF

    def seeds_way():
        x = TF.to_tensor(Image.fromarray(img).convert("L").resize((28, 28)))[None]
        return model(x).softmax(1)
    base = timed(seeds_way)
    pre = timed(lambda: preprocess(img))
    print(f"predict (preprocess + forward), median of 300: {ours:.3f} ms "
          f"(preprocessing alone {pre:.3f} ms)")
    print(f"baseline (resize whole canvas + ToTensor + forward): {base:.3f} ms")
    print(f"ratio ours/baseline: {ours / base:.2f}x  target: <= 1 ms -> {'OK' if ours <= 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
