"""The training engine and the background job object.

``fit`` reads top to bottom like pytorch/examples' ``train``: stage the data, build
the model, loop over epochs and batches, evaluate. Everything a chart needs leaves
it as plain-dict events; a ``TrainingJob`` runs it on a thread and keeps the events
behind a lock for the page to snapshot.
"""

from __future__ import annotations

import math
import os
import threading
import time
import traceback
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from . import MnistLabError
from .data import MEAN, STD, Dataset
from .spec import ArchSpec

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
AUGMENT_STYLES = ("affine", "handwriting")
LN10 = math.log(10)


class ConfigError(MnistLabError):
    """A training setting out of range; the message says which and why."""


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
                                                # wider ones, slant and stroke thickness too
    subset: int | None = None                   # train on the first N of a fixed shuffle
    val_split: float = 0.0                      # hold out this fraction of train for validation
    calibrate: bool = False                     # fit a temperature on the validation split at the end
    outliers: float = 0.0                       # this share of each batch: non-digits taught a flat answer
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

    def validate(self) -> "TrainConfig":
        def bad(msg):
            raise ConfigError(msg)
        if self.optimizer not in OPTIMIZERS:
            bad(f"unknown optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            bad(f"unknown schedule {self.schedule!r}: choose one of {', '.join(SCHEDULES)}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10):
            bad(f"learning rate must be above 0 and at most 10, not {self.lr}")
        if not 1 <= int(self.batch_size) <= 8192:
            bad(f"batch size must be between 1 and 8192, not {self.batch_size}")
        if not 1 <= int(self.epochs) <= 200:
            bad(f"epochs must be between 1 and 200, not {self.epochs}")
        if not 0 <= self.weight_decay <= 1:
            bad("weight decay must be between 0 and 1")
        if not 0 <= self.label_smoothing < 1:
            bad("label smoothing must be at least 0 and below 1")
        if not 0 <= self.val_split < 0.5:
            bad("validation split must be at least 0 and below 0.5")
        if self.augment_style not in AUGMENT_STYLES:
            bad(f"unknown augmentation {self.augment_style!r}: choose one of {', '.join(AUGMENT_STYLES)}")
        if not 0 <= self.outliers <= 0.5:
            bad("outliers must be a share of the batch from 0 to 0.5")
        if self.calibrate and not self.val_split:
            bad("calibration needs held-out digits: set a validation split (0.05 is plenty)")
        if self.loss_reduction not in ("mean", "sum"):
            bad("loss reduction must be 'mean' or 'sum'")
        if self.engine not in ("torch", "numpy"):
            bad("engine must be 'torch' or 'numpy'")
        if self.subset is not None and self.subset < 1:
            bad("subset must be a positive number of images")
        for name in ("max_batches", "max_steps", "threads"):
            v = getattr(self, name)
            if v is not None and v < 1:
                bad(f"{name} must be at least 1")
        if not (isinstance(self.log_every, int) and 1 <= self.log_every <= 10_000):
            bad(f"log_every must be a whole number of steps from 1 to 10000, not {self.log_every}")
        if not (isinstance(self.step_epochs, int) and 1 <= self.step_epochs <= 200):
            bad(f"step_epochs (the step schedule's period) must be from 1 to 200 epochs, not {self.step_epochs}")
        if not (isinstance(self.gamma, (int, float)) and 0 < self.gamma <= 1):
            bad(f"gamma (the step schedule's decay factor) must be above 0 and at most 1, not {self.gamma}")
        if not (0 <= self.momentum < 1 and all(0 <= b < 1 for b in self.betas)):
            bad("momentum and betas must be at least 0 and below 1")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith("cuda:"):
            bad(f"unknown device {self.device!r}: use auto, cpu, cuda or mps")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        d = dict(d)
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**d)


# --- devices ---------------------------------------------------------------------

def cuda_ok() -> bool:
    return torch.cuda.is_available()


def mps_ok() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def pick_device(pref: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU; an explicit request that cannot be met is an error."""
    if pref == "auto":
        return torch.device("cuda" if cuda_ok() else "mps" if mps_ok() else "cpu")
    if pref.startswith("cuda") and not cuda_ok():
        raise ConfigError("CUDA was requested but no CUDA GPU is visible: use device 'auto' or 'cpu'")
    if pref == "mps" and not mps_ok():
        raise ConfigError("MPS was requested but this machine has no Apple GPU: use device 'auto' or 'cpu'")
    return torch.device(pref)


def describe_device(device: torch.device | None = None) -> str:
    device = device or pick_device()
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU, {torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''}"


def autocast_dtype(device: torch.device, amp: bool = True) -> torch.dtype | None:
    """bf16 on CUDA (fast on tensor cores); None elsewhere: bf16 is slower on CPUs without it."""
    if amp and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def use_channels_last(spec: ArchSpec, config: TrainConfig, device: torch.device) -> bool:
    if config.channels_last is not None:
        return config.channels_last
    return any(l.kind == "Conv2d" for l in spec.layers)  # measured 1.3-1.7x for small convs on CPU and GPU


# --- data staging ------------------------------------------------------------------

def to_input(images: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """uint8 (B, 28, 28) -> normalised float (B, 1, 28, 28), on the images' device."""
    x = images.unsqueeze(1).to(torch.float32).mul_(1.0 / (255.0 * STD)).sub_(MEAN / STD)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


# style -> (max turn in degrees, max relative scale change, max shift in px, max shear)
_AFFINE = {"affine": (10, 0.1, 2, 0.0), "handwriting": (15, 0.2, 3, 0.15)}


def stroke_thickness(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """Thicker or thinner strokes for some digits of a batch: other pens, other hands.

    Grey-level dilation (a 3x3 or 2x2 max) or erosion (a 2x2 min) on the normalised
    tensor, which keeps the order of grey levels. Of each batch: 20% 3x3-thick, 20%
    2x2-thick, 20% thin, 40% as they were.
    """
    b = x.shape[0]
    pick = torch.rand(b, generator=gen).to(x.device).view(b, 1, 1, 1)
    thick3 = F.max_pool2d(x, 3, 1, 1)
    thick2 = F.max_pool2d(F.pad(x, (0, 1, 0, 1), value=float(x.min())), 2, 1)
    thin = -F.max_pool2d(F.pad(-x, (0, 1, 0, 1), value=float(-x.max())), 2, 1)
    return torch.where(pick < 0.2, thick3, torch.where(pick < 0.4, thick2, torch.where(pick < 0.6, thin, x)))


def soften(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """A 3x3 blur for a quarter of the batch: a photo of paper, a soft pencil, a resized scan."""
    b = x.shape[0]
    pick = torch.rand(b, generator=gen).to(x.device).view(b, 1, 1, 1) < 0.25
    k = torch.tensor([1.0, 2.0, 1.0], device=x.device)
    k = (k[:, None] * k[None, :] / 16).view(1, 1, 3, 3)  # (1, 1, 3, 3) binomial ~ Gaussian sigma 0.7
    bg = -MEAN / STD
    blurred = F.conv2d(x - bg, k.to(x.dtype), padding=1) + bg
    return torch.where(pick, blurred, x)


def augment_batch(x: torch.Tensor, gen: torch.Generator | None = None, style: str = "affine") -> torch.Tensor:
    """Random affine distortions (turn, scale, shift, and for "handwriting" slant and stroke
    thickness), done on the normalised tensor (B, 1, 28, 28)."""
    turn, zoom, shift, shear = _AFFINE[style]
    if style == "handwriting":
        x = soften(stroke_thickness(x, gen), gen)
    b = x.shape[0]
    rnd = torch.rand(b, 5 if shear else 4, generator=gen).to(x.device) * 2 - 1  # (B, 4 or 5) in [-1, 1]
    angle = rnd[:, 0] * math.radians(turn)
    scale = 1 + rnd[:, 1] * zoom
    tx, ty = rnd[:, 2] * (shift / 14), rnd[:, 3] * (shift / 14)  # px of the [-1, 1] grid
    sh = rnd[:, 4] * shear if shear else 0.0
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + sh * cos, tx], 1),
                         torch.stack([sin, cos + sh * sin, ty], 1)], 1)  # (B, 2, 3): rotation @ shear
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    bg = -MEAN / STD  # the normalised value of a black pixel
    return F.grid_sample(x - bg, grid, align_corners=False, padding_mode="zeros") + bg


@torch.inference_mode()
def predict_logits(model: nn.Module, images: torch.Tensor, device: torch.device | str = "cpu",
                   batch_size: int = 2000, channels_last: bool = False) -> torch.Tensor:
    """Model outputs for uint8 images (N, 28, 28), in batches, returned on the CPU as float32."""
    device = torch.device(device)
    was_training = model.training
    model.eval()
    outs = []
    dtype = autocast_dtype(device)
    for i in range(0, len(images), batch_size):
        xb = to_input(images[i:i + batch_size].to(device, non_blocking=True), channels_last)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            outs.append(model(xb).float())
    model.train(was_training)
    return torch.cat(outs).cpu() if outs else torch.empty(0, 10)


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device="cpu",
             outputs_probs: bool = False, channels_last: bool = False) -> dict:
    """Loss and accuracy on a labelled set. ``outputs_probs``: the model ends with Softmax."""
    out = predict_logits(model, images, device, channels_last=channels_last)
    labels = labels.cpu()
    logp = torch.log(out.clamp_min(1e-12)) if outputs_probs else F.log_softmax(out, 1)
    loss = F.nll_loss(logp, labels).item() if len(labels) else float("nan")
    pred = out.argmax(1)
    acc = (pred == labels).float().mean().item() if len(labels) else float("nan")
    return {"loss": loss, "accuracy": acc, "pred": pred}


# --- control: stop, pause, resume, lr changes -------------------------------------

class Control:
    """What a user can do to a run from another thread; checked once per batch."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._new_lr: float | None = None

    def stop(self):
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    def pause(self):
        self._running.clear()

    def resume(self):
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def set_lr(self, lr: float):
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 10):
            raise ConfigError(f"learning rate must be above 0 and at most 10, not {lr}")
        with self._lock:
            self._new_lr = float(lr)

    def take_lr(self) -> float | None:
        with self._lock:
            lr, self._new_lr = self._new_lr, None
            return lr

    def wait_if_paused(self, on_pause: Callable[[], None] | None = None):
        if not self._running.is_set():
            if on_pause:
                on_pause()
            self._running.wait()


# --- health checks: divergence and collapse ----------------------------------------

class Watchdog:
    """Spots a diverging (NaN/inf) or collapsed (loss stuck at ln 10) run."""

    def __init__(self, num_classes: int = 10, window: int = 200, min_steps: int = 300):
        self.chance = math.log(num_classes)
        self.window = deque(maxlen=window)
        self.acc = deque(maxlen=window)
        self.min_steps = min_steps
        self.warned = False

    def diverged(self, loss: float) -> bool:
        return not math.isfinite(loss)

    def collapsed(self, step: int, loss: float, acc: float) -> bool:
        self.window.append(loss)
        self.acc.append(acc)
        if self.warned or step < self.min_steps or len(self.window) < self.window.maxlen:
            return False
        mean = sum(self.window) / len(self.window)
        if abs(mean - self.chance) < 0.05 and max(self.window) - min(self.window) < 0.25 \
                and sum(self.acc) / len(self.acc) < 0.2:
            self.warned = True
            return True
        return False


def divergence_message(step: int, lr: float) -> str:
    return (f"The loss became infinite or NaN at step {step}: the updates are so large that the weights "
            f"blew up. Stopped. Try a learning rate about 10 times smaller than {lr:g}.")


def collapse_message(steps: int, lr: float) -> str:
    return (f"The loss has sat at 2.30 (= ln 10, the loss of pure guessing) for {steps} steps: the network "
            f"has collapsed and answers the same digit for everything. The learning rate {lr:g} is too high "
            f"for it; try {lr / 10:g}. At a rate this high the outcome depends on the random initial weights "
            f"(seed003 at 0.01 collapses for about half of all seeds): another seed may learn.")


# --- the loop ------------------------------------------------------------------------

@dataclass
class TrainResult:
    model: nn.Module | object
    status: str                      # finished, stopped, diverged
    test_accuracy: float | None
    test_loss: float | None
    train_seconds: float
    images_seen: int
    steps: int
    epochs_done: int
    device: str
    history: list[dict] = field(default_factory=list)
    message: str = ""
    temperature: float | None = None  # fitted on the validation split when the config asks
    test_ece: float | None = None     # expected calibration error on the test set, after calibration

    @property
    def images_per_second(self) -> float:
        return self.images_seen / self.train_seconds if self.train_seconds > 0 else 0.0

    def summary(self, data_source: str = "", dataset: str | None = None) -> dict:
        """Plain data for a run's summary.json and the page's result line."""
        return {"dataset": dataset, "status": self.status, "test_accuracy": self.test_accuracy, "test_loss": self.test_loss,
                "train_seconds": self.train_seconds, "images_per_second": self.images_per_second,
                "steps": self.steps, "epochs": self.epochs_done, "device": self.device, "message": self.message,
                "data_source": data_source, "temperature": self.temperature, "test_ece": self.test_ece}


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    o, lr, wd = cfg.optimizer, cfg.lr, cfg.weight_decay
    if o == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if o in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, nesterov=o == "nesterov", weight_decay=wd)
    if o == "adam":
        return torch.optim.Adam(params, lr=lr, betas=cfg.betas, weight_decay=wd)
    if o == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=cfg.betas, weight_decay=wd)
    return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=wd)


def lr_factor(cfg: TrainConfig, step: int, total: int, steps_per_epoch: int) -> float:
    """The schedule as a multiplier of the base rate at optimizer step ``step`` (0-based)."""
    frac = min(step / max(total, 1), 1.0)
    if cfg.schedule == "step":
        return cfg.gamma ** (step // max(steps_per_epoch * cfg.step_epochs, 1))
    if cfg.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * frac))
    if cfg.schedule == "onecycle":  # linear warm-up over 25%, then linear decay to near zero
        warm = 0.25
        return 0.04 + 0.96 * frac / warm if frac < warm else max(1.0 - (frac - warm) / (1 - warm), 0.0) + 1e-3
    return 1.0


def default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, torch.get_num_threads()))


def fit(spec: ArchSpec, cfg: TrainConfig, data: Dataset,
        callback: Callable[[dict], None] | None = None, control: Control | None = None,
        on_epoch_end: Callable[[nn.Module, int], None] | None = None,
        on_snapshot: Callable[[nn.Module, int], None] | None = None) -> TrainResult:
    """Train ``spec`` on ``data`` with ``cfg``; events go to ``callback`` as plain dicts."""
    cfg.validate()
    emit = callback or (lambda e: None)
    control = control or Control()
    if cfg.engine == "numpy":
        from .numpy_mlp import fit_numpy
        return fit_numpy(spec, cfg, data, emit, control, on_epoch_end)
    analysis = spec.analyze(loss="cross_entropy")
    if not analysis.ok:
        raise ConfigError(analysis.errors[0])
    device = pick_device(cfg.device)
    if device.type == "cpu" and cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    # Stage the data: uint8 stays uint8 until a batch is drawn (4x less memory traffic).
    images, labels = data.train_images, data.train_labels
    order = torch.randperm(len(labels), generator=gen)
    if cfg.subset:
        order = order[:cfg.subset]
    n_val = int(len(order) * cfg.val_split)
    val_idx, train_idx = order[:n_val], order[n_val:]
    if len(train_idx) == 0:
        raise ConfigError("no training images left: raise the subset size or lower the validation split")
    x_train, y_train = images[train_idx].to(device), labels[train_idx].to(device)  # whole set on the device
    x_test, y_test = data.test_images.to(device), data.test_labels.to(device)
    bank = outlier_bank(cfg, device)  # (M, 28, 28) uint8 non-digits, or None

    chlast = use_channels_last(spec, cfg, device)
    model = spec.build().to(device)
    if chlast:
        model = model.to(memory_format=torch.channels_last)
    softmax_out = spec.ends_with_softmax()
    opt = make_optimizer(model.parameters(), cfg)
    base_lr = cfg.lr
    amp = autocast_dtype(device, cfg.amp)
    n = len(y_train)
    bs = min(cfg.batch_size, n)
    steps_per_epoch = math.ceil(n / bs)
    if cfg.max_batches:
        steps_per_epoch = min(steps_per_epoch, cfg.max_batches)
    total_steps = steps_per_epoch * cfg.epochs
    if cfg.max_steps:
        total_steps = min(total_steps, cfg.max_steps)
    dog = Watchdog(spec.num_classes, window=max(20, 200 // cfg.log_every))
    emit({"type": "start", "device": describe_device(device), "total_steps": total_steps,
          "steps_per_epoch": steps_per_epoch, "train_size": n, "val_size": int(n_val),
          "params": analysis.total_params, "channels_last": chlast, "amp": str(amp)})

    history: list[dict] = []
    plan = snapshot_plan(steps_per_epoch) if on_snapshot else set()  # steps where learning is seen to happen
    if on_snapshot:
        on_snapshot(model, 0)  # the random start
    step = seen = 0
    status, message = "finished", ""
    train_time = 0.0
    t_last = time.perf_counter()
    loss_acc = torch.zeros((), device=device)
    correct_acc = torch.zeros((), device=device, dtype=torch.long)
    logged_seen = 0
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        ep_loss = ep_correct = ep_seen = 0.0
        t_epoch = time.perf_counter()
        for b in range(steps_per_epoch):
            if control.paused:
                train_time += time.perf_counter() - t_last
                control.wait_if_paused(lambda: emit({"type": "message", "level": "info",
                                                     "text": f"paused at step {step}"}))
                t_last = time.perf_counter()
            if control.stopped:
                status, message = "stopped", f"stopped by the user at step {step}"
                break
            new_lr = control.take_lr()
            if new_lr is not None:
                base_lr = new_lr
                emit({"type": "lr_change", "step": step, "lr": new_lr})
            lr = base_lr * lr_factor(cfg, step, total_steps, steps_per_epoch)
            for g in opt.param_groups:
                g["lr"] = lr

            idx = perm[b * bs:(b + 1) * bs]
            xb = to_input(x_train[idx], chlast)  # (B, 1, 28, 28)
            yb = y_train[idx]
            n_out = 0
            if bank is not None:  # outlier exposure: a few non-digits ride along in the batch
                n_out = max(1, int(len(yb) * cfg.outliers))
                pick = torch.randint(len(bank), (n_out,), generator=gen).to(device)
                xb = torch.cat([xb, to_input(bank[pick], chlast)])
            if cfg.augment:
                xb = augment_batch(xb, gen, cfg.augment_style)
            with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
                out = model(xb)  # (B [+ outliers], 10)
            out = out.float()
            if n_out:
                out, out_junk = out[:-n_out], out[-n_out:]
            # With a final Softmax this is seed000's bug, reproduced on purpose: CE of probabilities.
            loss = F.cross_entropy(out, yb, reduction=cfg.loss_reduction, label_smoothing=cfg.label_smoothing)
            digit_loss = loss  # what the charts show: the loss on the digits alone
            if n_out:  # cross-entropy to the flat distribution: "I don't know" on non-digits
                loss = loss - 0.25 * F.log_softmax(out_junk, 1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            bn = len(yb)
            seen += bn
            per_sample = digit_loss.detach() / bn if cfg.loss_reduction == "sum" else digit_loss.detach()
            loss_acc += per_sample * bn
            correct_acc += (out.detach().argmax(1) == yb).sum()

            if step % cfg.log_every == 0 or b == steps_per_epoch - 1 or step == total_steps:
                now = time.perf_counter()
                train_time += now - t_last
                t_last = now
                k = seen - logged_seen
                mean_loss = loss_acc.item() / k  # the one host sync per log interval
                acc = correct_acc.item() / k
                loss_acc.zero_()
                correct_acc.zero_()
                logged_seen = seen
                ep_loss += mean_loss * k
                ep_correct += acc * k
                ep_seen += k
                ips = seen / train_time if train_time > 0 else 0.0
                eta = (total_steps - step) * (train_time / step) if step else None
                emit({"type": "step", "step": step, "epoch": epoch, "loss": mean_loss, "acc": acc, "lr": lr,
                      "ips": ips, "elapsed": train_time, "eta": eta, "progress": step / total_steps})
                if dog.diverged(mean_loss):
                    status, message = "diverged", divergence_message(step, lr)
                    emit({"type": "message", "level": "error", "text": message})
                    break
                if dog.collapsed(step, mean_loss, acc):
                    emit({"type": "message", "level": "warning", "text": collapse_message(len(dog.window) * cfg.log_every, lr)})
            if step in plan:
                on_snapshot(model, step)
            if cfg.max_steps and step >= cfg.max_steps:
                break
        train_time += time.perf_counter() - t_last
        if ep_seen == 0:
            break
        rec = {"type": "epoch", "epoch": epoch, "train_loss": ep_loss / ep_seen,
               "train_acc": ep_correct / ep_seen, "seconds": time.perf_counter() - t_epoch, "step": step}
        if cfg.eval_every_epoch or epoch == cfg.epochs or status != "finished":
            ev = evaluate(model, x_test, y_test, device, softmax_out, chlast)
            rec.update(test_loss=ev["loss"], test_acc=ev["accuracy"])
            if n_val:
                vx, vy = images[val_idx].to(device), labels[val_idx].to(device)
                rec["val_acc"] = evaluate(model, vx, vy, device, softmax_out, chlast)["accuracy"]
        history.append(rec)
        emit(rec)
        if on_epoch_end and status != "diverged":
            on_epoch_end(model, epoch)
        t_last = time.perf_counter()
        if status != "finished" or (cfg.max_steps and step >= cfg.max_steps):
            break

    last = next((h for h in reversed(history) if "test_acc" in h), None)
    if last is None and status != "diverged":
        ev = evaluate(model, x_test, y_test, device, softmax_out, chlast)
        last = {"test_acc": ev["accuracy"], "test_loss": ev["loss"]}
    temperature = test_ece = None
    if status != "diverged" and not softmax_out:
        temperature, test_ece = calibrate(model, cfg, images[val_idx], labels[val_idx], x_test, y_test, device,
                                          chlast)
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    model.temperature = temperature or 1.0
    result = TrainResult(model=model, status=status, test_accuracy=last and last["test_acc"],
                         test_loss=last and last["test_loss"], train_seconds=train_time, images_seen=seen,
                         steps=step, epochs_done=len(history), device=describe_device(device),
                         history=history, message=message, temperature=temperature, test_ece=test_ece)
    emit({"type": "end", "status": status, "test_acc": result.test_accuracy, "seconds": train_time,
          "message": message})
    return result


def outlier_bank(cfg: TrainConfig, device: torch.device) -> torch.Tensor | None:
    if not cfg.outliers:
        return None
    from .synthetic import outlier_bank as make
    return torch.from_numpy(make(seed=cfg.seed + 12345)).to(device)


def snapshot_plan(steps_per_epoch: int) -> set[int]:
    """Log-spaced optimizer steps in the first epoch (1, 2, 5, 10, 20, 50, ...): a network changes
    most at the start, so evenly spaced snapshots would miss how it learns. Epoch ends come on top."""
    plan, base = set(), 1
    while base < steps_per_epoch:
        plan |= {m * base for m in (1, 2, 5) if m * base < steps_per_epoch}
        base *= 10
    return plan


def calibrate(model, cfg: TrainConfig, val_x, val_y, test_x, test_y, device, chlast) -> tuple[float | None, float]:
    """(temperature fitted on the validation digits or None, the test set's ECE with it)."""
    from .calibration import expected_calibration_error, fit_temperature
    t = None
    if cfg.calibrate and len(val_y):
        t = fit_temperature(predict_logits(model, val_x.to(device), device, channels_last=chlast), val_y)
    logits = predict_logits(model, test_x, device, channels_last=chlast)
    probs = F.softmax(logits / (t or 1.0), 1).numpy()
    return t, expected_calibration_error(probs, test_y.cpu().numpy())


# --- the job: a run on a background thread --------------------------------------------

class SlotQueue:
    """A server-wide cap on concurrent training jobs; extra jobs wait in FIFO order."""

    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self._cond = threading.Condition()
        self._running: set[int] = set()
        self._waiting: list[int] = []

    def position(self, ticket: int) -> int:
        with self._cond:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    def acquire(self, ticket: int, cancelled: Callable[[], bool]) -> bool:
        with self._cond:
            self._waiting.append(ticket)
            try:
                while not (len(self._running) < self.capacity and self._waiting[0] == ticket):
                    if cancelled():
                        return False
                    self._cond.wait(0.2)
                self._running.add(ticket)
                return True
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()

    def release(self, ticket: int):
        with self._cond:
            self._running.discard(ticket)
            self._cond.notify_all()

    @property
    def busy(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def queued(self) -> int:
        with self._cond:
            return len(self._waiting)


def default_slots() -> tuple[int, int]:
    """(concurrent jobs, threads per job): one per GPU, or one per pair of CPU cores."""
    if cuda_ok():
        return torch.cuda.device_count(), max(1, (os.cpu_count() or 2) // 2)
    cores = os.cpu_count() or 1
    jobs = max(1, cores // 2)
    return jobs, max(1, cores // jobs)


_JOBS, THREADS_PER_JOB = default_slots()
THREADS_PER_JOB = int(os.environ.get("MNIST_LAB_THREADS", THREADS_PER_JOB))
SLOTS = SlotQueue(int(os.environ.get("MNIST_LAB_MAX_JOBS", _JOBS)))
_tickets = iter(range(1, 1 << 62))
_ticket_lock = threading.Lock()


@dataclass
class JobSnapshot:
    state: str                 # queued, running, paused, finished, stopped, diverged, failed
    steps: list[dict]
    epochs: list[dict]
    messages: list[dict]
    lr_changes: list[dict]
    progress: float
    eta: float | None
    queue_position: int
    info: dict
    run_id: str | None
    error: str | None
    result: dict | None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running", "paused")


class TrainingJob:
    """One training run on a background thread. The thread never touches the UI:
    it appends events under a lock, and ``snapshot()`` hands out copies."""

    def __init__(self, spec: ArchSpec, config: TrainConfig, data: Dataset, store=None,
                 name: str | None = None, slots: SlotQueue | None = None, preset: str | None = None):
        config.validate()
        a = spec.analyze()
        if not a.ok:
            raise ConfigError(a.errors[0])
        if config.engine == "torch":
            pick_device(config.device)  # a device this machine lacks is refused now, not on the thread
        self.spec, self.config, self.data, self.store = spec, config, data, store
        self.name = name or spec.name
        self.preset = preset
        self.slots = slots or SLOTS
        self.control = Control()
        self._lock = threading.Lock()
        self._steps: list[dict] = []
        self._epochs: list[dict] = []
        self._messages: list[dict] = []
        self._lr_changes: list[dict] = []
        self._info: dict = {}
        self._state = "queued"
        self._error: str | None = None
        self._run_id: str | None = None
        self._result: dict | None = None
        self._progress, self._eta = 0.0, None
        with _ticket_lock:
            self.ticket = next(_tickets)
        self.thread = threading.Thread(target=self._main, name=f"train-{self.ticket}", daemon=True)
        self.created = time.time()

    # control, callable from any thread
    def start(self) -> "TrainingJob":
        self.thread.start()
        return self

    def stop(self):
        self.control.stop()

    def pause(self):
        self.control.pause()
        with self._lock:
            if self._state == "running":
                self._state = "paused"

    def resume(self):
        self.control.resume()
        with self._lock:
            if self._state == "paused":
                self._state = "running"

    def set_lr(self, lr: float):
        self.control.set_lr(lr)

    def join(self, timeout: float | None = None):
        self.thread.join(timeout)

    def snapshot(self) -> JobSnapshot:
        pos = self.slots.position(self.ticket)
        with self._lock:
            return JobSnapshot(self._state, list(self._steps), list(self._epochs), list(self._messages),
                               list(self._lr_changes), self._progress, self._eta, pos, dict(self._info),
                               self._run_id, self._error, self._result)

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    # the thread
    def _on_event(self, e: dict):
        with self._lock:
            t = e["type"]
            if t == "step":
                self._steps.append(e)
                self._progress, self._eta = e["progress"], e["eta"]
            elif t == "epoch":
                self._epochs.append(e)
            elif t == "message":
                self._messages.append(e)
            elif t == "lr_change":
                self._lr_changes.append(e)
            elif t == "start":
                self._info = e

    def _main(self):
        if not self.slots.acquire(self.ticket, lambda: self.control.stopped):
            with self._lock:
                self._state = "stopped"
                self._messages.append({"type": "message", "level": "info", "text": "cancelled while waiting"})
            return
        try:
            with self._lock:
                self._state = "paused" if self.control.paused else "running"
            cfg = self.config
            if cfg.threads is None:
                cfg = TrainConfig.from_dict({**cfg.to_dict(), "threads": THREADS_PER_JOB})
            run = self.store.create(self.name, self.spec, cfg, preset=self.preset) if self.store else None
            snap = run.save_epoch if run else None
            cb = self._on_event if run is None else (lambda e: (self._on_event(e), run.log(e)))
            try:
                res = fit(self.spec, cfg, self.data, cb, self.control, snap, run.save_snapshot if run else None)
            except Exception as exc:
                if run is not None:  # the history must not show a run that never ends
                    run.fail(str(exc) if isinstance(exc, MnistLabError) else f"{type(exc).__name__}: {exc}")
                raise
            summary = res.summary(self.data.describe(), self.data.name)
            if run is not None:
                run.finish(res.model, summary)
            with self._lock:
                self._result = summary
                self._run_id = run.run_id if run else None
                self._state = res.status
                self._progress = 1.0 if res.status == "finished" else self._progress
            self.model = res.model
        except MnistLabError as exc:
            with self._lock:
                self._state, self._error = "failed", str(exc)
        except Exception as exc:  # a bug must end up on the page as one line, not kill the server
            traceback.print_exc()
            with self._lock:
                self._state, self._error = "failed", f"training failed: {type(exc).__name__}: {exc}"
        finally:
            self.slots.release(self.ticket)
