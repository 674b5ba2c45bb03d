"""The one loop: both engines get the same features, events are typed, old run logs still read.

The first four tests are the disagreements the two loops of wave 2 had (one loop per engine):
only the torch one said "paused at step N"; an epoch's ``seconds`` meant two things; the NumPy
engine took no step snapshots; its watchdog assumed ten classes."""

import math
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from mnist_core import presets
from mnist_core.runs import RunStore
from mnist_core.spec import ArchSpec, Flatten, Linear
from mnist_core.training import events
from mnist_core.training.callbacks import Callback, HealthCheck
from mnist_core.training.config import TrainConfig
from mnist_core.training.control import Control
from mnist_core.training.events import End, Epoch, LrChange, Message, Start, Step
from mnist_core.training.loop import fit
from tests.conftest import small_spec, wait_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def engines():
    """(spec, config) for each engine: small runs of a few dozen steps."""
    numpy = presets.get("seed004")
    return {
        "torch": (small_spec(), TrainConfig(epochs=2, max_batches=12, batch_size=32, log_every=2)),
        "numpy": (numpy.spec(), TrainConfig(**{**numpy.train, "epochs": 2, "max_steps": None, "max_batches": 12,
                                              "log_every": 2})),
    }


@pytest.fixture(params=["torch", "numpy"])
def engine(request):
    return engines()[request.param]


def test_both_engines_say_where_they_paused(engine, sample):
    spec, cfg = engine
    control, seen = Control(), []
    control.pause()  # paused before the first step
    t = threading.Thread(target=fit, args=(spec, cfg, sample, seen.append, control))
    t.start()
    try:
        assert wait_for(lambda: any(isinstance(e, Message) for e in seen), 30)
    finally:
        control.resume()
        t.join(60)
    msg = next(e for e in seen if isinstance(e, Message))
    assert msg.level == "info" and msg.text == "paused at step 0"
    assert isinstance(seen[-1], End) and seen[-1].status == "finished"


def test_an_epoch_has_its_own_seconds_and_the_time_since_the_start(engine, sample):
    spec, cfg = engine
    got = []
    fit(spec, cfg, sample, callback=got.append)
    ep = [e for e in got if isinstance(e, Epoch)]
    assert len(ep) == 2
    assert all(0 < e.epoch_seconds <= e.elapsed for e in ep)
    assert ep[1].elapsed == pytest.approx(ep[0].epoch_seconds + ep[1].epoch_seconds, rel=0.05, abs=0.02)
    assert ep[1].epoch_seconds < ep[1].elapsed  # the second epoch's own time, not the run's


def test_both_engines_keep_step_snapshots_for_time_travel(engine, sample):
    spec, cfg = engine
    kept = []
    fit(spec, cfg, sample, on_snapshot=lambda model, step: kept.append(step))
    assert kept == [0, 1, 2, 5, 10]  # the random start, then log-spaced steps of the first epoch (12 steps)


def test_the_watchdog_counts_the_specs_classes_for_both_engines(engine, sample):
    spec, cfg = engine

    class Probe(Callback):
        def on_fit_start(self, loop):
            dog = next(c for c in loop.callbacks if isinstance(c, HealthCheck)).dog
            self.chance = dog.chance

    probe = Probe()
    fit(spec, cfg, sample, callbacks=[probe])
    assert probe.chance == pytest.approx(math.log(spec.num_classes))


def test_a_five_class_network_is_judged_against_ln_5(sample):
    """A network with five outputs that guesses has loss ln 5, not ln 10: the health check must know."""
    spec = ArchSpec(layers=[Flatten(), Linear(5)], num_classes=5)
    five_tr, five_te = sample.train_labels < 5, sample.test_labels < 5
    data = replace(sample, train_images=sample.train_images[five_tr], train_labels=sample.train_labels[five_tr],
                   test_images=sample.test_images[five_te], test_labels=sample.test_labels[five_te])

    class Probe(Callback):
        def on_fit_start(self, loop):
            self.dog = next(c for c in loop.callbacks if isinstance(c, HealthCheck)).dog

    probe = Probe()
    fit(spec, TrainConfig(epochs=1, max_batches=2), data, callbacks=[probe])
    assert probe.dog.chance == pytest.approx(math.log(5))


def test_lr_changes_pause_and_stop_are_the_loops_for_both_engines(engine, sample):
    spec, cfg = engine
    cfg = TrainConfig.from_dict({**cfg.to_dict(), "epochs": 50, "max_batches": None})
    control, seen = Control(), []
    t = threading.Thread(target=fit, args=(spec, cfg, sample, seen.append, control))
    t.start()
    assert wait_for(lambda: sum(isinstance(e, Step) for e in seen) >= 2, 60)
    control.set_lr(0.0123)
    assert wait_for(lambda: any(isinstance(e, LrChange) for e in seen), 60)
    assert wait_for(lambda: [e for e in seen if isinstance(e, Step)][-1].lr == pytest.approx(0.0123), 60)
    control.stop()
    t.join(60)
    end = seen[-1]
    assert isinstance(end, End) and end.status == "stopped" and end.message.startswith("stopped by the user at step")


def test_events_round_trip_through_json_types():
    cases = [Start(device="CPU", total_steps=10, train_size=5), Step(step=3, loss=0.5, eta=None),
             Epoch(epoch=1, step=3, train_loss=0.4, train_acc=0.9, epoch_seconds=1.5, elapsed=1.5, test_acc=0.8),
             Message("warning", "careful"), LrChange(3, 0.01), End("finished", 0.9, 2.0, "")]
    for e in cases:
        d = e.to_dict()
        assert d["type"] == e.type and events.from_dict(d) == e
    assert events.from_dict({"type": "gossip"}) is None and events.from_dict([1, 2]) is None


def test_a_run_folder_saved_by_wave_2_still_reads(tmp_path):
    """``tests/fixtures/wave2_run`` was written by the code before the typed events (commit 39cbc7d):
    its epoch records say ``seconds``."""
    shutil.copytree(FIXTURES / "wave2_run", tmp_path / "wave2_run")
    store = RunStore(tmp_path)
    (info,) = store.list()
    assert info.display_name == "wave 2 run" and info.summary["status"] == "finished"
    log = store.metrics(info.run_id)
    assert isinstance(log[0], Start) and log[0].device.startswith("CPU")
    steps = [e for e in log if isinstance(e, Step)]
    ep = [e for e in log if isinstance(e, Epoch)]
    assert steps and steps[-1].step == 24 and [e.epoch for e in ep] == [1, 2]
    assert all(e.epoch_seconds is not None and e.elapsed is None for e in ep)  # old "seconds", read as the epoch's
    assert ep[-1].test_acc == pytest.approx(info.summary["test_accuracy"])
    spec, model = store.load(info.run_id)
    assert spec.to_dict()["layers"] and model is not None
