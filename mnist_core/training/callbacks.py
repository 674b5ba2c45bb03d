"""Features of a run as callbacks on the one loop, in the manner of Lightning's ``Callback``: a base
class of empty hooks, each feature a small class that overrides the ones it needs. The loop calls
them in order; a callback stops a run by ``loop.stop(status, message)``, never by a ``break``.

- ``HealthCheck``: a diverging (NaN/inf) run stops; a collapsed one (loss stuck at ln C) is explained
- ``Snapshots``: the weights at log-spaced steps of the first epoch (time travel)
- ``EpochWeights``: the weights at each epoch's end (the run store)
- ``EventSink``: every event to a function (a job's state, the run log, a progress bar)
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from mnist_core.i18n import N_, Text
from mnist_core.training.events import Epoch, Event, Message, Step
from mnist_core.training.schedule import snapshot_plan

if TYPE_CHECKING:
    from mnist_core.training.loop import Loop


class Callback:
    """Empty hooks; override what a feature needs. ``loop`` has the run's counters and ``emit``."""

    def on_fit_start(self, loop: Loop) -> None:
        """After the start event, before the first step."""

    def on_step_end(self, loop: Loop) -> None:
        """After every optimizer step (``loop.step`` counts it)."""

    def on_log(self, loop: Loop, event: Step) -> None:
        """After a step event (every ``log_every`` steps and at an epoch's end)."""

    def on_epoch_end(self, loop: Loop, event: Epoch) -> None:
        """After an epoch's event (and its evaluation)."""

    def on_event(self, loop: Loop, event: Event) -> None:
        """Every event the run emits, in order."""


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


def divergence_message(step: int, lr: float) -> Text:
    return Text(N_("The loss became infinite or NaN at step {step}: the updates are so large that the weights "
                   "blew up. Stopped. Try a learning rate about 10 times smaller than {lr}."), step=step, lr=f"{lr:g}")


def collapse_message(steps: int, lr: float) -> Text:
    return Text(N_("The loss has sat at 2.30 (= ln 10, the loss of pure guessing) for {steps} steps: the network "
                   "has collapsed and answers the same digit for everything. The learning rate {lr} is too high "
                   "for it; try {smaller}. At a rate this high the outcome depends on the random initial weights "
                   "(seed003 at 0.01 collapses for about half of all seeds): another seed may learn."),
                steps=steps, lr=f"{lr:g}", smaller=f"{lr / 10:g}")


class HealthCheck(Callback):
    def __init__(self, watchdog: Watchdog, log_every: int):
        self.dog, self.log_every = watchdog, log_every

    def on_log(self, loop: Loop, event: Step) -> None:
        if self.dog.diverged(event.loss):
            loop.stop("diverged", divergence_message(event.step, event.lr))
            loop.emit(Message.of("error", loop.message))
        elif self.dog.collapsed(event.step, event.loss, event.acc):
            loop.emit(Message.of("warning", collapse_message(len(self.dog.window) * self.log_every, event.lr)))


class Snapshots(Callback):
    """``save(model, step)`` at step 0 (the random start) and at log-spaced steps of the first epoch."""

    def __init__(self, save: Callable):
        self.save, self.plan = save, set()

    def on_fit_start(self, loop: Loop) -> None:
        self.plan = snapshot_plan(loop.steps_per_epoch)
        self.save(loop.engine.module(), 0)

    def on_step_end(self, loop: Loop) -> None:
        if loop.step in self.plan and loop.status != "diverged":
            self.save(loop.engine.module(), loop.step)


class EpochWeights(Callback):
    """``save(model, epoch)`` at each epoch's end, unless the weights have blown up."""

    def __init__(self, save: Callable):
        self.save = save

    def on_epoch_end(self, loop: Loop, event: Epoch) -> None:
        if loop.status != "diverged":
            self.save(loop.engine.module(), event.epoch)


class EventSink(Callback):
    def __init__(self, fn: Callable[[Event], None]):
        self.fn = fn

    def on_event(self, loop: Loop, event: Event) -> None:
        self.fn(event)
