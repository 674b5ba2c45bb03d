"""Layer specs: the single source of truth for shapes, the built module, exported
code, the diagram and a saved run's architecture.

Input channels and features are inferred from the previous layer, so nobody ever
types ``32 * 7 * 7``.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import ClassVar

from torch import nn

from mnist_core import MnistLabError, safejson
from mnist_core.i18n import N_, Text

Shape = tuple[int, ...]  # (C, H, W) for maps, (F,) once flattened

# Caps that keep one user's network from grinding a shared server down.
MAX_LAYERS = 40
MAX_CHANNELS = 512
MAX_KERNEL = 11
MAX_FEATURES = 8192
MAX_PARAMS = 20_000_000
MAX_SPEC_BYTES = 64 * 1024   # 40 layers fit in 4 KB
MAX_NAME = 80
INPUT_SHAPE = (1, 28, 28)    # every dataset here is 28x28 grey digits


@dataclass(frozen=True)
class Bound:
    """The range one layer setting may take: the parser refuses values outside it, the
    Architecture page's widgets use it as their min and max, and analysis checks it."""
    lo: int | float
    hi: int | float
    rule: str  # the plain-language range, with {lo} and {hi}, marked N_ (a page shows it translated)

    @property
    def whole(self) -> bool:
        return isinstance(self.lo, int)

    def says(self) -> Text:
        return Text(self.rule, lo=self.lo, hi=self.hi)

    def problem(self, value) -> str | None:
        """Why ``value`` is not a setting in this range, or None."""
        if isinstance(value, bool) or not isinstance(value, int if self.whole else (int, float)):
            return Text(N_("{rule}, as a whole number") if self.whole else N_("{rule}, as a number"), rule=self.says())
        if not self.lo <= value <= self.hi:  # also NaN, for which every comparison is false
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            return Text(N_("{rule}, not {value}"), rule=self.says(),
                        value=shown if len(shown) <= 20 else Text(N_("a number that large")))
        return None


class SpecError(MnistLabError):
    """A spec that cannot be built; the message names the layer and the fix."""


@dataclass
class Layer:
    kind: ClassVar[str] = "Layer"
    needs: ClassVar[str] = "any"  # "map" (C,H,W), "flat" (F,) or "any"

    def label(self) -> str:
        return self.kind

    def out_shape(self, s: Shape) -> Shape:
        return s

    def params(self, s: Shape) -> int:
        return 0

    def macs(self, s: Shape, out: Shape) -> int:
        return 0

    def rf(self, rf: int, jump: int) -> tuple[int, int]:
        return rf, jump

    def module(self, s: Shape) -> nn.Module:
        raise NotImplementedError

    def code(self, s: Shape) -> str:
        raise NotImplementedError

    bounds: ClassVar[dict[str, Bound]] = {}  # every number setting; an optional one may also be None

    def check(self) -> str | None:
        """A plain-language problem with this layer's own settings, or None."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self.bounds:
                if value is None and f.default is None:
                    continue
                problem = self.bounds[f.name].problem(value)
                if problem:
                    return problem
            elif isinstance(f.default, bool) and not isinstance(value, bool):
                return Text(N_("{name} must be true or false"), name=f.name)
        return self.relations()

    def type_problem(self) -> bool:
        """Whether a setting is not even of its kind (text where a number goes, say)."""
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue
            if isinstance(f.default, bool) != isinstance(value, bool):
                return True
            if f.name in self.bounds and not isinstance(value, int if self.bounds[f.name].whole else (int, float)):
                return True
        return False

    def relations(self) -> str | None:
        """A problem between this layer's settings (each already in range), or None."""
        return None

    def to_dict(self) -> dict:
        return {"type": self.kind, **asdict(self)}


def _pair_out(size: int, k: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - k) // stride + 1


@dataclass
class Conv2d(Layer):
    kind: ClassVar[str] = "Conv2d"
    needs: ClassVar[str] = "map"
    out_channels: int = 8
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0
    bias: bool = True

    def label(self):
        return f"Conv2d {self.out_channels}@{self.kernel_size}x{self.kernel_size}" + \
            (f" s{self.stride}" if self.stride != 1 else "") + (f" p{self.padding}" if self.padding else "")

    bounds: ClassVar[dict[str, Bound]] = {
        "out_channels": Bound(1, MAX_CHANNELS, N_("needs between {lo} and {hi} output channels")),
        "kernel_size": Bound(1, MAX_KERNEL, N_("kernel size must be between {lo} and {hi}")),
        "stride": Bound(1, MAX_KERNEL, N_("stride must be between {lo} and {hi}")),
        "padding": Bound(0, MAX_KERNEL - 1, N_("padding must be between {lo} and {hi}"))}

    def relations(self):
        if self.stride > self.kernel_size:
            return Text(N_("stride must be between 1 and the kernel size"))
        if self.padding >= self.kernel_size:
            return Text(N_("padding must be between 0 and kernel size - 1"))
        return None

    def out_shape(self, s):
        c, h, w = s
        return (self.out_channels, _pair_out(h, self.kernel_size, self.stride, self.padding),
                _pair_out(w, self.kernel_size, self.stride, self.padding))

    def params(self, s):
        return self.out_channels * s[0] * self.kernel_size ** 2 + (self.out_channels if self.bias else 0)

    def macs(self, s, out):
        return out[0] * out[1] * out[2] * s[0] * self.kernel_size ** 2

    def rf(self, rf, jump):
        return rf + (self.kernel_size - 1) * jump, jump * self.stride

    def module(self, s):
        return nn.Conv2d(s[0], self.out_channels, self.kernel_size, self.stride, self.padding, bias=self.bias)

    def code(self, s):
        extra = "".join([f", stride={self.stride:d}" if self.stride != 1 else "",
                         f", padding={self.padding:d}" if self.padding else "",
                         ", bias=False" if not self.bias else ""])
        return f"nn.Conv2d({s[0]:d}, {self.out_channels:d}, kernel_size={self.kernel_size:d}{extra})"


@dataclass
class _Pool(Layer):
    needs: ClassVar[str] = "map"
    torch_name: ClassVar[str] = ""
    kernel_size: int = 2
    stride: int | None = None  # None: same as the kernel, as in torch
    padding: int = 0

    @property
    def _stride(self) -> int:
        return self.stride or self.kernel_size

    def label(self):
        return f"{self.kind} {self.kernel_size}x{self.kernel_size}" + \
            (f" s{self.stride}" if self.stride and self.stride != self.kernel_size else "")

    bounds: ClassVar[dict[str, Bound]] = {
        "kernel_size": Bound(1, MAX_KERNEL, N_("kernel size must be between {lo} and {hi}")),
        "stride": Bound(1, MAX_KERNEL, N_("stride must be between {lo} and {hi}")),
        "padding": Bound(0, MAX_KERNEL // 2, N_("padding must be between {lo} and {hi}"))}

    def relations(self):
        if self.padding > self.kernel_size // 2:
            return Text(N_("padding must be at most half the kernel size"))
        return None

    def out_shape(self, s):
        c, h, w = s
        return (c, _pair_out(h, self.kernel_size, self._stride, self.padding),
                _pair_out(w, self.kernel_size, self._stride, self.padding))

    def macs(self, s, out):
        return out[0] * out[1] * out[2] * self.kernel_size ** 2  # comparisons/adds, not multiplies

    def rf(self, rf, jump):
        return rf + (self.kernel_size - 1) * jump, jump * self._stride

    def module(self, s):
        return getattr(nn, self.torch_name)(self.kernel_size, self._stride, self.padding)

    def code(self, s):
        extra = (f", stride={self.stride:d}" if self.stride and self.stride != self.kernel_size else "") + \
            (f", padding={self.padding:d}" if self.padding else "")
        return f"nn.{self.torch_name}({self.kernel_size:d}{extra})"


@dataclass
class MaxPool2d(_Pool):
    kind: ClassVar[str] = "MaxPool2d"
    torch_name: ClassVar[str] = "MaxPool2d"


@dataclass
class AvgPool2d(_Pool):
    kind: ClassVar[str] = "AvgPool2d"
    torch_name: ClassVar[str] = "AvgPool2d"


@dataclass
class BatchNorm2d(Layer):
    kind: ClassVar[str] = "BatchNorm2d"
    needs: ClassVar[str] = "map"

    def params(self, s):
        return 2 * s[0]

    def macs(self, s, out):
        return math.prod(s)

    def module(self, s):
        return nn.BatchNorm2d(s[0])

    def code(self, s):
        return f"nn.BatchNorm2d({s[0]:d})"


@dataclass
class BatchNorm1d(Layer):
    kind: ClassVar[str] = "BatchNorm1d"
    needs: ClassVar[str] = "flat"

    def params(self, s):
        return 2 * s[0]

    def macs(self, s, out):
        return s[0]

    def module(self, s):
        return nn.BatchNorm1d(s[0])

    def code(self, s):
        return f"nn.BatchNorm1d({s[0]:d})"


@dataclass
class Dropout(Layer):
    kind: ClassVar[str] = "Dropout"
    p: float = 0.5

    def label(self):
        return f"Dropout {self.p:g}"

    bounds: ClassVar[dict[str, Bound]] = {
        "p": Bound(0.0, 0.99, N_("the drop probability p must be between {lo:g} and {hi:g}"))}

    def module(self, s):
        return nn.Dropout(self.p)

    def code(self, s):
        return f"nn.Dropout({float(self.p)!r})"


@dataclass
class Flatten(Layer):
    kind: ClassVar[str] = "Flatten"

    def out_shape(self, s):
        return (math.prod(s),)

    def module(self, s):
        return nn.Flatten()

    def code(self, s):
        return "nn.Flatten()"


@dataclass
class Linear(Layer):
    kind: ClassVar[str] = "Linear"
    needs: ClassVar[str] = "flat"
    out_features: int = 10
    bias: bool = True

    def label(self):
        return f"Linear {self.out_features}"

    bounds: ClassVar[dict[str, Bound]] = {
        "out_features": Bound(1, MAX_FEATURES, N_("needs between {lo} and {hi} output features"))}

    def out_shape(self, s):
        return (self.out_features,)

    def params(self, s):
        return s[0] * self.out_features + (self.out_features if self.bias else 0)

    def macs(self, s, out):
        return s[0] * self.out_features

    def module(self, s):
        return nn.Linear(s[0], self.out_features, bias=self.bias)

    def code(self, s):
        return f"nn.Linear({s[0]:d}, {self.out_features:d}{'' if self.bias else ', bias=False'})"


def _activation(name: str, torch_name: str | None = None):
    torch_name = torch_name or name

    @dataclass
    class Act(Layer):
        kind: ClassVar[str] = name

        def module(self, s):
            return getattr(nn, torch_name)()

        def code(self, s):
            return f"nn.{torch_name}()"

    Act.__name__ = Act.__qualname__ = name
    return Act


ReLU = _activation("ReLU")
Sigmoid = _activation("Sigmoid")
Tanh = _activation("Tanh")
GELU = _activation("GELU")


@dataclass
class LeakyReLU(Layer):
    kind: ClassVar[str] = "LeakyReLU"
    negative_slope: float = 0.01

    bounds: ClassVar[dict[str, Bound]] = {
        "negative_slope": Bound(0.0, 0.99, N_("the negative slope must be between {lo:g} and {hi:g}"))}

    def module(self, s):
        return nn.LeakyReLU(self.negative_slope)

    def code(self, s):
        return f"nn.LeakyReLU({float(self.negative_slope)!r})"


@dataclass
class Softmax(Layer):
    kind: ClassVar[str] = "Softmax"

    def module(self, s):
        return nn.Softmax(dim=1)

    def code(self, s):
        return "nn.Softmax(dim=1)"


LAYER_TYPES: dict[str, type[Layer]] = {c.kind: c for c in (
    Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, BatchNorm1d, Dropout, Flatten, Linear,
    ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax)}
ACTIVATIONS = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax")


def _shown(text: str, limit: int = 40) -> str:
    """A user's string inside a message: quoted (one line, escapes visible) and cut short."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def layer_from_dict(d: dict, index: int | None = None) -> Layer:
    """One layer from its dict; every setting is type-checked and inside its ``Bound``."""
    where = Text(N_("layer {i}"), i=index) if index is not None else Text(N_("layer"))
    if not isinstance(d, dict):
        raise SpecError(Text(N_('{where}: expected an object like {{"type": "Conv2d", ...}}'), where=where))
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        what = Text(N_("unknown layer type {kind}"), kind=_shown(kind)) if isinstance(kind, str) \
            else Text(N_("no layer type"))
        raise SpecError(Text(N_("{where}: {what}; use one of {types}"), where=where, what=what,
                             types=", ".join(LAYER_TYPES)))
    cls = LAYER_TYPES[kind]
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in d.items():
        if key == "type":
            continue
        if key not in known:
            raise SpecError(Text(N_("{where} ({kind}): unknown setting {key}; it takes {known}"), where=where,
                                 kind=kind, key=_shown(key), known=", ".join(known) or Text(N_("no settings"))))
        default = known[key].default
        setting = Text(N_("{where} ({kind}) setting {key}"), where=where, kind=kind, key=repr(key))
        value = _coerce(value, default, setting)
        bound = cls.bounds.get(key)
        if bound is not None and value is not None:
            problem = bound.problem(value)
            if problem:
                raise SpecError(Text(N_("{where} ({kind}) {problem}"), where=where, kind=kind, problem=problem))
        kwargs[key] = value
    return cls(**kwargs)


def _coerce(value, default, where: Text):
    """``value`` as the type of ``default``; the message never echoes a value that is not a number."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SpecError(Text(N_("{where} must be true or false"), where=where))
        return value
    if isinstance(default, int) or default is None:  # ints, and pool strides that may be None
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not value.is_integer()):  # is_integer: False for inf and NaN
            raise SpecError(Text(N_("{where} must be a whole number"), where=where))
        return int(value)
    if isinstance(default, float):
        if not isinstance(value, bool) and isinstance(value, (int, float)) and abs(value) < 1e300:
            return float(value)  # the comparison is false for NaN, and safe for ints too long for a float
        raise SpecError(Text(N_("{where} must be a finite number"), where=where))
    return value


@dataclass
class LayerInfo:
    index: int          # 1-based, as a user counts
    label: str
    kind: str
    in_shape: Shape | None
    out_shape: Shape | None
    params: int = 0
    macs: int = 0
    rf: int | None = None
    error: str | None = None
    warning: str | None = None


@dataclass
class Analysis:
    layers: list[LayerInfo]
    errors: list[str]
    warnings: list[str]
    total_params: int
    total_macs: int

    @property
    def ok(self) -> bool:
        return not self.errors

    def rows(self) -> list[dict]:
        """One dict per layer, ready for a table."""
        fmt = lambda s: "x".join(map(str, s)) if s else "?"  # noqa: E731
        return [{"#": li.index, "layer": li.label, "input": fmt(li.in_shape), "output": fmt(li.out_shape),
                 "params": li.params, "MACs": li.macs, "receptive field": li.rf,
                 "message": li.error or li.warning or ""} for li in self.layers]


def _shape_words(s: Shape) -> Text:
    if len(s) == 3:
        return Text(N_("a {h}x{w} map with {c} channel") if s[0] == 1 else N_("a {h}x{w} map with {c} channels"),
                    h=s[1], w=s[2], c=s[0])
    return Text(N_("a flat vector of {n} feature") if s[0] == 1 else N_("a flat vector of {n} features"), n=s[0])


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _text(d: dict, key: str, default: str, limit: int, one_line: bool = False) -> str:
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise SpecError(Text(N_("the spec's {key} must be text"), key=key))
    if one_line and _CONTROL.search(value):
        raise SpecError(Text(N_("the spec's {key} must be one line of text, without control characters"), key=key))
    return value[:limit]


@dataclass
class ArchSpec:
    name: str = "custom"
    layers: list[Layer] = field(default_factory=list)
    input_shape: Shape = (1, 28, 28)
    num_classes: int = 10
    description: str = ""

    # --- JSON round trip -------------------------------------------------
    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "input_shape": list(self.input_shape),
                "num_classes": self.num_classes, "layers": [l.to_dict() for l in self.layers]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d) -> ArchSpec:
        if not isinstance(d, dict):
            raise SpecError(N_('a spec must be a JSON object with a "layers" list'))
        layers = d.get("layers")
        if not isinstance(layers, list):
            raise SpecError(N_('the spec has no "layers" list'))
        if len(layers) > MAX_LAYERS:
            raise SpecError(Text(N_("the spec has {n} layers; the cap is {cap}"), n=len(layers), cap=MAX_LAYERS))
        shape = d.get("input_shape", list(INPUT_SHAPE))
        if shape != list(INPUT_SHAPE) or not all(type(v) is int for v in shape):
            # The data is 1x28x28 everywhere: another shape would analyse as fine and fail in training.
            raise SpecError(N_("input_shape must be [1, 28, 28]: every dataset here is 28x28 digits in one grey "
                               "channel"))
        num_classes = d.get("num_classes", 10)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or not 2 <= num_classes <= 1000:
            raise SpecError(N_("num_classes must be a whole number between 2 and 1000"))
        return cls(name=_text(d, "name", "custom", MAX_NAME, one_line=True),
                   description=_text(d, "description", "", 300),
                   layers=[layer_from_dict(l, i + 1) for i, l in enumerate(layers)],
                   input_shape=INPUT_SHAPE, num_classes=num_classes)

    @classmethod
    def from_json(cls, text: str | bytes) -> ArchSpec:
        try:
            d = safejson.loads(text, MAX_SPEC_BYTES)
        except safejson.JSONInputError as exc:
            raise SpecError(str(exc)) from None
        return cls.from_dict(d)

    # --- analysis ----------------------------------------------------------
    def analyze(self, loss: str = "cross_entropy") -> Analysis:
        infos: list[LayerInfo] = []
        errors: list[str] = []
        warnings: list[str] = []
        shape: Shape | None = tuple(self.input_shape)
        rf, jump = 1, 1
        total_p = total_m = 0
        if not self.layers:
            errors.append(Text(N_("the network has no layers: start from a preset or add a layer")))
        if len(self.layers) > MAX_LAYERS:
            errors.append(Text(N_("the network has {n} layers; the cap is {cap}"), n=len(self.layers), cap=MAX_LAYERS))
        if tuple(self.input_shape) != INPUT_SHAPE or not all(type(v) is int for v in self.input_shape):
            errors.append(Text(N_("the input must be 1x28x28: every dataset here is 28x28 digits in one grey channel")))
            shape = None
        if isinstance(self.num_classes, bool) or not isinstance(self.num_classes, int) \
                or not 2 <= self.num_classes <= 1000:
            errors.append(Text(N_("num_classes must be a whole number between 2 and 1000")))
            shape = None
        for i, layer in enumerate(self.layers, start=1):
            problem = layer.check()
            # label() formats the settings: only once they are known to be numbers of the right kind
            label = layer.kind if problem and layer.type_problem() else layer.label()
            info = LayerInfo(i, label, layer.kind, shape, None)
            infos.append(info)
            if shape is None:  # an earlier layer failed: shapes below are unknown
                continue
            if problem is None:
                problem = self._fit_problem(layer, shape)
            if problem:
                info.error = Text(N_("layer {i} ({label}) {problem}"), i=i, label=label, problem=problem)
                errors.append(info.error)
                shape = None
                continue
            out = layer.out_shape(shape)
            info.out_shape = out
            info.params = layer.params(shape)
            info.macs = layer.macs(shape, out)
            if len(shape) == 3:
                rf, jump = layer.rf(rf, jump)
                info.rf = rf
            total_p += info.params
            total_m += info.macs
            shape = out
        if shape is not None and self.layers:
            if len(shape) != 1:
                errors.append(Text(N_("the network ends with {shape}: add Flatten and Linear({n}) at the end"),
                                   shape=_shape_words(shape), n=self.num_classes))
            elif shape[0] != self.num_classes:
                errors.append(Text(N_("the network ends with {outputs} outputs but needs {n} (one per class): "
                                      "make the last Linear layer output {n}"), outputs=shape[0], n=self.num_classes))
        if total_p > MAX_PARAMS:
            errors.append(Text(N_("the network has {n} parameters; the cap on this server is {cap}: use fewer "
                                  "channels or pool before the Linear layer"), n=f"{total_p:,}", cap=f"{MAX_PARAMS:,}"))
        if self.layers and isinstance(self.layers[-1], Softmax) and loss == "cross_entropy":
            msg = Text(N_("layer {i} (Softmax) feeds cross-entropy, which applies its own softmax: the model still "
                          "learns, but slowly; remove the Softmax (predictions add it back)"), i=len(self.layers))
            infos[-1].warning = msg
            warnings.append(msg)
        return Analysis(infos, errors, warnings, total_p, total_m)

    def _fit_problem(self, layer: Layer, s: Shape) -> str | None:
        if layer.needs == "map" and len(s) != 3:
            return Text(N_("receives {shape} but needs a 2-D map: move it before the Flatten layer"),
                        shape=_shape_words(s))
        if layer.needs == "flat" and len(s) != 1:
            return Text(N_("receives {shape}: add a Flatten layer before it"), shape=_shape_words(s))
        if isinstance(layer, (Conv2d, _Pool)):
            k, pad = layer.kernel_size, layer.padding
            if s[1] + 2 * pad < k or s[2] + 2 * pad < k:
                fix = Text(N_("remove a pooling layer or add padding")) if isinstance(layer, _Pool) \
                    else Text(N_("use a smaller kernel, add padding or pool less before it"))
                return Text(N_("receives a {h}x{w} map, smaller than its {k}x{k} window: {fix}"), h=s[1], w=s[2],
                            k=k, fix=fix)
            out = layer.out_shape(s)
            if out[1] < 1 or out[2] < 1:
                return Text(N_("would output an empty map from {h}x{w}: add padding or reduce the stride"),
                            h=s[1], w=s[2])
        if isinstance(layer, Linear) and s[0] * layer.out_features > MAX_PARAMS:
            return Text(N_("would hold {n} weights: pool more before flattening"), n=f"{s[0] * layer.out_features:,}")
        return None

    # --- building ------------------------------------------------------------
    def shapes(self) -> list[Shape]:
        """Input shape of every layer, then the output; raises SpecError if invalid."""
        a = self.analyze()
        if not a.ok:
            raise SpecError(a.errors[0])
        return [li.in_shape for li in a.layers] + [a.layers[-1].out_shape]

    def build(self) -> nn.Sequential:
        shapes = self.shapes()
        return nn.Sequential(*[l.module(s) for l, s in zip(self.layers, shapes)])

    def ends_with_softmax(self) -> bool:
        return bool(self.layers) and isinstance(self.layers[-1], Softmax)

    def to_code(self, class_name: str = "Net") -> str:
        """Runnable PyTorch code for this spec, shapes written out as comments.

        The spec's name is the only text from the user that reaches the code: it goes in as a
        ``repr`` literal (a docstring all the same), so no quote, backslash or newline in it
        can end the string. Every number is formatted with ``:d`` or ``repr(float)`` after
        ``analyze`` has type-checked it, so nothing else a layer emits is pasted text."""
        if not class_name.isidentifier() or keyword.iskeyword(class_name):
            raise SpecError(N_("the class name of the exported code must be a Python identifier"))
        shapes = self.shapes()
        fmt = lambda s: "(B, " + ", ".join(f"{n:d}" for n in s) + ")"  # noqa: E731
        doc = repr(f"{self.name}: generated by MNIST Lab from its layer spec.")
        lines = ["import torch", "from torch import nn", "", "",
                 f"class {class_name}(nn.Module):",
                 f"    {doc}", "",
                 "    def __init__(self):", "        super().__init__()",
                 "        self.layers = nn.Sequential("]
        for layer, s_in, s_out in zip(self.layers, shapes, shapes[1:]):
            lines.append(f"            {layer.code(s_in)},  # -> {fmt(s_out)}")
        lines += ["        )", "",
                  "    def forward(self, x):  # x: " + fmt(self.input_shape),
                  "        return self.layers(x)", "", "",
                  'if __name__ == "__main__":',
                  f"    model = {class_name}()",
                  f"    out = model(torch.zeros(2, {', '.join(f'{n:d}' for n in self.input_shape)}))",
                  f"    print(out.shape)  # torch.Size([2, {self.num_classes:d}])", ""]
        return "\n".join(lines)

    def file_stem(self) -> str:
        """The spec's name made safe as a download's file name: letters, digits, ``-``, ``_``
        and inner dots only, never a path, a hidden file or empty."""
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(self.name)).strip("._")[:60].rstrip("._")
        return stem or "network"

    def param_names(self) -> dict[str, tuple[int, str]]:
        """Maps state-dict prefixes ("3.weight") to (layer number, label) for messages."""
        return {str(i): (i + 1, l.label()) for i, l in enumerate(self.layers)}


def make(kind: str, **kwargs) -> Layer:
    return layer_from_dict({"type": kind, **kwargs})
