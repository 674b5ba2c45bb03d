"""What one visitor, one class and the whole server may keep: the bounds a public server needs.

Checked *before* a run starts or an edited model is saved, so that reaching one is one clear
line, never a failure half-way. Per visitor: runs waiting or training (``MNIST_LAB_MAX_ACTIVE_RUNS``,
4) and runs kept (``MNIST_LAB_MAX_STORED_RUNS``, 30). Per class and per server: the disk the
run folders take (``MNIST_LAB_CLASS_DISK_MB``, 2000; ``MNIST_LAB_SERVER_DISK_MB``, 10000). The
teacher (and the CLI, which is the teacher's) has no per-visitor cap, but the server's disk is
everyone's. Active runs are counted per server process (one app replica).
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

from mnist_core import MnistLabError, settings
from mnist_core.i18n import N_, Text

MB = 1024 * 1024


class BoundsError(MnistLabError):
    """A bound of the server was reached; the message is one line."""


_ACTIVE: dict[str, list] = {}  # visitor id -> jobs started by this process
_LOCK = threading.Lock()


def track(actor, job):
    """Remember ``job`` as ``actor``'s while it waits or trains."""
    if actor is None or actor.is_teacher:
        return
    with _LOCK:
        jobs = [j for j in _ACTIVE.get(actor.visitor_id, []) if _active(j)]
        _ACTIVE[actor.visitor_id] = jobs + [job]


def _active(job) -> bool:
    try:
        return bool(job.snapshot().active)
    except Exception:  # noqa: BLE001 - a job that cannot say is over
        return False


def active_runs(actor) -> int:
    with _LOCK:
        return sum(1 for j in _ACTIVE.get(actor.visitor_id, []) if _active(j))


def folder_bytes(path: Path) -> int:
    """Bytes of the regular files under ``path`` (links are not followed)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(dirpath, f))
            except OSError:
                continue
            total += st.st_size
    return total


def estimate_run_bytes(spec, config, train_images: int = 60_000) -> int:
    """An honest upper estimate of a run folder: float32 weights, a float16 copy per epoch, float16
    snapshots at step 0 and the log-spaced steps of the first epoch, and the metrics lines."""
    from mnist_core.training.schedule import snapshot_plan
    params = spec.analyze().total_params
    n = config.subset or train_images
    n = int(n * (1 - (config.val_split or 0)))
    steps = max(1, math.ceil(n / max(1, config.batch_size)))
    if config.max_batches:
        steps = min(steps, config.max_batches)
    snaps = 1 + len(snapshot_plan(steps))
    header = 4096  # the safetensors header holds the spec JSON
    weights = 4 * params + header
    half = 2 * params + header
    metrics = 220 * (steps * config.epochs // max(1, config.log_every or 1) + config.epochs) + 4096
    return weights + half * (config.epochs + snaps) + metrics + 4096


def check(actor, store, new_bytes: int, starting: bool = True):
    """Refuse in one line if one more run (of ``new_bytes``) by ``actor`` would pass a bound."""
    from mnist_core.classroom import ownership
    root = Path(store.root)
    if actor is not None and not actor.is_teacher:
        if starting and active_runs(actor) >= settings.max_active_runs():
            raise BoundsError(Text(N_("you already have {n} runs waiting or training: let one finish or stop "
                                      "it first"), n=settings.max_active_runs()))
        kept = [r for r in ownership.runs_of(visitor_id=actor.visitor_id) if (root / r).is_dir()]
        if len(kept) >= settings.max_stored_runs():
            raise BoundsError(Text(N_("you keep {n} runs, the most one visitor may: delete one first"),
                                   n=settings.max_stored_runs()))
        if actor.class_id is not None:
            used = sum(folder_bytes(root / r) for r in ownership.runs_of(class_id=actor.class_id))
            if used + new_bytes > settings.class_disk_mb() * MB:
                raise BoundsError(Text(N_("your class's runs take {used} MB of its {budget} MB: delete some "
                                          "first"), used=used // MB, budget=settings.class_disk_mb()))
    used = folder_bytes(root) if root.is_dir() else 0
    if used + new_bytes > settings.server_disk_mb() * MB:
        raise BoundsError(Text(N_("the runs on this server take {used} MB of its {budget} MB: the teacher "
                                  "must delete some first"), used=used // MB, budget=settings.server_disk_mb()))
