"""Training in a worker process: the same job interface, its own interpreter, a slot from the queue."""

import os
import signal
import time

from mnist_core.jobs.local import SlotQueue
from mnist_core.jobs.workers import ProcessTrainingJob
from mnist_core.runs import RunStore
from mnist_core.training.config import TrainConfig
from tests.conftest import small_spec, wait_for


def test_a_run_in_a_worker_streams_live_and_lands_in_the_store(sample, tmp_path):
    store = RunStore(tmp_path)
    job = ProcessTrainingJob(small_spec(), TrainConfig(epochs=3, max_batches=200, log_every=5, device="cpu"), sample,
                             store=store, name="in a worker", slots=SlotQueue(1)).start()
    assert job.pid() != os.getpid()
    live = []  # step counts seen while the run was still going
    deadline = time.time() + 120
    while time.time() < deadline:  # often: the whole run takes about a second
        now = job.snapshot()
        if not now.active:
            break
        live.append(len(now.steps))
        time.sleep(0.01)
    snap = job.snapshot()
    assert snap.state == "finished", snap.error
    # live, not all at the end: steps had arrived while it still trained, and fewer than it made in all
    # (how many distinct counts a poll sees depends on how the reader batches them: not asserted)
    assert any(0 < n < len(snap.steps) for n in live), (live[-5:], len(snap.steps))
    assert [e.step for e in snap.steps] == sorted({e.step for e in snap.steps})
    info = store.info(snap.run_id)
    assert info.summary["status"] == "finished" and info.summary["test_accuracy"] == snap.result["test_accuracy"]
    store.load(snap.run_id)


def test_the_full_mnist_is_read_by_the_worker_not_pickled(full, tmp_path):
    job = ProcessTrainingJob(small_spec(), TrainConfig(epochs=1, max_batches=5, device="cpu"), full,
                             store=RunStore(tmp_path), slots=SlotQueue(1)).start()
    job.join(120)
    snap = job.snapshot()
    assert snap.state == "finished" and snap.info.train_size == 60_000


def test_pause_resume_set_lr_and_stop_reach_the_worker(sample, tmp_path):
    store = RunStore(tmp_path)
    job = ProcessTrainingJob(small_spec(), TrainConfig(epochs=50, log_every=1, device="cpu"), sample, store=store,
                             slots=SlotQueue(1)).start()
    assert wait_for(lambda: len(job.snapshot().steps) >= 3)
    job.pause()
    assert wait_for(lambda: job.snapshot().state == "paused")
    time.sleep(0.3)
    n = len(job.snapshot().steps)
    time.sleep(1.0)
    assert len(job.snapshot().steps) <= n + 1
    job.resume()
    job.set_lr(2e-4)
    assert wait_for(lambda: any(abs(e.lr - 2e-4) < 1e-12 for e in job.snapshot().steps[-3:]))
    job.stop()
    assert wait_for(lambda: not job.snapshot().active)
    assert job.snapshot().state == "stopped" and store.info(job.snapshot().run_id).summary["status"] == "stopped"


def test_jobs_wait_for_a_slot_and_can_be_cancelled_while_waiting(sample):
    slots = SlotQueue(1)
    first = ProcessTrainingJob(small_spec(), TrainConfig(epochs=50, device="cpu"), sample, slots=slots).start()
    second = ProcessTrainingJob(small_spec(), TrainConfig(epochs=1, max_batches=3, device="cpu"), sample,
                                slots=slots).start()
    third = ProcessTrainingJob(small_spec(), TrainConfig(epochs=1, max_batches=3, device="cpu"), sample,
                               slots=slots).start()
    assert wait_for(lambda: first.snapshot().state == "running")
    assert second.snapshot().state == "queued" and second.snapshot().queue_position == 1
    assert third.snapshot().queue_position == 2
    third.stop()
    assert wait_for(lambda: third.snapshot().state == "stopped")
    first.stop()
    second.join(120)
    assert second.snapshot().state == "finished"
    assert wait_for(lambda: slots.busy == 0)


def test_a_killed_worker_is_one_failed_line_and_a_failed_run(sample, tmp_path):
    store = RunStore(tmp_path)
    slots = SlotQueue(1)
    job = ProcessTrainingJob(small_spec(), TrainConfig(epochs=50, log_every=1, device="cpu"), sample, store=store,
                             slots=slots).start()
    assert wait_for(lambda: len(job.snapshot().steps) >= 2 and job.snapshot().run_id)
    os.kill(job.pid(), signal.SIGKILL)
    assert wait_for(lambda: not job.snapshot().active, 30)
    snap = job.snapshot()
    assert snap.state == "failed" and "SIGKILL" in snap.error and "\n" not in snap.error
    summary = store.info(snap.run_id).summary
    assert summary["status"] == "failed" and "worker process" in summary["message"]
    assert wait_for(lambda: slots.busy == 0)  # the slot is free for the next run


def test_a_bad_learning_rate_is_refused_here_in_one_line(sample):
    import pytest

    from mnist_core.training.config import ConfigError
    job = ProcessTrainingJob(small_spec(), TrainConfig(epochs=1, max_batches=2, device="cpu"), sample,
                             slots=SlotQueue(1))
    with pytest.raises(ConfigError, match="learning rate"):
        job.set_lr(float("nan"))


def test_starting_a_worker_leaves_the_servers_tensors_alone(sample):
    """Handing the data to a spawned worker must not move the shared dataset's storage (other
    sessions' threads are reading it): the arrays go as NumPy copies."""
    from mnist_core.jobs.workers import pack_data, unpack_data
    before = sample.train_images.data_ptr()
    packed = pack_data(sample)
    assert packed[0] == "arrays" and not sample.train_images.is_shared()
    assert sample.train_images.data_ptr() == before
    back = unpack_data(packed)
    assert back.kind == sample.kind and (back.train_images == sample.train_images).all()
    job = ProcessTrainingJob(small_spec(), TrainConfig(epochs=1, max_batches=2, device="cpu"), sample,
                             slots=SlotQueue(1)).start()
    job.join(120)
    assert job.snapshot().state == "finished"
    assert not sample.train_images.is_shared() and sample.train_images.data_ptr() == before
