"""The parts of a training loop that both engines share (torch in ``engine.py``, the
from-scratch NumPy network in ``numpy_mlp.py``): user control from another thread, the
health checks and their messages, the schedule, the optimizer, the snapshot plan and
the result. Nothing here knows either engine, so the imports run one way."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from mnist_core.training.config import TrainConfig, check_lr

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
        lr = check_lr(lr)
        with self._lock:
            self._new_lr = lr

    def take_lr(self) -> float | None:
        with self._lock:
            lr, self._new_lr = self._new_lr, None
            return lr

    def poll(self, step: int, base_lr: float, emit) -> tuple[bool, float]:
        """Once a batch, for either engine: (stop now?, the base learning rate after any change the
        user asked for, announced as an ``lr_change`` event)."""
        if self.stopped:
            return True, base_lr
        new_lr = self.take_lr()
        if new_lr is not None:
            emit({"type": "lr_change", "step": step, "lr": new_lr})
            return False, new_lr
        return False, base_lr

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


def step_budget(cfg: TrainConfig, n: int) -> tuple[int, int, int]:
    """(batch size, optimizer steps per epoch, steps in all) for ``n`` training digits, after the
    dry-run caps ``max_batches`` and ``max_steps``."""
    bs = min(cfg.batch_size, n)
    steps_per_epoch = math.ceil(n / bs)
    if cfg.max_batches:
        steps_per_epoch = min(steps_per_epoch, cfg.max_batches)
    total = steps_per_epoch * cfg.epochs
    return bs, steps_per_epoch, min(total, cfg.max_steps) if cfg.max_steps else total


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


def snapshot_plan(steps_per_epoch: int) -> set[int]:
    """Log-spaced optimizer steps in the first epoch (1, 2, 5, 10, 20, 50, ...): a network changes
    most at the start, so evenly spaced snapshots would miss how it learns. Epoch ends come on top."""
    plan, base = set(), 1
    while base < steps_per_epoch:
        plan |= {m * base for m in (1, 2, 5) if m * base < steps_per_epoch}
        base *= 10
    return plan
