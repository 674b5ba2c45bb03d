"""What if: the same model with one kernel changed, in a copy (a hand-made kernel a class knows
by name, one typed as a grid, or a single edited weight), leaving the original untouched.

The kernels' names are keys (they go into a saved run's notes): marked ``N_`` and translated
where they are shown. Errors are translated when raised, in the page's script run."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from mnist_core.explain.trace import TraceError
from mnist_core.i18n import N_, _

# Hand-made 3x3 kernels a class knows by name; resized (zero-padded) to the layer's kernel size.
HAND_KERNELS = {
    N_("Sobel x (vertical edges)"): np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    N_("Sobel y (horizontal edges)"): np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),
    N_("Blur"): np.full((3, 3), 1 / 9, dtype=np.float32),
    N_("Identity"): np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
}


def fit_kernel(kernel: np.ndarray, size: int) -> np.ndarray:
    """A k x k kernel made to ``size`` x ``size``: centred and zero-padded, or centre-cropped."""
    k = np.asarray(kernel, dtype=np.float32)
    if k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise TraceError(_("a kernel must be a square grid of numbers, not {shape}").format(shape=k.shape))
    if not np.isfinite(k).all():
        raise TraceError(_("a kernel's weights must be finite numbers"))
    n = k.shape[0]
    if n == size:
        return k
    if n > size:
        o = (n - size) // 2
        return k[o:o + size, o:o + size]
    out = np.zeros((size, size), dtype=np.float32)
    o = (size - n) // 2
    out[o:o + n, o:o + n] = k
    return out


def parse_kernel(text: str) -> np.ndarray:
    """A grid typed by a user ("1 0 -1; 2 0 -2; 1 0 -1", or one row per line) -> (k, k)."""
    rows = [r for r in text.replace(";", "\n").splitlines() if r.strip()]
    try:
        grid = [[float(v) for v in r.replace(",", " ").split()] for r in rows]
    except ValueError:
        raise TraceError(_("a kernel is rows of numbers, e.g. '1 0 -1; 2 0 -2; 1 0 -1'")) from None
    if not grid or any(len(r) != len(grid) for r in grid):
        raise TraceError(_("a kernel must be square: {n} rows of {n} numbers each").format(n=len(grid)))
    if len(grid) > 11:
        raise TraceError(_("a kernel may be at most 11 x 11"))
    return np.array(grid, dtype=np.float32)


def with_kernel(model: nn.Module, layer: int, out_channel: int, kernel: np.ndarray,
                in_channel: int | None = None) -> nn.Module:
    """A copy of ``model`` whose conv ``layer`` (1-based) has filter ``out_channel`` replaced by
    ``kernel`` (k x k, fitted to the layer's size) on ``in_channel``, or on every input channel."""
    if not 1 <= layer <= len(model) or not isinstance(model[layer - 1], nn.Conv2d):
        raise TraceError(_("layer {layer} is not a convolution").format(layer=layer))
    conv = model[layer - 1]
    if not 0 <= out_channel < conv.out_channels:
        raise TraceError(_("filter {filter} does not exist: layer {layer} has {n}").format(
            filter=out_channel, layer=layer, n=conv.out_channels))
    if in_channel is not None and not 0 <= in_channel < conv.in_channels:
        raise TraceError(_("input channel {channel} does not exist: layer {layer} has {n}").format(
            channel=in_channel, layer=layer, n=conv.in_channels))
    new = copy.deepcopy(model)
    k = torch.from_numpy(fit_kernel(kernel, conv.kernel_size[0]))
    with torch.no_grad():
        w = new[layer - 1].weight
        if in_channel is None:
            w[out_channel] = k.to(w.dtype)
        else:
            w[out_channel, in_channel] = k.to(w.dtype)
    return new.eval()


def with_weight(model: nn.Module, layer: int, out_channel: int, in_channel: int, row: int, col: int,
                value: float) -> nn.Module:
    """A copy of ``model`` with one kernel weight set to ``value``."""
    conv = model[layer - 1] if 1 <= layer <= len(model) else None
    if not isinstance(conv, nn.Conv2d):
        raise TraceError(_("layer {layer} is not a convolution").format(layer=layer))
    k = conv.weight[out_channel, in_channel].detach().numpy().copy()
    if not (0 <= row < k.shape[0] and 0 <= col < k.shape[1]):
        raise TraceError(_("weight ({row}, {col}) is outside the {size} kernel").format(
            row=row, col=col, size=f"{k.shape[0]}x{k.shape[1]}"))
    if not np.isfinite(value) or abs(value) > 100:
        raise TraceError(_("a weight must be a finite number between -100 and 100"))
    k[row, col] = value
    return with_kernel(model, layer, out_channel, k, in_channel)
