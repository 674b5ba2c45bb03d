"""Trace one gradient: backpropagation as arithmetic, for one digit and one weight.

``trace`` (``explain/trace.py``) shows how one value is computed going forward; this shows how
the loss's gradient comes back to one weight. ``gradient(spec, model, x, label, WeightRef(...))``
returns the loss, dL/dlogits (softmax minus the one-hot target, as numbers), the gradient
carried back layer by layer (through ReLU's mask, max pool's winner, batch norm, dropout in
eval, flatten, a convolution or a dense layer), and at the weight itself the sum over the
output positions of upstream gradient x input value (as grids for a convolution). Every
number is computed here by the rule a student would write down, in float64, without
autograd; autograd's value sits beside each one with the difference (tests hold it under
1e-5 for every preset and layer kind).

``optimizer_step`` then moves that weight as the optimizer would (SGD: w - lr g; momentum;
Adam and AdamW: m, v, the bias corrections and the step; RMSprop), from a zero state or a
given one, and ``gradient`` reports the loss on the same digit after the step: the weight
alone, and every weight by its own gradient (one training step on this digit).

``numpy_gradient`` does the same for seed004's network through the hand-written NumPy
backprop of ``training/numpy_engine.py``, beside the numerical gradient (central
differences) that seed004's tutorial checks it with.

The network runs in eval mode (batch norm uses its running statistics, dropout is off), as
it does when it predicts: the gradient of this one digit, not of a training batch.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_core import MnistLabError
from mnist_core.data import MEAN, STD
from mnist_core.i18n import N_, Text, _
from mnist_core.spec import ArchSpec

LEARNABLE = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.BatchNorm1d)
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop")  # as training/config.py names them
TOLERANCE = 1e-5  # hand arithmetic vs autograd: what the page and the tests hold them to


class GradientError(MnistLabError):
    """A weight that does not exist, or settings the trace cannot use."""


@dataclass(frozen=True)
class WeightRef:
    """One learnable number: ``layer`` (1-based), ``param`` ("weight" or "bias") and its index
    in that tensor ((out, in, row, col) for a conv kernel, (out, in) for a dense weight, (unit,)
    for a bias or a batch norm's scale and shift)."""
    layer: int
    param: str
    index: tuple[int, ...]


@dataclass(frozen=True)
class Line:
    """One line of arithmetic: words (English, marked for translation, with {placeholders}) and a number."""
    template: str
    value: float
    args: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return _(self.template).format(**self.args)


@dataclass
class Term:
    """One product of a sum: where it comes from (words, marked for translation), the two factors and their
    product."""
    template: str
    args: dict
    a: float
    b: float
    product: float

    @property
    def where(self) -> str:
        return _(self.template).format(**self.args)


@dataclass
class ChainStep:
    """The gradient carried through one layer, from its output to its input."""
    layer: int                   # 1-based
    kind: str
    label: str
    rule: str                    # the rule in words (English, marked for translation)
    cell: tuple                  # the input cell the example follows (channel, row, col) or (unit,)
    lines: list[Line]            # the arithmetic of that cell
    terms: list[Term]            # for a sum (dense, conv): its biggest products
    n_terms: int                 # how many products that sum has in all
    value: float                 # dL/d(input of this layer) at ``cell``, by the rule
    autograd: float              # autograd's value of the same
    max_diff: float              # the largest |rule - autograd| over the whole input tensor
    grad_in: np.ndarray          # the whole gradient at this layer's input, by the rule


@dataclass
class OptimizerStep:
    name: str
    lr: float
    w: float
    g: float
    new_w: float
    lines: list[Line]
    state: dict                  # the optimizer's state for this weight after the step (torch's names)

    @property
    def delta(self) -> float:
        return self.new_w - self.w


@dataclass
class GradientTrace:
    ref: WeightRef
    kind: str                    # the weight's layer kind
    label: str
    label_class: int             # the class the loss asks for
    label_smoothing: float
    logits: np.ndarray           # the loss's input (the last layer's output, or the one before a final Softmax
                                 # when that Softmax is the network's probabilities: seed004's NumPy engine)
    probs: np.ndarray            # softmax of the logits
    target: np.ndarray           # one-hot, or smoothed
    loss: float                  # -sum target * log probs, by hand
    loss_autograd: float
    dlogits: np.ndarray          # probs - target
    chain: list[ChainStep]       # from the top layer down to the one above the weight's layer
    upstream_cell: tuple         # the output cell of the weight's layer the chain follows
    upstream: float              # dL/d(that cell)
    lines: list[Line]            # the weight's own arithmetic
    grids: dict[str, np.ndarray] # conv / 2-d batch norm: upstream, input, products over the output positions
    grad: float                  # dL/dw by hand
    autograd: float              # dL/dw by autograd
    weight: float
    step: OptimizerStep | None = None
    loss_after: float | None = None      # this weight alone moved, a real forward pass
    loss_after_all: float | None = None  # every weight moved by its own gradient (zero optimizer state only)

    @property
    def diff(self) -> float:
        return abs(self.grad - self.autograd)

    @property
    def ok(self) -> bool:
        return self.diff <= TOLERANCE and abs(self.loss - self.loss_autograd) <= TOLERANCE and \
            all(s.max_diff <= TOLERANCE for s in self.chain)

    @property
    def predicted_change(self) -> float | None:
        """First order: dL ~ g x dw, beside the real loss change of moving this weight alone."""
        return None if self.step is None else self.grad * self.step.delta


# --- which weights there are -----------------------------------------------------------------------------

def learnable(spec: ArchSpec, model: nn.Module) -> list[tuple[int, str, str, tuple[int, ...]]]:
    """Every learnable tensor: (layer, param, the layer's label, shape)."""
    out = []
    for i, mod in enumerate(model, start=1):
        if isinstance(mod, LEARNABLE):
            for name in ("weight", "bias"):
                p = getattr(mod, name, None)
                if isinstance(p, torch.Tensor):
                    out.append((i, name, spec.layers[i - 1].label(), tuple(p.shape)))
    return out


def _param(model: nn.Module, ref: WeightRef) -> torch.Tensor:
    n = len(model)
    if not 1 <= ref.layer <= n:
        raise GradientError(Text(N_("layer {layer} does not exist: this network has layers 1-{n}"),
                                 layer=ref.layer, n=n))
    mod = model[ref.layer - 1]
    if not isinstance(mod, LEARNABLE):
        raise GradientError(Text(N_("layer {layer} ({kind}) has no weights to learn"),
                                 layer=ref.layer, kind=type(mod).__name__))
    p = getattr(mod, ref.param, None) if ref.param in ("weight", "bias") else None
    if not isinstance(p, torch.Tensor):
        raise GradientError(Text(N_("layer {layer} has no {param!s:.20}"), layer=ref.layer, param=ref.param))
    idx = tuple(ref.index)
    if len(idx) != p.dim() or any(not 0 <= int(i) < s for i, s in zip(idx, p.shape)):
        raise GradientError(Text(N_("{param} index {index} is outside layer {layer}'s {param} of shape {shape}"),
                                 param=ref.param, index=tuple(int(i) for i in idx), layer=ref.layer,
                                 shape='x'.join(map(str, p.shape))))
    return p


# --- the forward pass, by layer ---------------------------------------------------------------------------

def _k(v) -> int:
    return v if isinstance(v, int) else v[0]


def _forward(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    hs = [x]
    with torch.no_grad():
        for mod in model:
            hs.append(mod(hs[-1]))
    return hs


def _target(label: int, k: int, smoothing: float) -> np.ndarray:
    t = np.full(k, smoothing / k)
    t[label] += 1.0 - smoothing
    return t


# --- the backward rule of each layer, on whole tensors, without autograd ----------------------------------

def _out_padding(size_in: int, size_out: int, k: int, s: int, p: int) -> int:
    return size_in - ((size_out - 1) * s - 2 * p + k)


def back(mod: nn.Module, x: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """dL/d(input) of one layer from dL/d(output) ``g``, its input ``x`` and output ``y`` (batch of 1)."""
    if isinstance(mod, nn.Linear):
        return g @ mod.weight.detach()
    if isinstance(mod, nn.Conv2d):
        k, s, p = _k(mod.kernel_size), _k(mod.stride), _k(mod.padding)
        op = (_out_padding(x.shape[2], g.shape[2], k, s, p), _out_padding(x.shape[3], g.shape[3], k, s, p))
        # the input gradient of a convolution is the transposed convolution of the output's
        return F.conv_transpose2d(g, mod.weight.detach(), stride=s, padding=p, output_padding=op)
    if isinstance(mod, nn.MaxPool2d):
        k, s, p = _k(mod.kernel_size), _k(mod.stride), _k(mod.padding)
        _, idx = F.max_pool2d(x, k, s, p, return_indices=True)  # the winner of each window
        gin = torch.zeros_like(x).flatten(2)
        gin.scatter_add_(2, idx.flatten(2), g.flatten(2))  # each window's gradient goes to its winner only
        return gin.view_as(x)
    if isinstance(mod, nn.AvgPool2d):
        k, s, p = _k(mod.kernel_size), _k(mod.stride), _k(mod.padding)
        c = x.shape[1]
        ones = torch.full((c, 1, k, k), 1.0 / (k * k), dtype=g.dtype)
        op = (_out_padding(x.shape[2], g.shape[2], k, s, p), _out_padding(x.shape[3], g.shape[3], k, s, p))
        return F.conv_transpose2d(g, ones, stride=s, padding=p, output_padding=op, groups=c)
    if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
        scale = _bn_scale(mod)
        return g * (scale.view(1, -1, 1, 1) if g.dim() == 4 else scale.view(1, -1))
    if isinstance(mod, nn.ReLU):
        return g * (x > 0).to(g.dtype)
    if isinstance(mod, nn.LeakyReLU):
        return g * torch.where(x > 0, 1.0, mod.negative_slope).to(g.dtype)
    if isinstance(mod, nn.Sigmoid):
        return g * y * (1 - y)
    if isinstance(mod, nn.Tanh):
        return g * (1 - y * y)
    if isinstance(mod, nn.GELU):
        return g * _gelu_slope(x)
    if isinstance(mod, nn.Dropout):
        return g  # off when predicting: the identity
    if isinstance(mod, nn.Flatten):
        return g.reshape(x.shape)
    if isinstance(mod, nn.Softmax):
        return y * (g - (g * y).sum(1, keepdim=True))
    raise GradientError(Text(N_("the gradient trace cannot go through a {kind} layer"), kind=type(mod).__name__))


def _bn_scale(mod) -> torch.Tensor:
    gamma = mod.weight.detach() if mod.weight is not None else torch.ones_like(mod.running_var)
    return gamma / torch.sqrt(mod.running_var + mod.eps)


def _bn_xhat(mod, x: torch.Tensor) -> torch.Tensor:
    shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
    return (x - mod.running_mean.view(shape)) / torch.sqrt(mod.running_var.view(shape) + mod.eps)


def _gelu_slope(x: torch.Tensor) -> torch.Tensor:
    """d/dx of x Phi(x): Phi(x) + x phi(x) (the exact GELU, as nn.GELU computes by default)."""
    phi = torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    return cdf + x * phi


# --- one cell of each rule, as lines and terms --------------------------------------------------------------

def _cell_words(cell: tuple) -> dict:
    return {"cell": ", ".join(map(str, cell))}


def _top(terms: list[Term], n: int = 6) -> list[Term]:
    return sorted(terms, key=lambda t: -abs(t.product))[:n]


def explain_cell(mod: nn.Module, x: torch.Tensor, y: torch.Tensor, g: torch.Tensor, gin: torch.Tensor,
                 cell: tuple) -> tuple[str, list[Line], list[Term], int, tuple]:
    """The rule of ``mod`` for one input ``cell``: (rule, lines, biggest terms, number of terms, the output
    cell the biggest term came from: the chain follows it up)."""
    x0, y0, g0 = x[0], y[0], g[0]
    v = float(gin[0][cell])
    if isinstance(mod, nn.Linear):
        j = cell[0]
        w = mod.weight.detach()[:, j]
        prods = g0 * w
        terms = [Term(N_("unit {k}"), {"k": k}, float(g0[k]), float(w[k]), float(prods[k])) for k in range(len(g0))]
        top = _top(terms)
        nxt = (int(torch.argmax(prods.abs())),)
        return (N_("dense layer: dL/d(input j) = sum over its outputs k of dL/d(output k) x weight[k, j]"),
                [Line(N_("sum of the {n} products dL/d(output) x weight"), v, {"n": len(terms)})], top, len(terms),
                nxt)
    if isinstance(mod, nn.Conv2d):
        c, yy, xx = cell
        k, s, p = _k(mod.kernel_size), _k(mod.stride), _k(mod.padding)
        w = mod.weight.detach()
        rows = []  # (o, oy, ox, ky, kx) of every output this pixel fed, through which kernel weight
        for ky in range(k):
            for kx in range(k):
                ny, nx = yy + p - ky, xx + p - kx
                if ny % s or nx % s or not (0 <= ny // s < g0.shape[1] and 0 <= nx // s < g0.shape[2]):
                    continue
                rows.append((ny // s, nx // s, ky, kx))
        ups = torch.stack([g0[:, oy, ox] for oy, ox, _, _ in rows]) if rows else torch.zeros(0, g0.shape[0])
        ws = torch.stack([w[:, c, ky, kx] for _, _, ky, kx in rows]) if rows else torch.zeros(0, g0.shape[0])
        prods = ups * ws  # (positions, filters)
        order = torch.argsort(prods.flatten().abs(), descending=True)[:6].tolist()
        terms = []
        for f in order:
            r, o = divmod(f, g0.shape[0])
            oy, ox, ky, kx = rows[r]
            terms.append(Term(N_("filter {o} at ({oy}, {ox}), kernel ({ky}, {kx})"),
                              {"o": o, "oy": oy, "ox": ox, "ky": ky, "kx": kx}, float(ups[r, o]), float(ws[r, o]),
                              float(prods[r, o])))
        best = None
        if order:
            r, o = divmod(order[0], g0.shape[0])
            best = (terms[0].product, (o, rows[r][0], rows[r][1]))
        nxt = best[1] if best else (0, min(yy // s, g0.shape[1] - 1), min(xx // s, g0.shape[2] - 1))
        return (N_("convolution: dL/d(input pixel) = sum over every output it fed of dL/d(output) x the kernel "
                   "weight that joined them"),
                [Line(N_("sum of the {n} products dL/d(output) x kernel weight"), v, {"n": prods.numel()})],
                terms, prods.numel(), nxt)
    if isinstance(mod, (nn.MaxPool2d, nn.AvgPool2d)):
        c, yy, xx = cell
        k, s, p = _k(mod.kernel_size), _k(mod.stride), _k(mod.padding)
        wins = [(oy, ox) for oy in range(g0.shape[1]) for ox in range(g0.shape[2])
                if oy * s - p <= yy < oy * s - p + k and ox * s - p <= xx < ox * s - p + k]
        lines = []
        if isinstance(mod, nn.MaxPool2d):
            _, idx = F.max_pool2d(x, k, s, p, return_indices=True)
            w_in = x.shape[3]
            nxt = (c, *wins[0]) if wins else (c, 0, 0)
            for oy, ox in wins:
                win = int(idx[0, c, oy, ox])
                wy, wx = divmod(win, w_in)
                if (wy, wx) == (yy, xx):
                    nxt = (c, oy, ox)
                    lines.append(Line(N_("window ({oy}, {ox}): this pixel is its winner, so it gets the window's "
                                         "gradient"), float(g0[c, oy, ox]), {"oy": oy, "ox": ox}))
                else:
                    lines.append(Line(N_("window ({oy}, {ox}): the winner is ({wy}, {wx}), not this pixel: 0"), 0.0,
                                      {"oy": oy, "ox": ox, "wy": wy, "wx": wx}))
            lines.append(Line(N_("= dL/d(this pixel)"), v))
            return (N_("max pool: each window's gradient goes to the pixel that won it; the others get 0"), lines, [],
                    0, nxt)
        for oy, ox in wins:
            lines.append(Line(N_("window ({oy}, {ox}): its gradient / {kk}"), float(g0[c, oy, ox]) / (k * k),
                              {"oy": oy, "ox": ox, "kk": k * k}))
        lines.append(Line(N_("= dL/d(this pixel)"), v))
        return (N_("average pool: each window's gradient is shared equally by its pixels"), lines, [], 0,
                (c, *wins[0]) if wins else (c, 0, 0))
    up = float(g0[cell]) if g0.shape == x0.shape else float("nan")
    xin = float(x0[cell])
    first = Line(N_("dL/d(output) at cell ({cell})"), up, _cell_words(cell))
    if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
        ch = cell[0]
        gamma = float(mod.weight.detach()[ch]) if mod.weight is not None else 1.0
        std = math.sqrt(float(mod.running_var[ch]) + mod.eps)
        return (N_("batch norm (running statistics): the gradient is scaled by gamma / std, like the value"),
                [first, Line(N_("x scale gamma"), gamma), Line(N_("/ channel std"), std),
                 Line(N_("= dL/d(input)"), v)], [], 0, cell)
    if isinstance(mod, nn.ReLU):
        return (N_("ReLU: the gradient passes where the input was above 0 and stops where it was not"),
                [first, Line(N_("the input here"), xin),
                 Line(N_("x 1 if the input > 0, else x 0"), 1.0 if xin > 0 else 0.0), Line(N_("= dL/d(input)"), v)],
                [], 0, cell)
    if isinstance(mod, nn.LeakyReLU):
        return (N_("LeakyReLU: x 1 above 0, x the negative slope below"),
                [first, Line(N_("the input here"), xin),
                 Line(N_("x its slope there"), 1.0 if xin > 0 else mod.negative_slope),
                 Line(N_("= dL/d(input)"), v)], [], 0, cell)
    if isinstance(mod, nn.Sigmoid):
        yo = float(y0[cell])
        return (N_("sigmoid: x y (1 - y), y being its output"),
                [first, Line(N_("its output y"), yo), Line(N_("x y (1 - y)"), yo * (1 - yo)),
                 Line(N_("= dL/d(input)"), v)], [], 0, cell)
    if isinstance(mod, nn.Tanh):
        yo = float(y0[cell])
        return (N_("tanh: x (1 - y squared), y being its output"),
                [first, Line(N_("its output y"), yo), Line(N_("x (1 - y squared)"), 1 - yo * yo),
                 Line(N_("= dL/d(input)"), v)], [], 0, cell)
    if isinstance(mod, nn.GELU):
        return (N_("GELU: x its slope Phi(x) + x phi(x)"),
                [first, Line(N_("the input here"), xin),
                 Line(N_("x its slope there"), float(_gelu_slope(torch.tensor(xin, dtype=torch.float64)))),
                 Line(N_("= dL/d(input)"), v)], [], 0, cell)
    if isinstance(mod, nn.Dropout):
        return (N_("dropout is off when predicting: the gradient passes unchanged"),
                [first, Line(N_("= dL/d(input)"), v)], [], 0, cell)
    if isinstance(mod, nn.Flatten):
        flat = int(np.ravel_multi_index(cell, tuple(x0.shape)))
        return (N_("flatten: the same numbers in one long row; each gradient goes back to the place it came from"),
                [Line(N_("dL/d(output) at unit {unit}"), float(g0[flat]), {"unit": flat}),
                 Line(N_("= dL/d(input) at ({cell})"), v, _cell_words(cell))], [], 0, (flat,))
    if isinstance(mod, nn.Softmax):
        j = cell[0]
        dot = float((g0 * y0).sum())
        return (N_("softmax: dL/d(score j) = p_j x (dL/d(p_j) - sum over k of dL/d(p_k) x p_k)"),
                [Line(N_("p_j"), float(y0[j])), Line(N_("dL/d(p_j)"), float(g0[j])),
                 Line(N_("sum over k of dL/d(p_k) x p_k"), dot), Line(N_("= dL/d(score j)"), v)], [], 0, cell)
    raise GradientError(Text(N_("the gradient trace cannot go through a {kind} layer"), kind=type(mod).__name__))


# --- the weight's own arithmetic -------------------------------------------------------------------------------

def _weight_arithmetic(mod, ref: WeightRef, x: torch.Tensor, g: torch.Tensor):
    """(lines, grids, dL/dw, the output cell that adds most) for the weight ``ref`` of ``mod``."""
    idx = tuple(int(i) for i in ref.index)
    x0, g0 = x[0], g[0]
    if isinstance(mod, nn.Conv2d):
        o = idx[0]
        up = g0[o]
        if ref.param == "bias":
            grad = float(up.sum())
            y_, x_ = np.unravel_index(int(up.abs().argmax()), tuple(up.shape))
            return ([Line(N_("sum of dL/d(output) over the {n} positions of output map {o}"), grad,
                          {"n": up.numel(), "o": o}),
                     Line(N_("(a bias is added at every position, each time x 1)"), 1.0)],
                    {"upstream": up.numpy()}, grad, (o, int(y_), int(x_)))
        i, ky, kx = idx[1:]
        s, p = _k(mod.stride), _k(mod.padding)
        padded = F.pad(x0[i], (p, p, p, p))
        ho, wo = up.shape
        seen = padded[ky:ky + s * (ho - 1) + 1:s, kx:kx + s * (wo - 1) + 1:s]  # what this weight met at each position
        prods = up * seen
        grad = float(prods.sum())
        y_, x_ = np.unravel_index(int(prods.abs().argmax()), tuple(prods.shape))
        top = float(prods[y_, x_])
        return ([Line(N_("dL/d(output map {o}) at each of its {n} positions x the input value weight ({ky}, {kx}) "
                         "met there (input channel {i})"), float(prods.numel()), {"o": o, "n": prods.numel(), "ky": ky,
                                                                          "kx": kx, "i": i}),
                 Line(N_("the biggest product, at ({y}, {x}): {up:.3g} x {inp:.3g}"), top,
                      {"y": int(y_), "x": int(x_), "up": float(up[y_, x_]), "inp": float(seen[y_, x_])}),
                 Line(N_("sum of all {n} products = dL/dw"), grad, {"n": prods.numel()})],
                {"upstream": up.numpy(), "input": seen.numpy(), "products": prods.numpy()}, grad,
                (o, int(y_), int(x_)))
    if isinstance(mod, nn.Linear):
        o = idx[0]
        up = float(g0[o])
        if ref.param == "bias":
            return ([Line(N_("dL/d(output unit {o})"), up, {"o": o}), Line(N_("x 1 (a bias is added as it is)"), 1.0),
                     Line(N_("= dL/d(bias)"), up)], {}, up, (o,))
        xi = float(x0[idx[1]])
        grad = up * xi
        return ([Line(N_("dL/d(output unit {o})"), up, {"o": o}), Line(N_("x input {i}"), xi, {"i": idx[1]}),
                 Line(N_("= dL/dw"), grad)], {}, grad, (o,))
    # batch norm: y = xhat x gamma + beta
    c = idx[0]
    xhat = _bn_xhat(mod, x)[0][c]
    up = g0[c]
    if ref.param == "bias":
        grad = float(up.sum())
        lines = [Line(N_("sum of dL/d(output) over channel {c}'s {n} values (beta is added to each)"), grad,
                      {"c": c, "n": up.numel()})]
        grids = {"upstream": up.numpy()} if up.dim() == 2 else {}
    else:
        prods = up * xhat
        grad = float(prods.sum())
        lines = [Line(N_("sum over channel {c}'s {n} values of dL/d(output) x the normalised input"), grad,
                      {"c": c, "n": up.numel()})]
        grids = {"upstream": up.numpy(), "input": xhat.numpy(), "products": prods.numpy()} if up.dim() == 2 else {}
    if up.dim() == 2:
        y_, x_ = np.unravel_index(int(up.abs().argmax()), tuple(up.shape))
        cell = (c, int(y_), int(x_))
    else:
        cell = (c,)
    return lines, grids, grad, cell


# --- optimizers: one step, by hand ------------------------------------------------------------------------------

def _update(name: str, w, g, lr: float, state: dict, betas=(0.9, 0.999), eps: float = 1e-8, momentum: float = 0.9,
            alpha: float = 0.99, weight_decay: float = 0.0):
    """(new w, new state, the parts in order) of one step; w, g numbers or float64 arrays; ``state`` in
    torch.optim's names (step, exp_avg, exp_avg_sq, momentum_buffer, square_avg), empty for a first step."""
    parts: list[tuple[str, object, dict]] = []
    new: dict = {}
    if name not in OPTIMIZERS:
        raise GradientError(Text(N_("unknown optimizer {name!r:.30}: choose one of {items}"),
                                 name=name, items=', '.join(OPTIMIZERS)))
    if weight_decay and name != "adamw":
        g = g + weight_decay * w
        parts.append((N_("g + weight decay x w (L2)"), g, {}))
    if name == "sgd":
        step = lr * g
        parts.append((N_("step = learning rate x g"), step, {}))
    elif name in ("momentum", "nesterov"):
        buf = state.get("momentum_buffer")
        buf = g if buf is None else momentum * buf + g
        new["momentum_buffer"] = buf
        parts.append((N_("velocity = g (first step)") if state.get("momentum_buffer") is None
                      else N_("velocity = {mu} x old velocity + g"), buf, {"mu": momentum}))
        d = g + momentum * buf if name == "nesterov" else buf
        if name == "nesterov":
            parts.append((N_("Nesterov: g + {mu} x velocity"), d, {"mu": momentum}))
        step = lr * d
        parts.append((N_("step = learning rate x that"), step, {}))
    elif name in ("adam", "adamw"):
        if name == "adamw" and weight_decay:
            w = w * (1 - lr * weight_decay)
            parts.append((N_("AdamW: w x (1 - learning rate x weight decay) first"), w, {}))
        b1, b2 = betas
        t = int(state.get("step", 0)) + 1
        m = b1 * state.get("exp_avg", 0.0) + (1 - b1) * g
        v = b2 * state.get("exp_avg_sq", 0.0) + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        step = lr * mhat / (np.sqrt(vhat) + eps)
        new.update(step=t, exp_avg=m, exp_avg_sq=v)
        parts += [(N_("step number t"), float(t), {}),
                  (N_("m = {b1} x old m + (1 - {b1}) x g"), m, {"b1": b1}),
                  (N_("v = {b2} x old v + (1 - {b2}) x g squared"), v, {"b2": b2}),
                  (N_("bias correction: m / (1 - {b1}^t)"), mhat, {"b1": b1}),
                  (N_("bias correction: v / (1 - {b2}^t)"), vhat, {"b2": b2}),
                  (N_("step = learning rate x m^ / (sqrt(v^) + {eps:g})"), step, {"eps": eps})]
    else:  # rmsprop
        sq = alpha * state.get("square_avg", 0.0) + (1 - alpha) * g * g
        avg = np.sqrt(sq) + eps
        new["square_avg"] = sq
        parts += [(N_("v = {a} x old v + (1 - {a}) x g squared"), sq, {"a": alpha}),
                  (N_("sqrt(v) + {eps:g}"), avg, {"eps": eps})]
        if momentum:
            buf = momentum * state.get("momentum_buffer", 0.0) + g / avg
            new["momentum_buffer"] = buf
            parts.append((N_("velocity = {mu} x old velocity + g / (sqrt(v) + eps)"), buf, {"mu": momentum}))
            step = lr * buf
        else:
            step = lr * g / avg
        parts.append((N_("step = learning rate x that"), step, {}))
    return w - step, new, parts


def optimizer_step(name: str, w: float, g: float, lr: float, state: dict | None = None, **hyper) -> OptimizerStep:
    """One optimizer step of one weight, as lines of arithmetic; ``state``: this weight's optimizer state in
    torch.optim's names (None or empty: the first step, from zero)."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 10):
        raise GradientError(N_("the learning rate must be a number above 0 and at most 10"))
    state = {k: float(v) for k, v in (state or {}).items() if v is not None}
    new_w, new_state, parts = _update(name, float(w), float(g), float(lr), state, **hyper)
    lines = [Line(N_("the weight w"), float(w)), Line(N_("its gradient g"), float(g))]
    lines += [Line(t, float(v), a) for t, v, a in parts]
    lines.append(Line(N_("new w = w - step"), float(new_w)))
    return OptimizerStep(name, float(lr), float(w), float(g), float(new_w), lines,
                         {k: float(v) for k, v in new_state.items()})


# --- the whole trace ---------------------------------------------------------------------------------------------

def _loss_of(model: nn.Module, x: torch.Tensor, end: int, label: int, smoothing: float) -> float:
    with torch.no_grad():
        h = x
        for mod in list(model)[:end]:
            h = mod(h)
        return float(F.cross_entropy(h, torch.tensor([label]), label_smoothing=smoothing))


def probs_are_output(spec: ArchSpec, engine: str | None) -> bool:
    """Whether the final Softmax is the network's answer (seed004's NumPy engine: the loss is -log of it) rather
    than a layer before a cross-entropy that applies its own (what the torch engine trains)."""
    return engine == "numpy" and spec.ends_with_softmax()


def gradient(spec: ArchSpec, model: nn.Module, x: torch.Tensor, label: int, ref: WeightRef, *,
             optimizer: str | None = "sgd", lr: float = 0.01, state: dict | None = None, label_smoothing: float = 0.0,
             engine: str | None = None, **hyper) -> GradientTrace:
    """The gradient of the loss on one digit ``x`` (1, 1, 28, 28) of class ``label`` with respect to the weight
    ``ref``, carried back by hand, checked against autograd; then one step of ``optimizer`` (None: no step)."""
    n = len(spec.layers)
    if len(model) != n:
        raise GradientError(N_("the model does not match its spec"))
    if not 0 <= label < spec.num_classes:
        raise GradientError(Text(N_("the class must be between 0 and {n}"), n=spec.num_classes - 1))
    if not (isinstance(label_smoothing, (int, float)) and 0 <= label_smoothing < 1):
        raise GradientError(N_("label smoothing must be between 0 and 1"))
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise GradientError(Text(N_("unknown optimizer {optimizer!r:.30}: choose one of {items}"),
                                 optimizer=optimizer, items=', '.join(OPTIMIZERS)))
    net = copy.deepcopy(model).double().eval()  # float64: the hand arithmetic and autograd agree to 1e-12
    p = _param(net, ref)
    idx = tuple(int(i) for i in ref.index)
    end = n - 1 if probs_are_output(spec, engine) else n
    if ref.layer > end:
        raise GradientError(Text(N_("layer {layer} has no weights"), layer=ref.layer))
    x = x.detach().double()
    smoothing = float(label_smoothing)

    # one forward pass, kept for autograd's check; the hand arithmetic reads the same numbers, detached
    for q in net.parameters():
        q.requires_grad_(True)
        q.grad = None
    with torch.enable_grad():
        h = x.clone().requires_grad_(True)
        kept = [h]
        for mod in list(net)[:end]:
            h = mod(h)
            h.retain_grad()
            kept.append(h)
        ag_loss = F.cross_entropy(h, torch.tensor([label]), label_smoothing=smoothing)
        ag_loss.backward()
    hs = [k.detach() for k in kept]
    with torch.no_grad():
        hs.append(net[end](hs[end]) if end < n else hs[end])  # a final Softmax that is the answer: shown, not lost

    # by hand: softmax minus the target, then each layer's rule, from the top down to the weight
    logits = hs[end][0]
    probs = torch.softmax(logits, 0)
    target = torch.from_numpy(_target(label, len(logits), smoothing))
    loss = float(-(target * torch.log_softmax(logits, 0)).sum())
    grads: dict[int, torch.Tensor] = {end: (probs - target)[None]}  # dL/d(output of layer i)
    with torch.no_grad():
        for i in range(end, ref.layer, -1):
            grads[i - 1] = back(net[i - 1], hs[i - 1], hs[i], grads[i])
        mod = net[ref.layer - 1]
        lines, grids, grad, cell = _weight_arithmetic(mod, ref, hs[ref.layer - 1], grads[ref.layer])
        start = tuple(int(c) for c in cell)
        chain: list[ChainStep] = []
        for i in range(ref.layer + 1, end + 1):  # follow the cell up, from the weight's layer to the loss
            rule, cl, terms, nt, nxt = explain_cell(net[i - 1], hs[i - 1], hs[i], grads[i], grads[i - 1], cell)
            ag_in = kept[i - 1].grad[0]
            chain.append(ChainStep(i, spec.layers[i - 1].kind, spec.layers[i - 1].label(), rule, cell, cl, terms,
                                   nt, float(grads[i - 1][0][cell]), float(ag_in[cell]),
                                   float((grads[i - 1][0] - ag_in).abs().max()), grads[i - 1][0].numpy()))
            cell = nxt
    chain.reverse()  # shown from the loss down
    lay = spec.layers[ref.layer - 1]
    out = GradientTrace(ref, lay.kind, lay.label(), int(label), smoothing, logits.numpy(),
                        probs.numpy(), target.numpy(), loss, float(ag_loss.detach()), (probs - target).numpy(),
                        chain, start, float(grads[ref.layer][0][start]), lines, grids, float(grad),
                        float(p.grad[idx]), float(p.detach()[idx]))
    if optimizer is None:
        return out
    out.step = optimizer_step(optimizer, out.weight, out.grad, lr, state, **hyper)
    with torch.no_grad():
        p[idx] = out.step.new_w  # this weight alone
        out.loss_after = _loss_of(net, x, end, label, smoothing)
        p[idx] = out.weight
        if not state:  # every weight by its own gradient, from a zero state: one training step on this digit
            for q in net.parameters():
                if q.grad is not None:
                    q.copy_(torch.as_tensor(_update(optimizer, q.detach().numpy(), q.grad.numpy(), float(lr), {},
                                                    **hyper)[0]))
            out.loss_after_all = _loss_of(net, x, end, label, smoothing)
    return out


# --- seed004: the hand-written NumPy network ----------------------------------------------------------------------

NUMPY_KEYS = ("W1", "b1", "W2", "b2")


def numpy_net(spec: ArchSpec, model: nn.Module):
    """seed004's NumpyMLP with this model's weights, on pixels in 0..1 (the torch module folds MNIST's
    normalisation into its first layer: this unfolds it)."""
    from mnist_core.training.numpy_engine import NumpyMLP, check_spec
    hidden = check_spec(spec)
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    net = NumpyMLP(784, hidden, spec.layers[3].out_features)
    w1 = sd["1.weight"].T / STD                   # (784, H): the torch weight is STD x W1^T
    net.params = {"W1": w1, "b1": sd["1.bias"] - MEAN * w1.sum(axis=0),
                  "W2": sd["3.weight"].T.copy(), "b2": sd["3.bias"].copy()}
    return net


@dataclass
class NumpyGradient:
    key: str                       # W1, b1, W2, b2
    index: tuple[int, ...]
    label_class: int
    y: np.ndarray                  # the network's probabilities
    dy: np.ndarray                 # y - one-hot (batch of one: / 1)
    loss: float                    # cross_entropy as numpy_engine computes it
    lines: list[Line]              # the chain to this weight, by hand
    grad: float                    # by the lines above
    engine: float                  # numpy_engine.NumpyMLP.gradient's value (the hand-written backprop)
    numerical: float               # central difference (f(w + h) - f(w - h)) / 2h, as seed004's tutorial checks
    h: float
    autograd: float                # torch autograd on the same numbers
    weight: float
    lr: float
    new_w: float                   # SGD: w - lr g, as seed004 trains
    loss_after: float

    @property
    def diff(self) -> float:
        return abs(self.engine - self.numerical)

    @property
    def relative_error(self) -> float:
        """|analytic - numerical| / max(|analytic| + |numerical|, 1e-12), the usual gradient-check measure."""
        return self.diff / max(abs(self.engine) + abs(self.numerical), 1e-12)


def numpy_gradient(net, x01: np.ndarray, label: int, key: str, index: tuple[int, ...], lr: float = 0.1,
                   h: float = 1e-4) -> NumpyGradient:
    """One weight's gradient through seed004's hand-written NumPy backprop, beside the numerical gradient.
    ``x01``: the digit as 784 pixels in 0..1."""
    from mnist_core.training.numpy_engine import cross_entropy
    if key not in NUMPY_KEYS:
        raise GradientError(Text(N_("seed004's weights are {items}"), items=', '.join(NUMPY_KEYS)))
    w = net.params[key]
    index = tuple(int(i) for i in index)
    if len(index) != w.ndim or any(not 0 <= i < s for i, s in zip(index, w.shape)):
        raise GradientError(Text(N_("{key} index {index} is outside {key} of shape {shape}"),
                                 key=key, index=index, shape='x'.join(map(str, w.shape))))
    x = np.asarray(x01, dtype=np.float64).reshape(1, -1)
    t = np.array([int(label)])
    y, (a1, z1) = net.forward(x)
    dy = y.copy()
    dy[0, label] -= 1.0
    P = net.params
    lines = [Line(N_("dy = y - one-hot (softmax with cross-entropy), for class {k}"), float(dy[0, index[-1]]),
                  {"k": index[-1]})] if key in ("W2", "b2") else []
    if key == "W2":
        j, k = index
        grad = float(z1[0, j] * dy[0, k])
        lines += [Line(N_("x z1[{j}], the hidden unit's sigmoid output"), float(z1[0, j]), {"j": j}),
                  Line(N_("= dL/dW2[{j}, {k}]"), grad, {"j": j, "k": k})]
    elif key == "b2":
        grad = float(dy[0, index[0]])
        lines += [Line(N_("= dL/db2[{k}] (x 1)"), grad, {"k": index[0]})]
    else:
        j = index[-1]
        dz = float(dy[0] @ P["W2"][j])
        sg = float(z1[0, j] * (1 - z1[0, j]))
        da = dz * sg
        lines += [Line(N_("dz1[{j}] = sum over k of dy[k] x W2[{j}, k] (10 products)"), dz, {"j": j}),
                  Line(N_("sigmoid's slope z1 (1 - z1) at unit {j}"), sg, {"j": j}),
                  Line(N_("da1[{j}] = dz1 x slope"), da, {"j": j})]
        if key == "W1":
            i = index[0]
            grad = float(x[0, i]) * da
            lines += [Line(N_("x pixel {i}"), float(x[0, i]), {"i": i}),
                      Line(N_("= dL/dW1[{i}, {j}]"), grad, {"i": i, "j": j})]
        else:
            grad = da
            lines += [Line(N_("= dL/db1[{j}] (x 1)"), grad, {"j": j})]
    engine = float(net.gradient(x, t)[key][index])
    old = float(w[index])
    w[index] = old + h
    fp = net.loss(x, t)
    w[index] = old - h
    fm = net.loss(x, t)
    w[index] = old
    numerical = (fp - fm) / (2 * h)
    # autograd on the same numbers (exact cross-entropy: no 1e-7 inside the log)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
    with torch.enable_grad():
        z = torch.sigmoid(torch.from_numpy(x) @ tp["W1"] + tp["b1"])
        F.cross_entropy(z @ tp["W2"] + tp["b2"], torch.from_numpy(t)).backward()
    autograd = float(tp[key].grad[index])
    new_w = old - lr * engine
    w[index] = new_w
    after = net.loss(x, t)
    w[index] = old
    return NumpyGradient(key, index, int(label), y[0], dy[0], cross_entropy(y, t), lines, grad, engine, numerical, h,
                         autograd, old, float(lr), new_w, after)
