"""Where a training job runs: a thread of this process (the default), or a Ray actor on a cluster.

``start_job`` is what the pages call. Without ``MNIST_LAB_RAY_ADDRESS`` it starts a
``jobs.TrainingJob`` through the server's ``SlotQueue``, as always. With it (``auto``, ``local``,
or ``ray://head:10001``) the job is a ``RayTrainingJob``: the same methods the pages use
(``snapshot``, ``stop``, ``pause``, ``resume``, ``set_lr``, ``join``), but ``fit`` runs inside a Ray
actor, on whichever node has the CPUs (or the fraction of a GPU) it asks for. The actor holds an
ordinary ``TrainingJob``; the app polls it for what is new since the last poll, without blocking a
rerun, and a worker that dies is reported as one line and marks its run failed.

The run store must be a folder every node and the app see at the same path (a shared POSIX file
system: NFS, EFS, a mounted volume): the actor writes the run there, the app lists it from there.
Ray is an optional install (``requirements-cluster.txt``); this module imports it only when used.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

from . import MnistLabError
from .config import ConfigError, TrainConfig
from .data import Dataset
from .jobs import SLOTS, THREADS_PER_JOB, JobSnapshot, SlotQueue, TrainingJob, next_ticket
from .spec import ArchSpec

ADDRESS_ENV = "MNIST_LAB_RAY_ADDRESS"
CPUS_ENV = "MNIST_LAB_RAY_CPUS_PER_JOB"    # default: the threads a local job would get
GPUS_ENV = "MNIST_LAB_RAY_GPUS_PER_JOB"    # default 0.25: four small jobs share one GPU


class ClusterError(MnistLabError):
    """Ray is asked for but cannot be used (not installed, no cluster at that address)."""


def ray_address() -> str | None:
    return os.environ.get(ADDRESS_ENV, "").strip() or None


def where() -> str:
    """One line for the sidebar: where training runs."""
    addr = ray_address()
    return f"Ray cluster ({addr})" if addr else "this server"


def start_job(spec: ArchSpec, config: TrainConfig, data: Dataset, store=None, name: str | None = None,
              preset: str | None = None, slots: SlotQueue | None = None):
    """A started job: on Ray when ``MNIST_LAB_RAY_ADDRESS`` is set, else a thread through the slot queue."""
    if ray_address():
        return RayTrainingJob(spec, config, data, store=store, name=name, preset=preset).start()
    return TrainingJob(spec, config, data, store=store, name=name, slots=slots or SLOTS, preset=preset).start()


# --- Ray -------------------------------------------------------------------------------------------

_connect_lock = threading.Lock()


def connect(address: str | None = None):
    """``ray`` connected to the cluster (once per process); a clear one-line error otherwise."""
    try:
        import ray
    except ImportError:
        raise ClusterError(f"{ADDRESS_ENV} is set but Ray is not installed: "
                           "pip install -r requirements-cluster.txt") from None
    with _connect_lock:
        if not ray.is_initialized():
            address = address or ray_address()
            try:
                if address == "local":  # a one-machine cluster started by this process (demos, tests)
                    ray.init(include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(address=address, log_to_driver=False)
            except Exception as exc:  # ConnectionError, ValueError, RuntimeError: all one line
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ClusterError(f"cannot reach the Ray cluster at {address!r}: {first}") from None
    return ray


class _Trainer:
    """The Ray actor: an ordinary ``TrainingJob`` on the worker, polled for what is new."""

    def __init__(self, spec: dict, config: dict, data: Dataset, runs_root: str | None, name: str,
                 preset: str | None):
        from .runs import RunStore
        self.job, self.error = None, None
        try:
            store = RunStore(runs_root) if runs_root else None
            self.job = TrainingJob(ArchSpec.from_dict(spec), TrainConfig.from_dict(config), data, store=store,
                                   name=name, slots=SlotQueue(1), preset=preset).start()
        except MnistLabError as exc:  # e.g. CUDA asked for on a node without one: the page says why
            self.error = str(exc)

    def poll(self, seen: tuple[int, int, int, int]) -> JobSnapshot:
        """The job's state, with only the events after the ``seen`` counts (steps, epochs, messages, lr)."""
        if self.job is None:
            return JobSnapshot("failed", [], [], [], [], 0.0, None, 0, {}, None, self.error, None)
        s = self.job.snapshot()
        return replace(s, steps=s.steps[seen[0]:], epochs=s.epochs[seen[1]:], messages=s.messages[seen[2]:],
                       lr_changes=s.lr_changes[seen[3]:])

    def stop(self):
        self.job and self.job.stop()

    def pause(self):
        self.job and self.job.pause()

    def resume(self):
        self.job and self.job.resume()

    def set_lr(self, lr: float):
        self.job and self.job.set_lr(lr)

    def pid(self) -> int:
        return os.getpid()


_actor_class = None
_data_refs: dict[tuple, object] = {}  # one copy of each dataset in the object store, shared by all jobs


def _remote_trainer(ray):
    global _actor_class
    if _actor_class is None:
        _actor_class = ray.remote(max_restarts=0)(_Trainer)
    return _actor_class


def _data_ref(ray, data: Dataset):
    key = (data.name, data.kind, len(data.train_labels), len(data.test_labels), id(data))
    if key not in _data_refs:
        _data_refs.clear()  # a different dataset now: let the old one go
        _data_refs[key] = ray.put(data)
    return _data_refs[key]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("Traceback", "File ", "ray::")):
            return line[:200]
    return type(exc).__name__


class RayTrainingJob:
    """A ``TrainingJob`` whose ``fit`` runs in a Ray actor; the same methods, polled without blocking."""

    def __init__(self, spec: ArchSpec, config: TrainConfig, data: Dataset, store=None, name: str | None = None,
                 preset: str | None = None, cpus: float | None = None, gpus: float | None = None):
        config.validate()
        a = spec.analyze()
        if not a.ok:
            raise ConfigError(a.errors[0])
        self.spec, self.data, self.store, self.preset = spec, data, store, preset
        self.name = name or spec.name
        self.cpus = float(cpus or os.environ.get(CPUS_ENV) or config.threads or THREADS_PER_JOB)
        self.gpus = gpus if gpus is not None else float(os.environ.get(GPUS_ENV, 0.25))
        if config.threads is None:  # the worker's pool matches the CPUs Ray reserved for it
            config = TrainConfig.from_dict({**config.to_dict(), "threads": max(1, int(self.cpus))})
        self.config = config
        self.ticket = next_ticket()
        self._lock = threading.Lock()
        self._snap = JobSnapshot("queued", [], [], [], [], 0.0, None, 0, {}, None, None, None)
        self._actor = None
        self._pending = None   # the poll in flight
        self._done = False

    def start(self) -> "RayTrainingJob":
        ray = connect()
        want_gpu = self.config.device in ("auto", "cuda") or self.config.device.startswith("cuda:")
        gpus = self.gpus if want_gpu and ray.cluster_resources().get("GPU", 0) > 0 else 0
        if not gpus and self.config.device.startswith("cuda"):
            raise ClusterError("CUDA was requested but the Ray cluster has no GPU: use device 'auto' or 'cpu'")
        runs_root = str(Path(self.store.root).resolve()) if self.store is not None else None
        self._actor = _remote_trainer(ray).options(num_cpus=self.cpus, num_gpus=gpus).remote(
            self.spec.to_dict(), self.config.to_dict(), _data_ref(ray, self.data), runs_root, self.name, self.preset)
        self._poll_now()
        return self

    # control: fire and forget; a dead actor shows up in the next snapshot
    def _tell(self, method: str, *args):
        if self._actor is not None and not self._done:
            getattr(self._actor, method).remote(*args)

    def stop(self):
        self._tell("stop")

    def pause(self):
        self._tell("pause")

    def resume(self):
        self._tell("resume")

    def set_lr(self, lr: float):
        self._tell("set_lr", lr)

    def pid(self) -> int:
        ray = connect()
        return ray.get(self._actor.pid.remote(), timeout=30)

    # polling
    def _poll_now(self):
        s = self._snap
        seen = (len(s.steps), len(s.epochs), len(s.messages), len(s.lr_changes))
        self._pending = self._actor.poll.remote(seen)

    def snapshot(self) -> JobSnapshot:
        """The last state the actor reported; merges a finished poll and starts the next one. Never blocks."""
        with self._lock:
            if self._done or self._pending is None:
                return self._snap
            ray = connect()
            ready, _ = ray.wait([self._pending], timeout=0)
            if ready:
                try:
                    delta = ray.get(ready[0])
                except Exception as exc:  # RayActorError, WorkerCrashedError, ActorDiedError...
                    self._die(exc)
                    return self._snap
                s = self._snap
                self._snap = replace(delta, steps=s.steps + delta.steps, epochs=s.epochs + delta.epochs,
                                     messages=s.messages + delta.messages, lr_changes=s.lr_changes + delta.lr_changes)
                if self._snap.active:
                    self._poll_now()
                else:
                    self._done = True
                    self._release()
            return self._snap

    def _die(self, exc: BaseException):
        why = f"the Ray worker training this run stopped: {_one_line(exc)}"
        if self.store is not None and self._snap.run_id:
            try:
                self.store.mark_failed(self._snap.run_id, why)
            except Exception:  # the store may be the thing that broke; the page still gets its line
                pass
        self._snap = replace(self._snap, state="failed", error=why)
        self._done = True
        self._release()

    def _release(self):
        if self._actor is not None:
            try:
                connect().kill(self._actor)  # its run is saved; free the CPUs (or GPU share) now
            except Exception:
                pass
            self._actor = None

    @property
    def state(self) -> str:
        return self.snapshot().state

    def join(self, timeout: float | None = None):
        import time
        deadline = None if timeout is None else time.time() + timeout
        while self.snapshot().active and (deadline is None or time.time() < deadline):
            time.sleep(0.1)
