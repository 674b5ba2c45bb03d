"""How long the dreams and fooling images take, and whether the demo's "not sure" holds against them.

Times (median of 3) per class image (all ten classes run as one batch, divided by ten), per
first-layer filter image, and per fooling image, each with its ratio to one forward + backward
pass of the same model for one digit in the same process. Then a plain `fast` preset model
(trained here: one epoch, its preset settings) is fooled from faint noise, and the fooling images
are shown to it and to the shipped demo (calibrated, taught to be unsure of non-digits, with the
app's "not sure" rule); and the demo is attacked directly too.

    MNIST_DATA_DIR=/path/to/MNIST/raw python benchmarks/dream_speed.py
"""

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mnist_core import presets  # noqa: E402
from mnist_core.data import load_dataset  # noqa: E402
from mnist_core.explain import dream as d  # noqa: E402
from mnist_core.inference import to_input  # noqa: E402
from mnist_core.runs import load_demo  # noqa: E402
from mnist_core.training.config import TrainConfig  # noqa: E402
from mnist_core.training.loop import fit  # noqa: E402


def median_s(fn, n=3):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[n // 2]


def fwd_bwd(model, x):
    x = x.clone().requires_grad_(True)
    model(x)[0, 0].backward()


def report(name, spec, model, means, x):
    base = median_s(lambda: fwd_bwd(model, x), 20)
    per_class = median_s(lambda: d.class_dreams(spec, model, means)) / spec.num_classes
    k = len(d.filter_dreams(spec, model, steps=1))
    per_filter = median_s(lambda: d.filter_dreams(spec, model)) / k
    per_fool = median_s(lambda: d.fooling_images(spec, model)) / spec.num_classes
    print(f"{name}: fwd+bwd {base * 1e3:.2f} ms | class image {per_class * 1e3:.0f} ms ({per_class / base:.0f}x) | "
          f"filter image {per_filter * 1e3:.0f} ms ({per_filter / base:.0f}x, {k} filters) | "
          f"fooling image {per_fool * 1e3:.0f} ms ({per_fool / base:.0f}x)")


def judged(spec, model, images):
    v = d.verdicts(spec, model, images)
    return " ".join(f"{x.label}:{x.confidence:.2f}{'' if x.sure else '?'}" for x in v), sum(x.sure for x in v)


def main():
    torch.set_num_threads(2)
    data = load_dataset("mnist")
    means = d.class_means(data.train_images, data.train_labels)
    x = to_input(data.test_images[:1])
    demo_spec, demo = load_demo()
    t = time.perf_counter()
    spec = presets.get("fast").spec()
    cfg = TrainConfig(**{**presets.get("fast").train, "device": "cpu"})
    plain = fit(spec, cfg, data).model.eval()
    print(f"plain fast model trained in {time.perf_counter() - t:.0f} s")
    report("demo", demo_spec, demo, means, x)
    report("fast", spec, plain, means, x)
    for seed in (0, 1, 2):
        fooled = d.fooling_images(spec, plain, seed=seed)
        imgs = [f.image for f in fooled]
        print(f"seed {seed}: fooled the fast model >= 0.99 for {sum(f.prob >= 0.99 for f in fooled)}/10 "
              f"(median steps {sorted(f.steps for f in fooled)[5]})")
        words, n = judged(spec, plain, imgs)
        print(f"  fast says   {words}  -> sure of {n}/10")
        words, n = judged(demo_spec, demo, imgs)
        print(f"  demo says   {words}  -> sure of {n}/10 ('?' = not sure)")
        direct = d.fooling_images(demo_spec, demo, seed=seed)
        print(f"  attacking the demo itself: >= 0.99 for {sum(f.prob >= 0.99 for f in direct)}/10, "
              f">= 0.70 (sure) for {sum(f.prob >= 0.70 for f in direct)}/10")


if __name__ == "__main__":
    main()
