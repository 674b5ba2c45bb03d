"""Trace one value: the arithmetic behind a single cell of any layer, for one input.

CNN Explainer shows the patch x kernel sum for one fixed network; this does it for any
spec in the app. ``trace(spec, model, x, layer, channel, y, x)`` returns the numbers a
student needs (the input patch, the kernel, their products, the sum, the bias, the
pre-activation; a pooling window and its winner; a normalisation's mean and scale; a
dense unit's biggest contributions) and the value that arithmetic arrives at, beside
the value the model really computed (a test holds them equal to 1e-4 for every layer
kind in the presets). ``receptive_box`` outlines the input pixels a cell can see.

The steps' words and the errors are in the session's language: a trace is computed in the
page's script run (the CLI's and a job's thread read English).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_core import MnistLabError
from mnist_core.i18n import _
from mnist_core.spec import ArchSpec


class TraceError(MnistLabError):
    """A cell that does not exist (layer, channel or position out of range)."""


@dataclass
class Trace:
    layer: int                      # 1-based layer number
    kind: str                       # the layer's kind
    label: str
    cell: tuple                     # (channel, y, x) for maps, (unit,) for vectors
    value: float                    # what the shown arithmetic arrives at
    actual: float                   # what the model computed for that cell
    steps: list[tuple[str, float]] = field(default_factory=list)  # the arithmetic, in words and numbers
    patch: np.ndarray | None = None      # conv: (C_in, k, k) input patch; pool: (k, k) window
    kernel: np.ndarray | None = None     # conv: (C_in, k, k) weights
    products: np.ndarray | None = None   # conv: patch * kernel
    channel_sums: np.ndarray | None = None  # conv: (C_in,) sum of the products of each input channel
    winner: tuple | None = None          # max pool: (row, col) in the window
    contributions: list[tuple[int, float, float, float]] = field(default_factory=list)  # linear: top (i, x, w, x*w)
    box: tuple[int, int, int, int] | None = None  # receptive field on the input: y0, y1, x0, x1 (inclusive)


def _inputs_outputs(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """[input, output of layer 1, output of layer 2, ...] for one input (1, 1, 28, 28)."""
    model.eval()
    hs = [x]
    with torch.no_grad():
        h = x
        for mod in model:
            h = mod(h)
            hs.append(h)
    return hs


def receptive_box(spec: ArchSpec, layer: int, y: int, x: int) -> tuple[int, int, int, int]:
    """The input pixels (y0, y1, x0, x1, inclusive, clipped to the image) that can reach cell
    (y, x) of ``layer``'s output, walking the strides, kernels and paddings back to the input."""
    y0 = y1 = y
    x0 = x1 = x
    for lay in reversed(spec.layers[:layer]):
        k = getattr(lay, "kernel_size", None)
        if k is None or lay.kind not in ("Conv2d", "MaxPool2d", "AvgPool2d"):
            continue
        s = getattr(lay, "_stride", None) or getattr(lay, "stride", 1) or k
        p = lay.padding
        y0, y1 = y0 * s - p, y1 * s - p + k - 1
        x0, x1 = x0 * s - p, x1 * s - p + k - 1
    h, w = spec.input_shape[1], spec.input_shape[2]
    return max(y0, 0), min(y1, h - 1), max(x0, 0), min(x1, w - 1)


def _check(out: torch.Tensor, cell: tuple):
    shape = tuple(out.shape[1:])
    if len(cell) != len(shape) or any(not 0 <= int(c) < n for c, n in zip(cell, shape)):
        raise TraceError(_("cell {cell} is outside this layer's output of shape {shape}").format(
            cell=tuple(int(c) for c in cell), shape="x".join(map(str, shape))))


def trace(spec: ArchSpec, model: nn.Module, x: torch.Tensor, layer: int, cell: tuple) -> Trace:
    """The arithmetic of one cell of ``layer`` (1-based): ``cell`` is (channel, y, x) or (unit,)."""
    if not 1 <= layer <= len(spec.layers):
        raise TraceError(_("layer {layer} does not exist: this network has layers 1-{last}").format(
            layer=layer, last=len(spec.layers)))
    hs = _inputs_outputs(model, x)
    inp, out = hs[layer - 1][0], hs[layer][0]  # drop the batch axis
    cell = tuple(int(c) for c in cell)
    _check(hs[layer], cell)
    mod, lay = model[layer - 1], spec.layers[layer - 1]
    actual = float(out[cell])
    t = Trace(layer, lay.kind, lay.label(), cell, float("nan"), actual)
    if len(cell) == 3:
        t.box = receptive_box(spec, layer, cell[1], cell[2])
    v = inp[cell] if inp.shape == out.shape else None  # elementwise layers: the same cell before
    if isinstance(mod, nn.Conv2d):
        _conv(t, mod, inp, cell)
    elif isinstance(mod, (nn.MaxPool2d, nn.AvgPool2d)):
        _pool(t, mod, inp, cell)
    elif isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
        c = cell[0]
        mean, var = float(mod.running_mean[c]), float(mod.running_var[c])
        g = float(mod.weight[c].detach()) if mod.weight is not None else 1.0
        b = float(mod.bias[c].detach()) if mod.bias is not None else 0.0
        xv = float(v)
        norm = (xv - mean) / np.sqrt(var + mod.eps)
        t.value = norm * g + b
        std = float(np.sqrt(var + mod.eps))
        t.steps = [(_("input"), xv), (_("channel mean (from training)"), mean), (_("channel std"), std),
                   (_("normalised = (input - mean) / std"), norm), (_("x scale (gamma)"), g),
                   (_("+ shift (beta)"), b), (_("output"), t.value)]
    elif isinstance(mod, nn.ReLU):
        t.value = max(float(v), 0.0)
        t.steps = [(_("input"), float(v)), (_("ReLU: max(input, 0)"), t.value)]
    elif isinstance(mod, nn.LeakyReLU):
        xv = float(v)
        t.value = xv if xv >= 0 else xv * mod.negative_slope
        t.steps = [(_("input"), xv), (_("LeakyReLU: input, or {slope} x input below 0").format(
            slope=mod.negative_slope), t.value)]
    elif isinstance(mod, nn.Tanh):
        t.value = float(np.tanh(float(v)))
        t.steps = [(_("input"), float(v)), (_("tanh(input)"), t.value)]
    elif isinstance(mod, nn.Sigmoid):
        t.value = float(1 / (1 + np.exp(-float(v))))
        t.steps = [(_("input"), float(v)), (_("1 / (1 + e^-input)"), t.value)]
    elif isinstance(mod, nn.Dropout):
        t.value = float(v)
        t.steps = [(_("input"), float(v)), (_("dropout is off when predicting: unchanged"), t.value)]
    elif isinstance(mod, nn.Flatten):
        src = np.unravel_index(cell[0], tuple(inp.shape))
        t.value = float(inp[tuple(int(i) for i in src)])
        t.steps = [(_("taken from channel {channel}, row {row}, column {col}").format(
            channel=src[0], row=src[1], col=src[2]) if len(src) == 3
            else _("taken from position {position}").format(position=tuple(int(i) for i in src)), t.value)]
    elif isinstance(mod, nn.Linear):
        _linear(t, mod, inp, cell[0])
    elif isinstance(mod, nn.Softmax):
        logits = inp.double()
        e = torch.exp(logits - logits.max())
        t.value = float(e[cell[0]] / e.sum())
        t.steps = [(_("its score"), float(logits[cell[0]])), (_("e^(score - top score)"), float(e[cell[0]])),
                   (_("sum of e^ over all classes"), float(e.sum())),
                   (_("probability = share of the sum"), t.value)]
    else:  # a layer kind this module does not explain: say what it is, keep the real value
        t.value = actual
        t.steps = [(_("{kind}: output").format(kind=lay.kind), actual)]
    return t


def _conv(t: Trace, mod: nn.Conv2d, inp: torch.Tensor, cell: tuple):
    c, y, x = cell
    k, s, p = mod.kernel_size[0], mod.stride[0], mod.padding[0]
    padded = F.pad(inp, (p, p, p, p))  # (C_in, H + 2p, W + 2p)
    patch = padded[:, y * s:y * s + k, x * s:x * s + k].double()  # (C_in, k, k)
    w = mod.weight[c].detach().double()                           # (C_in, k, k)
    prod = patch * w
    total = float(prod.sum())
    bias = float(mod.bias[c]) if mod.bias is not None else 0.0
    t.patch, t.kernel, t.products = patch.numpy(), w.numpy(), prod.numpy()
    t.channel_sums = prod.sum((1, 2)).numpy()
    t.value = total + bias
    t.steps = [(_("sum of the {n} products (patch x kernel)").format(n=prod.numel()), total),
               (_("+ bias") if mod.bias is not None else _("+ bias (this layer has none)"), bias),
               (_("= pre-activation (this layer's output)"), t.value)]


def _pool(t: Trace, mod, inp: torch.Tensor, cell: tuple):
    c, y, x = cell
    k = mod.kernel_size if isinstance(mod.kernel_size, int) else mod.kernel_size[0]
    s = mod.stride if isinstance(mod.stride, int) else mod.stride[0]
    p = mod.padding if isinstance(mod.padding, int) else mod.padding[0]
    fill = float("-inf") if isinstance(mod, nn.MaxPool2d) else 0.0
    padded = F.pad(inp[c:c + 1], (p, p, p, p), value=fill)[0]
    win = padded[y * s:y * s + k, x * s:x * s + k].double()
    t.patch = win.numpy()
    if isinstance(mod, nn.MaxPool2d):
        r, q = np.unravel_index(int(win.argmax()), tuple(win.shape))
        t.winner = (int(r), int(q))
        t.value = float(win.max())
        t.steps = [(_("the largest of the {n} values in the window (row {row}, column {col})").format(
            n=win.numel(), row=r, col=q), t.value)]
    else:
        n = win.numel() if mod.count_include_pad or p == 0 else int(torch.isfinite(win).sum())
        t.value = float(win.sum()) / n
        t.steps = [(_("sum of the {n} values in the window").format(n=win.numel()), float(win.sum())),
                   (_("/ {n} = the average").format(n=n), t.value)]


def _linear(t: Trace, mod: nn.Linear, inp: torch.Tensor, unit: int):
    xv = inp.double().flatten()
    w = mod.weight[unit].detach().double()
    prod = xv * w
    bias = float(mod.bias[unit].detach()) if mod.bias is not None else 0.0
    order = torch.argsort(prod.abs(), descending=True)[:8]
    t.contributions = [(int(i), float(xv[i]), float(w[i]), float(prod[i])) for i in order]
    t.value = float(prod.sum()) + bias
    top = float(prod[order].sum())
    t.steps = [(_("the {n} biggest of {total} input x weight products").format(n=len(order), total=len(xv)), top),
               (_("+ the other {n} products").format(n=len(xv) - len(order)), float(prod.sum()) - top),
               (_("+ bias"), bias), (_("= this unit's output"), t.value)]

