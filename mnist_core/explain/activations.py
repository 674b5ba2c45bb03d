"""Looking inside a model for one input: every conv layer's kernels, every layer's output
(feature maps or activations) and a gradient x input saliency map."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mnist_core.spec import ArchSpec


@dataclass
class LayerOutput:
    index: int          # 1-based layer number
    label: str
    kind: str
    shape: tuple
    values: np.ndarray  # (C, H, W) for maps, (F,) for vectors


def kernels(spec: ArchSpec, model: nn.Module) -> list[tuple[int, str, np.ndarray]]:
    """(layer number, label, weights (C_out, C_in, k, k)) for every conv layer."""
    out = []
    for i, (layer, mod) in enumerate(zip(spec.layers, model)):
        if isinstance(mod, nn.Conv2d):
            out.append((i + 1, layer.label(), mod.weight.detach().float().cpu().numpy()))
    return out


@torch.inference_mode()
def layer_outputs(spec: ArchSpec, model: nn.Module, x: torch.Tensor) -> list[LayerOutput]:
    """The output of every layer for one input (1, 1, 28, 28), in order."""
    model.eval()
    outs = []
    h = x
    for i, (layer, mod) in enumerate(zip(spec.layers, model)):
        h = mod(h)
        outs.append(LayerOutput(i + 1, layer.label(), layer.kind, tuple(h.shape[1:]), h[0].float().cpu().numpy()))
    return outs


def saliency(spec: ArchSpec, model: nn.Module, x: torch.Tensor, target: int | None = None) -> tuple[np.ndarray, int]:
    """Gradient x input of the target class score (default: the predicted class), (28, 28)."""
    model.eval()
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = model(x)
        score = torch.log(out.clamp_min(1e-12)) if spec.ends_with_softmax() else out
        if target is None:
            target = int(out.argmax(1))
        score[0, target].backward()
    sal = (x.grad * x).detach()[0, 0].numpy()
    return sal, target
