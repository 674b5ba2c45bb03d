"""The bounds a public server needs: checked before a run starts or is saved, one line each."""

import pytest

from mnist_core import bounds, presets
from mnist_core.classroom import classes, identity
from mnist_core.classroom.identity import Actor
from mnist_core.jobs.local import SlotQueue
from mnist_core.jobs.start import start_job
from mnist_core.runs import RunStore
from mnist_core.training.config import TrainConfig
from mnist_core.training.loop import fit


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_DATABASE_URL", f"sqlite:///{tmp_path / 'classroom.sqlite'}")
    monkeypatch.setenv("MNIST_LAB_JOBS", "thread")
    teacher = identity.teacher_actor(identity.new_visitor()[0])
    room = classes.start_class(teacher, "P3")
    a = classes.join(Actor(identity.new_visitor()[0]), room.code, "ada")
    return RunStore(tmp_path / "runs"), teacher, a


def test_the_estimate_holds_a_real_tiny_run(world, sample):
    store, teacher, a = world
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=1, max_batches=12, device="cpu", log_every=1)
    job = start_job(spec, cfg, sample, store=store, name="tiny", actor=a, slots=SlotQueue(1))
    job.join(120)
    run_id = job.snapshot().run_id
    real = bounds.folder_bytes(store.root / run_id)
    est = bounds.estimate_run_bytes(spec, cfg, len(sample.train_images))
    assert real <= est <= 2 * real + 50_000, (real, est)


def test_a_visitors_stored_cap_and_the_server_disk_are_one_line(world, sample, monkeypatch):
    store, teacher, a = world
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=1, max_batches=2, device="cpu")
    res = fit(spec, cfg, sample)
    monkeypatch.setenv("MNIST_LAB_MAX_STORED_RUNS", "2")
    store.save_result("one", spec, cfg, res, actor=a)
    store.save_result("two", spec, cfg, res, actor=a)
    with pytest.raises(bounds.BoundsError) as e:
        store.save_edited("three", spec, res.model, "a test", actor=a)
    assert "\n" not in str(e.value) and "2 runs" in str(e.value)
    assert len(store.list()) == 2  # nothing half-made
    store.save_result("the teacher's", spec, cfg, res, actor=teacher)  # no per-visitor cap for the teacher
    monkeypatch.setenv("MNIST_LAB_SERVER_DISK_MB", "1")
    monkeypatch.setattr(bounds, "MB", 1000)  # a 1,000-byte "megabyte": the tiny runs here are past it
    with pytest.raises(bounds.BoundsError, match="server"):
        store.save_result("too much", spec, cfg, res)  # the CLI is capped by the server's disk
    with pytest.raises(bounds.BoundsError):
        start_job(spec, cfg, sample, store=store, actor=teacher, slots=SlotQueue(1))


def test_a_visitors_active_cap(world, sample, monkeypatch):
    store, teacher, a = world
    monkeypatch.setenv("MNIST_LAB_MAX_ACTIVE_RUNS", "1")
    spec = presets.get("seed001").spec()
    slots = SlotQueue(1)
    first = start_job(spec, TrainConfig(epochs=50, device="cpu"), sample, store=store, actor=a, slots=slots)
    try:
        with pytest.raises(bounds.BoundsError, match="waiting or training"):
            start_job(spec, TrainConfig(epochs=1, max_batches=2, device="cpu"), sample, store=store, actor=a,
                      slots=slots)
    finally:
        first.stop()
        first.join(60)


def test_settings_read_the_environment(monkeypatch):
    from mnist_core import settings
    monkeypatch.setenv("MNIST_LAB_CLASS_DISK_MB", "nonsense")
    assert settings.class_disk_mb() == 2000 and settings.max_active_runs() == 4
    monkeypatch.setenv("MNIST_LAB_MAX_ACTIVE_RUNS", "7")
    assert settings.max_active_runs() == 7
