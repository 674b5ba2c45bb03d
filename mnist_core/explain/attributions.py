"""Which pixels made the network decide? Attribution maps from Captum, with a sanity check.

Four methods, side by side for one input and one target class (Captum does the maths):
- **saliency**: |d score / d pixel|, the plain gradient;
- **integrated gradients**: the gradient summed along a path from a baseline (a black
  image, or the input blurred) to the input; its maps add up to score(input) - score(baseline);
- **Grad-CAM**: a conv layer's feature maps weighted by their mean gradient, upsampled to
  28x28: coarse (the layer's own resolution), but class-specific;
- **occlusion**: the score's drop when a small black square hides each part of the digit.

The sanity check (Adebayo et al., 2018, "Sanity checks for saliency maps"): randomise the
weights layer by layer from the top down and compute the map again. A map that barely
changes when the model it explains is destroyed is showing the input's edges, not the model.

The methods' and baselines' names are keys, marked ``N_`` and translated where they are shown;
notes, labels and errors are in the session's language (computed in the page's script run).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_core import MnistLabError
from mnist_core.data import MEAN, STD
from mnist_core.i18n import N_, _
from mnist_core.spec import ArchSpec

METHODS = (N_("saliency"), N_("integrated gradients"), N_("grad-cam"), N_("occlusion"))
BASELINES = (N_("black"), N_("blurred"))
BLACK = -MEAN / STD  # a black pixel, normalised


class AttributionError(MnistLabError):
    """A method or layer this model cannot be explained with."""


class Scores(nn.Module):
    """The model's class scores: its logits, or the log of its probabilities when it ends in Softmax
    (a gradient through a saturated softmax is almost zero)."""

    def __init__(self, model: nn.Module, softmax_out: bool):
        super().__init__()
        self.model, self.softmax_out = model, softmax_out

    def forward(self, x):
        out = self.model(x)
        return torch.log(out.clamp_min(1e-12)) if self.softmax_out else out


def conv_layers(spec: ArchSpec) -> list[int]:
    """1-based numbers of the conv layers (where Grad-CAM can look)."""
    return [i for i, lay in enumerate(spec.layers, start=1) if lay.kind == "Conv2d"]


BLOCK = {"BatchNorm2d", "MaxPool2d", "AvgPool2d", "Dropout", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU"}


def block_end(spec: ArchSpec, layer: int) -> int:
    """The last layer (1-based) of conv ``layer``'s block: the batch norm, pooling and activation that follow
    it, up to the next conv, flatten or linear layer. Grad-CAM looks at the block's output: a conv's raw
    output feeds a batch norm that may flip or shift it, so its positive part can be empty for a digit
    (a blank map); what the block passes on is what the next layers read."""
    end = layer
    while end < len(spec.layers) and spec.layers[end].kind in BLOCK:
        end += 1
    return end


def blurred(x: torch.Tensor, sigma: float = 3.0) -> torch.Tensor:
    """The input blurred by a Gaussian: a baseline that keeps the mean brightness but no strokes."""
    r = int(3 * sigma)
    g = torch.exp(-(torch.arange(-r, r + 1, dtype=torch.float32) ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    k = (g[:, None] * g[None, :]).view(1, 1, 2 * r + 1, 2 * r + 1)
    return F.conv2d(F.pad(x - BLACK, (r, r, r, r)), k) + BLACK


@dataclass
class Attribution:
    method: str
    target: int
    map: np.ndarray        # (28, 28): positive pushes towards the target
    seconds: float
    note: str = ""


def attribute(spec: ArchSpec, model: nn.Module, x: torch.Tensor, method: str, target: int | None = None,
              baseline: str = "black", layer: int | None = None) -> Attribution:
    """One attribution map for input ``x`` (1, 1, 28, 28) and class ``target`` (default: predicted)."""
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency

    if method not in METHODS:
        raise AttributionError(_("unknown method {method}: choose one of {methods}").format(
            method=repr(method), methods=", ".join(METHODS)))
    if baseline not in BASELINES:
        raise AttributionError(_("unknown baseline {baseline}: choose black or blurred").format(
            baseline=repr(baseline)))
    model.eval()
    f = Scores(model, spec.ends_with_softmax()).eval()
    x = x.detach().clone().float()
    if target is None:  # the predicted class
        with torch.no_grad():
            target = int(f(x).argmax(1))
    target = int(target)
    if not 0 <= target < spec.num_classes:
        raise AttributionError(_("class {target} does not exist: choose 0-{last}").format(
            target=target, last=spec.num_classes - 1))
    t0 = time.perf_counter()
    note = ""
    base = torch.full_like(x, BLACK) if baseline == "black" else blurred(x)
    if method == "saliency":
        a = Saliency(f).attribute(x.requires_grad_(), target=target, abs=True)
    elif method == "integrated gradients":
        a = IntegratedGradients(f).attribute(x, baselines=base, target=target, n_steps=32,
                                             internal_batch_size=32)
        note = _("baseline: a black image") if baseline == "black" else _("baseline: the input blurred")
    elif method == "grad-cam":
        convs = conv_layers(spec)
        if not convs:
            raise AttributionError(_("Grad-CAM needs a conv layer, and this network has none"))
        layer = convs[-1] if layer is None else layer
        if layer not in convs:
            raise AttributionError(_("layer {layer} is not a conv layer: choose one of {convs}").format(
                layer=layer, convs=convs))
        cam = LayerGradCam(f, model[block_end(spec, layer) - 1]).attribute(x, target=target, relu_attributions=True)
        h = cam.shape[-1]
        a = LayerAttribution.interpolate(cam, (28, 28), interpolate_mode="bilinear")
        note = _("layer {layer} sees the digit as a {grid} grid, so each of its cells covers about {cell} pixels: "
                 "a coarse map, upsampled").format(layer=layer, grid=f"{h}x{cam.shape[-2]}",
                                                  cell=f"{28 / h:.0f}x{28 / h:.0f}")
    else:
        a = Occlusion(f).attribute(x, sliding_window_shapes=(1, 4, 4), strides=(1, 2, 2), baselines=BLACK,
                                   target=target, perturbations_per_eval=64)  # 169 squares in 3 batches
        note = _("a 4x4 black square slid in steps of 2 px")
    return Attribution(method, target, a.detach()[0, 0].float().numpy(), time.perf_counter() - t0, note)


def attribute_all(spec, model, x, target=None, baseline="black", layer=None) -> list[Attribution]:
    return [attribute(spec, model, x, m, target, baseline, layer) for m in METHODS]


# --- the sanity check --------------------------------------------------------------

def randomised(model: nn.Module, down_to: int, seed: int = 0) -> nn.Module:
    """A copy with every layer from the top down to layer ``down_to`` (1-based) re-initialised."""
    new = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for i in range(len(new), down_to - 1, -1):
            for name, p in new[i - 1].named_parameters():
                if name == "weight" and p.dim() > 1:
                    bound = 1 / np.sqrt(p[0].numel())
                    p.copy_(torch.rand(p.shape, generator=g) * 2 * bound - bound)
                elif name == "weight":
                    p.fill_(1.0)
                else:
                    p.zero_()
            if isinstance(new[i - 1], (nn.BatchNorm2d, nn.BatchNorm1d)):
                new[i - 1].reset_running_stats()
    return new.eval()


def rank_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps' absolute values (1: the same ranking of pixels)."""
    from scipy.stats import spearmanr
    a, b = np.abs(np.asarray(a)).ravel(), np.abs(np.asarray(b)).ravel()
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(spearmanr(a, b)[0])


@dataclass
class SanityStep:
    label: str            # "trained", "layers 11-11 random", ...
    map: np.ndarray
    similarity: float     # rank similarity to the trained model's map


def cascading_randomisation(spec: ArchSpec, model: nn.Module, x: torch.Tensor, method: str,
                            target: int | None = None, baseline: str = "black", seed: int = 0) -> list[SanityStep]:
    """The map for the trained model, then with layers randomised from the top down, one more
    learnable layer each step. The target stays the trained model's (predicted) class."""
    first = attribute(spec, model, x, method, target, baseline)
    steps = [SanityStep(_("trained model"), first.map, 1.0)]
    learnable = [i for i in range(len(model), 0, -1) if any(True for _ in model[i - 1].parameters())]
    for i in learnable:
        m = randomised(model, i, seed)
        a = attribute(spec, m, x, method, first.target, baseline)
        steps.append(SanityStep(_("layers {first}-{last} random").format(first=i, last=len(model)), a.map,
                                rank_similarity(first.map, a.map)))
    return steps
