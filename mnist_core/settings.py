"""Every setting that comes from the environment, read here and nowhere else.

Each is a function, so a test (or a worker process started with another environment) sees
the value of the moment; modules that need a value for their whole life (the default runs
folder, the cache) read it once at import.

| variable | what it sets | default |
|---|---|---|
| ``MNIST_DATA_DIR`` | a folder with MNIST's four IDX files | none: ``./data``, the cache, the embedded sample |
| ``MNIST_LAB_CACHE`` | where downloads go | ``~/.cache/mnist_lab`` |
| ``MNIST_LAB_RUNS`` | the run store | ``./runs`` |
| ``MNIST_LAB_THREADS`` | torch threads per training job | from the CPUs this process may use |
| ``MNIST_LAB_PAGE_THREADS`` | torch threads for what a page computes (one visitor's digit) | 1 |
| ``MNIST_LAB_MAX_JOBS`` | training jobs at once on this server | one per GPU, or per pair of CPUs |
| ``MNIST_LAB_JOBS`` | ``process`` (a worker process, the default) or ``thread`` | ``process`` |
| ``MNIST_LAB_RAY_ADDRESS`` | train on a Ray cluster (``auto``, ``local``, ``ray://host:10001``) | none |
| ``MNIST_LAB_RAY_CPUS_PER_JOB`` | CPUs an actor asks for | the threads a local job would get |
| ``MNIST_LAB_RAY_GPUS_PER_JOB`` | the share of a GPU an actor asks for | 0.25: four small jobs share one GPU |
| ``MNIST_LAB_DATABASE_URL`` | the class database (``sqlite:///path``, ``postgresql://u:pw@host/db``) | SQLite by runs |
| ``MNIST_LAB_TEACHER_KEY`` | the key that makes a browser the teacher (``?teacher=KEY``) | made at start, printed |
| ``MNIST_LAB_MAX_ACTIVE_RUNS`` | runs one visitor may have waiting or training | 4 |
| ``MNIST_LAB_MAX_STORED_RUNS`` | runs one visitor may keep | 30 |
| ``MNIST_LAB_CLASS_DISK_MB`` | disk a class's runs may take | 2000 |
| ``MNIST_LAB_SERVER_DISK_MB`` | disk all runs may take (the teacher's too) | 10000 |
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "MNIST_DATA_DIR"
CACHE_ENV = "MNIST_LAB_CACHE"
RUNS_ENV = "MNIST_LAB_RUNS"
THREADS_ENV = "MNIST_LAB_THREADS"
PAGE_THREADS_ENV = "MNIST_LAB_PAGE_THREADS"
MAX_JOBS_ENV = "MNIST_LAB_MAX_JOBS"
JOBS_ENV = "MNIST_LAB_JOBS"
ADDRESS_ENV = "MNIST_LAB_RAY_ADDRESS"
CPUS_ENV = "MNIST_LAB_RAY_CPUS_PER_JOB"
GPUS_ENV = "MNIST_LAB_RAY_GPUS_PER_JOB"
DATABASE_ENV = "MNIST_LAB_DATABASE_URL"
TEACHER_KEY_ENV = "MNIST_LAB_TEACHER_KEY"
MAX_ACTIVE_ENV = "MNIST_LAB_MAX_ACTIVE_RUNS"
MAX_STORED_ENV = "MNIST_LAB_MAX_STORED_RUNS"
CLASS_DISK_ENV = "MNIST_LAB_CLASS_DISK_MB"
SERVER_DISK_ENV = "MNIST_LAB_SERVER_DISK_MB"


def _get(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def data_dir() -> Path | None:
    v = _get(DATA_DIR_ENV)
    return Path(v) if v else None


def cache_dir() -> Path:
    v = _get(CACHE_ENV)
    return Path(v) if v else Path.home() / ".cache" / "mnist_lab"


def runs_dir() -> Path:
    return Path(_get(RUNS_ENV) or "runs")


def threads_per_job(default: int) -> int:
    v = _get(THREADS_ENV)
    return int(v) if v else default


def max_jobs(default: int) -> int:
    v = _get(MAX_JOBS_ENV)
    return int(v) if v else default


def job_kind() -> str:
    """The raw ``MNIST_LAB_JOBS`` (lower case); ``jobs.start`` checks it."""
    return (_get(JOBS_ENV) or "process").lower()


def ray_address() -> str | None:
    return _get(ADDRESS_ENV)


def ray_cpus_per_job() -> float | None:
    v = _get(CPUS_ENV)
    return float(v) if v else None


def ray_gpus_per_job() -> float:
    v = _get(GPUS_ENV)
    return float(v) if v else 0.25


def database_url() -> str | None:
    """The raw ``MNIST_LAB_DATABASE_URL``; ``classroom.db`` checks it and picks the default."""
    return _get(DATABASE_ENV)


def teacher_key() -> str | None:
    return _get(TEACHER_KEY_ENV)


def _positive(name: str, default: int) -> int:
    v = _get(name)
    try:
        n = int(v) if v else default
    except ValueError:
        return default
    return n if n > 0 else default


def page_threads() -> int:
    """Torch's intra-op threads in the app's process, where pages compute (training has its own,
    ``threads_per_job``). One: a rerun works on one visitor's digit or a small batch, where a
    second thread saves a millisecond and, while other reruns or the browser hold the cores, makes
    each convolution wait for a thread that is not running (30x slower on two cores); the
    server's cores serve the visitors' reruns side by side instead."""
    return _positive(PAGE_THREADS_ENV, 1)


def max_active_runs() -> int:
    return _positive(MAX_ACTIVE_ENV, 4)


def max_stored_runs() -> int:
    return _positive(MAX_STORED_ENV, 30)


def class_disk_mb() -> int:
    return _positive(CLASS_DISK_ENV, 2000)


def server_disk_mb() -> int:
    return _positive(SERVER_DISK_ENV, 10000)
