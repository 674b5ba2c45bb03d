"""The benchmark: the seeds' pipeline against mnist_core's engine, in one process.

(a) seed001 exactly as written: torchvision MNIST + ToTensor through a DataLoader,
    batch 200, Adam 1e-3, 2 epochs;
(b) mnist_core's engine, same architecture and settings;
(c) the ``fast`` preset; (d) the ``best`` preset.
"""

from __future__ import annotations

import gzip
import platform
import shutil
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from mnist_core import presets
from mnist_core.data import FILES, Dataset, find_idx_dir
from mnist_core.training.config import TrainConfig
from mnist_core.training.devices import describe_device, pick_device
from mnist_core.training.loop import fit


class Seed001CNN(nn.Module):
    """seed001's network, written the way the seed wrote it (view(-1, 32*7*7) and all)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        return self.out(x.view(x.size(0), -1))


def torchvision_root(data_dir: Path, cache: Path) -> Path:
    """torchvision wants ``root/MNIST/raw`` with unzipped files: make one from the gz files."""
    src = find_idx_dir(data_dir)
    raw = cache / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for stem in FILES.values():
        dst = raw / stem
        if not dst.exists():
            gz, plain = src / (stem + ".gz"), src / stem
            if plain.exists():
                shutil.copy(plain, dst)
            else:
                with gzip.open(gz) as f_in, open(dst, "wb") as f_out:
                    shutil.copyfileobj(f_in, f_out)
    return cache


def run_seed_pipeline(root: Path, epochs: int = 2, batch_size: int = 200, max_batches: int | None = None,
                      device: str = "auto", seed: int = 0) -> dict:
    import torchvision
    from torch.utils.data import DataLoader

    dev = pick_device(device)
    torch.manual_seed(seed)
    tr = torchvision.datasets.MNIST(str(root), train=True, transform=torchvision.transforms.ToTensor(), download=False)
    te = torchvision.datasets.MNIST(str(root), train=False, transform=torchvision.transforms.ToTensor(), download=False)
    loader = DataLoader(tr, batch_size=batch_size, shuffle=True)
    cnn = Seed001CNN().to(dev)
    opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    loss_func = nn.CrossEntropyLoss()
    seen = 0
    t0 = time.perf_counter()
    for _ in range(epochs):
        for step, (bx, by) in enumerate(loader):
            if max_batches and step >= max_batches:
                break
            bx, by = bx.to(dev), by.to(dev)
            loss = loss_func(cnn(bx), by)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += len(by)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    cnn.eval()
    correct = 0
    with torch.no_grad():
        for bx, by in DataLoader(te, batch_size=1000):
            correct += (cnn(bx.to(dev)).argmax(1).cpu() == by).sum().item()
    return {"seconds": secs, "images": seen, "ips": seen / secs, "test_accuracy": correct / len(te)}


def run_engine(preset: str, data: Dataset, overrides: dict | None = None, device: str = "auto",
               seed: int = 0) -> dict:
    p = presets.get(preset)
    cfg = TrainConfig(**{**p.train, **(overrides or {}), "device": device, "seed": seed, "eval_every_epoch": False})
    r = fit(p.spec(), cfg, data)
    return {"seconds": r.train_seconds, "images": r.images_seen, "ips": r.images_per_second,
            "test_accuracy": r.test_accuracy}


def bench(data: Dataset, data_dir: Path, quick: bool = False, device: str = "auto", seeds: int = 3,
          cache: Path = Path(".cache/torchvision"), log=print) -> dict:
    """Run (a)-(d) and return rows plus ratios. ``quick``: a few batches each, for tests."""
    mb = 3 if quick else None
    seeds = 1 if quick else seeds
    rows = {}
    log("(a) seeds' pipeline: torchvision + ToTensor + DataLoader, seed001, batch 200, Adam 1e-3, 2 epochs")
    root = torchvision_root(data_dir, cache)
    rows["a"] = run_seed_pipeline(root, max_batches=mb, device=device)
    log(f"    {rows['a']}")
    log("(b) mnist_core engine, same architecture and settings")
    rows["b"] = run_engine("seed001", data, {"max_batches": mb}, device)
    log(f"    {rows['b']}")
    for key, name in (("c", "fast"), ("d", "best")):
        runs = []
        for s in range(seeds):
            runs.append(run_engine(name, data, {"max_batches": mb}, device, seed=s))
            log(f"({key}) preset {name}, seed {s}: {runs[-1]}")
        med = statistics.median(r["test_accuracy"] for r in runs)
        rows[key] = {"seconds": statistics.median(r["seconds"] for r in runs),
                     "images": runs[0]["images"], "ips": statistics.median(r["ips"] for r in runs),
                     "test_accuracy": med, "accuracies": [r["test_accuracy"] for r in runs]}
    ratios = {"b_over_a_ips": rows["b"]["ips"] / rows["a"]["ips"],
              "c_over_a_time": rows["c"]["seconds"] / rows["a"]["seconds"],
              "d_over_a_time": rows["d"]["seconds"] / rows["a"]["seconds"]}
    return {"rows": rows, "ratios": ratios, "device": describe_device(pick_device(device)),
            "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
            "quick": quick, "date": time.strftime("%Y-%m-%d")}


def markdown(res: dict) -> str:
    names = {"a": "(a) seeds' pipeline (seed001)", "b": "(b) mnist_core, seed001", "c": "(c) preset fast",
             "d": "(d) preset best"}
    out = ["| run | train s | images/s | test accuracy |", "|---|---:|---:|---:|"]
    for k, r in res["rows"].items():
        acc = f"{r['test_accuracy']:.4f}"
        if "accuracies" in r:
            acc += " (median of " + ", ".join(f"{a:.4f}" for a in r["accuracies"]) + ")"
        out.append(f"| {names[k]} | {r['seconds']:.2f} | {r['ips']:,.0f} | {acc} |")
    q = res["ratios"]
    out += ["", f"- (b)/(a) images/s: **{q['b_over_a_ips']:.2f}x**",
            f"- (c)/(a) training time: **{q['c_over_a_time']:.3f}x**",
            f"- (d)/(a) training time: **{q['d_over_a_time']:.3f}x**"]
    return "\n".join(out)
