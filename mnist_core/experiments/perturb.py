"""Perturbation lab: break one digit on purpose and watch the answer.

``perturb(image, kind, strength)`` distorts a uint8 28x28 digit (a test digit or a
drawing) in one of the ways a class can name: shift, rotate, scale, stroke thickness,
erase a region, Gaussian noise; strength 0 is always the digit itself. ``adversarial``
takes a gradient step (FGSM) or several (PGD) with Captum's ``robust`` module, the
smallest change aimed at the network's weak spot. ``robustness_curve`` measures test
accuracy on a fixed subset against the strength of one perturbation; ``erase_until_flip``
removes ink pixels, the most important first, until the answer changes.

The kinds are keys (they travel in shared links); what their strengths mean is marked ``N_``
and translated where it is shown. Errors are translated when raised, in the page's script run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_core import MnistLabError
from mnist_core.data import MEAN, STD
from mnist_core.i18n import N_, _
from mnist_core.inference import evaluate, predict_logits, to_input
from mnist_core.spec import ArchSpec

# kind -> (what the strength means, its range (min, max), a step for sliders)
KINDS = {
    "shift": (N_("pixels to the right and down"), (-8, 8), 1),
    "rotate": (N_("degrees of turn"), (-90, 90), 5),
    "scale": (N_("percent bigger (negative: smaller)"), (-60, 60), 5),
    "thickness": (N_("pixels thicker (negative: thinner)"), (-2, 2), 1),
    "erase": (N_("rows erased, from the top"), (0, 28), 1),
    "noise": (N_("noise level (std, in % of white)"), (0, 100), 5),
    "fgsm": (N_("epsilon (in % of white), one gradient step"), (0, 50), 1),
    "pgd": (N_("epsilon (in % of white), 10 gradient steps"), (0, 50), 1),
}
# the kinds as a reader calls them (the keys stay English in links and files)
KIND_NAMES = {"shift": N_("shift"), "rotate": N_("rotate"), "scale": N_("scale"), "thickness": N_("thickness"),
              "erase": N_("erase"), "noise": N_("noise"), "fgsm": N_("FGSM attack"), "pgd": N_("PGD attack")}


def kind_name(kind: str) -> str:
    """A perturbation's name in the session's language."""
    return _(KIND_NAMES.get(kind, kind))


class PerturbError(MnistLabError):
    pass


def _check(kind: str, strength: float):
    if kind not in KINDS:
        raise PerturbError(_("unknown perturbation {kind}: choose one of {kinds}").format(
            kind=repr(kind), kinds=", ".join(KINDS)))
    lo, hi = KINDS[kind][1]
    if not (isinstance(strength, (int, float)) and np.isfinite(strength) and lo <= strength <= hi):
        raise PerturbError(_("{kind} strength must be between {lo} and {hi} ({unit}), not {strength}").format(
            kind=kind, lo=lo, hi=hi, unit=_(KINDS[kind][0]), strength=strength))


def _affine(x: torch.Tensor, angle: float = 0.0, scale: float = 1.0, tx: float = 0.0, ty: float = 0.0):
    """x (B, 1, 28, 28) in 0..1, turned by ``angle`` degrees, scaled, shifted by (tx, ty) pixels."""
    a = np.radians(angle)
    c, s = np.cos(a) / scale, np.sin(a) / scale
    theta = torch.tensor([[c, s, -tx / 14 * c - ty / 14 * s], [-s, c, tx / 14 * s - ty / 14 * c]],
                         dtype=torch.float32)[None].expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def perturb_batch(images: torch.Tensor, kind: str, strength: float, seed: int = 0) -> torch.Tensor:
    """uint8 (B, 28, 28) -> uint8 (B, 28, 28), perturbed (not the adversarial kinds: those need a model)."""
    _check(kind, strength)
    if kind in ("fgsm", "pgd"):
        raise PerturbError(_("adversarial steps need a model: use adversarial()"))
    if strength == 0:
        return images.clone()
    x = images.float().unsqueeze(1) / 255.0  # (B, 1, 28, 28) in 0..1
    if kind == "shift":
        x = torch.roll(x, (int(strength), int(strength)), (2, 3))
        n = int(abs(strength))
        if strength > 0:  # what rolled round the edge is paper, not ink
            x[..., :n, :] = 0
            x[..., :, :n] = 0
        else:
            x[..., -n:, :] = 0
            x[..., :, -n:] = 0
    elif kind == "rotate":
        x = _affine(x, angle=float(strength))
    elif kind == "scale":
        x = _affine(x, scale=1 + float(strength) / 100)
    elif kind == "thickness":
        k = int(abs(strength)) * 2 + 1
        x = F.max_pool2d(x, k, 1, k // 2) if strength > 0 else -F.max_pool2d(-x, k, 1, k // 2)
    elif kind == "erase":
        x = x.clone()
        x[..., :int(strength), :] = 0
    elif kind == "noise":
        g = torch.Generator().manual_seed(seed)
        x = x + torch.randn(x.shape, generator=g) * (float(strength) / 100)
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)[:, 0]


def perturb(image: np.ndarray, kind: str, strength: float, seed: int = 0) -> np.ndarray:
    """One uint8 (28, 28) digit, perturbed."""
    return perturb_batch(torch.as_tensor(np.asarray(image, dtype=np.uint8))[None], kind, strength, seed)[0].numpy()


def adversarial(spec: ArchSpec, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, kind: str,
                strength: float) -> torch.Tensor:
    """uint8 (B, 28, 28) pushed by FGSM (one step) or PGD (10 steps) by at most ``strength``% of
    white per pixel, away from ``labels``; returns uint8 (the picture a student would see)."""
    from captum.robust import FGSM, PGD

    from mnist_core.explain.attributions import Scores
    _check(kind, strength)
    if strength == 0:
        return images.clone()
    model.eval()
    f = Scores(model, spec.ends_with_softmax()).eval()
    x = to_input(images)  # normalised
    eps = float(strength) / 100 / STD  # in normalised units
    lo, hi = (0 - MEAN) / STD, (1 - MEAN) / STD
    if kind == "fgsm":
        adv = FGSM(f, lower_bound=lo, upper_bound=hi).perturb(x, eps, labels)
    else:
        adv = PGD(f, lower_bound=lo, upper_bound=hi).perturb(x, radius=eps, step_size=eps / 4, step_num=10,
                                                            target=labels)
    return ((adv.detach() * STD + MEAN).clamp(0, 1) * 255).round().to(torch.uint8)[:, 0]


def apply(spec, model, images: torch.Tensor, labels: torch.Tensor, kind: str, strength: float,
          seed: int = 0) -> torch.Tensor:
    """Any perturbation on a batch; the adversarial kinds attack each digit's ``labels``."""
    if kind in ("fgsm", "pgd"):
        return adversarial(spec, model, images, labels, kind, strength)
    return perturb_batch(images, kind, strength, seed)


def loss_of(spec, model, images: torch.Tensor, labels: torch.Tensor) -> float:
    return evaluate(model, images, labels, outputs_probs=spec.ends_with_softmax())["loss"]


def robustness_curve(spec, model, images: torch.Tensor, labels: torch.Tensor, kind: str,
                     strengths: list[float]) -> list[float]:
    """Accuracy on (images, labels) at each strength of one perturbation."""
    accs = []
    for s in strengths:
        x = apply(spec, model, images, labels, kind, s)
        accs.append(float((predict_logits(model, x).argmax(1) == labels).float().mean()))
    return accs


def default_strengths(kind: str, n: int = 7) -> list[float]:
    lo, hi = KINDS[kind][1]
    start = 0 if lo < 0 <= hi else lo
    return [float(v) for v in np.unique(np.round(np.linspace(start, hi, n)))]


@dataclass
class Flip:
    removed: int            # ink pixels erased when the answer changed (or all of them, if it never did)
    flipped: bool
    before: int             # the answer at the start
    after: int              # the answer at the end
    image: np.ndarray       # uint8 (28, 28): the digit with those pixels erased
    mask: np.ndarray        # bool (28, 28): the erased pixels


def erase_until_flip(spec, model, image: np.ndarray, batch: int = 8) -> Flip:
    """Erase ink pixels, the most important for the current answer first (integrated gradients),
    until the network's answer changes: how few pixels hold the decision?"""
    from mnist_core.explain.attributions import attribute
    img = np.asarray(image, dtype=np.uint8).copy()
    x = to_input(torch.from_numpy(img)[None])
    before = int(predict_logits(model, torch.from_numpy(img)[None]).argmax(1))
    a = attribute(spec, model, x, "integrated gradients", before).map
    ink = np.flatnonzero(img.ravel() > 30)
    order = ink[np.argsort(-a.ravel()[ink])]  # the most supportive ink first
    mask = np.zeros(784, dtype=bool)
    for i in range(0, len(order), batch):
        mask[order[i:i + batch]] = True
        cur = img.ravel().copy()
        cur[mask] = 0
        now = int(predict_logits(model, torch.from_numpy(cur.reshape(1, 28, 28))).argmax(1))
        if now != before:
            return Flip(int(mask.sum()), True, before, now, cur.reshape(28, 28), mask.reshape(28, 28))
    cur = img.ravel().copy()
    cur[mask] = 0
    return Flip(int(mask.sum()), False, before, before, cur.reshape(28, 28), mask.reshape(28, 28))
