"""Where a training job runs: ``start_job`` picks one of three kinds, all with the methods the
pages use (``snapshot``, ``stop``, ``pause``, ``resume``, ``set_lr``, ``join``):

- a worker process of this machine (``workers.ProcessTrainingJob``), the default: the server's slot
  queue says when it starts; its own interpreter, so the class's reruns do not slow it down;
- a thread of the app's process (``local.TrainingJob``) with ``MNIST_LAB_JOBS=thread``;
- a Ray actor (``ray_actor.RayTrainingJob``) when ``MNIST_LAB_RAY_ADDRESS`` is set.
"""

from __future__ import annotations

from mnist_core import bounds, settings
from mnist_core.data import Dataset
from mnist_core.i18n import N_, Text
from mnist_core.jobs.local import SLOTS, SlotQueue, TrainingJob
from mnist_core.jobs.ray_actor import ClusterError, RayTrainingJob
from mnist_core.jobs.workers import ProcessTrainingJob
from mnist_core.spec import ArchSpec
from mnist_core.training.config import TrainConfig


def where() -> Text:
    """One line for the sidebar: where training runs (a page shows it with ``i18n.tr``)."""
    addr = settings.ray_address()
    return Text(N_("Ray cluster ({address})"), address=addr) if addr else Text(N_("this server"))


def job_kind() -> str:
    """"ray" when a cluster address is set; else ``MNIST_LAB_JOBS``: "process" (the default) or "thread"."""
    if settings.ray_address():
        return "ray"
    kind = settings.job_kind()
    if kind not in ("process", "thread"):
        raise ClusterError(Text(N_("{jobs_env}={kind!r}: use 'process' or 'thread'"),
                                jobs_env=settings.JOBS_ENV, kind=kind))
    return kind


def start_job(spec: ArchSpec, config: TrainConfig, data: Dataset, store=None, name: str | None = None,
              preset: str | None = None, slots: SlotQueue | None = None, *, actor=None):
    """A started job: a Ray actor when ``MNIST_LAB_RAY_ADDRESS`` is set; else a worker process of this
    machine (``MNIST_LAB_JOBS=thread``: a thread of this process), through the server's slot queue.
    ``actor`` (an ``identity.Actor``; None: the CLI, the teacher's) owns the run it makes."""
    kind = job_kind()
    if store is not None:  # a bound reached is one line now, never a failure half-way
        bounds.check(actor, store, bounds.estimate_run_bytes(spec, config, len(data.train_images)))
    job = _start(kind, spec, config, data, store, name, preset, slots, actor)
    bounds.track(actor, job)
    return job


def _start(kind, spec, config, data, store, name, preset, slots, actor):
    if kind == "ray":
        return RayTrainingJob(spec, config, data, store=store, name=name, preset=preset, actor=actor).start()
    if kind == "process":
        return ProcessTrainingJob(spec, config, data, store=store, name=name, preset=preset, slots=slots,
                                  actor=actor).start()
    return TrainingJob(spec, config, data, store=store, name=name, slots=slots or SLOTS, preset=preset,
                       actor=actor).start()
