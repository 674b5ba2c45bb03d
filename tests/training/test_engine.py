import math
import threading
import time

import pytest
import torch

from mnist_core import presets
from mnist_core.inference import autocast_dtype, to_input
from mnist_core.jobs.local import SlotQueue, TrainingJob
from mnist_core.spec import ArchSpec, Conv2d, Flatten, Linear, MaxPool2d, ReLU
from mnist_core.training import devices as T
from mnist_core.training.augment import augment_batch
from mnist_core.training.callbacks import Watchdog
from mnist_core.training.config import ConfigError, TrainConfig
from mnist_core.training.control import Control
from mnist_core.training.devices import pick_device, use_channels_last
from mnist_core.training.events import Epoch, Message, Start, Step
from mnist_core.training.loop import fit
from mnist_core.training.schedule import lr_factor


def small_spec():
    return ArchSpec(name="small", layers=[Conv2d(8, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(10)])


def test_short_real_training_clearly_beats_chance(sample):
    events = []
    cfg = TrainConfig(optimizer="adam", lr=3e-3, epochs=2, batch_size=64, seed=0)
    res = fit(small_spec(), cfg, sample, callback=events.append)
    assert res.status == "finished"
    assert res.test_accuracy > 0.85  # chance is 0.10
    kinds = {e.type for e in events}
    assert {"start", "step", "epoch", "end"} <= kinds
    steps = [e for e in events if isinstance(e, Step)]
    last = steps[-1].to_dict()
    assert all(last[k] is not None for k in ("step", "epoch", "loss", "acc", "lr", "ips", "elapsed", "eta"))
    assert steps[-1].progress == pytest.approx(1.0)
    ep = [e for e in events if isinstance(e, Epoch)]
    assert [e.epoch for e in ep] == [1, 2] and all(e.test_acc is not None and e.train_acc is not None for e in ep)
    assert steps[0].loss > steps[-1].loss


def test_same_seed_same_result(sample):
    cfg = TrainConfig(epochs=1, max_batches=10, seed=3, channels_last=False)
    a = fit(small_spec(), cfg, sample)
    b = fit(small_spec(), cfg, sample)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.allclose(pa, pb)


def test_max_batches_and_subset_and_validation(sample):
    events = []
    cfg = TrainConfig(epochs=2, max_batches=3, batch_size=16, subset=500, val_split=0.2, log_every=1)
    res = fit(small_spec(), cfg, sample, callback=events.append)
    assert res.steps == 6 and res.images_seen == 6 * 16
    start = next(e for e in events if isinstance(e, Start))
    assert start.train_size == 400 and start.val_size == 100
    assert all(e.val_acc is not None for e in events if isinstance(e, Epoch))


@pytest.mark.parametrize("opt", ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"])
@pytest.mark.parametrize("sched", ["constant", "onecycle"])
def test_every_optimizer_and_schedule_runs(sample, opt, sched):
    res = fit(small_spec(), TrainConfig(optimizer=opt, schedule=sched, lr=0.01, max_batches=4, epochs=1), sample)
    assert res.status == "finished" and math.isfinite(res.test_loss)


def test_schedules_shape():
    cfg = TrainConfig(schedule="cosine")
    assert lr_factor(cfg, 0, 100, 10) == pytest.approx(1.0) and lr_factor(cfg, 100, 100, 10) == pytest.approx(0.0)
    cfg = TrainConfig(schedule="onecycle")
    vals = [lr_factor(cfg, s, 100, 10) for s in range(100)]
    assert vals[0] < 0.1 and max(vals) == pytest.approx(1.0, abs=0.05) and vals[-1] < 0.05
    cfg = TrainConfig(schedule="step", gamma=0.5, step_epochs=1)
    assert lr_factor(cfg, 25, 100, 10) == 0.25


@pytest.mark.parametrize("kw,msg", [
    ({"optimizer": "lion"}, "unknown optimizer"), ({"lr": -1}, "learning rate"),
    ({"lr": float("nan")}, "learning rate"),
    ({"batch_size": 0}, "batch size"), ({"epochs": 0}, "epochs"), ({"schedule": "warm"}, "unknown schedule"),
    ({"val_split": 0.9}, "validation split"), ({"device": "tpu"}, "unknown device"),
    ({"max_batches": 0}, "max_batches"),
])
def test_config_validation(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        TrainConfig(**kw).validate()


def test_config_round_trip_and_unknown_keys():
    cfg = TrainConfig(**presets.get("fast").train)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown training setting"):
        TrainConfig.from_dict({"learning_rate": 1})


def test_device_selection_on_this_machine(monkeypatch):
    monkeypatch.setattr(T, "cuda_ok", lambda: False)
    monkeypatch.setattr(T, "mps_ok", lambda: False)
    assert pick_device("auto").type == "cpu"
    with pytest.raises(ConfigError, match="CUDA was requested"):
        pick_device("cuda")
    with pytest.raises(ConfigError, match="MPS was requested"):
        pick_device("mps")
    monkeypatch.setattr(T, "mps_ok", lambda: True)
    assert pick_device("auto").type == "mps"
    monkeypatch.setattr(T, "cuda_ok", lambda: True)
    assert pick_device("auto").type == "cuda"  # CUDA first, then MPS


def test_dtype_handling_per_device():
    assert autocast_dtype(torch.device("cpu")) is None  # bf16 is slower on CPUs without native support
    assert autocast_dtype(torch.device("mps")) is None
    assert autocast_dtype(torch.device("cpu"), amp=False) is None
    assert use_channels_last(small_spec(), TrainConfig(), torch.device("cpu"))
    assert not use_channels_last(presets.get("seed004").spec(), TrainConfig(), torch.device("cpu"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_path(sample):
    res = fit(small_spec(), TrainConfig(device="cuda", epochs=1, max_batches=20), sample)
    assert res.status == "finished" and "CUDA" in res.device
    assert autocast_dtype(torch.device("cuda")) == torch.bfloat16


def test_to_input_normalises_and_keeps_channels_last():
    imgs = torch.zeros(2, 28, 28, dtype=torch.uint8)
    imgs[0, 10, 10] = 255
    x = to_input(imgs, channels_last=True)
    assert x.shape == (2, 1, 28, 28) and x.is_contiguous(memory_format=torch.channels_last)
    assert x[1].mean().item() == pytest.approx(-0.1307 / 0.3081, abs=1e-5)
    assert x[0, 0, 10, 10].item() == pytest.approx((1 - 0.1307) / 0.3081, abs=1e-4)


def test_augmentation_moves_ink_but_keeps_background():
    imgs = torch.zeros(8, 28, 28, dtype=torch.uint8)
    imgs[:, 8:20, 12:16] = 255
    x = to_input(imgs)
    y = augment_batch(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    bg = -0.1307 / 0.3081
    assert y[:, :, 0, 0].sub(bg).abs().max() < 1e-4  # corners stay black
    assert not torch.allclose(x, y)


def test_divergence_is_detected_and_explained(sample):
    msgs = []
    cfg = TrainConfig(optimizer="sgd", lr=10.0, epochs=1, max_batches=60, log_every=1)
    spec = ArchSpec(layers=[Flatten(), Linear(256), ReLU(), Linear(256), ReLU(), Linear(10)])
    res = fit(spec, cfg, sample, callback=lambda e: isinstance(e, Message) and msgs.append(e))
    assert res.status == "diverged"
    assert "NaN" in res.message and "smaller" in res.message
    assert msgs and msgs[0].level == "error"


def test_collapse_watchdog():
    dog = Watchdog(10, window=50, min_steps=100)
    fired = [dog.collapsed(s, math.log(10) + 0.01 * ((-1) ** s), 0.1) for s in range(1, 200)]
    assert any(fired) and sum(fired) == 1  # warns once
    healthy = Watchdog(10, window=50, min_steps=100)
    assert not any(healthy.collapsed(s, 2.3 * math.exp(-s / 30), 0.9) for s in range(1, 200))


def test_seed003_collapses_at_its_original_rate(sample):
    p = presets.get("seed003")
    msgs = []
    cfg = TrainConfig(**{**p.train, "epochs": 1, "max_batches": 60, "log_every": 1})
    dog = Watchdog(10, window=30, min_steps=40)  # the default waits 300 steps: too long for a test
    fit(p.spec(), cfg, sample, callback=lambda e: isinstance(e, Message) and msgs.append(e), watchdog=dog)
    assert any("ln 10" in m.text and m.level == "warning" for m in msgs)


# --- control and the job ----------------------------------------------------------------

def test_control_lr_validation():
    c = Control()
    with pytest.raises(ConfigError):
        c.set_lr(0)
    c.set_lr(0.5)
    assert c.take_lr() == 0.5 and c.take_lr() is None


def wait_for(pred, timeout=60):
    t = time.time()
    while time.time() - t < timeout:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_job_pause_resume_set_lr_stop(sample):
    cfg = TrainConfig(epochs=50, batch_size=32, log_every=1, lr=1e-3)
    job = TrainingJob(small_spec(), cfg, sample, slots=SlotQueue(1)).start()
    assert wait_for(lambda: len(job.snapshot().steps) >= 3)
    job.pause()
    assert wait_for(lambda: job.snapshot().state == "paused")
    time.sleep(0.3)
    n = len(job.snapshot().steps)
    time.sleep(0.5)
    assert len(job.snapshot().steps) <= n + 1  # at most the batch in flight
    job.set_lr(0.0123)
    job.resume()
    assert wait_for(lambda: job.snapshot().lr_changes)
    assert job.snapshot().lr_changes[0].lr == 0.0123
    assert wait_for(lambda: job.snapshot().steps[-1].lr == pytest.approx(0.0123))
    job.stop()
    job.join(30)
    snap = job.snapshot()
    assert snap.state == "stopped" and not snap.active
    assert snap.result["status"] == "stopped"


def test_second_job_waits_in_queue(sample, tmp_path):
    slots = SlotQueue(1)
    cfg = TrainConfig(epochs=50, batch_size=32, log_every=1)
    a = TrainingJob(small_spec(), cfg, sample, slots=slots).start()
    assert wait_for(lambda: a.snapshot().state == "running")
    b = TrainingJob(small_spec(), cfg, sample, slots=slots).start()
    assert wait_for(lambda: b.snapshot().queue_position == 1)
    assert b.snapshot().state == "queued" and not b.snapshot().steps
    a.stop()
    assert wait_for(lambda: b.snapshot().state == "running")
    b.stop()
    a.join(30)
    b.join(30)
    c = TrainingJob(small_spec(), cfg, sample, slots=SlotQueue(1))
    c.stop()  # stopped before it started: never runs
    c.start().join(10)
    assert c.snapshot().state == "stopped"


def test_job_saves_a_run(sample, tmp_path):
    from mnist_core.runs import RunStore
    store = RunStore(tmp_path)
    job = TrainingJob(small_spec(), TrainConfig(epochs=2, max_batches=5), sample, store=store, name="My run!",
                      slots=SlotQueue(1)).start()
    job.join(60)
    snap = job.snapshot()
    assert snap.state == "finished" and snap.run_id
    info = store.info(snap.run_id)
    assert info.display_name == "My run!" and info.summary["test_accuracy"] == snap.result["test_accuracy"]
    assert (info.path / "epochs" / "epoch_002.safetensors").exists()
    assert any(isinstance(e, Epoch) for e in store.metrics(snap.run_id))


def test_job_reports_failure_in_one_line(sample):
    job = TrainingJob(small_spec(), TrainConfig(device="cpu", epochs=1, max_batches=2), sample, slots=SlotQueue(1))
    job.spec = ArchSpec(layers=[Flatten(), Linear(10), Conv2d(4, 3)])  # broken behind its back
    job.start().join(30)
    s = job.snapshot()
    assert s.state == "failed" and "\n" not in s.error and "layer 3" in s.error


def test_job_refuses_a_broken_spec_up_front(sample):
    with pytest.raises(ConfigError, match="add a Flatten"):
        TrainingJob(ArchSpec(layers=[Conv2d(4, 3), Linear(10)]), TrainConfig(), sample)


def test_snapshot_is_thread_safe(sample):
    job = TrainingJob(small_spec(), TrainConfig(epochs=3, batch_size=16, log_every=1), sample,
                      slots=SlotQueue(1)).start()
    errors = []

    def reader():
        try:
            for _ in range(300):
                s = job.snapshot()
                [e.loss for e in s.steps]
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    job.stop()
    job.join(30)
    assert not errors


def test_job_refuses_a_missing_device_up_front(sample, monkeypatch):
    monkeypatch.setattr(T, "cuda_ok", lambda: False)
    with pytest.raises(ConfigError, match="CUDA was requested"):
        TrainingJob(small_spec(), TrainConfig(device="cuda"), sample)


def test_an_explicit_epoch_count_wins_over_a_step_budget():
    from mnist_core.training.config import with_changes
    seed004 = TrainConfig(**presets.get("seed004").train)
    assert seed004.max_steps == 10_000
    assert with_changes(seed004, {"epochs": 3}).max_steps is None
    assert with_changes(seed004, {"epochs": seed004.epochs, "lr": 0.5}).max_steps == 10_000
    with pytest.raises(ConfigError, match="batch size"):
        with_changes(seed004, {"batch_size": 0})
