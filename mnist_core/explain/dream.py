"""What the network wants to see, and how it is fooled.

``class_dreams``: for each class, an input optimised to raise that class's score the most (gradient
ascent from the class's mean digit or from noise), kept stroke-like by jitter (a random shift each
step), a light blur, total variation and an L2 pull towards black paper.
``filter_dreams``: the same for each filter of a conv layer (its mean activation over the map).
``fooling_images``: plain gradient ascent on a class's calibrated probability from noise, with no
regulariser, until the model is >= 99% sure (Nguyen, Yosinski & Clune, CVPR 2015: "Deep neural
networks are easily fooled"). ``verdicts`` says what a model, with the app's "not sure" rule, makes
of them. Everything runs batched (all classes or all filters at once) and is deterministic for a
seed: noise and jitter come from one ``torch.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_core import MnistLabError
from mnist_core.calibration import Verdict, verdict
from mnist_core.data import MEAN, STD
from mnist_core.i18n import _
from mnist_core.inference import probabilities, temperature
from mnist_core.spec import ArchSpec

STARTS = ("mean", "noise")


class DreamError(MnistLabError):
    """A class, layer or setting the dreams cannot be made for."""


@dataclass
class Dream:
    target: int           # the class or the filter
    image: np.ndarray     # (28, 28) pixels in [0, 1], white ink on black
    start: np.ndarray     # (28, 28) where the ascent began (the class's mean digit, or noise)
    start_score: float    # the objective at the start ...
    score: float          # ... and at the end
    prob: float | None = None  # classes: the model's calibrated probability of the class at the end


def _net_input(p: torch.Tensor) -> torch.Tensor:
    return (p - MEAN) / STD


def _scores(spec: ArchSpec, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class scores: logits, or the log of the probabilities for specs that end in Softmax."""
    out = model(x)
    return torch.log(out.clamp_min(1e-12)) if spec.ends_with_softmax() else out


def _tv(p: torch.Tensor) -> torch.Tensor:
    return (p[..., 1:, :] - p[..., :-1, :]).abs().mean() + (p[..., :, 1:] - p[..., :, :-1]).abs().mean()


_BLUR = torch.tensor([[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]]).div(16).view(1, 1, 3, 3)


def _ascend(objective, p0: torch.Tensor, gen: torch.Generator, steps: int, lr: float, jitter: int,
            tv: float, l2: float, blur_every: int) -> torch.Tensor:
    """Adam on pixels p (B, 1, 28, 28) in [0, 1] to raise ``objective(x) -> (B,)``, regularised."""
    p = p0.clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=lr)
    for step in range(steps):
        dy, dx = (torch.randint(-jitter, jitter + 1, (2,), generator=gen).tolist() if jitter else (0, 0))
        shifted = torch.roll(p, (dy, dx), (2, 3))
        loss = -objective(_net_input(shifted)).sum() + len(p) * (tv * _tv(p) + l2 * p.pow(2).mean())
        opt.zero_grad(set_to_none=True)
        p.grad, = torch.autograd.grad(loss, p)
        opt.step()
        with torch.no_grad():
            if blur_every and (step + 1) % blur_every == 0 and step + 1 < steps:
                p.copy_(F.conv2d(p, _BLUR, padding=1))
            p.clamp_(0, 1)
    return p.detach()


def _check(steps: int, seed: int, start: str):
    if start not in STARTS:
        raise DreamError(_("unknown start {start}: choose mean or noise").format(start=repr(start)))
    if not isinstance(steps, int) or not 1 <= steps <= 2000:
        raise DreamError(_("steps must be a whole number from 1 to 2000, not {steps}").format(steps=steps))
    if not isinstance(seed, int) or seed < 0:
        raise DreamError(_("the seed must be a whole number from 0, not {seed}").format(seed=seed))


def class_means(images: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> np.ndarray:
    """The mean digit of each class, (num_classes, 28, 28) in [0, 1] (zeros for an absent class)."""
    out = np.zeros((num_classes, *images.shape[1:]), dtype=np.float32)
    for c in range(num_classes):
        sel = images[labels == c]
        if len(sel):
            out[c] = sel.float().mean(0).div(255).numpy()
    return out


def class_dreams(spec: ArchSpec, model: nn.Module, means: np.ndarray | None = None, classes=None,
                 start: str = "mean", steps: int = 64, seed: int = 0, lr: float = 0.05, jitter: int = 1,
                 tv: float = 0.3, l2: float = 0.3, blur_every: int = 8) -> list[Dream]:
    """For each class, the input the model scores highest for it, beside where it began."""
    _check(steps, seed, start)
    n = spec.num_classes
    classes = list(range(n)) if classes is None else [int(c) for c in classes]
    bad = [c for c in classes if not 0 <= c < n]
    if bad:
        raise DreamError(_("class {target} does not exist: choose 0-{last}").format(target=bad[0], last=n - 1))
    if not classes:
        return []
    if start == "mean" and (means is None or len(means) < n):
        raise DreamError(_("starting from the mean digit needs the mean digit of every class"))
    gen = torch.Generator().manual_seed(seed)
    if start == "mean":
        p0 = torch.as_tensor(np.asarray(means, dtype=np.float32)[classes]).unsqueeze(1)
    else:
        p0 = torch.rand((len(classes), 1, 28, 28), generator=gen) * 0.2
    idx = torch.tensor(classes)
    model.eval()

    def objective(x):
        return _scores(spec, model, x)[torch.arange(len(idx)), idx]

    with torch.enable_grad():
        p = _ascend(objective, p0, gen, steps, lr, jitter, tv, l2, blur_every)
    with torch.no_grad():
        s0, s1 = objective(_net_input(p0)), objective(_net_input(p))
        probs = probabilities(spec, model(_net_input(p)), temperature(model))
    return [Dream(c, p[i, 0].numpy(), p0[i, 0].numpy(), float(s0[i]), float(s1[i]), float(probs[i, c]))
            for i, c in enumerate(classes)]


def conv_layers(spec: ArchSpec, model: nn.Module) -> list[int]:
    """The 1-based numbers of the conv layers, in order."""
    return [i + 1 for i, m in enumerate(model) if isinstance(m, nn.Conv2d)]


def filter_dreams(spec: ArchSpec, model: nn.Module, layer: int | None = None, start: str = "noise",
                  steps: int = 48, seed: int = 0, lr: float = 0.05, jitter: int = 1, tv: float = 0.01,
                  l2: float = 0.01, blur_every: int = 8, limit: int = 64) -> list[Dream]:
    """For each filter of conv layer ``layer`` (1-based; default: the first), the input that
    excites it most on average over its feature map, from faint noise (``start`` must be "noise")."""
    _check(steps, seed, start)
    convs = conv_layers(spec, model)
    if not convs:
        raise DreamError(_("this network has no convolution layers"))
    layer = convs[0] if layer is None else layer
    if not isinstance(layer, int) or not 1 <= layer <= len(spec.layers):
        raise DreamError(_("layer {layer} does not exist: choose 1-{last}").format(layer=layer, last=len(spec.layers)))
    if layer not in convs:
        raise DreamError(_("layer {layer} is {kind}, not a convolution: choose one of {convs}").format(
            layer=layer, kind=spec.layers[layer - 1].kind, convs=", ".join(map(str, convs))))
    if start != "noise":
        raise DreamError(_("a filter has no mean digit: start from noise"))
    k = min(model[layer - 1].out_channels, limit)
    gen = torch.Generator().manual_seed(seed)
    p0 = torch.rand((k, 1, 28, 28), generator=gen) * 0.2
    body = model[:layer]
    model.eval()

    def objective(x):
        return body(x)[torch.arange(k), torch.arange(k)].mean((1, 2))

    with torch.enable_grad():
        p = _ascend(objective, p0, gen, steps, lr, jitter, tv, l2, blur_every)
    with torch.no_grad():
        s0, s1 = objective(_net_input(p0)), objective(_net_input(p))
    return [Dream(c, p[c, 0].numpy(), p0[c, 0].numpy(), float(s0[c]), float(s1[c])) for c in range(k)]


@dataclass
class Fooling:
    target: int
    image: np.ndarray  # (28, 28) in [0, 1]
    prob: float        # the fooled model's calibrated probability of the target
    steps: int         # steps it took


def fooling_images(spec: ArchSpec, model: nn.Module, classes=None, seed: int = 0, steps: int = 200,
                   confidence: float = 0.99, lr: float = 0.1) -> list[Fooling]:
    """From noise, for each class, an image the model calls that class with ``confidence``
    (its calibrated probability), by gradient ascent on the log-probability; each image stops
    changing as soon as it gets there (or after ``steps``)."""
    _check(steps, seed, "noise")
    n = spec.num_classes
    classes = list(range(n)) if classes is None else [int(c) for c in classes]
    bad = [c for c in classes if not 0 <= c < n]
    if bad:
        raise DreamError(_("class {target} does not exist: choose 0-{last}").format(target=bad[0], last=n - 1))
    if not 0 < confidence < 1:
        raise DreamError(_("the confidence must lie between 0 and 1, not {c}").format(c=confidence))
    if not classes:
        return []
    gen = torch.Generator().manual_seed(seed)
    # pixels = sigmoid(z): never stuck on black or white, where a clamp would hold an image the gradient
    # pushes further. Faint noise (mean 0.13): from loud noise the demo's dense ReLUs are all dead and the
    # gradient is exactly zero (it learned to shrug at noise), so nothing would move.
    z = (torch.randn((len(classes), 1, 28, 28), generator=gen) * 0.5 - 2).requires_grad_(True)
    idx, rows = torch.tensor(classes), torch.arange(len(classes))
    temp = temperature(model)
    taken = torch.full((len(classes),), steps)
    opt = torch.optim.Adam([z], lr=lr)
    model.eval()
    with torch.enable_grad():
        for step in range(steps):
            out = model(_net_input(torch.sigmoid(z)))
            logp = torch.log(out.clamp_min(1e-12)) if spec.ends_with_softmax() else F.log_softmax(out / temp, 1)
            done = logp[rows, idx].detach().exp() >= confidence
            taken = torch.where(done & (taken == steps), torch.tensor(step), taken)
            if bool(done.all()):
                break
            opt.zero_grad(set_to_none=True)
            g, = torch.autograd.grad(-logp[rows, idx].sum(), z)
            z.grad = g * (~done).float().view(-1, 1, 1, 1)  # finished images stay as they are
            opt.step()
    p = torch.sigmoid(z.detach())
    with torch.no_grad():
        probs = probabilities(spec, model(_net_input(p)), temp)
    return [Fooling(c, p[i, 0].numpy(), float(probs[i, c]), int(taken[i])) for i, c in enumerate(classes)]


def verdicts(spec: ArchSpec, model: nn.Module, images) -> list[Verdict]:
    """What ``model`` says of pixel images (N, 28, 28) in [0, 1], with the app's "not sure" rule."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
    model.eval()
    with torch.no_grad():
        probs = probabilities(spec, model(_net_input(x)), temperature(model)).float().numpy()
    return [verdict(p) for p in probs]
