"""Can a class trust the demo model? Accuracy, calibration, other hands, and "not a digit".

For each model named (run folders, or "demo" for the shipped one), in one process:
- MNIST test accuracy, mean confidence and expected calibration error (10 bins), on all
  10,000 test digits and on the first 1,000 through the one-drawing ``predict`` path;
- the non-MNIST check (``mnist_core.synthetic``): pen-drawn, photographed-paper and
  typed digits, each through the app's preprocessing, accuracy per style;
- "not a digit": letters, smileys, stars and scribbles turned away at the app's
  threshold, and the share of real digits (MNIST test, non-MNIST) still accepted;
- the threshold this model's own MNIST confidences would suggest (keeping 99.5%).

    python benchmarks/demo_model_check.py demo /path/to/old_demo --data ../shared/data/MNIST/raw
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mnist_core import synthetic  # noqa: E402
from mnist_core.calibration import UNSURE_BELOW, choose_threshold, reliability  # noqa: E402
from mnist_core.data import load_dataset  # noqa: E402
from mnist_core.inference import (  # noqa: E402
    evaluate_model,
    predict,
    to_input,  # noqa: E402
)
from mnist_core.preprocess import ImageError, preprocess  # noqa: E402
from mnist_core.runs import RunStore, load_demo  # noqa: E402


def scans(spec, model, checks) -> dict:
    """Accuracy on each scan check (MNIST test digits written or scanned another way), both as a
    28x28 digit is given to ``predict`` directly (a held-out scanned set) and through the app's
    preprocessing (a drawing or an upload)."""
    from mnist_core.inference import probabilities, temperature
    out = {}
    for kind, (images, labels) in checks.items():
        x = to_input(torch.from_numpy(images))
        with torch.no_grad():
            direct = probabilities(spec, model(x), temperature(model)).argmax(1).numpy()
            through = np.full(len(images), -1)  # a digit the preprocessing calls empty (too faint) is read wrong
            kept = []
            for i, im in enumerate(images):
                with contextlib.suppress(ImageError):
                    kept.append((i, preprocess(im).tensor()))
            if kept:
                pre = torch.cat([t for _, t in kept])
                through[[i for i, _ in kept]] = probabilities(spec, model(pre), temperature(model)).argmax(1).numpy()
        out[kind] = {"direct": round(float((direct == labels).mean()), 4),
                     "preprocessed": round(float((through == labels).mean()), 4)}
    out["mean"] = {k: round(float(np.mean([v[k] for v in out.values()])), 4) for k in ("direct", "preprocessed")}
    return out


def check(spec, model, data, hand, junk, threshold=UNSURE_BELOW, checks=None) -> dict:
    ev = evaluate_model(spec, model, data.test_images, data.test_labels)
    rel = reliability(ev.probs, ev.labels)
    probs_1k = np.stack([predict(spec, model, to_input(data.test_images[i:i + 1])) for i in range(1000)])
    rel_1k = reliability(probs_1k, data.test_labels[:1000].numpy())

    def read(samples):
        return np.stack([predict(spec, model, preprocess(s.image).tensor()) for s in samples])
    ph, pj = read(hand), read(junk)
    labels = np.array([s.label for s in hand])
    styles = sorted({s.style for s in hand})
    right = ph.argmax(1) == labels
    conf_mnist = ev.probs.max(1)
    return {
        "scan_checks": scans(spec, model, checks) if checks else None,
        "mnist_test_accuracy": round(ev.accuracy, 4), "mnist_ece": round(rel.ece, 4),
        "mnist_mean_confidence": round(rel.mean_confidence, 4),
        "predict_1000": {"accuracy": round(float((probs_1k.argmax(1) == data.test_labels[:1000].numpy()).mean()), 4),
                         "ece": round(rel_1k.ece, 4), "mean_confidence": round(rel_1k.mean_confidence, 4)},
        "non_mnist_accuracy": round(float(right.mean()), 4),
        "non_mnist_by_style": {st: round(float(right[[s.style == st for s in hand]].mean()), 4) for st in styles},
        "non_mnist_mean_confidence": round(float(ph.max(1).mean()), 4),
        "threshold": threshold,
        "mnist_accepted": round(float((conf_mnist >= threshold).mean()), 4),
        "mnist_accepted_accuracy": round(float((ev.pred == ev.labels)[conf_mnist >= threshold].mean()), 4),
        "non_mnist_accepted": round(float((ph.max(1) >= threshold).mean()), 4),
        "non_digits_rejected": round(float((pj.max(1) < threshold).mean()), 4),
        "non_digits_rejected_by_kind": {k: round(float((pj.max(1) < threshold)[[s.style == k for s in junk]].mean()), 3)
                                        for k in sorted({s.style for s in junk})},
        "suggested_threshold_keep_99.5": round(choose_threshold(conf_mnist, 0.995), 4),
        "temperature": float(getattr(model, "temperature", 1.0)),
        "threshold_sweep": {f"{t:.2f}": {"mnist_accepted": round(float((conf_mnist >= t).mean()), 4),
                                         "non_mnist_accepted": round(float((ph.max(1) >= t).mean()), 4),
                                         "non_digits_rejected": round(float((pj.max(1) < t).mean()), 4)}
                            for t in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)},
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", help="'demo' or run folders")
    ap.add_argument("--data")
    ap.add_argument("--per-digit", type=int, default=20)
    ap.add_argument("--scan-digits", type=int, default=1000, help="MNIST test digits per scan check (0: none)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    data = load_dataset("mnist", data_dir=args.data)
    hand = synthetic.handwriting_set(args.per_digit)
    junk = synthetic.non_digits()
    print(f"data: {data.describe()}; non-MNIST check: {len(hand)} digits "
          f"({', '.join(sorted({s.style for s in hand}))}); {len(junk)} non-digits", file=sys.stderr)
    # the last test digits: the first 1,000 are also the predict path's; any slice of test is held out
    checks = synthetic.scan_checks(data.test_images.numpy()[-args.scan_digits:],
                                   data.test_labels.numpy()[-args.scan_digits:]) if args.scan_digits else None
    out = {}
    for name in args.models:
        spec, model = load_demo() if name == "demo" else RunStore(Path(name).parent).load(Path(name))
        out[name] = check(spec, model, data, hand, junk, checks=checks)
        print(name, json.dumps(out[name], indent=1), file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
