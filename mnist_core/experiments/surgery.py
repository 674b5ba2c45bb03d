"""CNN surgery: switch filters off (or replace a kernel) and measure what the network loses.

``ablate`` zeroes chosen filters of a conv layer in a copy of the model (their output
channel becomes 0 everywhere); ``per_class_accuracy`` on a fixed test subset compares the
patient with the healthy model class by class; ``ablation_sweep`` switches each filter
off alone and ranks them by the accuracy the network loses, to suggest where to cut.
Replacing a kernel by a hand-made one is ``trace.with_kernel``; saving the result is
``RunStore.save_edited``.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from mnist_core import MnistLabError
from mnist_core.explain.embeddings import sample_indices
from mnist_core.i18n import _
from mnist_core.inference import predict_logits


class SurgeryError(MnistLabError):
    pass


def fixed_subset(labels: torch.Tensor, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """The same test digits for every model and every experiment (sorted indices)."""
    return torch.from_numpy(sample_indices(len(labels), n, seed))


def ablate(model: nn.Module, layer: int, filters: list[int]) -> nn.Module:
    """A copy of ``model`` with filters ``filters`` of conv ``layer`` (1-based) set to zero."""
    if not 1 <= layer <= len(model) or not isinstance(model[layer - 1], nn.Conv2d):
        raise SurgeryError(_("layer {layer} is not a convolution").format(layer=layer))
    conv = model[layer - 1]
    bad = [f for f in filters if not 0 <= int(f) < conv.out_channels]
    if bad:
        raise SurgeryError(_("filter {filter} does not exist: layer {layer} has filters 0-{last}").format(
            filter=bad[0], layer=layer, last=conv.out_channels - 1))
    new = copy.deepcopy(model)
    with torch.no_grad():
        idx = torch.tensor([int(f) for f in filters], dtype=torch.long)
        new[layer - 1].weight[idx] = 0
        if new[layer - 1].bias is not None:
            new[layer - 1].bias[idx] = 0
    return new.eval()


def per_class_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                       num_classes: int = 10) -> tuple[float, np.ndarray]:
    """(overall accuracy, (num_classes,) accuracy per class) on uint8 images."""
    pred = predict_logits(model, images).argmax(1)
    right = (pred == labels).numpy()
    y = labels.numpy()
    per = np.array([right[y == c].mean() if (y == c).any() else np.nan for c in range(num_classes)])
    return float(right.mean()), per


def ablation_sweep(model: nn.Module, layer: int, images: torch.Tensor, labels: torch.Tensor) -> list[tuple[int, float]]:
    """(filter, accuracy lost when it alone is off), the most harmful first."""
    base, _ = per_class_accuracy(model, images, labels)
    n = model[layer - 1].out_channels if isinstance(model[layer - 1], nn.Conv2d) else 0
    if not n:
        raise SurgeryError(_("layer {layer} is not a convolution").format(layer=layer))
    drops = [(f, base - per_class_accuracy(ablate(model, layer, [f]), images, labels)[0]) for f in range(n)]
    return sorted(drops, key=lambda d: -d[1])
