import json

import pytest
import torch
from safetensors.torch import save as st_save

from mnist_core import presets
from mnist_core.runs import RunError, RunStore, atomic_write, model_from_weights, slugify, weights_bytes
from mnist_core.training.config import TrainConfig
from mnist_core.training.events import Step
from mnist_core.training.loop import fit


@pytest.fixture
def trained(sample):
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=1, max_batches=3)
    return spec, cfg, fit(spec, cfg, sample)


def test_save_load_round_trip(tmp_path, trained):
    spec, cfg, res = trained
    store = RunStore(tmp_path)
    run = store.save_result("seed001 test", spec, cfg, res, "sample", preset="seed001",
                            logged=[Step(step=1, loss=2.0)])
    for f in ("weights.safetensors", "spec.json", "config.json", "metrics.jsonl", "summary.json"):
        assert (run.path / f).is_file(), f
    spec2, model = store.load(run.run_id)
    assert spec2.to_dict() == spec.to_dict()
    x = torch.randn(4, 1, 28, 28)
    assert torch.allclose(model(x), res.model(x), atol=1e-6)
    info = store.list()[0]
    assert info.run_id == run.run_id and info.summary["preset"] == "seed001"
    assert store.metrics(run.run_id)[0].loss == 2.0
    # the spec also travels inside the weights file
    spec3, _ = model_from_weights((run.path / "weights.safetensors").read_bytes())
    assert spec3.to_dict() == spec.to_dict()


def test_rename_and_delete(tmp_path, trained):
    spec, cfg, res = trained
    store = RunStore(tmp_path)
    run = store.save_result("a", spec, cfg, res)
    store.rename(run.run_id, "Better name")
    assert store.info(run.run_id).display_name == "Better name"
    store.delete(run.run_id)
    assert store.list() == []


def test_run_ids_are_safe_folder_names():
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("   ") == "run"
    assert slugify("Ünïcode ✓ name" * 10) == slugify("Ünïcode ✓ name" * 10)[:40]


def test_resolve_never_escapes_the_store(tmp_path):
    store = RunStore(tmp_path / "runs")
    with pytest.raises(RunError):
        store.info("../secret")
    with pytest.raises(RunError, match="no run 'nope'"):
        store.load("nope")


def test_broken_folders_do_not_break_listing(tmp_path, trained):
    spec, cfg, res = trained
    store = RunStore(tmp_path)
    good = store.save_result("ok", spec, cfg, res)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "spec.json").write_text("{not json")
    (tmp_path / "empty").mkdir()
    (good.path / "metrics.jsonl").write_text('{"type": "step"}\n{"type": "st')  # torn last line
    assert [r.run_id for r in store.list()] == [good.run_id]
    assert store.metrics(good.run_id) == [Step()]


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "f.json"
    atomic_write(p, b"old")
    import os
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        atomic_write(p, b"new")
    assert p.read_bytes() == b"old"
    assert [f.name for f in tmp_path.iterdir()] == ["f.json"]  # no temp litter


def test_refuses_pickles_garbage_and_mismatched_weights(tmp_path, trained):
    spec, cfg, res = trained
    with pytest.raises(RunError, match="pickled"):
        model_from_weights(b"PK\x03\x04" + b"\0" * 100, "model.pt")
    with pytest.raises(RunError, match="not a readable safetensors"):
        model_from_weights(b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage", "w.safetensors")
    good = weights_bytes(res.model.state_dict(), spec)
    with pytest.raises(RunError, match="not a readable safetensors"):
        model_from_weights(good[: len(good) // 2], "w.safetensors")
    other = presets.get("seed002").spec()
    with pytest.raises(RunError, match=r"layer 1 \(Conv2d 32@3x3\).*shape"):
        model_from_weights(good, "w", spec=other)
    bare = st_save({"0.weight": torch.zeros(1)})
    with pytest.raises(RunError, match="no MNIST Lab spec"):
        model_from_weights(bare, "w")


def test_demo_model_ships_and_predicts(full):
    from mnist_core.inference import evaluate_model
    from mnist_core.runs import DEMO_DIR, load_demo
    spec, model = load_demo()
    summary = json.loads((DEMO_DIR / "summary.json").read_text())
    assert "command" in summary
    ev = evaluate_model(spec, model, full.test_images[:2000], full.test_labels[:2000])
    assert ev.accuracy > 0.98


def test_a_safetensors_header_length_that_starts_like_a_pickle_still_loads():
    """A header of 128 + 256k bytes makes the file's first byte 0x80, a pickle's first byte."""
    from safetensors.torch import save

    from mnist_core.runs import parse_weights
    for pad in range(0, 300):
        raw = save({"w": torch.zeros(2)}, metadata={"pad": "x" * pad})
        if raw[:1] == b"\x80" or raw[:2] == b"PK":
            break
    else:
        raise AssertionError("no padding gave a 0x80 first byte")
    tensors, meta = parse_weights(raw)
    assert tensors["w"].shape == (2,) and meta["pad"] == "x" * pad
