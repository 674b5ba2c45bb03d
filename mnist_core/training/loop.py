"""The one training loop, for both engines, in the manner of fastai's Learner: ``fit`` wires an
engine (torch or NumPy: each supplies a training step and an evaluation) to a ``Loop`` that owns
what they share: pause, stop and learning-rate changes from another thread, the schedule, the
step budget, logging, the epoch record, the end. Features (health checks, snapshots, the run
log) are callbacks (``callbacks.py``). Everything leaves as typed events (``events.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from torch import nn

from mnist_core.data import Dataset
from mnist_core.i18n import N_, Text
from mnist_core.spec import ArchSpec
from mnist_core.training.callbacks import Callback, EpochWeights, EventSink, HealthCheck, Snapshots, Watchdog
from mnist_core.training.config import TrainConfig
from mnist_core.training.control import Control
from mnist_core.training.events import End, Epoch, Event, LrChange, Message, Start, Step
from mnist_core.training.schedule import lr_factor, step_budget


class Engine(Protocol):
    """What an engine supplies to the loop."""

    device: str        # in words, for the start event and the result
    n_train: int       # training digits (after subset and validation split)

    def start_info(self) -> dict: ...                      # the rest of the start event
    def begin_epoch(self, epoch: int) -> None: ...          # shuffle
    def train_step(self, batch: int, batch_size: int, lr: float) -> int: ...  # one step; digits in it
    def take_log(self) -> tuple[float, float]: ...          # (mean loss, accuracy) since the last call
    def evaluate(self) -> dict: ...                         # test_loss, test_acc [, val_acc]
    def module(self) -> nn.Module: ...                      # the model now, for snapshots
    def finish(self, status: str) -> tuple[nn.Module, float | None, float | None]: ...


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
    history: list[Epoch] = field(default_factory=list)
    message: str = ""
    temperature: float | None = None  # fitted on the validation split when the config asks
    test_ece: float | None = None     # expected calibration error on the test set, after calibration

    @property
    def images_per_second(self) -> float:
        return self.images_seen / self.train_seconds if self.train_seconds > 0 else 0.0

    def summary(self, data_source: str = "", dataset: str | None = None) -> dict:
        """Plain data for a run's summary.json and the page's result line."""
        return {"dataset": dataset, "status": self.status, "test_accuracy": self.test_accuracy,
                "test_loss": self.test_loss, "train_seconds": self.train_seconds,
                "images_per_second": self.images_per_second, "steps": self.steps, "epochs": self.epochs_done,
                "device": self.device, "message": self.message,
                "data_source": data_source, "temperature": self.temperature, "test_ece": self.test_ece}


class Clock:
    """Training time: pauses and evaluations are not counted."""

    def __init__(self):
        self.total, self._since = 0.0, time.perf_counter()

    def hold(self):
        self.total += time.perf_counter() - self._since

    def go(self):
        self._since = time.perf_counter()

    def now(self) -> float:
        return self.total + time.perf_counter() - self._since


def make_engine(spec: ArchSpec, cfg: TrainConfig, data: Dataset) -> Engine:
    if cfg.engine == "numpy":
        from mnist_core.training.numpy_engine import NumpyEngine
        return NumpyEngine(spec, cfg, data)
    from mnist_core.training.torch_engine import TorchEngine
    return TorchEngine(spec, cfg, data)


def fit(spec: ArchSpec, cfg: TrainConfig, data: Dataset, callback: Callable[[Event], None] | None = None,
        control: Control | None = None, on_epoch_end: Callable | None = None, on_snapshot: Callable | None = None,
        callbacks: Iterable[Callback] = (), watchdog: Watchdog | None = None) -> TrainResult:
    """Train ``spec`` on ``data`` with ``cfg``. ``callback`` gets every event; ``on_epoch_end(model, epoch)``
    and ``on_snapshot(model, step)`` get the weights to keep; ``watchdog`` replaces the default health check."""
    cfg.validate()
    engine = make_engine(spec, cfg, data)
    dog = watchdog or Watchdog(spec.num_classes, window=max(20, 200 // cfg.log_every))
    features: list[Callback] = [HealthCheck(dog, cfg.log_every)]
    if on_snapshot:
        features.append(Snapshots(on_snapshot))
    if on_epoch_end:
        features.append(EpochWeights(on_epoch_end))
    features += list(callbacks)
    if callback:
        features.append(EventSink(callback))
    return Loop(cfg, engine, control or Control(), features).run()


class Loop:
    """One run: the counters callbacks read (``step``, ``epoch``, ``lr``, ``status``...) and the phases,
    each a screen-sized method: ``run`` -> ``run_epoch`` -> ``one_batch``, then ``end_epoch`` and ``finish``."""

    def __init__(self, cfg: TrainConfig, engine: Engine, control: Control, callbacks: list[Callback]):
        self.cfg, self.engine, self.control, self.callbacks = cfg, engine, control, callbacks
        self.batch_size, self.steps_per_epoch, self.total_steps = step_budget(cfg, engine.n_train)
        self.step = self.seen = self.epoch = 0
        self.base_lr = self.lr = cfg.lr
        self.status, self.message = "finished", ""
        self.history: list[Epoch] = []
        self.clock = Clock()
        self._since_log = 0  # digits since the last step event

    # --- what callbacks may call
    def emit(self, event: Event):
        for cb in self.callbacks:
            cb.on_event(self, event)

    def stop(self, status: str, message: str):
        self.status, self.message = status, message

    @property
    def stopping(self) -> bool:
        return self.status != "finished" or self.step >= self.total_steps

    def _hook(self, name: str, *args):
        for cb in self.callbacks:
            getattr(cb, name)(self, *args)

    # --- the phases
    def run(self) -> TrainResult:
        self.emit(Start(device=self.engine.device, total_steps=self.total_steps,
                        steps_per_epoch=self.steps_per_epoch, **self.engine.start_info()))
        self._hook("on_fit_start")
        self.clock.go()
        for epoch in range(1, self.cfg.epochs + 1):
            self.epoch = epoch
            if not self.run_epoch() or self.stopping:
                break
        self.clock.hold()
        return self.finish()

    def run_epoch(self) -> bool:
        """One epoch; False if it ended before its first step (nothing to record)."""
        self.engine.begin_epoch(self.epoch)
        start, self._ep = self.clock.now(), [0.0, 0.0, 0]  # loss x digits, correct, digits
        for b in range(self.steps_per_epoch):
            if not self.control_point():
                break
            self.one_batch(b, last=b == self.steps_per_epoch - 1)
            if self.stopping:
                break
        if self._ep[2] == 0:
            return False
        self.end_epoch(self.clock.now() - start)
        return True

    def control_point(self) -> bool:
        """Pause, stop and a new learning rate, once a batch; False: stop now."""
        if self.control.paused:
            self.clock.hold()
            self.control.wait_if_paused(lambda: self.emit(Message.of("info", Text(N_("paused at step {step}"),
                                                                                    step=self.step))))
            self.clock.go()
        if self.control.stopped:
            self.stop("stopped", Text(N_("stopped by the user at step {step}"), step=self.step))
            return False
        new_lr = self.control.take_lr()
        if new_lr is not None:
            self.base_lr = new_lr
            self.emit(LrChange(self.step, new_lr))
        return True

    def one_batch(self, b: int, last: bool):
        self.lr = self.base_lr * lr_factor(self.cfg, self.step, self.total_steps, self.steps_per_epoch)
        n = self.engine.train_step(b, self.batch_size, self.lr)
        self.step += 1
        self.seen += n
        self._since_log += n
        if self.step % self.cfg.log_every == 0 or last or self.step == self.total_steps:
            self.log()
        self._hook("on_step_end")

    def log(self):
        loss, acc = self.engine.take_log()  # the one host sync per log interval
        k, self._since_log = self._since_log, 0
        self._ep = [self._ep[0] + loss * k, self._ep[1] + acc * k, self._ep[2] + k]
        t = self.clock.now()
        ev = Step(step=self.step, epoch=self.epoch, loss=loss, acc=acc, lr=self.lr,
                  ips=self.seen / t if t > 0 else 0.0, elapsed=t,
                  eta=(self.total_steps - self.step) * t / self.step, progress=self.step / self.total_steps)
        self.emit(ev)
        self._hook("on_log", ev)

    def end_epoch(self, seconds: float):
        loss_sum, correct, n = self._ep
        elapsed = self.clock.now()
        scores = {}
        if self.cfg.eval_every_epoch or self.epoch == self.cfg.epochs or self.stopping:
            self.clock.hold()
            scores = self.engine.evaluate()
            self.clock.go()
        ev = Epoch(epoch=self.epoch, step=self.step, train_loss=loss_sum / n, train_acc=correct / n,
                   epoch_seconds=seconds, elapsed=elapsed, **scores)
        self.history.append(ev)
        self.emit(ev)
        self._hook("on_epoch_end", ev)

    def finish(self) -> TrainResult:
        last = next((h for h in reversed(self.history) if h.test_acc is not None), None)
        test = {"test_acc": last.test_acc, "test_loss": last.test_loss} if last else {}
        if last is None and self.status != "diverged":
            test = self.engine.evaluate()
        model, temperature, ece = self.engine.finish(self.status)
        result = TrainResult(model=model, status=self.status, test_accuracy=test.get("test_acc"),
                             test_loss=test.get("test_loss"), train_seconds=self.clock.total,
                             images_seen=self.seen, steps=self.step, epochs_done=len(self.history),
                             device=self.engine.device, history=self.history, message=self.message,
                             temperature=temperature, test_ece=ece)
        self.emit(End(self.status, result.test_accuracy, self.clock.total, self.message))
        return result
