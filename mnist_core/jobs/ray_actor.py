"""Training on a Ray cluster: a ``RayTrainingJob`` when ``MNIST_LAB_RAY_ADDRESS`` is set (``auto``,
``local``, or ``ray://head:10001``), on whichever node has the CPUs (or the share of a GPU) it asks for.

The actor hosts an ordinary ``TrainingJob``; the app polls it for what is
new without blocking a rerun, and a worker that dies is one line on the page and a failed run.

The run store must be a folder every node and the app see at the same path (a shared POSIX file
system: NFS, EFS, a mounted volume): the actor writes the run there, the app lists it from there.
Ray is an optional install (``requirements-cluster.txt``); this module imports it only when used.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from mnist_core import MnistLabError, settings
from mnist_core.data import Dataset
from mnist_core.i18n import N_, Text
from mnist_core.jobs.local import THREADS_PER_JOB
from mnist_core.jobs.workers import JobHost, RemoteJob, one_line, pack_data
from mnist_core.spec import ArchSpec
from mnist_core.training.config import TrainConfig


class ClusterError(MnistLabError):
    """Ray is asked for but cannot be used (not installed, no cluster at that address)."""


_connect_lock = threading.Lock()


def connect(address: str | None = None):
    """``ray`` connected to the cluster (once per process); a clear one-line error otherwise."""
    try:
        import ray
    except ImportError:
        raise ClusterError(Text(N_("{address_env} is set but Ray is not installed: pip install -r "
                                   "requirements-cluster.txt"), address_env=settings.ADDRESS_ENV)) from None
    with _connect_lock:
        if not ray.is_initialized():
            address = address or settings.ray_address()
            try:
                if address == "local":  # a one-machine cluster started by this process (demos, tests)
                    ray.init(include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(address=address, log_to_driver=False)
            except Exception as exc:  # ConnectionError, ValueError, RuntimeError: all one line
                raise ClusterError(Text(N_("cannot reach the Ray cluster at {address!r}: {error}"),
                                        address=address, error=one_line(exc))) from None
    return ray


_actor_class = None
_data_refs: dict[tuple, object] = {}  # one copy of each dataset in the object store, shared by all jobs


def _remote_host(ray):
    global _actor_class
    if _actor_class is None:
        _actor_class = ray.remote(max_restarts=0)(JobHost)
    return _actor_class


def _data_ref(ray, data: Dataset):
    key = (data.name, data.kind, len(data.train_labels), len(data.test_labels), id(data))
    if key not in _data_refs:
        _data_refs.clear()  # a different dataset now: let the old one go
        _data_refs[key] = ray.put(pack_data(data, by_path=False))  # other nodes may lack the data folder
    return _data_refs[key]


class RayTrainingJob(RemoteJob):
    """A job whose ``fit`` runs in a Ray actor (a ``JobHost``) on whichever node has room for it."""

    where = "Ray worker"

    def __init__(self, spec: ArchSpec, config: TrainConfig, data: Dataset, store=None, name: str | None = None,
                 preset: str | None = None, cpus: float | None = None, gpus: float | None = None, *, actor=None):
        self.cpus = float(cpus or settings.ray_cpus_per_job() or config.threads or THREADS_PER_JOB)
        self.gpus = gpus if gpus is not None else settings.ray_gpus_per_job()
        super().__init__(spec, config, data, store=store, name=name, preset=preset, threads=int(self.cpus),
                         actor=actor)
        self._actor = None
        self._pending = None

    def _launch(self):
        ray = connect()
        want_gpu = self.config.device in ("auto", "cuda") or self.config.device.startswith("cuda:")
        gpus = self.gpus if want_gpu and ray.cluster_resources().get("GPU", 0) > 0 else 0
        if not gpus and self.config.device.startswith("cuda"):
            raise ClusterError(N_("CUDA was requested but the Ray cluster has no GPU: use device 'auto' or 'cpu'"))
        runs_root = str(Path(self.store.root).resolve()) if self.store is not None else None
        # Ray queues the actor until a node has the CPUs (or GPU share) it asks for
        self._actor = _remote_host(ray).options(num_cpus=self.cpus, num_gpus=gpus).remote(
            self.spec.to_dict(), self.config.to_dict(), _data_ref(ray, self.data), runs_root, self.name, self.preset,
            self.actor)

    def snapshot(self):
        """The actor's last report merged with a reply that has come in; asks for the next. Never blocks."""
        with self._lock:
            if self._done or self._actor is None:
                return self._snap
            ray = connect()
            if self._pending is None:
                self._pending = self._actor.poll.remote(self._seen())
            ready, _ = ray.wait([self._pending], timeout=0)
            if ready:
                self._pending = None
                try:
                    delta = ray.get(ready[0])
                except Exception as exc:  # RayActorError, ActorDiedError, a node lost: the worker is gone
                    self._die(exc)
                    return self._snap
                self._merge(delta)
                if not self._done:
                    self._pending = self._actor.poll.remote(self._seen())
            return self._snap

    def _tell(self, method: str, *args):
        if self._actor is not None and not self._done:
            getattr(self._actor, method).remote(*args)

    def _release(self):
        if self._actor is not None:
            with contextlib.suppress(Exception):  # its run is saved; free the CPUs (or GPU share) now
                connect().kill(self._actor)
            self._actor = None

    def pid(self) -> int:
        return connect().get(self._actor.pid.remote(), timeout=60)
