"""Training settings: ``TrainConfig``, a flat dataclass, and its validation (one-line messages)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

from mnist_core import MnistLabError
from mnist_core.i18n import N_, Text

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
AUGMENT_STYLES = ("affine", "handwriting", "scans", "photos")


class ConfigError(MnistLabError):
    """A training setting out of range; the message says which and why."""


def check_lr(lr) -> float:
    """A learning rate in (0, 10], or a one-line ConfigError: for the form, a change mid-run, a worker."""
    # Comparisons, not math.isfinite: they refuse NaN and inf, and a 400-digit int cannot overflow them.
    if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and 0 < lr <= 10):
        raise ConfigError(Text(N_("learning rate must be above 0 and at most 10, not {lr}"), lr=lr))
    return float(lr)


# What each setting must be, checked before any range: a lesson file or a script can hold any JSON.
# "int?" and "bool?" may also be None.
FIELD_TYPES = {
    "optimizer": "text", "schedule": "text", "loss_reduction": "text", "augment_style": "text", "device": "text",
    "engine": "text", "augment_clean_style": "text",
    "lr": "number", "momentum": "number", "gamma": "number", "weight_decay": "number", "label_smoothing": "number",
    "val_split": "number", "outliers": "number", "augment_clean": "number", "ema": "number",
    "outlier_weight": "number",
    "betas": "pair",
    "step_epochs": "int", "batch_size": "int", "epochs": "int", "seed": "int", "log_every": "int",
    "subset": "int?", "max_batches": "int?", "max_steps": "int?", "threads": "int?",
    "augment": "bool", "calibrate": "bool", "amp": "bool", "eval_every_epoch": "bool",
    "channels_last": "bool?",
}
MAX_SEED = 2**31 - 1         # NumPy's and torch's generators both take it
MAX_COUNT = 10_000_000       # images, batches or steps: far beyond any run on 60,000 digits
MAX_THREADS = 1024


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def type_problem(name: str, value) -> str | None:
    """Why ``value`` cannot be the setting ``name`` at all (wrong type, not finite), or None."""
    kind = FIELD_TYPES[name]
    if kind.endswith("?"):
        if value is None:
            return None
        kind = kind[:-1]
    optional = " (or null)" if FIELD_TYPES[name].endswith("?") else ""
    if kind == "text" and not isinstance(value, str):
        return f"{name} must be text"
    if kind == "bool" and not isinstance(value, bool):
        return f"{name} must be true or false{optional}"
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        return f"{name} must be a whole number{optional}"
    if kind == "number" and not _is_number(value):
        return f"{name} must be a number"
    if kind == "pair" and not (isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_number, value))):
        return f"{name} must be two numbers such as [0.9, 0.999]"
    return None  # NaN, inf and huge numbers are the range checks' to refuse: every number setting has one


@dataclass
class TrainConfig:
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9                       # SGD+momentum, Nesterov and RMSprop
    betas: tuple[float, float] = (0.9, 0.999)   # Adam and AdamW
    schedule: str = "constant"
    step_epochs: int = 1                        # "step" schedule: decay every this many epochs
    gamma: float = 0.5                          # "step" schedule: by this factor
    batch_size: int = 64
    epochs: int = 1
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    loss_reduction: str = "mean"                # "sum" reproduces seed000's CrossEntropy(sum)
    augment: bool = False                       # random distortions of each batch, on the tensors
    augment_style: str = "affine"               # "affine": small turns, shifts, scales; "handwriting":
                                                # wider ones, slant and stroke thickness too; "scans":
                                                # small/large digits, pressure, coarse resampled scans;
                                                # "photos": scans plus a shaded patch of paper
    augment_clean: float = 0.0                  # this share of each batch's digits left undistorted
    augment_clean_style: str = ""               # or distorted mildly in this style instead ("" = not at all)
    subset: int | None = None                   # train on the first N of a fixed shuffle
    val_split: float = 0.0                      # hold out this fraction of train for validation
    calibrate: bool = False                     # fit a temperature on the validation split at the end
    outliers: float = 0.0                       # this share of each batch: non-digits taught a flat answer
    outlier_weight: float = 0.25                # how much their flat answer counts against the digits' loss
    ema: float = 0.0                            # >0: evaluate and keep an average of the weights, this decay
    seed: int = 0
    device: str = "auto"                        # auto: CUDA, then MPS, then CPU
    engine: str = "torch"                       # "numpy": seed004's from-scratch network
    max_batches: int | None = None              # dry run: at most this many batches per epoch
    max_steps: int | None = None                # stop after this many optimizer steps in all
    threads: int | None = None                  # CPU threads; None: what the job slot grants
    channels_last: bool | None = None           # None: on where it measured faster (convs)
    amp: bool = True                            # bf16 autocast on CUDA
    eval_every_epoch: bool = True
    log_every: int = 5

    def validate(self) -> TrainConfig:
        def bad(msg):
            raise ConfigError(msg)
        for f in fields(self):  # types first: every range check below may then compare freely
            problem = type_problem(f.name, getattr(self, f.name))
            if problem:
                bad(problem)
        if self.optimizer not in OPTIMIZERS:
            bad(f"unknown optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            bad(f"unknown schedule {self.schedule!r}: choose one of {', '.join(SCHEDULES)}")
        check_lr(self.lr)
        if not 1 <= int(self.batch_size) <= 8192:
            bad(Text(N_("batch size must be between 1 and 8192, not {n}"), n=self.batch_size))
        if not 1 <= int(self.epochs) <= 200:
            bad(Text(N_("epochs must be between 1 and 200, not {n}"), n=self.epochs))
        if not 0 <= self.weight_decay <= 1:
            bad(N_("weight decay must be between 0 and 1"))
        if not 0 <= self.label_smoothing < 1:
            bad(N_("label smoothing must be at least 0 and below 1"))
        if not 0 <= self.val_split < 0.5:
            bad(N_("validation split must be at least 0 and below 0.5"))
        if self.augment_style not in AUGMENT_STYLES:
            bad(Text(N_("unknown augmentation {style}: choose one of {styles}"), style=repr(self.augment_style),
                     styles=", ".join(AUGMENT_STYLES)))
        if not 0 <= self.augment_clean < 1:
            bad(N_("augment_clean must be a share of the batch from 0 to below 1"))
        if self.augment_clean_style and self.augment_clean_style not in AUGMENT_STYLES:
            bad(Text(N_("unknown augmentation {style} for the clean share: leave it empty or choose one of {styles}"),
                     style=repr(self.augment_clean_style), styles=", ".join(AUGMENT_STYLES)))
        if not (self.ema == 0 or 0.5 <= self.ema < 1):
            bad(N_("ema must be 0 (off) or a decay from 0.5 to below 1, such as 0.995"))
        if not 0 <= self.outliers <= 0.5:
            bad(N_("outliers must be a share of the batch from 0 to 0.5"))
        if not 0 <= self.outlier_weight <= 2:
            bad(N_("outlier_weight must be from 0 to 2"))
        if self.calibrate and not self.val_split:
            bad(N_("calibration needs held-out digits: set a validation split (0.05 is plenty)"))
        if self.loss_reduction not in ("mean", "sum"):
            bad("loss reduction must be 'mean' or 'sum'")
        if self.engine not in ("torch", "numpy"):
            bad("engine must be 'torch' or 'numpy'")
        if self.subset is not None and not 1 <= self.subset <= MAX_COUNT:
            bad(f"subset must be a positive number of images, at most {MAX_COUNT:,}")
        for name, most in (("max_batches", MAX_COUNT), ("max_steps", MAX_COUNT), ("threads", MAX_THREADS)):
            v = getattr(self, name)
            if v is not None and v < 1:
                bad(f"{name} must be at least 1")
            if v is not None and v > most:
                bad(f"{name} must be at most {most:,}")
        if not 0 <= self.seed <= MAX_SEED:
            bad(f"seed must be a whole number from 0 to {MAX_SEED:,}")
        if not (isinstance(self.log_every, int) and 1 <= self.log_every <= 10_000):
            bad(f"log_every must be a whole number of steps from 1 to 10000, not {self.log_every}")
        if not (isinstance(self.step_epochs, int) and 1 <= self.step_epochs <= 200):
            bad(f"step_epochs (the step schedule's period) must be from 1 to 200 epochs, not {self.step_epochs}")
        if not (isinstance(self.gamma, (int, float)) and 0 < self.gamma <= 1):
            bad(f"gamma (the step schedule's decay factor) must be above 0 and at most 1, not {self.gamma}")
        if not (0 <= self.momentum < 1 and all(0 <= b < 1 for b in self.betas)):
            bad(N_("momentum and betas must be at least 0 and below 1"))
        if self.device not in ("auto", "cpu", "cuda", "mps") and not re.fullmatch(r"cuda:\d{1,2}", self.device):
            bad(f"unknown device {self.device[:20]!r}: use auto, cpu, cuda or mps")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Settings from a dict (a lesson file, a saved run, a worker's message): unknown names and
        values of the wrong type are a one-line ConfigError; ranges are ``validate``'s."""
        if not isinstance(d, dict):
            raise ConfigError(N_("training settings must be an object such as {\"epochs\": 2}"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k)[:40] for k in d if k not in known)
        if unknown:
            raise ConfigError(Text(N_("unknown training setting(s): {items}"), items=', '.join(unknown)))
        d = dict(d)
        for name, value in d.items():
            if FIELD_TYPES[name].startswith("int") and isinstance(value, float) and value.is_integer():
                value = d[name] = int(value)  # JSON writers may say 64.0
            problem = type_problem(name, value)
            if problem:
                raise ConfigError(problem)
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**d)


def with_changes(base: TrainConfig, changes: dict) -> TrainConfig:
    """A preset's settings with what a person changed (the Training form, the CLI's flags), checked.

    The one rule: an epoch count that differs from the preset's wins over the preset's step budget
    (seed004 trains for 10,000 steps; asked for 3 epochs, it trains 3 epochs)."""
    d = {**base.to_dict(), **changes}
    if "epochs" in changes and changes["epochs"] != base.epochs:
        d["max_steps"] = None
    return TrainConfig.from_dict(d).validate()
