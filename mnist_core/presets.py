"""The seed architectures and friends, as specs with their original training settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from mnist_core import MnistLabError
from mnist_core.i18n import N_, Text
from mnist_core.spec import (
    ArchSpec,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)


@dataclass
class Preset:
    name: str
    title: str                                 # title, description and origin are English marked N_:
    description: str                           # a page shows them with _() (the Chinese titles name the
    layers: list                               # seed tutorials as they call themselves)
    train: dict = field(default_factory=dict)  # TrainConfig overrides: the original settings
    origin: str = ""                           # what the original program reached, in words

    def spec(self) -> ArchSpec:
        import copy
        return ArchSpec(name=self.name, layers=copy.deepcopy(self.layers), description=self.description)


def _conv_block(c, k, pad=0, pool=True):
    return [Conv2d(c, k, padding=pad), ReLU()] + ([MaxPool2d(2)] if pool else [])


def _strided_net(c1, c2, hidden):
    # Why it is fast: the stride-2 stem never materialises a 28x28 feature map (elementwise work
    # on big maps dominated the profile), pooling comes before batch norm and ReLU (4x less
    # elementwise work), and channels_last lets oneDNN pick its fastest conv kernels.
    return [Conv2d(c1, 5, stride=2, padding=2, bias=False), BatchNorm2d(), ReLU(),
            Conv2d(c2, 3, padding=1, bias=False), MaxPool2d(2), BatchNorm2d(), ReLU(),
            Flatten(), Linear(hidden), ReLU(), Linear(10)]


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("seed000", N_("tiny (seed000)"),
           N_("Three small 3x3 convs and a softmax before a loss that applies its own: a classic bug to spot."),
           _conv_block(4, 3, pad=2) + _conv_block(8, 3) + _conv_block(16, 3) + [Flatten(), Linear(10), Softmax()],
           dict(optimizer="adam", lr=1e-3, epochs=10, batch_size=64, loss_reduction="sum"),
           N_("shows kernels and feature maps; accuracy not given (batch size not given either: 64 here)")),
    Preset("seed001", N_("two-conv (seed001)"),
           N_("Two 5x5 conv blocks and one Linear layer: the classic PyTorch MNIST tutorial net."),
           _conv_block(16, 5, pad=2) + _conv_block(32, 5, pad=2) + [Flatten(), Linear(10)],
           dict(optimizer="adam", lr=1e-3, epochs=2, batch_size=200),
           N_("about 98% after 2 epochs")),
    Preset("seed002", N_("keras (seed002)"),
           N_("The Keras tutorial CNN: two 3x3 conv blocks, a 64-unit hidden layer, then 10 outputs."),
           _conv_block(32, 3) + _conv_block(64, 3) + [Flatten(), Linear(64), ReLU(), Linear(10)],
           dict(optimizer="adam", lr=1e-3, epochs=10, batch_size=32),
           N_("about 99% after 10 epochs")),
    Preset("seed003", N_("deep (seed003)"),
           N_("Four 5x5 convs with Adam at 0.01, a rate so high that it collapses to chance. At this rate the "
              "outcome depends on the initial weights: about half of all seeds collapse (seed 1, the default, "
              "does; seed 0 learns)."),
           _conv_block(16, 5, pad=2) + _conv_block(32, 5, pad=2, pool=False) + _conv_block(32, 5, pad=2)
           + _conv_block(64, 5, pad=2, pool=False) + [Flatten(), Linear(10)],
           dict(optimizer="adam", lr=0.01, epochs=9, batch_size=64, seed=1),
           N_("collapses to chance (loss stuck at 2.30) at lr 0.01; measured over seeds 0-7 (600 steps each on "
              "the full MNIST) seeds 1, 2, 4 and 5 collapsed, 0, 3, 6 and 7 reached 96-97%")),
    Preset("seed004", N_("from scratch (seed004)"),
           N_("784 -> 50 sigmoid -> 10 softmax, trained by hand-written NumPy backprop."),
           [Flatten(), Linear(50), Sigmoid(), Linear(10), Softmax()],
           dict(engine="numpy", optimizer="sgd", lr=0.1, batch_size=100, epochs=17, max_steps=10_000),
           N_("94.6% after 10,000 SGD steps")),
    Preset("lenet5", N_("LeNet-5"),
           N_("LeCun's 1998 network: 5x5 convs, average pooling, tanh, and 120-84-10 dense layers."),
           [Conv2d(6, 5, padding=2), Tanh(), AvgPool2d(2), Conv2d(16, 5), Tanh(), AvgPool2d(2),
            Flatten(), Linear(120), Tanh(), Linear(84), Tanh(), Linear(10)],
           dict(optimizer="adam", lr=1e-3, epochs=5, batch_size=128),
           N_("about 99% (LeCun et al. 1998: 0.95% error)")),
    Preset("fast", N_("fast (99% in seconds)"),
           N_("A strided 5x5 stem, one 3x3 conv block and a small dense head, trained for one epoch "
              "with a one-cycle schedule: the quickest way to 99% on a laptop CPU."),
           _strided_net(16, 24, 96),
           dict(optimizer="adam", lr=6e-3, betas=(0.7, 0.9), schedule="onecycle", epochs=1, batch_size=256,
                label_smoothing=0.1),
           N_("99% in one epoch")),
    Preset("demo", N_("demo (reads handwriting)"),
           N_("The fast network, a little wider, trained twelve epochs on digits written the way people write and "
              "seen the way scanners and phone photos see them (coarse, faint, on shaded paper), part of each batch "
              "left clean; shown letters and scribbles to be unsure of, then calibrated: the app's shipped model."),
           _strided_net(16, 32, 128),
           dict(optimizer="adam", lr=6e-3, betas=(0.7, 0.9), schedule="onecycle", epochs=12, batch_size=256,
                augment=True, augment_style="photos", augment_clean=0.4, ema=0.995, val_split=0.05,
                calibrate=True, outliers=0.15, outlier_weight=0.4),
           N_("99.3%+ with calibrated confidence")),
    Preset("best", N_("best (99.5%)"),
           N_("The fast network made wider, trained three epochs on randomly shifted, turned and scaled digits, "
              "with AdamW, label smoothing and a one-cycle schedule."),
           _strided_net(24, 48, 128),
           dict(optimizer="adamw", lr=4e-3, betas=(0.9, 0.99), schedule="onecycle", epochs=3, batch_size=128,
                weight_decay=5e-4, label_smoothing=0.1, augment=True),
           N_("99.5% in three epochs")),
]}


def get(name: str) -> Preset:
    if name not in PRESETS:
        raise MnistLabError(Text(N_("unknown preset {name}: choose one of {names}"), name=repr(name),
                                 names=", ".join(PRESETS)))
    return PRESETS[name]
