"""Training outside the app's process: a worker process here, or (``cluster.py``) a Ray actor.

Why a process: a Streamlit server runs every session's reruns as Python threads of one process.
A training thread among them shares their GIL, and each of its thousands of small torch calls per
second waits for the GIL behind whichever session is building a chart: in the classroom load test
(8 sessions, one run training) a run that trains at 8,000 images/s alone crawled at 12. A worker
process has its own interpreter, so the class's reruns and the training no longer queue for one
lock; and when the run ends its memory goes back to the system with the process.

The worker hosts an ordinary ``jobs.TrainingJob`` (``JobHost``); the app keeps a ``RemoteJob``,
which has the methods the pages use and asks the worker for what is new since the last poll,
without ever blocking a rerun. The server-wide ``SlotQueue`` still decides when a worker starts.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import torch

from mnist_core import MnistLabError, public_message
from mnist_core.data import Dataset, load_idx_dir
from mnist_core.i18n import N_
from mnist_core.jobs.local import SLOTS, THREADS_PER_JOB, JobSnapshot, SlotQueue, TrainingJob, check_job, next_ticket
from mnist_core.spec import ArchSpec
from mnist_core.training.config import TrainConfig, check_lr
from mnist_core.training.devices import pick_device
from mnist_core.training.events import Message, Start

Seen = tuple[int, int, int, int]  # events the app already has: steps, epochs, messages, lr changes


class JobHost:
    """The worker's side: an ordinary ``TrainingJob``, polled for what is new."""

    def __init__(self, spec: dict, config: dict, data, runs_root: str | None, name: str, preset: str | None,
                 actor=None):
        from mnist_core.runs import RunStore
        self.job, self.error = None, None
        try:
            store = RunStore(runs_root) if runs_root else None
            self.job = TrainingJob(ArchSpec.from_dict(spec), TrainConfig.from_dict(config), unpack_data(data),
                                   store=store, name=name, slots=SlotQueue(1), preset=preset,
                                   actor=actor).start()
        except MnistLabError as exc:  # e.g. CUDA asked for on a node without one: the page says why
            self.error = public_message(exc)

    def poll(self, seen: Seen) -> JobSnapshot:
        """The job's state, with only the events after the ``seen`` counts."""
        if self.job is None:
            return JobSnapshot("failed", [], [], [], [], 0.0, None, 0, None, None, self.error, None)
        s = self.job.snapshot()
        return replace(s, steps=s.steps[seen[0]:], epochs=s.epochs[seen[1]:], messages=s.messages[seen[2]:],
                       lr_changes=s.lr_changes[seen[3]:])

    def stop(self):
        self.job and self.job.stop()

    def interrupt(self, why: str):
        self.job and self.job.interrupt(why)

    def pause(self):
        self.job and self.job.pause()

    def resume(self):
        self.job and self.job.resume()

    def set_lr(self, lr: float):
        self.job and self.job.set_lr(lr)

    def pid(self) -> int:
        return os.getpid()


def pack_data(data: Dataset, by_path: bool = True):
    """What a worker needs to get the data: the folder to read it from when there is one (the full
    MNIST: 47 MB read in a fraction of a second, rather than pickled to every worker), else the
    arrays as NumPy. Never the tensors themselves: pickling a tensor for a spawned process moves its
    storage into shared memory in place (torch's reducers), under the feet of every thread of the
    server reading the same cached dataset (a segfault, seen in the tests). ``by_path=False`` for
    workers on other machines, which may not have the folder."""
    if by_path and data.kind == "full" and data.directory is not None:
        return ("idx", str(data.directory), data.name, data.source)
    fields = {f: getattr(data, f) for f in ("name", "source", "kind", "classes", "directory")}
    arrays = {f: getattr(data, f).numpy().copy() for f in ("train_images", "train_labels", "test_images",
                                                           "test_labels")}
    return ("arrays", fields, arrays)


def unpack_data(packed) -> Dataset:
    if isinstance(packed, tuple) and packed and packed[0] == "idx":
        _, directory, name, source = packed
        return load_idx_dir(directory, name=name, source=source)
    if isinstance(packed, tuple) and packed and packed[0] == "arrays":
        _, fields, arrays = packed
        # arrays from Ray's object store are read-only views: copy those
        tensors = {k: torch.from_numpy(v if v.flags.writeable else v.copy()) for k, v in arrays.items()}
        return Dataset(**fields, **tensors)
    return packed


def one_line(exc: BaseException | str) -> str:
    text = public_message(str(exc)).strip()  # its words, with any server path cut to the file's name
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("Traceback", "File ", "ray::")):
            return line[:200]
    return type(exc).__name__ if isinstance(exc, BaseException) else "unknown error"


class RemoteJob:
    """The app's side of a job trained elsewhere: the ``TrainingJob`` methods, answered from what the
    worker last reported. Subclasses bring the transport (``_launch``, ``_tell``, ``snapshot``)."""

    where = "worker"

    def __init__(self, spec: ArchSpec, config: TrainConfig, data: Dataset, store=None, name: str | None = None,
                 preset: str | None = None, threads: int | None = None, *, actor=None):
        check_job(spec, config)
        self.spec, self.data, self.store, self.preset = spec, data, store, preset
        self.actor = actor  # a frozen dataclass: it pickles to the worker, which records the run as its
        self.name = name or spec.name
        if config.threads is None:  # the worker's pool: what a job slot grants
            config = TrainConfig.from_dict({**config.to_dict(), "threads": max(1, int(threads or THREADS_PER_JOB))})
        self.config = config
        self.ticket = next_ticket()
        self.created = time.time()
        self._lock = threading.Lock()
        self._snap = JobSnapshot("queued", [], [], [], [], 0.0, None, 0, None, None, None, None)
        self._done = False

    def _launch(self):
        raise NotImplementedError

    def _tell(self, method: str, *args):
        raise NotImplementedError

    def _release(self):
        pass

    def snapshot(self) -> JobSnapshot:
        raise NotImplementedError

    def start(self):
        self._launch()
        return self

    def stop(self):
        self._tell("stop")

    def pause(self):
        self._tell("pause")

    def resume(self):
        self._tell("resume")

    def set_lr(self, lr: float):
        self._tell("set_lr", check_lr(lr))

    def _seen(self) -> Seen:
        s = self._snap
        return len(s.steps), len(s.epochs), len(s.messages), len(s.lr_changes)

    def _merge(self, delta: JobSnapshot):
        """Add a worker's report (its state, and the events after what we had) to ours; call under the lock."""
        s = self._snap
        self._snap = replace(delta, steps=s.steps + delta.steps, epochs=s.epochs + delta.epochs,
                             messages=s.messages + delta.messages, lr_changes=s.lr_changes + delta.lr_changes)
        if not self._snap.active:
            self._done = True
            self._release()

    def _die(self, exc: BaseException | str):
        """The worker is gone mid-run: one line on the page, and the run marked failed; under the lock."""
        why = f"the {self.where} training this run stopped: {one_line(exc)}"
        if self.store is not None and self._snap.run_id:
            with contextlib.suppress(Exception):  # the store may be what broke; the page still gets its line
                self.store.mark_failed(self._snap.run_id, why)
        self._snap = replace(self._snap, state="failed", error=why)
        self._done = True
        self._release()

    @property
    def state(self) -> str:
        return self.snapshot().state

    def join(self, timeout: float | None = None):
        deadline = None if timeout is None else time.time() + timeout
        while self.snapshot().active and (deadline is None or time.time() < deadline):
            time.sleep(0.05)


# --- a worker process on this machine -------------------------------------------------------------

REPORT_EVERY = 0.25  # seconds between a worker's reports to the app
APP_GONE = "the app that started this run went away (its server stopped or crashed)"


def _serve(conn, args):
    """The worker process: host the job, apply the app's commands, report what is new about four
    times a second, and exit when the job is over (its last report says how it ended)."""
    host = JobHost(*args)
    seen: Seen = (0, 0, 0, 0)
    last = None
    while True:
        try:
            while conn.poll(REPORT_EVERY):
                method, params = conn.recv()
                getattr(host, method)(*params)
        except (EOFError, OSError):  # the app is gone (a crash, kill -9): nobody stopped it, so "interrupted"
            host.interrupt(APP_GONE)
            break
        snap = host.poll(seen)
        news = (snap.state, snap.progress, snap.run_id, len(snap.steps), len(snap.epochs), len(snap.messages),
                len(snap.lr_changes))
        if news != last or not snap.active:
            try:
                conn.send(snap)
            except (OSError, ValueError):
                host.interrupt(APP_GONE)
                break
            seen = (seen[0] + len(snap.steps), seen[1] + len(snap.epochs), seen[2] + len(snap.messages),
                    seen[3] + len(snap.lr_changes))
            last = (snap.state, snap.progress, snap.run_id, 0, 0, 0, 0)
        if not snap.active:
            break
    if host.job is not None:
        host.job.join(30)


class ProcessTrainingJob(RemoteJob):
    """``fit`` in a worker process of this machine, started when the server's slot queue says so.

    A thread of the app waits for the slot, starts the worker and reads its reports into the
    snapshot the pages see, so a session that has gone away never leaves a worker blocked."""

    where = "worker process"

    def __init__(self, *args, slots: SlotQueue | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.engine == "torch":
            pick_device(self.config.device)  # a device this machine lacks is refused now, in one line
        self.slots = slots or SLOTS
        self._conn = None
        self._proc = None
        self._send_lock = threading.Lock()
        self._cancel = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"worker-{self.ticket}", daemon=True)

    def _launch(self):
        self._thread.start()

    def _run(self):
        if not self.slots.acquire(self.ticket, self._cancel.is_set):
            with self._lock:
                self._snap = replace(self._snap, state="stopped", messages=self._snap.messages + [
                    Message("info", N_("cancelled while waiting"))])
                self._done = True
            self._started.set()
            return
        try:
            self._spawn()
            self._listen()
        except Exception as exc:  # a worker that would not start: one line, not a dead page
            with self._lock:
                if not self._done:
                    self._die(exc)
        finally:
            self._started.set()
            if self._proc is not None:
                self._proc.join(30)
                if self._proc.is_alive():
                    self._proc.kill()
            if self._conn is not None:
                with self._send_lock:
                    self._conn.close()  # no file descriptor kept per finished run
            self.slots.release(self.ticket)  # the slot is the worker's until it has exited

    def _spawn(self):
        ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        parent, child = ctx.Pipe()
        runs_root = str(Path(self.store.root).resolve()) if self.store is not None else None
        args = (self.spec.to_dict(), self.config.to_dict(), pack_data(self.data), runs_root, self.name, self.preset,
                self.actor)
        self._proc = ctx.Process(target=_serve, args=(child, args), name=f"mnist-lab-train-{self.ticket}", daemon=True)
        self._proc.start()
        child.close()
        with self._lock:
            self._conn = parent
            self._snap = replace(self._snap, state="running", info=Start(device="starting a worker…"))
        self._started.set()
        if self._cancel.is_set():  # stopped while it was starting
            self._tell("stop")

    def _listen(self):
        while True:
            try:
                if self._conn.poll(0.5):
                    delta = self._conn.recv()
                    with self._lock:
                        self._merge(delta)
                        if self._done:
                            return
                    continue
            except (EOFError, OSError):
                pass
            if not self._proc.is_alive():
                try:
                    while self._conn.poll():  # its last words may still be in the pipe
                        delta = self._conn.recv()
                        with self._lock:
                            self._merge(delta)
                except (EOFError, OSError):
                    pass
                with self._lock:
                    if not self._done:
                        self._die(self._exit_words())
                return

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            if self._snap.state == "queued" and not self._done:
                return replace(self._snap, queue_position=self.slots.position(self.ticket))
            return self._snap

    def _exit_words(self) -> str:
        code = self._proc.exitcode if self._proc is not None else None
        if code is not None and code < 0:
            import signal
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"it exited with code {code}" if code is not None else "it stopped answering"

    def _tell(self, method: str, *args):
        if self._conn is None:
            if method == "stop":
                self._cancel.set()  # still waiting for a slot (or starting): it will not train
            return
        if self._done:
            return
        try:
            with self._send_lock:
                self._conn.send((method, args))
        except (OSError, ValueError):  # the worker is gone; its snapshot says so in a moment
            pass

    def pid(self) -> int | None:
        self._started.wait(60)
        return self._proc.pid if self._proc is not None else None
