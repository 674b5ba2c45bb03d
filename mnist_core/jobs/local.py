"""Training jobs and where they run: a ``TrainingJob`` runs ``fit`` on a background thread
(it never touches the UI: it appends events under a lock, and ``snapshot()`` hands out
copies), and a server-wide ``SlotQueue`` caps how many train at once."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import torch

from mnist_core import MnistLabError, public_message, settings
from mnist_core.data import Dataset
from mnist_core.i18n import N_
from mnist_core.spec import ArchSpec
from mnist_core.training.config import ConfigError, TrainConfig
from mnist_core.training.control import Control
from mnist_core.training.devices import cuda_ok, pick_device, usable_cpus
from mnist_core.training.events import Epoch, Event, LrChange, Message, Start, Step
from mnist_core.training.loop import fit


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


def default_slots(cpus: int | None = None) -> tuple[int, int]:
    """(concurrent jobs, threads per job): one per GPU, or one per pair of the CPUs this process may
    use (its affinity and container quota, not the host's core count)."""
    cpus = cpus or usable_cpus()
    if cuda_ok():
        return torch.cuda.device_count(), max(1, cpus // 2)
    jobs = max(1, cpus // 2)
    return jobs, max(1, cpus // jobs)


_JOBS, THREADS_PER_JOB = default_slots()
THREADS_PER_JOB = settings.threads_per_job(THREADS_PER_JOB)
SLOTS = SlotQueue(settings.max_jobs(_JOBS))
_tickets = iter(range(1, 1 << 62))
_ticket_lock = threading.Lock()


def next_ticket() -> int:
    """A number unique in this process for every job, wherever it runs."""
    with _ticket_lock:
        return next(_tickets)


@dataclass
class JobSnapshot:
    state: str                 # queued, running, paused, finished, stopped, diverged, failed
    steps: list[Step]
    epochs: list[Epoch]
    messages: list[Message]
    lr_changes: list[LrChange]
    progress: float
    eta: float | None
    queue_position: int
    info: Start | None         # the run's start event, once it has started
    run_id: str | None
    error: str | None
    result: dict | None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running", "paused")


def check_job(spec: ArchSpec, config: TrainConfig):
    """Settings and network checked before a job is queued, wherever it will run: one-line errors now,
    not on a thread or a worker later."""
    config.validate()
    a = spec.analyze()
    if not a.ok:
        raise ConfigError(a.errors[0])


class TrainingJob:
    """One training run on a background thread. The thread never touches the UI:
    it appends events under a lock, and ``snapshot()`` hands out copies."""

    def __init__(self, spec: ArchSpec, config: TrainConfig, data: Dataset, store=None,
                 name: str | None = None, slots: SlotQueue | None = None, preset: str | None = None, *,
                 actor=None):
        check_job(spec, config)
        if config.engine == "torch":
            pick_device(config.device)  # a device this machine lacks is refused now, not on the thread
        self.spec, self.config, self.data, self.store = spec, config, data, store
        self.name = name or spec.name
        self.preset = preset
        self.actor = actor  # who owns the run (an identity.Actor; None: the CLI, the teacher's)
        self.slots = slots or SLOTS
        self.control = Control()
        self._lock = threading.Lock()
        self._steps: list[Step] = []
        self._epochs: list[Epoch] = []
        self._messages: list[Message] = []
        self._lr_changes: list[LrChange] = []
        self._info: Start | None = None
        self._state = "queued"
        self._error: str | None = None
        self._run_id: str | None = None
        self._result: dict | None = None
        self._progress, self._eta = 0.0, None
        self._interrupted: str | None = None  # why the run was cut short without anyone asking
        self.ticket = next_ticket()
        self.thread = threading.Thread(target=self._main, name=f"train-{self.ticket}", daemon=True)
        self.created = time.time()

    # control, callable from any thread
    def start(self) -> TrainingJob:
        self.thread.start()
        return self

    def stop(self):
        self.control.stop()

    def interrupt(self, why: str):
        """Stop because whoever drove the run is gone (not a user's stop): the run is saved as
        "interrupted", saying ``why``, and is not offered as a finished model."""
        self._interrupted = why
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
                               list(self._lr_changes), self._progress, self._eta, pos, self._info,
                               self._run_id, self._error, self._result)

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    # the thread
    def _on_event(self, e: Event):
        with self._lock:
            if isinstance(e, Step):
                self._steps.append(e)
                self._progress, self._eta = e.progress, e.eta
            elif isinstance(e, Epoch):
                self._epochs.append(e)
            elif isinstance(e, Message):
                self._messages.append(e)
            elif isinstance(e, LrChange):
                self._lr_changes.append(e)
            elif isinstance(e, Start):
                self._info = e

    def _main(self):
        if not self.slots.acquire(self.ticket, lambda: self.control.stopped):
            with self._lock:
                self._state = "stopped"
                self._messages.append(Message("info", N_("cancelled while waiting")))
            return
        try:
            with self._lock:
                self._state = "paused" if self.control.paused else "running"
            cfg = self.config
            if cfg.threads is None:
                cfg = TrainConfig.from_dict({**cfg.to_dict(), "threads": THREADS_PER_JOB})
            run = self.store.create(self.name, self.spec, cfg, preset=self.preset,
                                    actor=self.actor) if self.store else None
            with self._lock:
                self._run_id = run.run_id if run else None  # known while it trains (the page's delete guard)
            snap = run.save_epoch if run else None
            cb = self._on_event if run is None else (lambda e: (self._on_event(e), run.log(e)))
            try:
                res = fit(self.spec, cfg, self.data, cb, self.control, snap, run.save_snapshot if run else None)
            except Exception as exc:
                if run is not None:  # the history must not show a run that never ends
                    run.fail(public_message(exc))
                raise
            summary = res.summary(self.data.describe(), self.data.name)
            if self._interrupted and summary["status"] == "stopped":
                summary = {**summary, "status": "interrupted",
                           "message": f"{self._interrupted} at step {summary.get('steps')}"}
            if run is not None:
                run.finish(res.model, summary)
            with self._lock:
                self._result = summary
                self._state = summary["status"]
                self._progress = 1.0 if res.status == "finished" else self._progress
            self.model = res.model
        except MnistLabError as exc:
            with self._lock:
                self._state, self._error = "failed", public_message(exc)
        except Exception as exc:  # a bug must end up on the page as one line, not kill the server
            traceback.print_exc()
            with self._lock:
                self._state, self._error = "failed", f"training failed: {public_message(exc)}"
        finally:
            self.slots.release(self.ticket)
