import json

import torch

from mnist_core import presets
from mnist_core.experiments.surgery import fixed_subset
from mnist_core.experiments.timetravel import EmbeddingBasis, frame, load_snapshot, snapshot_bytes, snapshots
from mnist_core.inference import to_input
from mnist_core.runs import DEMO_DIR, RunStore
from mnist_core.training.config import TrainConfig
from mnist_core.training.schedule import snapshot_plan


def test_snapshot_plan_is_log_spaced_in_the_first_epoch():
    assert sorted(snapshot_plan(235)) == [1, 2, 5, 10, 20, 50, 100, 200]
    assert sorted(snapshot_plan(938)) == [1, 2, 5, 10, 20, 50, 100, 200, 500]
    assert snapshot_plan(1) == set()


def test_the_cli_writes_snapshots_at_the_planned_steps_and_they_load_back(tmp_path, capsys, sample, monkeypatch):
    import mnist_core.__main__ as M
    monkeypatch.setattr(M, "_load_data", lambda args, name="mnist": sample)
    assert M.main(["train", "--preset", "fast", "--epochs", "2", "--max-batches", "12", "--runs", str(tmp_path)]) == 0
    run_id = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"]
    info = RunStore(tmp_path).info(run_id)
    snaps = snapshots(info.path)
    assert [s.label for s in snaps] == ["the random start", "step 1", "step 2", "step 5", "step 10",
                                        "end of epoch 1", "end of epoch 2"]
    last = load_snapshot(info.spec, snaps[-1])
    _, final = RunStore(tmp_path).load(run_id)
    for a, b in zip(last.state_dict().values(), final.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=2e-3, rtol=2e-3)  # float16 snapshots
    assert snapshot_bytes(info.path) < 7 * (info.path / "weights.safetensors").stat().st_size // 2 + 10_000


def test_frames_show_learning_and_the_basis_is_fixed(sample):
    spec = presets.get("demo").spec()
    snaps = snapshots(DEMO_DIR)
    assert 15 <= len(snaps) <= 25 and snaps[0].label == "the random start"
    idx = fixed_subset(sample.test_labels, 300)
    x = to_input(sample.test_images[:1])
    first = frame(spec, load_snapshot(spec, snaps[0]), x, sample.test_images[idx], sample.test_labels[idx])
    last = frame(spec, load_snapshot(spec, snaps[-1]), x, sample.test_images[idx], sample.test_labels[idx])
    assert first.accuracy < 0.3 < 0.95 < last.accuracy
    assert first.kernels.shape == last.kernels.shape and not (first.kernels == last.kernels).all()
    basis = EmbeddingBasis(spec, load_snapshot(spec, snaps[-1]), sample.train_images, sample.train_labels, n=300)
    a = basis.coords(load_snapshot(spec, snaps[-1]))
    assert a.shape == (300, 2) and (basis.coords(load_snapshot(spec, snaps[-1])) == a).all()


def test_a_run_from_before_step_snapshots_replays_its_epochs(tmp_path, sample):
    from mnist_core.training.loop import fit
    p = presets.get("fast")
    store = RunStore(tmp_path)
    run = store.create("old", p.spec(), TrainConfig())
    fit(p.spec(), TrainConfig.from_dict({**p.train, "epochs": 2, "max_batches": 3}), sample,
        on_epoch_end=run.save_epoch)
    assert [s.label for s in snapshots(run.path)] == ["end of epoch 1", "end of epoch 2"]
