"""Training on Ray: a real local Ray instance (``ray.init(num_cpus=2)``), not a mock.

The actor runs the same ``fit``; the app's side polls it, controls it, finds its run in the
store, and survives the worker being killed.
"""

import os
import signal
import sys
import time

import pytest

from mnist_core.jobs.local import SlotQueue, TrainingJob
from mnist_core.jobs.ray_actor import ClusterError, RayTrainingJob, connect
from mnist_core.jobs.start import start_job
from mnist_core.runs import RunStore
from mnist_core.settings import ADDRESS_ENV
from mnist_core.training.config import TrainConfig
from tests.conftest import small_spec, wait_for

ray = pytest.importorskip("ray", reason="Ray is the optional cluster install (requirements-cluster.txt)")



@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def on_ray(cluster, monkeypatch):
    monkeypatch.setenv(ADDRESS_ENV, "auto")  # already connected: start_job picks the Ray path




def test_a_run_through_the_actor_streams_live_and_lands_in_the_store(on_ray, sample, tmp_path):
    store = RunStore(tmp_path)
    cfg = TrainConfig(epochs=2, max_batches=40, log_every=2, seed=0, device="cpu")
    job = start_job(small_spec(), cfg, sample, store=store, name="on ray", preset=None)
    assert isinstance(job, RayTrainingJob)
    seen = set()  # the step counts the app saw while it trained: live, not all at the end
    assert wait_for(lambda: seen.add(len(job.snapshot().steps)) or not job.snapshot().active)
    snap = job.snapshot()
    assert snap.state == "finished", snap.error
    assert len([n for n in seen if 0 < n < len(snap.steps)]) >= 2
    assert [e.epoch for e in snap.epochs] == [1, 2]
    assert [e.step for e in snap.steps] == sorted({e.step for e in snap.steps})  # each event once, in order
    listed = {r.run_id: r for r in store.list()}
    assert snap.run_id in listed and listed[snap.run_id].summary["status"] == "finished"
    assert listed[snap.run_id].summary["test_accuracy"] == snap.result["test_accuracy"] > 0.5
    store.load(snap.run_id)  # the weights the worker wrote are the app's to use


def test_pause_resume_and_stop_reach_the_actor(on_ray, sample, tmp_path):
    store = RunStore(tmp_path)
    cfg = TrainConfig(epochs=50, log_every=1, seed=0, device="cpu")
    job = start_job(small_spec(), cfg, sample, store=store, name="controlled")
    assert wait_for(lambda: len(job.snapshot().steps) >= 3)
    job.pause()
    assert wait_for(lambda: job.snapshot().state == "paused")
    time.sleep(0.5)
    n = len(job.snapshot().steps)
    time.sleep(1.0)
    assert len(job.snapshot().steps) <= n + 1  # at most the step in flight when it paused
    job.resume()
    assert wait_for(lambda: len(job.snapshot().steps) > n + 2)
    job.set_lr(1e-4)
    assert wait_for(lambda: any(abs(e.lr - 1e-4) < 1e-12 for e in job.snapshot().steps[-3:]))
    job.stop()
    assert wait_for(lambda: not job.snapshot().active)
    snap = job.snapshot()
    assert snap.state == "stopped"
    assert store.info(snap.run_id).summary["status"] == "stopped"


def test_a_killed_worker_is_one_failed_line_and_a_failed_run(on_ray, sample, tmp_path):
    store = RunStore(tmp_path)
    job = start_job(small_spec(), TrainConfig(epochs=50, log_every=1, device="cpu"), sample, store=store,
                    name="doomed")
    assert wait_for(lambda: len(job.snapshot().steps) >= 2 and job.snapshot().run_id)
    os.kill(job.pid(), signal.SIGKILL)
    assert wait_for(lambda: not job.snapshot().active, 60)
    snap = job.snapshot()
    assert snap.state == "failed" and "Ray worker" in snap.error and "\n" not in snap.error
    summary = store.info(snap.run_id).summary
    assert summary["status"] == "failed" and "Ray worker" in summary["message"]
    # the app goes on: the next job runs on a fresh worker
    again = start_job(small_spec(), TrainConfig(epochs=1, max_batches=5, device="cpu"), sample, store=store)
    again.join(120)
    assert again.snapshot().state == "finished"


def test_without_an_address_jobs_run_on_this_machine(sample, monkeypatch):
    from mnist_core.jobs.workers import ProcessTrainingJob
    from mnist_core.settings import JOBS_ENV
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    monkeypatch.delenv(JOBS_ENV, raising=False)
    assert isinstance(start_job(small_spec(), TrainConfig(epochs=1, max_batches=3), sample, slots=SlotQueue(1)),
                      ProcessTrainingJob)
    monkeypatch.setenv(JOBS_ENV, "thread")
    job = start_job(small_spec(), TrainConfig(epochs=1, max_batches=3), sample, slots=SlotQueue(1))
    assert isinstance(job, TrainingJob)
    job.join(60)
    assert job.snapshot().state == "finished"
    monkeypatch.setenv(JOBS_ENV, "fork-bomb")
    with pytest.raises(ClusterError, match="use 'process' or 'thread'"):
        start_job(small_spec(), TrainConfig(epochs=1), sample)


def test_cuda_on_a_cluster_without_gpus_is_refused_in_one_line(on_ray, sample):
    with pytest.raises(ClusterError, match="no GPU"):
        start_job(small_spec(), TrainConfig(epochs=1, device="cuda"), sample)


def test_ray_missing_is_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    with pytest.raises(ClusterError, match="requirements-cluster.txt"):
        connect("auto")


def test_a_class_sweep_runs_its_settings_as_parallel_actors(on_ray, sample, tmp_path, monkeypatch):
    from mnist_core.jobs.sweep import Sweep
    from mnist_core.settings import CPUS_ENV
    monkeypatch.setenv(CPUS_ENV, "1")  # two one-CPU actors fit the two-CPU instance side by side
    store = RunStore(tmp_path)
    sweep = Sweep.start("fast", "lr", [0.003, 0.006], 30, sample, store=store)
    assert all(isinstance(j, RayTrainingJob) for j in sweep.jobs)
    assert wait_for(lambda: all(len(j.snapshot().steps) > 0 and j.snapshot().active for j in sweep.jobs))
    assert wait_for(lambda: not sweep.active, 180)
    rows = sweep.rows()
    assert all(r["state"] == "finished" and r["accuracy"] > 0.5 for r in rows), rows
    assert {r["run_id"] for r in rows} <= {r.run_id for r in store.list()}


def test_the_training_page_trains_on_ray_and_keeps_working(on_ray, tmp_path, monkeypatch):
    """The page end to end with MNIST_LAB_RAY_ADDRESS set: the run is an actor, the sidebar says
    where training runs, the live view ends in "Finished" and the history lists the run."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    import ui.common
    from tests.pages.test_training_page import start_tiny_run, wait_done
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    monkeypatch.setattr(ui.common, "RUNS_DIR", tmp_path / "runs")
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    at.switch_page("app_pages/training.py")
    at.run()
    start_tiny_run(at)
    assert not at.exception, [e.value for e in at.exception]
    job = wait_done(at)
    assert isinstance(job, RayTrainingJob) and job.snapshot().state == "finished"
    at.run()
    at.run()
    assert not at.exception
    assert any("Ray cluster (auto)" in c.value for c in at.sidebar.caption)
    assert any("Test accuracy" in s.value for s in at.success)
    assert list(at.dataframe[0].value["name"]) == ["tiny test run"]
