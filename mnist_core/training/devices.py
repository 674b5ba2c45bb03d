"""Where training runs: device choice (CUDA, then Apple MPS, then the CPU), its name for the
sidebar, and the per-device choices the loop makes (autocast dtype, memory format, threads)."""

from __future__ import annotations

import contextlib
import math
import os
import threading
from pathlib import Path

import torch

from mnist_core.i18n import N_
from mnist_core.spec import ArchSpec
from mnist_core.training.config import ConfigError, TrainConfig


def cuda_ok() -> bool:
    return torch.cuda.is_available()


def mps_ok() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def pick_device(pref: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU; an explicit request that cannot be met is an error."""
    if pref == "auto":
        return torch.device("cuda" if cuda_ok() else "mps" if mps_ok() else "cpu")
    if pref.startswith("cuda") and not cuda_ok():
        raise ConfigError(N_("CUDA was requested but no CUDA GPU is visible: use device 'auto' or 'cpu'"))
    if pref == "mps" and not mps_ok():
        raise ConfigError(N_("MPS was requested but this machine has no Apple GPU: use device 'auto' or 'cpu'"))
    return torch.device(pref)


def describe_device(device: torch.device | None = None) -> str:
    device = device or pick_device()
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU, {torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''}"


def use_channels_last(spec: ArchSpec, config: TrainConfig, device: torch.device) -> bool:
    if config.channels_last is not None:
        return config.channels_last
    return any(l.kind == "Conv2d" for l in spec.layers)  # measured 1.3-1.7x for small convs on CPU and GPU


def _cgroup_quota(root: Path) -> float | None:
    """CPUs allowed by the container's CFS quota (cgroup v2 ``cpu.max``, then v1), None if unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def usable_cpus(cgroup_root: str | Path = "/sys/fs/cgroup") -> int:
    """The CPUs this process may actually use: its affinity mask, capped by the container's CPU quota.

    ``os.cpu_count()`` is the host's count: in a container limited to 2 CPUs on a 64-core host
    (Community Cloud, Kubernetes), 64 torch threads would fight over 2 CPUs' worth of time.
    A quota of 1.5 CPUs gives 2 threads (rounded up: the half CPU is still time to use).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota(Path(cgroup_root))
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def size_thread_pool(cpus: int | None = None) -> int:
    """Size torch's intra-op pool to the usable CPUs (torch's own default counts the host's cores)."""
    n = cpus or usable_cpus()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    _pool["size"] = n
    return n


_pool = {"size": None}  # what size_thread_pool last set: the size a wide pool narrows back to
_wide = {"users": 0, "before": 1}
_wide_lock = threading.Lock()


@contextlib.contextmanager
def wide_pool(cpus: int | None = None):
    """Torch's intra-op pool widened to the usable CPUs while a large batch is computed (a whole test set:
    10,000 digits took 1.15 s on one of two cores, 0.70 s on both), then back to what it was.

    The app's pages compute on one thread (``settings.page_threads``), a visitor's digit at a time; a whole
    test set is the exception. Torch's pool is the process's, so reruns running meanwhile use it too (as
    they did before pages had one thread); passes that overlap share one widening, and the last to end
    narrows it again."""
    with _wide_lock:
        if _wide["users"] == 0:  # the size to go back to: the pool's, not this thread's view of it
            _wide["before"] = _pool["size"] or torch.get_num_threads()
            torch.set_num_threads(cpus or usable_cpus())
        _wide["users"] += 1
    try:
        yield
    finally:
        with _wide_lock:
            _wide["users"] -= 1
            if _wide["users"] == 0:
                torch.set_num_threads(_wide["before"])


def default_threads() -> int:
    return max(1, min(usable_cpus(), torch.get_num_threads()))
