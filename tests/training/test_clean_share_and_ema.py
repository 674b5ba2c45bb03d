"""Two training options for augmenting without losing MNIST: a clean share of each batch, and an
exponential average of the weights (the model evaluated, calibrated and kept)."""

import pytest
import torch

from mnist_core import presets
from mnist_core.training import torch_engine
from mnist_core.training.config import ConfigError, TrainConfig
from mnist_core.training.torch_engine import TorchEngine


def _engine(sample, **kw):
    cfg = TrainConfig(batch_size=64, device="cpu", subset=640, **kw).validate()
    return TorchEngine(presets.get("fast").spec(), cfg, sample)


def test_augment_clean_leaves_that_share_of_the_digits_undistorted(sample, monkeypatch):
    seen = []

    def spy(x, gen=None, style="affine"):
        seen.append(len(x))
        return x + 1  # marks the distorted ones
    monkeypatch.setattr(torch_engine, "augment_batch", spy)
    eng = _engine(sample, augment=True, augment_clean=0.25)
    eng.begin_epoch(1)
    eng.train_step(0, 64, 1e-3)
    assert seen == [48]  # 16 of 64 stay as they are
    eng = _engine(sample, augment=True)
    eng.begin_epoch(1)
    eng.train_step(0, 64, 1e-3)
    assert seen == [48, 64]


def test_augment_clean_style_distorts_the_clean_share_mildly(sample, monkeypatch):
    seen = []

    def spy(x, gen=None, style="affine"):
        seen.append((len(x), style))
        return x
    monkeypatch.setattr(torch_engine, "augment_batch", spy)
    eng = _engine(sample, augment=True, augment_style="scans", augment_clean=0.25, augment_clean_style="handwriting")
    eng.begin_epoch(1)
    eng.train_step(0, 64, 1e-3)
    assert seen == [(16, "handwriting"), (48, "scans")]


def test_outlier_weight_scales_the_flat_answer_on_non_digits(sample):
    grads = {}
    for w in (0.0, 0.25, 0.5):  # same seed: same weights, same batch, same non-digits
        eng = _engine(sample, outliers=0.25, outlier_weight=w, seed=3)
        eng.begin_epoch(1)
        eng.train_step(0, 64, 1e-3)
        grads[w] = torch.cat([p.grad.flatten() for p in eng.model.parameters()])
    pull = grads[0.25] - grads[0.0]  # the non-digits' share of the gradient grows with their weight
    assert pull.abs().sum() > 0
    torch.testing.assert_close(grads[0.5] - grads[0.0], 2 * pull, rtol=1e-3, atol=1e-5)


def test_ema_is_the_model_evaluated_and_kept(sample):
    eng = _engine(sample, ema=0.9)
    eng.begin_epoch(1)
    for b in range(5):
        eng.train_step(b, 64, 3e-3)
    raw, avg = eng.model, eng.module()
    assert avg is eng.ema.module and avg is not raw
    w_raw, w_avg = raw.state_dict(), avg.state_dict()
    moved = [k for k in w_raw if w_raw[k].is_floating_point() and not torch.equal(w_raw[k], w_avg[k])]
    assert moved  # the average lags the raw weights
    model, _, _ = eng.finish("finished")
    assert all(torch.equal(v, w_avg[k].cpu()) for k, v in model.state_dict().items())


def test_without_ema_the_raw_model_is_kept(sample):
    eng = _engine(sample)
    assert eng.ema is None and eng.module() is eng.model


@pytest.mark.parametrize("bad", [{"augment_clean": 1.0}, {"augment_clean": -0.1}, {"ema": 0.3}, {"ema": 1.0},
                                 {"augment_clean_style": "wobbly"}, {"outlier_weight": -0.1}, {"outlier_weight": 3}])
def test_out_of_range_shares_and_decays_are_refused(bad):
    from mnist_core.i18n import set_language, tr_error
    with pytest.raises(ConfigError) as refused:
        TrainConfig(**bad).validate()
    try:
        set_language("zh")
        said = tr_error(refused.value)
    finally:
        set_language("en")
    assert said != str(refused.value) and any("\u4e00" <= ch <= "\u9fff" for ch in said)  # in Chinese on a page


def test_the_numpy_engine_refuses_an_average_it_would_not_keep():
    from mnist_core.training.numpy_engine import unsupported_settings
    assert unsupported_settings(TrainConfig(engine="numpy", optimizer="sgd", ema=0.99)) == ["ema"]
